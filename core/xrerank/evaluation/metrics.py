"""Ranking metrics per query and averaged over a run, computed as ``trec_eval`` computes them.

The code follows ``trec_eval`` (and is checked against it through ``ir-measures``): linear gains
for NDCG, the ideal ranking built from all judged documents, ties broken by document id
(descending). Runs and qrels follow :mod:`xrerank.evaluation.runs`.

Example:
    >>> qrels = {"q1": {"d2": 1}}
    >>> run = {"q1": {"d1": 0.9, "d2": 0.5}}
    >>> evaluate_run(run, qrels)["ndcg@10"]
    0.6309297535714575
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence

from xrerank.evaluation.runs import Qrels, Run, ranked_ids

DEFAULT_METRICS = ("ndcg@10", "mrr@10", "recall@10", "recall@100", "map")
_KNOWN = ("ndcg", "mrr", "recall", "map", "success")


def _parse_metric(name: str) -> tuple[str, int | None]:
    base, _, cutoff = name.lower().partition("@")
    if base not in _KNOWN:
        raise ValueError(f"Unknown metric {name!r}; expected one of ndcg@k, mrr@k, recall@k, success@k, map.")
    if not cutoff:
        if base != "map":
            raise ValueError(f"Metric {name!r} needs a cutoff, e.g. '{base}@10'.")
        return base, None
    if not cutoff.isdigit() or int(cutoff) < 1:
        raise ValueError(f"Metric {name!r} has an invalid cutoff; expected a positive int after '@'.")
    return base, int(cutoff)


def standard_error(values: Sequence[float]) -> float:
    """The standard error of the mean of ``values`` (e.g. two systems' per-query differences); 0 below 2.

    Every validation choice that asks "is this difference more than noise?" measures it this way.

    Example:
        >>> round(standard_error([0.0, 1.0, 0.0, 1.0]), 3)
        0.289
    """
    return statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0


def query_metric(name: str, scores: Mapping[str, float], judgments: Mapping[str, float]) -> float:
    """One metric for one query.

    Args:
        name: ``ndcg@k``, ``mrr@k``, ``recall@k``, ``success@k`` (a relevant doc in the top k) or ``map``.
        scores: ``{doc_id: score}`` of the ranked candidates, higher is better.
        judgments: ``{doc_id: grade}``; grade > 0 is relevant.

    Example:
        >>> query_metric("mrr@10", {"a": 2.0, "b": 1.0}, {"b": 1})
        0.5
    """
    base, k = _parse_metric(name)
    ranking = ranked_ids(scores)
    if k is not None:
        ranking = ranking[:k]
    relevant = {doc: float(grade) for doc, grade in judgments.items() if float(grade) > 0}
    if not relevant:
        return 0.0
    if base == "ndcg":
        dcg = sum(relevant.get(doc, 0.0) / math.log2(rank + 2) for rank, doc in enumerate(ranking))
        ideal = sorted(relevant.values(), reverse=True)[: k or len(relevant)]
        idcg = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(ideal))
        return dcg / idcg
    if base == "mrr":
        return next((1.0 / (rank + 1) for rank, doc in enumerate(ranking) if doc in relevant), 0.0)
    if base == "recall":
        return sum(doc in relevant for doc in ranking) / len(relevant)
    if base == "success":
        return float(any(doc in relevant for doc in ranking))
    hits, precision_sum = 0, 0.0
    for rank, doc in enumerate(ranking):
        if doc in relevant:
            hits += 1
            precision_sum += hits / (rank + 1)
    return precision_sum / len(relevant)


def per_query_metrics(
    run: Run, qrels: Qrels, metrics: Sequence[str] = DEFAULT_METRICS
) -> dict[str, dict[str, float]]:
    """Metrics per query, for the queries of ``qrels`` that have a relevant document.

    A query missing from ``run`` scores 0 (the system returned nothing).

    Example:
        >>> per_query_metrics({"q": {"a": 1.0}}, {"q": {"a": 1}}, ["mrr@10"])
        {'q': {'mrr@10': 1.0}}
    """
    for name in metrics:
        _parse_metric(name)
    result: dict[str, dict[str, float]] = {}
    for qid, judgments in qrels.items():
        if not any(float(grade) > 0 for grade in judgments.values()):
            continue
        scores = run.get(qid, {})
        result[qid] = {name: query_metric(name, scores, judgments) for name in metrics}
    return result


def evaluate_run(run: Run, qrels: Qrels, metrics: Sequence[str] = DEFAULT_METRICS) -> dict[str, float]:
    """Mean of each metric over the judged queries (plain floats).

    Example:
        >>> evaluate_run({"q": {"a": 1.0, "b": 0.0}}, {"q": {"b": 1}}, ["recall@1", "map"])
        {'recall@1': 0.0, 'map': 0.5}
    """
    table = per_query_metrics(run, qrels, metrics)
    if not table:
        raise ValueError("evaluate_run got qrels with no relevant documents; nothing to evaluate.")
    return {name: float(sum(row[name] for row in table.values()) / len(table)) for name in metrics}
