"""The semantic cache's embeddings: one growable matrix of unit vectors whose freed rows are reused.

Each row belongs to one owner (a cache entry). Comparing a query with every cached query is then
one matrix product, and evicting an entry frees its row for the next one instead of shifting the
matrix.

Example:
    >>> import numpy as np
    >>> rows = EmbeddingRows(max_rows=4)
    >>> rows.add(np.array([1.0, 0.0]), "a"), rows.add(np.array([0.0, 1.0]), "b")
    (0, 1)
    >>> rows.similarities(np.array([1.0, 0.0])).tolist()
    [1.0, 0.0]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    import numpy as np

Owner = TypeVar("Owner")

_FIRST_CAPACITY = 64


class EmbeddingRows(Generic[Owner]):
    """Unit vectors in one float32 matrix, a row per owner; not thread-safe (the cache holds its lock).

    Args:
        max_rows: Most rows ever held at once; the matrix grows by doubling up to it.
    """

    def __init__(self, max_rows: int) -> None:
        self.max_rows = max_rows
        self._matrix: np.ndarray | None = None
        self._live: np.ndarray | None = None  # which rows hold a live owner
        self._owners: list[Owner | None] = []
        self._free: list[int] = []

    @property
    def dim(self) -> int | None:
        """Length of the stored vectors, None before the first one."""
        return None if self._matrix is None else int(self._matrix.shape[1])

    def add(self, vector: np.ndarray, owner: Owner) -> int:
        """Store ``vector`` for ``owner``; returns its row."""
        import numpy as np

        if self._matrix is None:
            capacity = min(self.max_rows, _FIRST_CAPACITY)
            self._matrix = np.zeros((capacity, vector.shape[0]), dtype=np.float32)
            self._live = np.zeros(capacity, dtype=bool)
        row = self._take_row()
        assert self._live is not None
        self._matrix[row] = vector
        self._owners[row] = owner
        self._live[row] = True
        return row

    def remove(self, row: int, owner: Owner) -> None:
        """Free ``row`` if ``owner`` still holds it."""
        if 0 <= row < len(self._owners) and self._owners[row] is owner:
            assert self._live is not None
            self._owners[row] = None
            self._free.append(row)
            self._live[row] = False

    def owner(self, row: int) -> Owner | None:
        """The owner of ``row``, None when it is free."""
        return self._owners[row]

    def similarities(self, vector: np.ndarray) -> np.ndarray:
        """Dot product of ``vector`` with every row in use; free rows get ``-inf``."""
        import numpy as np

        if self._matrix is None or self._live is None:
            return np.zeros(0, dtype=np.float32)
        rows = len(self._owners)
        return np.where(self._live[:rows], self._matrix[:rows] @ vector, -np.inf)

    def clear(self) -> None:
        """Drop every row."""
        self._matrix = None
        self._live = None
        self._owners = []
        self._free = []

    def _take_row(self) -> int:
        import numpy as np

        assert self._matrix is not None and self._live is not None
        if self._free:
            return self._free.pop()
        row = len(self._owners)
        if row >= self._matrix.shape[0]:
            grown = np.zeros(
                (min(self._matrix.shape[0] * 2, self.max_rows), self._matrix.shape[1]), dtype=np.float32
            )
            grown[: self._matrix.shape[0]] = self._matrix
            live = np.zeros(grown.shape[0], dtype=bool)
            live[: self._matrix.shape[0]] = self._live
            self._matrix, self._live = grown, live
        self._owners.append(None)
        return row
