"""A before/after evaluation as one self-contained HTML page people can open and share.

The page holds the metrics table, an inline SVG bar plot of NDCG@10 per system and, per query,
the retriever's and the reranker's top results with snippets, marking the queries whose first
place fine-tuning fixed (a relevant passage moved to the top) or broke (one moved away). It has
no external assets: no scripts, fonts, stylesheets or images to fetch, so it opens offline and
survives being mailed around.

Example:
    >>> runs = {"retriever": {"q1": {"d1": 0.9, "d2": 0.8}}, "tuned": {"q1": {"d2": 3.0, "d1": 1.0}}}
    >>> qrels = {"q1": {"d2": 1}}
    >>> page = html_report(runs, qrels, {"q1": "capital of France"}, {"d1": "Berlin.", "d2": "Paris."})
    >>> "<svg" in page and "fixed" in page
    True
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from xrerank.evaluation.reports import compare
from xrerank.evaluation.runs import Qrels, Run
from xrerank.output_files import atomic_write_text

PLOT_METRIC = "ndcg@10"
METRICS = ("ndcg@10", "mrr@10", "recall@10", "map")
_BAR_HEIGHT = 22
_PLOT_WIDTH = 640
_LABEL_WIDTH = 200

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
section.query { border-left: 4px solid #ccc; padding-left: 1em; margin: 1.5em 0; }
section.fixed { border-color: #2a9d3f; } section.broken { border-color: #c0392b; }
.tag { font-weight: bold; } .fixed .tag { color: #2a9d3f; } .broken .tag { color: #c0392b; }
li.relevant { background: #e8f6eb; } .snippet { color: #555; }
"""


def html_report(
    runs: Mapping[str, Run],
    qrels: Qrels,
    queries: Mapping[str, str],
    documents: Mapping[str, str],
    *,
    retriever: str = "retriever",
    reranker: str | None = None,
    title: str = "xrerank evaluation",
    top_n: int = 3,
    snippet_chars: int = 200,
) -> str:
    """The page for ``runs`` (``{system: {query_id: {doc_id: score}}}``) judged by ``qrels``.

    Args:
        runs: Every system's scores on the same queries; the first one plotted is the first given.
        qrels: Relevance judgments ``{query_id: {doc_id: grade}}``; grade > 0 is relevant.
        queries: Query texts by id.
        documents: Passage texts by id (for the snippets).
        retriever: The system whose order the reranker changed.
        reranker: The system compared with it per query (default: the last of ``runs``).
        title: The page's title and heading.
        top_n: Results shown per query and system.
        snippet_chars: Characters of each passage shown.

    Returns:
        The HTML text.
    """
    if retriever not in runs:
        raise ValueError(f"html_report got no run named {retriever!r}; runs: {sorted(runs)}.")
    reranker = reranker or list(runs)[-1]
    if reranker not in runs:
        raise ValueError(f"html_report got no run named {reranker!r}; runs: {sorted(runs)}.")
    comparison = compare(runs, qrels, METRICS)
    per_query = [
        _query_section(q, queries, documents, qrels, runs, retriever, reranker, top_n, snippet_chars)
        for q in qrels
    ]
    # Changed first places first: they are what a reader looks for.
    order = {"fixed": 0, "broken": 1, "": 2}
    per_query.sort(key=lambda item: order[item[0]])
    fixed = sum(1 for kind, _ in per_query if kind == "fixed")
    broken = sum(1 for kind, _ in per_query if kind == "broken")
    body = [
        f"<h1>{_e(title)}</h1>",
        f"<p>{len(qrels)} queries. First places <span class='tag'>fixed</span>: {fixed}, "
        f"broken: {broken} ({_e(reranker)} against {_e(retriever)}).</p>",
        "<h2>Metrics</h2>",
        _metrics_table(comparison.metrics),
        f"<h2>{PLOT_METRIC.upper()} per system</h2>",
        bar_plot({name: values[PLOT_METRIC] for name, values in comparison.metrics.items()}),
        f"<h2>Per query: {_e(retriever)} and {_e(reranker)}, top {top_n}</h2>",
        *(section for _, section in per_query),
    ]
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def write_html_report(
    path: str | os.PathLike[str],
    runs: Mapping[str, Run],
    qrels: Qrels,
    queries: Mapping[str, str],
    documents: Mapping[str, str],
    **options: Any,
) -> Path:
    """Write :func:`html_report` (``options`` are its keyword arguments) to ``path`` in one step.

    A failed write leaves the previous file as it was (:func:`~xrerank.output_files.atomic_write_text`).
    """
    return atomic_write_text(Path(path), html_report(runs, qrels, queries, documents, **options))


