"""The bounded cache of late interaction's passage token vectors, keyed by a digest of the text.

Passage vectors depend on the passage alone, so :class:`xrerank.LateInteractionReranker`
computes them once and keeps them here; the bound is in bytes, since a passage's
vectors grow with its length.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

# Per cached passage beyond its vectors: key, OrderedDict slot, ndarray header.
_ENTRY_OVERHEAD_BYTES = 200


def text_key(text: str) -> bytes:
    """16-byte digest of a passage: the cache key of its token vectors.

    Example:
        >>> len(text_key("Paris is the capital of France."))
        16
    """
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class TokenVectorCache:
    """LRU map from a passage digest (:func:`text_key`) to its token vectors, bounded by total bytes.

    Args:
        max_bytes: Most bytes the vectors (and a small per-entry overhead) may take; 0 keeps nothing.

    Example:
        >>> import numpy as np
        >>> cache = TokenVectorCache(max_bytes=2**20)
        >>> cache.put(text_key("Paris."), np.zeros((3, 4), dtype=np.float16))
        0
        >>> cache.get(text_key("Paris.")).shape
        (3, 4)
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> np.ndarray | None:
        """The vectors stored under ``key`` (marked recently used), or None."""
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: bytes, value: np.ndarray) -> int:
        """Store ``value``; returns how many entries were evicted to make room."""
        size = value.nbytes + _ENTRY_OVERHEAD_BYTES
        if size > self.max_bytes:
            return 0  # would evict everything and still not fit
        evicted = 0
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.bytes -= old.nbytes + _ENTRY_OVERHEAD_BYTES
            self._entries[key] = value
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self.bytes -= dropped.nbytes + _ENTRY_OVERHEAD_BYTES
                evicted += 1
        return evicted

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._entries.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)
