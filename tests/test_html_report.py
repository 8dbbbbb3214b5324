"""``xrerank eval --html``: a self-contained page, checked in a real headless browser.

The browser is Debian's ``chromium`` (``make browser`` installs it where it is missing and the
user is root; CI runs that step). Where no browser can be found the browser test is skipped with
the reason printed in pytest's summary; every other test here runs everywhere.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from xrerank.cli.main import main
from xrerank.evaluation.html_report import bar_plot, html_report, write_html_report

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

QUERIES = {"q1": "capital of France", "q2": "what is BM25?", "q3": "cats sleeping"}
DOCUMENTS = {
    "d1": "Berlin is the capital of Germany.",
    "d2": "Paris is the capital and most populous city of France. " * 6,
    "d3": "BM25 ranks documents by term frequency & document length <b>not HTML</b>.",
    "d4": "Dense retrieval embeds queries and passages.",
    "d5": "Cats sleep between twelve and sixteen hours a day.",
}
QRELS = {"q1": {"d2": 1}, "q2": {"d3": 2}, "q3": {"d5": 1}}
RUNS = {
    "retriever": {
        "q1": {"d1": 0.9, "d2": 0.8},  # wrong first, the reranker fixes it
        "q2": {"d3": 0.9, "d4": 0.7},  # right first, the reranker breaks it
        "q3": {"d5": 0.9, "d1": 0.1},  # right first, unchanged
    },
    "tuned": {
        "q1": {"d2": 2.0, "d1": 1.0},
        "q2": {"d4": 2.0, "d3": 1.0},
        "q3": {"d5": 2.0, "d1": 1.0},
    },
}


class Elements(HTMLParser):
    """Counts start tags and collects the class of every <section> and the page's text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, int] = {}
        self.sections: list[str] = []
        self.text: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        values = dict(attrs)
        if tag == "section":
            self.sections.append(values.get("class") or "")
        for name in ("src", "href"):
            if values.get(name):
                self.external.append(f"{tag} {name}={values[name]}")

    def handle_data(self, data):
        self.text.append(data)


def parse(page: str) -> Elements:
    elements = Elements()
    elements.feed(page)
    return elements


def test_the_page_holds_metrics_plot_and_marked_queries_with_nothing_external():
    page = html_report(RUNS, QRELS, QUERIES, DOCUMENTS, top_n=2, snippet_chars=80)
    elements = parse(page)
    assert elements.external == []  # no scripts, stylesheets or images to fetch
    assert elements.tags["svg"] == 1 and elements.tags["rect"] == 2  # one bar per system
    assert elements.sections == ["query fixed", "query broken", "query "]  # changed first places first
    text = "".join(elements.text)
    assert "First places fixed: 1, broken: 1" in text
    assert "<b>not HTML</b>" in text  # passage text is escaped, shown as text
    # A long passage is cut at a word boundary.
    assert "Paris is the capital and most populous city of France. Paris is the capital and …" in text


def test_bar_lengths_follow_the_values():
    svg = bar_plot({"a": 0.25, "b": 1.0})
    widths = [float(w) for w in re.findall(r"<rect [^>]*width='([\d.]+)'", svg)]
    assert widths[1] == pytest.approx(4 * widths[0])


def test_unknown_system_names_are_refused():
    with pytest.raises(ValueError, match="no run named 'bm25'"):
        html_report(RUNS, QRELS, QUERIES, DOCUMENTS, retriever="bm25")


def test_a_failed_write_keeps_the_previous_file(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("old report", encoding="utf-8")
    with pytest.raises(TypeError):
        write_html_report(target, RUNS, QRELS, QUERIES, DOCUMENTS, no_such_option=1)
    assert target.read_text(encoding="utf-8") == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def _write_eval_inputs(folder: Path) -> list[str]:
    def jsonl(name: str, rows: list[dict[str, object]]) -> str:
        path = folder / name
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
        return str(path)

    qrels = folder / "qrels.tsv"
    qrels.write_text(
        "query-id\tcorpus-id\tscore\n"
        + "".join(f"{q}\t{d}\t{g}\n" for q, j in QRELS.items() for d, g in j.items())
    )
    candidates = [
        {"query_id": q, "doc_id": d, "score": s}
        for q, scores in RUNS["retriever"].items()
        for d, s in scores.items()
    ]
    return [
        "--queries",
        jsonl("queries.jsonl", [{"id": q, "text": t} for q, t in QUERIES.items()]),
        "--documents",
        jsonl("documents.jsonl", [{"id": d, "text": t} for d, t in DOCUMENTS.items()]),
        "--candidates",
        jsonl("candidates.jsonl", candidates),
        "--qrels",
        str(qrels),
    ]


def test_eval_html_refuses_an_unwritable_path_before_any_work(tmp_path, capsys):
    inputs = _write_eval_inputs(tmp_path)
    code = main(["eval", *inputs, "--html", str(tmp_path / "missing" / "report.html")])
    assert code == 1
    err = capsys.readouterr().err
    assert "--html" in err and "does not exist" in err


def _browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def test_eval_html_renders_tables_and_plot_in_a_headless_browser(tmp_path, tiny_model_dir, capsys):
    browser = _browser()
    if browser is None:
        pytest.skip(
            f"no headless browser found ({', '.join(BROWSERS)}); run `make browser` as root to install one"
        )
    inputs = _write_eval_inputs(tmp_path)
    page = tmp_path / "report.html"
    code = main(["eval", *inputs, "--model", f"tuned={tiny_model_dir}", "--html", str(page), "--no-progress"])
    assert code == 0, capsys.readouterr().err
    assert f"Saved {page}" in capsys.readouterr().out

    flags = ["--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    rendered = parse(dom)
    # The browser built the tables (it adds <tbody>, which the file does not write) and the plot.
    assert "<tbody>" not in page.read_text(encoding="utf-8") and rendered.tags.get("tbody", 0) >= 4
    assert rendered.tags["table"] == 1 + len(QRELS)  # metrics + one per query
    assert rendered.tags["svg"] == 1 and rendered.tags["rect"] == 2  # retriever and tuned
    assert len(rendered.sections) == len(QRELS)
    assert "retriever" in "".join(rendered.text) and "tuned" in "".join(rendered.text)

    screenshot = tmp_path / "report.png"
    subprocess.run(
        [browser, *flags, f"--screenshot={screenshot}", "--window-size=1100,900", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 5000
