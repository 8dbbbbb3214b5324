"""Several rerankers on the same queries and candidates: speed, agreement and quality side by side.

Each reranker scores every query's candidate list once, one query at a time (the
latency a single user sees). Per reranker: pairs per second, latency per query
(mean and percentiles), agreement with the first reranker (Kendall's tau and top-k
overlap, per query, averaged) and, when judgments are given, NDCG@10.
"""

from __future__ import annotations

import json
import logging
import math
import statistics
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xrerank.evaluation.agreement import run_agreement
from xrerank.evaluation.metrics import evaluate_run
from xrerank.evaluation.runs import Run, rerank_run
from xrerank.output_files import atomic_output, atomic_write_text
from xrerank.scoring.protocol import RerankerProtocol

logger = logging.getLogger(__name__)


@dataclass
class TimedRun:
    """A reranked run with the wall-clock time each query took.

    Attributes:
        run: ``{query_id: {doc_id: score}}``.
        latencies_ms: Milliseconds per query, in query order.
        pairs: (query, passage) pairs scored.
    """

    run: dict[str, dict[str, float]]
    latencies_ms: list[float]
    pairs: int

    @property
    def seconds(self) -> float:
        """Total scoring time."""
        return sum(self.latencies_ms) / 1000

    @property
    def pairs_per_second(self) -> float:
        """Pairs scored per second of scoring time."""
        return self.pairs / self.seconds if self.seconds > 0 else float("inf")

    @property
    def queries_per_second(self) -> float:
        """Queries one caller gets through per second, one after another."""
        return len(self.latencies_ms) / self.seconds if self.seconds > 0 else float("inf")

    @property
    def mean_latency_ms(self) -> float:
        """Mean milliseconds per query."""
        return statistics.fmean(self.latencies_ms) if self.latencies_ms else 0.0

    def percentile_ms(self, percent: float) -> float:
        """Latency below which ``percent`` % of queries finished (nearest rank).

        Example:
            >>> TimedRun({}, [10.0, 20.0, 30.0, 40.0], 8).percentile_ms(50)
            20.0
        """
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        rank = min(max(1, math.ceil(len(ordered) * percent / 100)), len(ordered))
        return ordered[rank - 1]


def timed_rerank_run(
    reranker: Any,
    queries: Mapping[str, str],
    candidates: Run,
    documents: Mapping[str, str],
    *,
    warm_up: bool = True,
    show_progress: bool = False,
) -> TimedRun:
    """Score each query's candidates with ``reranker.score``, timing every query on its own.

    ``warm_up`` first scores one throwaway pair, so that loading the model is not
    counted against the first query (the pair's text is in no corpus, so it leaves
    nothing useful in a cache).

    Example:
        >>> timed = timed_rerank_run(reranker, {"q": "what is BM25?"}, {"q": {"d1": 0.6, "d2": 0.5}},
        ...                          documents)
        >>> timed.run, len(timed.latencies_ms)
        ({'q': {'d1': 0.913..., 'd2': 0.913...}}, 1)
    """
    from tqdm.auto import tqdm

    if warm_up and candidates:
        reranker.score("xrerank warm-up query", ["xrerank warm-up passage"])
    run: dict[str, dict[str, float]] = {}
    latencies: list[float] = []
    pairs = 0
    for qid in tqdm(list(candidates), desc="rerank", unit="query", disable=not show_progress):
        one = {qid: candidates[qid]}
        start = time.perf_counter()
        run.update(rerank_run(reranker, queries, one, documents, show_progress=False))
        latencies.append(1000 * (time.perf_counter() - start))
        pairs += len(candidates[qid])
    return TimedRun(run=run, latencies_ms=latencies, pairs=pairs)


@dataclass
class RerankerResult:
    """One reranker's row of a :class:`RerankerComparison`.

    Attributes:
        name: Label of the reranker.
        timing: Its run and per-query latencies.
        kendall_tau: Mean per-query Kendall's tau against the reference (1.0 for the reference).
        top_k_overlap: Mean share of the reference's top-k also in this reranker's top-k.
        ndcg_at_10: NDCG@10 against the judgments, None without them.
    """

    name: str
    timing: TimedRun
    kendall_tau: float | None
    top_k_overlap: float | None
    ndcg_at_10: float | None


