"""MaxSim, late interaction's score: each query token's best match in the passage, summed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def maxsim(query_vectors: np.ndarray, passage_vectors: np.ndarray) -> float:
    """Sum over query tokens of the highest cosine to any passage token (vectors unit length).

    A passage without token vectors (an empty string) scores 0.0.

    Example:
        >>> import numpy as np
        >>> q = np.array([[1.0, 0.0], [0.0, 1.0]])
        >>> p = np.array([[1.0, 0.0], [0.6, 0.8]])
        >>> round(maxsim(q, p), 6)  # 1.0 (first token) + 0.8 (second)
        1.8
    """
    return maxsim_many(query_vectors, [passage_vectors])[0]


def maxsim_many(query_vectors: np.ndarray, passages: Sequence[np.ndarray]) -> list[float]:
    """:func:`maxsim` of one query against many passages, in one matrix product.

    The passages' tokens are stacked and multiplied at once, then each passage's
    rows are max-reduced: many tiny products are far slower (each one pays BLAS
    start-up and thread hand-off, badly so on a busy machine).

    Example:
        >>> import numpy as np
        >>> q = np.array([[1.0, 0.0]])
        >>> maxsim_many(q, [np.array([[0.5, 0.5]]), np.zeros((0, 2)), np.array([[1.0, 0.0]])])
        [0.5, 0.0, 1.0]
    """
    import numpy as np

    lengths = [len(vectors) for vectors in passages]
    filled = [i for i, n in enumerate(lengths) if n]
    scores = [0.0] * len(passages)
    if not filled:
        return scores
    stacked = np.concatenate([passages[i] for i in filled]).astype(np.float32, copy=False)
    similarities = stacked @ query_vectors.astype(np.float32, copy=False).T  # (tokens, query tokens)
    starts = np.cumsum([0] + [lengths[i] for i in filled[:-1]])
    best = np.maximum.reduceat(similarities, starts, axis=0)  # (passages, query tokens)
    for i, total in zip(filled, best.sum(axis=1).tolist(), strict=True):
        scores[i] = float(total)
    return scores
