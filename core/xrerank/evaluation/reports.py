"""Reports over several runs on the same queries: a metrics table, and what fine-tuning fixed or broke.

Example:
    >>> print(compare({"dense": {"q": {"a": 1.0}}}, {"q": {"a": 1}}, ["ndcg@10"]).table())
    system     ndcg@10
    ------------------
    dense       1.0000
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xrerank.evaluation.metrics import DEFAULT_METRICS, evaluate_run, per_query_metrics, query_metric
from xrerank.evaluation.runs import Qrels, Run
from xrerank.output_files import atomic_write_text


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
        """Write :meth:`to_dict` to ``path`` (parents created) and return the path.

        The file is replaced in one step (:func:`~xrerank.output_files.atomic_write_text`): a failed
        write leaves the previous file as it was.
        """
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        return atomic_write_text(target, json.dumps(self.to_dict(), indent=2, sort_keys=False))


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
        >>> runs = {"base": {"q1": {"a": 0.9, "b": 0.4}}, "tuned": {"q1": {"a": 0.2, "b": 0.8}}}
        >>> print(per_query_report(runs, {"q1": {"b": 1}}, {"q1": "do statins prevent strokes?"},
        ...                        base="base", tuned="tuned"))
        do statins prevent strokes?
                 ndcg@10: base 0.631  tuned 1.000   <-- fine-tuning fixed this
        <BLANKLINE>
                                  base         tuned
        Overall:            0/1 (  0%)    1/1 (100%)
        Against 'base', 'tuned' fixed 1 case(s) and broke 0. (pass = a relevant document ranked first)
    """
    for name in (base, tuned, *([retriever] if retriever else [])):
        if name not in runs:
            raise KeyError(f"per_query_report: no run named {name!r}; runs are {sorted(runs)}.")
    if show not in ("changed", "all", "none"):
        raise ValueError(f"per_query_report got show={show!r}; expected 'changed', 'all' or 'none'.")
    if (topics is None) != (seen_topics is None):
        # Topics alone would count every query as unseen.
        raise ValueError(
            "per_query_report splits by topic only with both topics and seen_topics; pass seen_topics "
            "(the topics present in training) with topics, or neither."
        )

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
