"""How many windows of a long passage a reranker served by windows must score: chosen on validation.

``Reranker(max_windows=m)`` scores only the ``m`` windows of each long passage that share the
most of the query's rarer words (:mod:`xrerank.scoring.window_shortlist`), or that its
``window_picker``'s sentence vectors rank first (:mod:`xrerank.scoring.window_vectors`), one
forward pass each instead of one per window. :func:`choose_max_windows` ranks held-out queries as
served (fused with the retriever when the reranker has a fusion weight) with every window scored and with each
``m``, smallest first, and keeps the smallest whose loss stays within ``tolerance`` at its upper
bound (the mean per-query loss plus ``standard_errors`` standard errors: the rule of
:func:`~xrerank.evaluation.shortlist_choice.choose_shortlist`). Every window is scored once:
the smaller ``m`` are read from the same scores.

Example:
    Scoring held-out queries takes a while, so this example is shown, not run::

        choice = choose_max_windows(Reranker("./my-reranker"), eval_set)
        Reranker("./my-reranker", max_windows=choice.max_windows)
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from xrerank.evaluation.eval_set import EvalSet
from xrerank.evaluation.shortlist_choice import (
    check_rule_options,
    judged_queries,
    loss_bound,
    served_metric_per_query,
)

DEFAULT_WINDOW_COUNTS = (1, 2, 3)


@dataclass(frozen=True)
class WindowChoice:
    """The number of windows chosen, and the evidence.

    Attributes:
        max_windows: The smallest count within ``tolerance`` of scoring every window; None when
            none is (every window is scored).
        metric: The metric compared, e.g. ``"ndcg@10"``.
        every_window: The mean metric on the validation queries with every window scored.
        by_count: The mean metric per count tried (counts past the choice are not tried).
        windows_scored: The share of all windows the chosen count scores (1.0 for None).
        tolerance: How far below every window the choice may score.
        queries: Validation queries used.
        standard_errors: Standard errors of the per-query losses added to their mean.
        picked_by: What ranked the windows: ``"query words"`` or the picker's encoder.
    """

    max_windows: int | None
    metric: str
    every_window: float
    by_count: dict[int, float] = field(default_factory=dict)
    windows_scored: float = 1.0
    tolerance: float = 0.005
    queries: int = 0
    standard_errors: float = 2.0
    picked_by: str = "query words"

    def record(self) -> dict[str, Any]:
        """The evidence as a JSON-ready dict (the serving recipe's validation record keeps it).

        Example:
            >>> WindowChoice(1, "ndcg@10", 0.9, {1: 0.9}, 0.45, 0.005, 38).record()["by_count"]
            {'1': 0.9}
        """
        return {
            "max_windows": self.max_windows,
            "metric": self.metric,
            "every_window": round(self.every_window, 4),
            "by_count": {str(count): round(value, 4) for count, value in self.by_count.items()},
            "windows_scored": round(self.windows_scored, 3),
            "tolerance": self.tolerance,
            "standard_errors": self.standard_errors,
            "queries": self.queries,
            "picked_by": self.picked_by,
        }


def choose_max_windows(
    reranker: Any,
    eval_set: EvalSet,
    *,
    counts: Sequence[int] = DEFAULT_WINDOW_COUNTS,
    tolerance: float = 0.005,
    standard_errors: float = 2.0,
    metric: str = "ndcg@10",
) -> WindowChoice:
    """The fewest windows per long passage that rank ``eval_set`` within ``tolerance`` of every window.

    Args:
        reranker: A :class:`xrerank.Reranker` served by windows (``long_passages="max_window"``),
            with the ``window_picker`` to try (None: the query words). It is not changed: a private
            reranker on the same loaded model and picker does the scoring.
        eval_set: Validation queries with their candidates and judgments; never the queries you report.
        counts: Window counts to try, smallest first.
        tolerance: Metric drop allowed, as a fraction (0.005 = half an NDCG@10 point).
        standard_errors: Standard errors of the per-query losses added to their mean before it is
            held against ``tolerance``; 0 compares the means alone.
        metric: A metric of :func:`xrerank.evaluation.metrics.query_metric`.

    Raises:
        ValueError: The reranker is not served by windows, no validation query has candidates and
            a relevant document, or bad options.
    """
    from xrerank.scoring.reranker import Reranker

    caller = "choose_max_windows"
    if getattr(reranker, "long_passages", None) != "max_window":
        raise ValueError(
            f"{caller} got a reranker with long_passages={getattr(reranker, 'long_passages', None)!r}; "
            "windows are only scored with long_passages='max_window'."
        )
    check_rule_options(tolerance, standard_errors, counts, caller=caller, name="counts")
    judged = judged_queries(eval_set, caller=caller)
    fuse = eval_set.has_retriever_scores and reranker.fusion_weight is not None
    # Every window goes through the model once; the smaller counts are answered from the cache.
    scorer = Reranker(
        reranker.model,
        batch_size=reranker.batch_size,
        max_length=reranker.max_length,
        activation=reranker.activation,
        long_passages="max_window",
        fusion_weight=reranker.fusion_weight,
        max_windows=None,
        window_picker=reranker.window_picker,
        cache_size=1_000_000,
    )
    every = served_metric_per_query(scorer, eval_set, judged, metric, fuse=fuse)
    all_windows = scorer.stats.pairs_requested
    by_count: dict[int, float] = {}
    chosen: int | None = None
    for count in sorted(set(counts)):
        scorer.max_windows = count
        before = scorer.stats.skipped_windows
        values = served_metric_per_query(scorer, eval_set, judged, metric, fuse=fuse)
        by_count[count] = statistics.fmean(values)
        if loss_bound(every, values, standard_errors) <= tolerance:
            chosen, skipped = count, scorer.stats.skipped_windows - before
            break
    return WindowChoice(
        max_windows=chosen,
        metric=metric,
        every_window=statistics.fmean(every),
        by_count=by_count,
        windows_scored=1.0 if chosen is None else (all_windows - skipped) / max(all_windows, 1),
        tolerance=tolerance,
        queries=len(judged),
        standard_errors=standard_errors,
        picked_by=getattr(reranker.window_picker, "encoder_name", "query words"),
    )