@dataclass
class RerankerComparison:
    """Rerankers compared on the same candidates; the first is the reference for agreement.

    Attributes:
        results: One row per reranker, in the order given.
        queries: Queries scored.
        pairs: (query, passage) pairs each reranker scored.
        overlap_k: The k of the top-k overlap.
        notes: Lines printed under the table (e.g. what the reference is).
    """

    results: list[RerankerResult]
    queries: int
    pairs: int
    overlap_k: int = 5
    notes: list[str] = field(default_factory=list)

    @property
    def reference(self) -> str:
        """Name of the reranker that agreement is measured against."""
        return self.results[0].name

    def table(self) -> str:
        """A plain-text table, one row per reranker.

        Example:
            >>> comparison = compare_rerankers({"tiny": reranker}, {"q": "what is BM25?"},
            ...                                {"q": {"d1": 0.6, "d2": 0.5}}, documents, {"q": {"d1": 1}})
            >>> print(comparison.table())
            model    pairs/s   ms/query    p95 ms  tau vs ref   top-5 overlap   NDCG@10
            ---------------------------------------------------------------------------
            tiny     ...   ref   ref   1.000
            <BLANKLINE>
            1 queries, 2 pairs per model; agreement is per query against 'tiny' (ref), averaged.
        """
        width = max(len("model"), *(len(r.name) for r in self.results))
        has_ndcg = any(r.ndcg_at_10 is not None for r in self.results)
        header = (
            f"{'model':<{width}}  {'pairs/s':>9}  {'ms/query':>9}  {'p95 ms':>8}  "
            f"{'tau vs ref':>10}  {f'top-{self.overlap_k} overlap':>14}"
        )
        header += f"  {'NDCG@10':>8}" if has_ndcg else ""
        lines = [header, "-" * len(header)]
        for position, result in enumerate(self.results):
            timing = result.timing
            reference = position == 0
            row = (
                f"{result.name:<{width}}  {timing.pairs_per_second:>9.1f}  {timing.mean_latency_ms:>9.1f}  "
                f"{timing.percentile_ms(95):>8.1f}  {_cell(result.kendall_tau, reference):>10}  "
                f"{_cell(result.top_k_overlap, reference):>14}"
            )
            if has_ndcg:
                row += f"  {_cell(result.ndcg_at_10, False):>8}"
            lines.append(row)
        lines.append("")
        lines.append(
            f"{self.queries} queries, {self.pairs} pairs per model; agreement is per query against "
            f"'{self.reference}' (ref), averaged."
        )
        lines.extend(self.notes)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: settings, one entry per reranker, and per-query latencies."""
        return {
            "reference": self.reference,
            "queries": self.queries,
            "pairs": self.pairs,
            "overlap_k": self.overlap_k,
            "notes": list(self.notes),
            "models": [
                {
                    "name": r.name,
                    "pairs_per_second": r.timing.pairs_per_second,
                    "queries_per_second": r.timing.queries_per_second,
                    "mean_latency_ms": r.timing.mean_latency_ms,
                    "p50_latency_ms": r.timing.percentile_ms(50),
                    "p95_latency_ms": r.timing.percentile_ms(95),
                    "p99_latency_ms": r.timing.percentile_ms(99),
                    "kendall_tau": r.kendall_tau,
                    f"top{self.overlap_k}_overlap": r.top_k_overlap,
                    "ndcg@10": r.ndcg_at_10,
                    "latencies_ms": r.timing.latencies_ms,
                }
                for r in self.results
            ],
        }

    def save_json(self, path: str | Path) -> Path:
        """Write :meth:`to_dict` to ``path`` (parents created, replaced in one step) and return the path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        return atomic_write_text(target, json.dumps(self.to_dict(), indent=2))

    def save_plot(self, path: str | Path) -> Path:
        """Draw speed against quality as a PNG: NDCG@10 (or tau vs the reference) over pairs/s.

        Needs matplotlib (``pip install "xrerank[plot]"``); draws off-screen.

        Example:
            >>> comparison = compare_rerankers({"tiny": reranker}, {"q": "what is BM25?"},
            ...                                {"q": {"d1": 0.6, "d2": 0.5}}, documents, {"q": {"d1": 1}})
            >>> comparison.save_plot("compare.png")
            PosixPath('compare.png')
        """
        from xrerank._optional import require

        matplotlib = require("matplotlib", purpose="Plotting a reranker comparison")
        matplotlib.use("Agg", force=True)  # files only: never open a window or need a display
        from matplotlib import pyplot

        with_ndcg = all(r.ndcg_at_10 is not None for r in self.results)
        label = "NDCG@10" if with_ndcg else f"Kendall tau vs {self.reference}"
        figure, axes = pyplot.subplots(figsize=(7, 4.5), dpi=110)
        try:
            for result in self.results:
                y = result.ndcg_at_10 if with_ndcg else result.kendall_tau
                x = result.timing.pairs_per_second
                axes.scatter([x], [y if y is not None else float("nan")], s=60)
                axes.annotate(result.name, (x, y or 0.0), textcoords="offset points", xytext=(6, 6))
            speeds = [r.timing.pairs_per_second for r in self.results]
            wide = min(speeds) > 0 and max(speeds) / min(speeds) >= 10
            if wide:  # speeds spanning orders of magnitude stay readable on a log axis
                axes.set_xscale("log")
            axes.set_xlabel("pairs per second" + (" (log scale)" if wide else ""))
            axes.margins(x=0.2, y=0.2)  # room for the labels beside the outermost points
            axes.set_ylabel(label)
            axes.set_title(f"{len(self.results)} rerankers, {self.queries} queries: {label} vs speed")
            axes.grid(True, which="both", alpha=0.3)
            figure.tight_layout()
            target = Path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_output(target, binary=True) as handle:  # a failed draw keeps the previous PNG
                figure.savefig(handle, format="png")
        finally:
            pyplot.close(figure)
        return target


