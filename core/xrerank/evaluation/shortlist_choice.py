"""How many candidates a cascade's full model must rescore: chosen on validation queries.

:func:`choose_shortlist` ranks held-out queries (an :class:`~xrerank.evaluation.eval_set.EvalSet`)
with the full model alone and with a :class:`~xrerank.scoring.cascade.CascadeReranker` at each
shortlist size, smallest first, and keeps the smallest size whose loss against the full model
(NDCG@10 by default) stays within ``tolerance`` even at its upper bound: the mean per-query loss
plus ``standard_errors`` standard errors. A small shortlist that swaps a few queries' answers can
tie the full model's mean on a few dozen queries by luck; on SciFact, shortlists of 2 and 3 chosen
on 66 validation queries by their mean alone lost 4.4 and 4.7 NDCG@10 points on the dev queries.
Both stages cache their scores, so each candidate is scored once by each model however many sizes
are tried.

Example:
    Scoring held-out queries with two models takes a while, so this example is shown, not run::

        choice = choose_shortlist(Reranker("./my-reranker"), Reranker("./my-student"), eval_set)
        CascadeReranker("./my-reranker", "./my-student", shortlist=choice.shortlist)
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from xrerank.evaluation.eval_set import EvalSet
from xrerank.evaluation.metrics import query_metric, standard_error
from xrerank.scoring.cascade import CascadeReranker
from xrerank.validation import check_int, check_number

DEFAULT_SIZES = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 30, 50, 100)


@dataclass(frozen=True)
class ShortlistChoice:
    """The shortlist size chosen, and the evidence.

    Attributes:
        shortlist: The smallest size within ``tolerance`` of the full model (the largest candidate
            count when none is: the cascade then equals the full model).
        metric: The metric compared, e.g. ``"ndcg@10"``.
        full: The full model's mean metric on the validation queries.
        by_size: The cascade's mean metric per size tried (sizes past the choice are not tried).
        tolerance: How far below the full model the cascade may score.
        queries: Validation queries used.
        standard_errors: How many standard errors of the per-query losses were added to the mean
            loss before it was held against ``tolerance``.
    """

    shortlist: int
    metric: str
    full: float
    by_size: dict[int, float] = field(default_factory=dict)
    tolerance: float = 0.005
    queries: int = 0
    standard_errors: float = 2.0

    def record(self, cheap: str) -> dict[str, Any]:
        """The serving recipe's ``cascade`` entry for this choice, with ``cheap`` as the first stage spec.

        Example:
            >>> ShortlistChoice(5, "ndcg@10", 0.7, {5: 0.698}, 0.005, 40).record("student")["shortlist"]
            5
        """
        return {
            "cheap": cheap,
            "shortlist": self.shortlist,
            "validation": {
                "queries": self.queries,
                "metric": self.metric,
                "full": round(self.full, 4),
                "by_size": {str(size): round(value, 4) for size, value in self.by_size.items()},
                "tolerance": self.tolerance,
                "standard_errors": self.standard_errors,
            },
        }


def loss_bound(full: Sequence[float], cascade: Sequence[float], standard_errors: float) -> float:
    """The mean per-query loss of ``cascade`` against ``full``, plus ``standard_errors`` standard errors.

    Example:
        >>> loss_bound([1.0, 0.0, 0.5], [1.0, 0.0, 0.5], 2.0)  # the same answers: no loss, no doubt
        0.0
        >>> round(loss_bound([1.0, 0.0, 0.5, 0.5], [0.0, 1.0, 0.5, 0.5], 2.0), 3)  # the same mean, by luck
        0.816
    """
    losses = [f - c for f, c in zip(full, cascade, strict=True)]
    return statistics.fmean(losses) + standard_errors * standard_error(losses)


def check_rule_options(
    tolerance: float, standard_errors: float, tried: Sequence[int], *, caller: str, name: str
) -> None:
    """Refuse a negative ``tolerance`` or ``standard_errors`` and any of ``tried`` below 1."""
    check_number(tolerance, caller=caller, name="tolerance", minimum=0)
    check_number(standard_errors, caller=caller, name="standard_errors", minimum=0)
    for value in tried:
        check_int(value, caller=caller, name=f"{name}[...]", minimum=1)


def judged_queries(eval_set: EvalSet, *, caller: str) -> list[str]:
    """The query ids of ``eval_set`` with candidates and a relevant document; raises when there are none."""
    judged = [q for q in eval_set.queries if eval_set.candidates.get(q) and eval_set.qrels.get(q)]
    if not judged:
        raise ValueError(
            f"{caller} got validation queries without candidates or relevant documents; pass an "
            "EvalSet of held-out queries with their retriever candidates and qrels."
        )
    return judged


def served_metric_per_query(
    reranker: Any, eval_set: EvalSet, judged: Sequence[str], metric: str, *, fuse: bool
) -> list[float]:
    """``metric`` of each judged query as ``reranker.rank`` orders its candidates (fused when ``fuse``)."""
    values = []
    for qid in judged:
        ids = list(eval_set.candidates[qid])
        texts = [eval_set.documents[doc] for doc in ids]
        retriever = [float(eval_set.candidates[qid][doc]) for doc in ids] if fuse else None
        ranked = reranker.rank(eval_set.queries[qid], texts, retriever_scores=retriever)
        order = {ids[item.index]: float(len(ranked) - rank) for rank, item in enumerate(ranked)}
        values.append(query_metric(metric, order, eval_set.qrels[qid]))
    return values


def choose_shortlist(
    full: Any,
    cheap: Any,
    eval_set: EvalSet,
    *,
    sizes: Sequence[int] = DEFAULT_SIZES,
    tolerance: float = 0.005,
    standard_errors: float = 2.0,
    metric: str = "ndcg@10",
) -> ShortlistChoice:
    """The smallest shortlist whose cascade stays within ``tolerance`` of ``full`` on ``eval_set``.

    "Within" holds at the upper bound of the loss (:func:`loss_bound`), so a size is kept only when
    the validation queries show it rarely changes an answer, not when its gains and losses happen
    to cancel.

    Args:
        full: The full reranker (e.g. :class:`xrerank.Reranker` on the fine-tuned model). When it has
            a fusion weight and ``eval_set`` has retriever scores, both rankings are fused as served.
        cheap: The first stage (a reranker on a distilled student, or late interaction).
        eval_set: Validation queries with their candidates and judgments; never the queries you report.
        sizes: Shortlist sizes to try, smallest first (sizes above the largest candidate list are dropped).
        tolerance: Metric drop allowed, as a fraction (0.005 = half an NDCG@10 point).
        standard_errors: Standard errors of the per-query losses added to their mean before it is
            held against ``tolerance``; 0 compares the means alone.
        metric: A metric of :func:`xrerank.evaluation.metrics.query_metric`.

    Raises:
        ValueError: No validation query has candidates and a relevant document, or bad options.
    """
    check_rule_options(tolerance, standard_errors, sizes, caller="choose_shortlist", name="sizes")
    judged = judged_queries(eval_set, caller="choose_shortlist")
    largest = max(len(eval_set.candidates[q]) for q in judged)
    tried = sorted({size for size in sizes if size < largest} | {largest})
    fuse = eval_set.has_retriever_scores and getattr(full, "fusion_weight", None) is not None
    full_values = served_metric_per_query(full, eval_set, judged, metric, fuse=fuse)
    by_size: dict[int, float] = {}
    for size in tried:
        cascade = CascadeReranker(full, cheap, shortlist=size)
        values = served_metric_per_query(cascade, eval_set, judged, metric, fuse=fuse)
        by_size[size] = statistics.fmean(values)
        if loss_bound(full_values, values, standard_errors) <= tolerance:
            break
    return ShortlistChoice(
        shortlist=size,
        metric=metric,
        full=statistics.fmean(full_values),
        by_size=by_size,
        tolerance=tolerance,
        queries=len(judged),
        standard_errors=standard_errors,
    )