def bar_plot(values: Mapping[str, float], *, maximum: float = 1.0) -> str:
    """A horizontal bar per system, as inline SVG (values between 0 and ``maximum``).

    Example:
        >>> bar_plot({"dense": 0.5}).count("<rect")
        1
    """
    height = _BAR_HEIGHT * len(values) + 10
    bar_room = _PLOT_WIDTH - _LABEL_WIDTH - 60
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{_PLOT_WIDTH}' height='{height}' "
        f"role='img' aria-label='{PLOT_METRIC} per system'>"
    ]
    for row, (name, value) in enumerate(values.items()):
        y = 5 + row * _BAR_HEIGHT
        width = max(0.0, min(value / maximum, 1.0)) * bar_room
        parts.append(
            f"<text x='{_LABEL_WIDTH - 6}' y='{y + 15}' text-anchor='end' font-size='13'>{_e(name)}</text>"
            f"<rect x='{_LABEL_WIDTH}' y='{y + 2}' width='{width:.1f}' height='{_BAR_HEIGHT - 6}' "
            f"fill='#3b6ea5'><title>{_e(name)}: {value:.4f}</title></rect>"
            f"<text x='{_LABEL_WIDTH + width + 4:.1f}' y='{y + 15}' font-size='12'>{value:.3f}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _metrics_table(metrics: Mapping[str, Mapping[str, float]]) -> str:
    names = list(next(iter(metrics.values()))) if metrics else []
    rows = ["<table class='metrics'><tr><th>system</th>" + "".join(f"<th>{_e(m)}</th>" for m in names)]
    for system, values in metrics.items():
        cells = "".join(f"<td class='num'>{values[m]:.4f}</td>" for m in names)
        rows.append(f"<tr><td>{_e(system)}</td>{cells}</tr>")
    return "\n".join(rows) + "</table>"


def _query_section(
    query_id: str,
    queries: Mapping[str, str],
    documents: Mapping[str, str],
    qrels: Qrels,
    runs: Mapping[str, Run],
    retriever: str,
    reranker: str,
    top_n: int,
    snippet_chars: int,
) -> tuple[str, str]:
    """(``"fixed"``, ``"broken"`` or ``""``, the query's HTML section)."""
    judged = qrels[query_id]
    before = _ranked(runs[retriever].get(query_id, {}))
    after = _ranked(runs[reranker].get(query_id, {}))
    was_right = bool(before) and judged.get(before[0], 0) > 0
    is_right = bool(after) and judged.get(after[0], 0) > 0
    kind = "fixed" if is_right and not was_right else "broken" if was_right and not is_right else ""
    tag = f" <span class='tag'>first place {kind}</span>" if kind else ""
    columns = "".join(
        f"<td><ol>{_results(ranked[:top_n], judged, documents, snippet_chars)}</ol></td>"
        for ranked in (before, after)
    )
    section = (
        f"<section class='query {kind}'><h3>{_e(queries.get(query_id, query_id))}{tag}</h3>"
        f"<table class='results'><tr><th>{_e(retriever)}</th><th>{_e(reranker)}</th></tr>"
        f"<tr>{columns}</tr></table></section>"
    )
    return kind, section


def _results(
    doc_ids: Sequence[str], judged: Mapping[str, float], documents: Mapping[str, str], chars: int
) -> str:
    items = []
    for doc_id in doc_ids:
        text = documents.get(doc_id, "")
        snippet = text if len(text) <= chars else text[:chars].rsplit(" ", 1)[0] + " …"
        relevant = judged.get(doc_id, 0) > 0
        mark = " ✓" if relevant else ""
        items.append(
            f"<li class='{'relevant' if relevant else ''}'><b>{_e(doc_id)}</b>{mark} "
            f"<span class='snippet'>{_e(snippet)}</span></li>"
        )
    return "".join(items)


def _ranked(scores: Mapping[str, float]) -> list[str]:
    return sorted(scores, key=lambda doc_id: -scores[doc_id])


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)
