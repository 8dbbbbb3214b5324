"""Ranking metrics, reranking of fixed candidates, score fusion and before/after reports.

Every system is compared on the *same* candidates: the first-stage retriever's
top-k for each held-out query. A *run* maps a query id to ``{doc_id: score}``
(higher is better) and *qrels* map a query id to ``{doc_id: grade}`` (grade > 0
is relevant), the conventions of ``trec_eval``/``ir-measures``. The metric code
follows ``trec_eval``: linear gains for NDCG, the ideal ranking built from all
judged documents, ties broken by document id (descending).

Example:
    >>> qrels = {"q1": {"d2": 1}}
    >>> run = {"q1": {"d1": 0.9, "d2": 0.5}}
    >>> evaluate_run(run, qrels)["ndcg@10"]
    0.6309297535714575
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xrerank.scoring.reranker import Reranker

logger = logging.getLogger(__name__)

Run = Mapping[str, Mapping[str, float]]
Qrels = Mapping[str, Mapping[str, float]]

DEFAULT_METRICS = ("ndcg@10", "mrr@10", "recall@10", "recall@100", "map")
_KNOWN = ("ndcg", "mrr", "recall", "map", "success")


# --------------------------------------------------------------------------- metrics


def _ranked_ids(scores: Mapping[str, float]) -> list[str]:
    # trec_eval order: score descending, ties by doc id descending.
    return [
        doc for doc, _ in sorted(scores.items(), key=lambda item: (float(item[1]), item[0]), reverse=True)
    ]


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
    ranking = _ranked_ids(scores)
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


# --------------------------------------------------------------------------- runs


def rerank_run(
    reranker: Reranker,
    queries: Mapping[str, str],
    candidates: Run,
    documents: Mapping[str, str],
    *,
    show_progress: bool = True,
) -> dict[str, dict[str, float]]:
    """Score every query's candidates with ``reranker``; returns a new run.

    Args:
        reranker: The cross-encoder to apply.
        queries: ``{query_id: text}``.
        candidates: The first-stage run whose documents are rescored (its scores are ignored).
        documents: ``{doc_id: text}`` for every candidate.
        show_progress: Show a tqdm bar over queries.

    Example:
        >>> rerank_run(reranker, {"q": "bm25?"}, {"q": {"d": 0.3}}, {"d": "BM25 ranks."})  # doctest: +SKIP
        {'q': {'d': 0.93}}
    """
    from tqdm.auto import tqdm

    result: dict[str, dict[str, float]] = {}
    for qid in tqdm(list(candidates), desc="rerank", unit="query", disable=not show_progress):
        if qid not in queries:
            raise KeyError(f"rerank_run: query id {qid!r} is in candidates but not in queries.")
        ids = list(candidates[qid])
        missing = [doc for doc in ids if doc not in documents]
        if missing:
            raise KeyError(f"rerank_run: candidate {missing[0]!r} of query {qid!r} has no text in documents.")
        scores = reranker.score(queries[qid], [documents[doc] for doc in ids]) if ids else []
        result[qid] = {doc: float(score) for doc, score in zip(ids, scores, strict=True)}
    return result


def top_k(run: Run, k: int) -> dict[str, dict[str, float]]:
    """The best ``k`` documents of each query (a new run)."""
    return {qid: {doc: float(scores[doc]) for doc in _ranked_ids(scores)[:k]} for qid, scores in run.items()}


def _normalise(scores: Mapping[str, float]) -> dict[str, float]:
    values = [float(v) for v in scores.values()]
    if not values:
        return {}
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    return {doc: (float(v) - mean) / std if std > 0 else 0.0 for doc, v in scores.items()}


def fuse_runs(reranked: Run, retrieved: Run, weight: float) -> dict[str, dict[str, float]]:
    """Per query, ``weight * z(reranker) + (1 - weight) * z(retriever)`` over the shared candidates.

    Scores are z-normalised within each query so that logits and cosine
    similarities are comparable. ``weight=1`` is the reranker alone, ``0`` the retriever.

    Example:
        >>> fused = fuse_runs({"q": {"a": 3.0, "b": 1.0}}, {"q": {"a": 0.1, "b": 0.9}}, 0.5)
        >>> fused["q"]["a"] == fused["q"]["b"]
        True
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"fuse_runs got weight={weight!r}; expected a float in [0, 1].")
    fused: dict[str, dict[str, float]] = {}
    for qid, scores in reranked.items():
        base = retrieved.get(qid)
        if base is None:
            raise KeyError(f"fuse_runs: query {qid!r} is in the reranked run but not in the retrieved run.")
        missing = [doc for doc in scores if doc not in base]
        if missing:
            raise KeyError(f"fuse_runs: document {missing[0]!r} of query {qid!r} has no retriever score.")
        a, b = _normalise(scores), _normalise({doc: base[doc] for doc in scores})
        fused[qid] = {doc: float(weight * a[doc] + (1.0 - weight) * b[doc]) for doc in scores}
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
        >>> w, table = choose_fusion_weight(reranked, retrieved, qrels)  # doctest: +SKIP
    """
    weights = [round(float(w), 4) for w in (grid if grid is not None else [i / 20 for i in range(21)])]
    table = {w: evaluate_run(fuse_runs(reranked, retrieved, w), qrels, [metric])[metric] for w in weights}
    best = max(table, key=lambda w: (round(table[w], 10), w))
    return best, table


@dataclass
class EvalSet:
    """Held-out queries with the retriever's candidates: what before/after metrics are computed on.

    Attributes:
        queries: ``{query_id: text}``.
        documents: ``{doc_id: text}`` for every candidate.
        candidates: The first-stage run: ``{query_id: {doc_id: retriever score}}``.
        qrels: ``{query_id: {doc_id: grade}}``.
        has_retriever_scores: False when the candidate scores are placeholders (no fusion then).

    Example:
        >>> es = EvalSet.from_examples([TrainingExample("q", ["p"], ["n"])])  # doctest: +SKIP
    """

    queries: dict[str, str]
    documents: dict[str, str]
    candidates: dict[str, dict[str, float]]
    qrels: dict[str, dict[str, float]]
    has_retriever_scores: bool = True

    @classmethod
    def from_examples(cls, examples: Iterable[Any]) -> EvalSet:
        """Candidates = each example's positives and negatives (no retriever scores).

        Example:
            >>> from xrerank.examples import TrainingExample
            >>> EvalSet.from_examples([TrainingExample("q", ["p"], ["n"])]).qrels
            {'0': {'0:p0': 1.0}}
        """
        queries: dict[str, str] = {}
        documents: dict[str, str] = {}
        candidates: dict[str, dict[str, float]] = {}
        qrels: dict[str, dict[str, float]] = {}
        for position, example in enumerate(examples):
            qid = str(position)
            queries[qid] = example.query
            run: dict[str, float] = {}
            for kind, texts in (("p", example.positives), ("n", example.negatives)):
                for i, text in enumerate(texts):
                    doc = f"{qid}:{kind}{i}"
                    documents[doc] = text
                    run[doc] = 0.0
            candidates[qid] = run
            qrels[qid] = {f"{qid}:p{i}": 1.0 for i in range(len(example.positives))}
        return cls(queries, documents, candidates, qrels, has_retriever_scores=False)

    def evaluate(
        self,
        reranker: Reranker,
        *,
        metrics: Sequence[str] = ("ndcg@10", "mrr@10"),
        show_progress: bool = False,
    ) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
        """Rerank the candidates; returns ``(mean metrics, reranked run)``."""
        run = rerank_run(reranker, self.queries, self.candidates, self.documents, show_progress=show_progress)
        return evaluate_run(run, self.qrels, metrics), run


# --------------------------------------------------------------------------- reports


@dataclass
class Comparison:
    """Metrics of several systems on the same queries: a table and per-query values.

    Attributes:
        metrics: ``{system: {metric: value}}`` in insertion order.
        per_query: ``{system: {query_id: {metric: value}}}``.
        extra: Free-form numbers shown as extra columns (e.g. training seconds).
    """

    metrics: dict[str, dict[str, float]]
    per_query: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    extra: dict[str, dict[str, Any]] = field(default_factory=dict)

    def table(self, *, baseline: str | None = None, key: str = "ndcg@10") -> str:
        """A plain-text table; with ``baseline``, a column of ``key`` differences in points."""
        names = list(self.metrics)
        metric_names = list(next(iter(self.metrics.values()))) if self.metrics else []
        extra_names = sorted({k for row in self.extra.values() for k in row})
        width = max([len("system"), *(len(n) for n in names)])
        header = f"{'system':<{width}}  " + "  ".join(f"{m:>10}" for m in metric_names)
        if baseline is not None:
            header += f"  {'Δ' + key:>12}"
        header += "".join(f"  {e:>12}" for e in extra_names)
        lines = [header, "-" * len(header)]
        for name in names:
            row = f"{name:<{width}}  " + "  ".join(f"{self.metrics[name][m]:>10.4f}" for m in metric_names)
            if baseline is not None:
                delta = 100.0 * (self.metrics[name][key] - self.metrics[baseline][key])
                row += f"  {delta:>+12.1f}"
            for e in extra_names:
                value = self.extra.get(name, {}).get(e, "")
                if isinstance(value, float):
                    row += f"  {value:>12.2f}" if abs(value) < 100 else f"  {value:>12.0f}"
                else:
                    row += f"  {value!s:>12}"
            lines.append(row)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"metrics": self.metrics, "extra": self.extra, "per_query": self.per_query}

    def save_json(self, path: str | Path) -> Path:
        """Write :meth:`to_dict` to ``path`` (parents created) and return the path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=False), encoding="utf-8")
        return target


