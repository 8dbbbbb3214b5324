"""A bounded, thread-safe LRU cache of raw reranker scores."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from xrerank.validation import check_int


def pair_key(fingerprint: str, query: str, text: str) -> bytes:
    """Digest of (model fingerprint, query, text).

    A fixed 16-byte key keeps each cache entry small however long the passage is;
    the length prefixes make ``("ab", "c")`` and ``("a", "bc")`` different keys.

    Example:
        >>> len(pair_key("model", "query", "text"))
        16
    """
    digest = hashlib.blake2b(digest_size=16)
    for part in (fingerprint, query, text):
        data = part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.digest()


class ScoreCache:
    """Least-recently-used map from :func:`pair_key` digests to raw scores.

    Args:
        max_size: Most entries kept; 0 disables caching.

    Example:
        >>> cache = ScoreCache(max_size=2)
        >>> cache.put(b"k", 1.5)
        >>> cache.get(b"k")
        1.5
    """

    def __init__(self, max_size: int) -> None:
        check_int(max_size, caller="ScoreCache", name="max_size", minimum=0)
        self.max_size = max_size
        self._entries: OrderedDict[bytes, float] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: bytes) -> float | None:
        """Return the cached score and mark it recently used, or None on a miss."""
        with self._lock:
            value = self._entries.get(key)
            if value is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: bytes, value: float) -> None:
        """Store a score, evicting the least recently used entry beyond ``max_size``."""
        if self.max_size == 0:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Drop every entry; the hit/miss counters are kept."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
