"""Fusing whole runs of reranker and retriever scores, and choosing the weight on held-out queries.

The arithmetic is :func:`xrerank.scoring.fusion.fuse_scores`, the function that serves the
chosen weight, so the weight measured here is the weight a user gets.

Example:
    >>> fused = fuse_runs({"q": {"a": 3.0, "b": 1.0}}, {"q": {"a": 0.1, "b": 0.9}}, 1.0)
    >>> fused["q"]["a"] > fused["q"]["b"]
    True
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable

from xrerank.evaluation.metrics import per_query_metrics, standard_error
from xrerank.evaluation.runs import Qrels, Run
from xrerank.scoring.fusion import fuse_scores
from xrerank.validation import is_number

# Equal weights of the two z-normalised signals: where the choice starts without evidence.
EQUAL_WEIGHTS = 0.5
# The weights choose_fusion_weight compares unless given a grid: 0 (the retriever) to 1 (the reranker).
WEIGHT_GRID = tuple(i / 20 for i in range(21))


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
    prior: float = EQUAL_WEIGHTS,
    standard_errors: float = 2.0,
) -> tuple[float, dict[float, float]]:
    """Choose the fusion weight on *training/tuning* queries, never on the evaluation split.

    The best weight on a few dozen queries is mostly noise: 21 weights are compared on the same
    queries, and the winner is the one those queries happen to favour. So the choice is the weight
    closest to ``prior`` (equal weights of the two z-normalised signals) among those whose
    ``metric`` is within ``standard_errors`` standard errors of the best weight's, the errors taken
    over the per-query differences. Measured by choosing on one half of ``tune``'s validation queries
    and scoring on the other (``benchmarks/fusion_rule.py``), this beat the plain best weight for both
    served models (SciFact, demo domain) and lost for one of the two read by first tokens.
    ``standard_errors=0`` keeps only the weights tied with the best; between two weights equally
    close to ``prior`` the larger wins.

    Returns:
        ``(chosen_weight, {weight: metric value})``.

    Example:
        >>> reranked = {"q1": {"a": 0.9, "b": 0.1}, "q2": {"a": 0.2, "b": 0.8}}
        >>> retrieved = {"q1": {"a": 0.7, "b": 0.3}, "q2": {"a": 0.6, "b": 0.4}}
        >>> qrels = {"q1": {"a": 1}, "q2": {"a": 1}}  # the retriever is right on q2, the reranker is not
        >>> choose_fusion_weight(reranked, retrieved, qrels, grid=[0.0, 0.5, 1.0])  # a tie goes to 0.5
        (0.5, {0.0: 1.0, 0.5: 1.0, 1.0: 0.815...})
    """
    if not (is_number(prior) and 0.0 <= prior <= 1.0):
        raise ValueError(f"choose_fusion_weight got prior={prior!r}; expected a weight in [0, 1].")
    if not (is_number(standard_errors) and standard_errors >= 0):
        raise ValueError(
            f"choose_fusion_weight got standard_errors={standard_errors!r}; expected a number >= 0 "
            "(0 keeps only the weights tied with the best)."
        )
    weights = [round(float(w), 4) for w in (grid if grid is not None else WEIGHT_GRID)]
    per_query = {w: per_query_metrics(fuse_runs(reranked, retrieved, w), qrels, [metric]) for w in weights}
    queries = sorted(per_query[weights[0]])
    if not queries:
        raise ValueError("choose_fusion_weight got qrels with no relevant documents; nothing to choose on.")
    # The mean over queries, summed as evaluate_run sums it (the same figures the reports print).
    table = {w: float(sum(row[metric] for row in rows.values()) / len(rows)) for w, rows in per_query.items()}
    best = max(table, key=lambda w: (round(table[w], 10), w))

    def close_to_best(weight: float) -> bool:
        differences = [per_query[best][q][metric] - per_query[weight][q][metric] for q in queries]
        if len(differences) < 2:
            return round(table[best] - table[weight], 10) <= 0
        return round(statistics.fmean(differences), 10) <= standard_errors * standard_error(differences)

    chosen = min((w for w in weights if close_to_best(w)), key=lambda w: (abs(w - prior), -w))
    return chosen, table