def compare(runs: Mapping[str, Run], qrels: Qrels, metrics: Sequence[str] = DEFAULT_METRICS) -> Comparison:
    """Evaluate several runs on the same qrels.

    Example:
        >>> c = compare({"dense": {"q": {"a": 1.0}}}, {"q": {"a": 1}}, ["ndcg@10"])
        >>> c.metrics
        {'dense': {'ndcg@10': 1.0}}
    """
    per_query = {name: per_query_metrics(run, qrels, metrics) for name, run in runs.items()}
    means = {name: evaluate_run(run, qrels, metrics) for name, run in runs.items()}
    return Comparison(metrics=means, per_query=per_query)


def per_query_report(
    runs: Mapping[str, Run],
    qrels: Qrels,
    queries: Mapping[str, str],
    *,
    base: str,
    tuned: str,
    retriever: str | None = None,
    topics: Mapping[str, str] | None = None,
    seen_topics: Iterable[str] | None = None,
    metric: str = "ndcg@10",
    passed: Callable[[Mapping[str, float], Mapping[str, float]], bool] | None = None,
    show: str = "changed",
) -> str:
    """A before/after report per query, marking what fine-tuning fixed or broke.

    A query *passes* when a relevant document is ranked first (override with
    ``passed(scores, judgments)``). With ``topics`` (query id → topic) and
    ``seen_topics`` (topics present in the training data) the summary is split
    into seen and unseen topics: the unseen split shows whether the model learned
    the domain rather than memorising its training queries.

    Args:
        runs: Runs by system name; must hold ``base`` and ``tuned`` (and ``retriever`` if given).
        qrels: Judgments of the evaluated queries.
        queries: ``{query_id: text}`` for display.
        base: Name of the run before fine-tuning.
        tuned: Name of the run after fine-tuning.
        retriever: Name of the first-stage run, shown for reference.
        topics: Optional topic per query id.
        seen_topics: Topics that occur in training; others count as unseen.
        metric: Metric shown per query.
        passed: Custom pass test on one query's ``(scores, judgments)``.
        show: ``"changed"`` lists fixed and broken queries, ``"all"`` every query,
            ``"none"`` only the summary.

    Example:
        >>> print(per_query_report(runs, qrels, queries, base="base", tuned="tuned"))  # doctest: +SKIP
        [SEEN  ] do statins prevent strokes?
                 retriever 0.500  base 0.387  tuned 1.000   <-- fine-tuning fixed this
    """
    for name in (base, tuned, *([retriever] if retriever else [])):
        if name not in runs:
            raise KeyError(f"per_query_report: no run named {name!r}; runs are {sorted(runs)}.")
    if show not in ("changed", "all", "none"):
        raise ValueError(f"per_query_report got show={show!r}; expected 'changed', 'all' or 'none'.")

    def default_pass(scores: Mapping[str, float], judgments: Mapping[str, float]) -> bool:
        return query_metric("success@1", scores, judgments) > 0

    check = passed or default_pass
    seen = set(seen_topics or ())
    columns = [n for n in (retriever, base, tuned) if n]
    lines: list[str] = []
    counts: dict[str, list[int]] = {}  # group -> [n, base passes, tuned passes, fixed, broken]
    for qid, judgments in qrels.items():
        if not any(float(g) > 0 for g in judgments.values()):
            continue
        group = "all"
        label = ""
        if topics is not None:
            topic = topics.get(qid)
            group = "seen" if topic in seen else "unseen"
            label = f"[{group.upper():<6}] "
        b_ok = check(runs[base].get(qid, {}), judgments)
        t_ok = check(runs[tuned].get(qid, {}), judgments)
        for key in ("overall", group) if group != "all" else ("overall",):
            row = counts.setdefault(key, [0, 0, 0, 0, 0])
            row[0] += 1
            row[1] += b_ok
            row[2] += t_ok
            row[3] += (not b_ok) and t_ok
            row[4] += b_ok and not t_ok
        marker = (
            "   <-- fine-tuning fixed this"
            if t_ok and not b_ok
            else ("   <-- fine-tuning broke this" if b_ok and not t_ok else "")
        )
        if show == "all" or (show == "changed" and marker):
            values = "  ".join(
                f"{name} {query_metric(metric, runs[name].get(qid, {}), judgments):.3f}" for name in columns
            )
            lines.append(f"{label}{queries.get(qid, qid)}")
            lines.append(f"         {metric}: {values}{marker}")
    width = max(14, len(base) + 2, len(tuned) + 2)
    summary = [f"{'':<16}{base:>{width}}{tuned:>{width}}"]
    for key in ("overall", "seen", "unseen"):
        if key not in counts:
            continue
        n, b, t, _, _ = counts[key]
        label = {"overall": "Overall", "seen": "Seen topics", "unseen": "Unseen topics"}[key]
        summary.append(
            f"{label + ':':<16}{f'{b}/{n} ({100 * b / n:3.0f}%)':>{width}}"
            f"{f'{t}/{n} ({100 * t / n:3.0f}%)':>{width}}"
        )
    if "overall" in counts:
        summary.append(
            f"Against {base!r}, {tuned!r} fixed {counts['overall'][3]} case(s) "
            f"and broke {counts['overall'][4]}. (pass = a relevant document ranked first)"
        )
    return "\n".join([*lines, *([""] if lines else []), *summary])