def _cell(value: float | None, reference: bool) -> str:
    if reference:
        return "ref"
    return "-" if value is None else f"{value:.3f}"


def compare_rerankers(
    rerankers: Mapping[str, RerankerProtocol],
    queries: Mapping[str, str],
    candidates: Run,
    documents: Mapping[str, str],
    qrels: Mapping[str, Mapping[str, float]] | None = None,
    *,
    overlap_k: int = 5,
    show_progress: bool = False,
) -> RerankerComparison:
    """Run every reranker on the same candidates and compare speed, agreement and NDCG@10.

    Args:
        rerankers: ``{name: reranker}``; each needs ``score(query, texts)``. The first is
            the reference for agreement.
        queries: ``{query_id: text}``.
        candidates: ``{query_id: {doc_id: first-stage score}}``; the lists every reranker reorders.
        documents: ``{doc_id: text}`` for every candidate.
        qrels: ``{query_id: {doc_id: grade}}``; when given, NDCG@10 of each reranker.
        overlap_k: The k of the top-k overlap.
        show_progress: A progress bar per reranker.

    Raises:
        ValueError: No rerankers, or no candidates.
        KeyError: A candidate's query or document has no text (from :func:`~xrerank.evaluation.rerank_run`).

    Example:
        >>> from xrerank import LateInteractionReranker, Reranker
        >>> queries = {"q1": "what is BM25?", "q2": "capital of France"}
        >>> candidates = {"q1": {"d1": 0.6, "d2": 0.5, "d3": 0.4}, "q2": {"d7": 0.7, "d6": 0.6, "d8": 0.1}}
        >>> qrels = {"q1": {"d1": 1}, "q2": {"d6": 1}}
        >>> comparison = compare_rerankers(
        ...     {"cross": Reranker("./my-reranker"), "late": LateInteractionReranker(encoder)},
        ...     queries, candidates, documents, qrels)
        >>> print(comparison.table())
        model    pairs/s   ms/query    p95 ms  tau vs ref   top-5 overlap   NDCG@10
        ---------------------------------------------------------------------------
        cross    ...   ref     ref     1.000
        late     ...   0.333   1.000   1.000
        <BLANKLINE>
        2 queries, 6 pairs per model; agreement is per query against 'cross' (ref), averaged.
    """
    if not rerankers:
        raise ValueError("compare_rerankers got no rerankers; pass {name: reranker} with at least one.")
    if not candidates:
        raise ValueError("compare_rerankers got no candidates; pass {query_id: {doc_id: score}}.")
    results: list[RerankerResult] = []
    reference: TimedRun | None = None
    for name, reranker in rerankers.items():
        logger.info("compare_rerankers: scoring with %s", name)
        timing = timed_rerank_run(reranker, queries, candidates, documents, show_progress=show_progress)
        if reference is None:
            reference = timing
        agreement = run_agreement(reference.run, timing.run, ks=[overlap_k])
        ndcg = None
        if qrels:
            judged = {q: g for q, g in qrels.items() if q in timing.run}
            if any(float(v) > 0 for grades in judged.values() for v in grades.values()):
                ndcg = evaluate_run(timing.run, judged, ["ndcg@10"])["ndcg@10"]
        results.append(
            RerankerResult(
                name=name,
                timing=timing,
                kendall_tau=agreement["kendall_tau"],
                top_k_overlap=agreement[f"top{overlap_k}_overlap"],
                ndcg_at_10=ndcg,
            )
        )
    pairs = results[0].timing.pairs
    return RerankerComparison(results=results, queries=len(candidates), pairs=pairs, overlap_k=overlap_k)
