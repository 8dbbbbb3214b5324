"""Fusing whole runs of reranker and retriever scores, and choosing the weight on held-out queries.

The arithmetic is :func:`xrerank.scoring.fusion.fuse_scores`, the function that serves the
chosen weight, so the weight measured here is the weight a user gets.

Example:
    >>> fused = fuse_runs({"q": {"a": 3.0, "b": 1.0}}, {"q": {"a": 0.1, "b": 0.9}}, 1.0)
    >>> fused["q"]["a"] > fused["q"]["b"]
    True
"""

from __future__ import annotations

from collections.abc import Iterable

from xrerank.evaluation.metrics import evaluate_run
from xrerank.evaluation.runs import Qrels, Run
from xrerank.scoring.fusion import fuse_scores
from xrerank.validation import is_number


def fuse_runs(reranked: Run, retrieved: Run, weight: float) -> dict[str, dict[str, float]]:
    """Per query, ``weight * z(reranker) + (1 - weight) * z(retriever)`` over the shared candidates.

    Scores are z-normalised within each query so that logits and cosine
    similarities are comparable. ``weight=1`` is the reranker alone, ``0`` the retriever.

    Example:
        >>> fused = fuse_runs({"q": {"a": 3.0, "b": 1.0}}, {"q": {"a": 0.1, "b": 0.9}}, 0.5)
        >>> fused["q"]["a"] == fused["q"]["b"]
        True
    """
    if not (is_number(weight) and 0.0 <= weight <= 1.0):
        raise ValueError(f"fuse_runs got weight={weight!r}; expected a float in [0, 1].")
    fused: dict[str, dict[str, float]] = {}
    for qid, scores in reranked.items():
        base = retrieved.get(qid)
        if base is None:
            raise KeyError(f"fuse_runs: query {qid!r} is in the reranked run but not in the retrieved run.")
        missing = [doc for doc in scores if doc not in base]
        if missing:
            raise KeyError(f"fuse_runs: document {missing[0]!r} of query {qid!r} has no retriever score.")
        docs = list(scores)
        blended = fuse_scores(
            [float(scores[doc]) for doc in docs], [float(base[doc]) for doc in docs], weight
        )
        fused[qid] = {doc: float(value) for doc, value in zip(docs, blended, strict=True)}
    return fused


def choose_fusion_weight(
    reranked: Run,
    retrieved: Run,
    qrels: Qrels,
    *,
    metric: str = "ndcg@10",
    grid: Iterable[float] | None = None,
) -> tuple[float, dict[float, float]]:
    """Pick the fusion weight that maximises ``metric`` on *training/tuning* queries.

    Choose it on queries held out from training, never on the evaluation split.
    Ties prefer the larger weight (more reranker).

    Returns:
        ``(best_weight, {weight: metric value})``.

    Example:
        >>> reranked = {"q1": {"a": 0.9, "b": 0.1}, "q2": {"a": 0.2, "b": 0.8}}
        >>> retrieved = {"q1": {"a": 0.7, "b": 0.3}, "q2": {"a": 0.6, "b": 0.4}}
        >>> qrels = {"q1": {"a": 1}, "q2": {"a": 1}}  # the retriever is right on q2, the reranker is not
        >>> choose_fusion_weight(reranked, retrieved, qrels, grid=[0.0, 0.5, 1.0])  # a tie goes to 0.5
        (0.5, {0.0: 1.0, 0.5: 1.0, 1.0: 0.815...})
    """
    weights = [round(float(w), 4) for w in (grid if grid is not None else [i / 20 for i in range(21)])]
    table = {w: evaluate_run(fuse_runs(reranked, retrieved, w), qrels, [metric])[metric] for w in weights}
    best = max(table, key=lambda w: (round(table[w], 10), w))
    return best, table
