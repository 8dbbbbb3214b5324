"""Fusion of the reranker's scores with the retriever's evidence: the one home of the arithmetic.

Per query, both score lists are z-normalised (so logits, probabilities and cosine
similarities become comparable) and blended: ``w * z(reranker) + (1 - w) * z(retriever)``.
``w = 1`` is the reranker alone, ``w = 0`` the retriever's order. Evaluation chooses ``w``
on held-out queries with the same functions that serve it.

Fused scores are relative within one query (mean 0 when both sides vary); they are not
probabilities. Callers keep the reranker's own score beside them.

Example:
    >>> fuse_scores([3.0, 1.0], [0.1, 0.9], 0.5)
    [0.0, 0.0]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from xrerank.validation import check_number, is_number


def z_normalise(scores: Sequence[float]) -> list[float]:
    """``(s - mean) / std`` of each score; all zeros when the scores do not vary.

    Example:
        >>> z_normalise([1.0, 3.0])
        [-1.0, 1.0]
    """
    values = [float(v) for v in scores]
    if not values:
        return []
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    return [(v - mean) / std if std > 0 else 0.0 for v in values]


def rank_evidence(count: int) -> list[float]:
    """Retriever evidence for ``count`` candidates that arrived ranked but without scores.

    The first candidate gets the highest value; the values fall linearly with the rank.

    Example:
        >>> rank_evidence(3)
        [3.0, 2.0, 1.0]
    """
    return [float(count - position) for position in range(count)]


def adapter_evidence(
    reranker: object, scores: Sequence[float | None], *, enabled: bool
) -> list[float] | None:
    """What an adapter passes as ``retriever_scores``: None when there is nothing to fuse.

    Fusion applies when it is ``enabled`` and the reranker has a ``fusion_weight`` (from its
    serving recipe). The evidence is the retriever's scores when every candidate has a number,
    else the incoming order (:func:`rank_evidence`): retrievers hand candidates over ranked.

    Example:
        >>> class Tuned:
        ...     fusion_weight = 0.7
        >>> adapter_evidence(Tuned(), [0.8, None, 0.1], enabled=True)
        [3.0, 2.0, 1.0]
        >>> adapter_evidence(Tuned(), [0.8, 0.5, 0.1], enabled=False) is None
        True
    """
    if not enabled or getattr(reranker, "fusion_weight", None) is None:
        return None
    if scores and all(is_number(value) for value in scores):
        return [float(value) for value in scores]  # type: ignore[arg-type]
    return rank_evidence(len(scores))


def fuse_scores(reranker: Sequence[float], retriever: Sequence[float], weight: float) -> list[float]:
    """Blend one query's reranker scores with its retriever scores (same candidates, same order).

    A reranker score that is not finite (NaN, infinite) stays NaN and the finite ones are fused
    among themselves: one NaN would otherwise make every z-score NaN.

    Raises:
        ValueError: The lists differ in length, or ``weight`` is outside [0, 1].

    Example:
        >>> fuse_scores([2.0, 0.0], [0.0, 1.0], 1.0)
        [1.0, -1.0]
        >>> fuse_scores([2.0, float("nan"), 0.0], [0.0, 0.5, 1.0], 1.0)
        [1.0, nan, -1.0]
    """
    weight = float(check_number(weight, caller="fuse_scores", name="weight", minimum=0, maximum=1) or 0.0)
    if len(reranker) != len(retriever):
        raise ValueError(
            f"fuse_scores got {len(reranker)} reranker scores and {len(retriever)} retriever scores; "
            "expected one of each per candidate."
        )
    for position, value in enumerate(retriever):
        if not is_number(value):
            raise ValueError(
                f"fuse_scores got {value!r} as the retriever score of candidate {position}; "
                "expected a finite number (pass the retriever's scores, or rank_evidence(n) when "
                "candidates arrive ranked without scores)."
            )
    finite = [position for position, value in enumerate(reranker) if math.isfinite(value)]
    a = z_normalise([reranker[i] for i in finite])
    b = z_normalise([retriever[i] for i in finite])
    fused = [math.nan] * len(reranker)
    for position, x, y in zip(finite, a, b, strict=True):
        fused[position] = weight * x + (1.0 - weight) * y
    return fused
