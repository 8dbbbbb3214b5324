"""``xrerank mine``: a log and a FAISS index in, training examples and a report out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import minilm_dir
from xrerank.cli import main
from xrerank.examples import load_examples

faiss = pytest.importorskip("faiss")

LOG = [
    {"query": "how does a cross-encoder score a query and a passage?", "positive_ids": ["p03"]},
    {"query": "what is the capital of France?", "clicked": ["p08"], "shown": ["p09", "p08"]},
    {"query": "how do search engines score documents with term frequency?", "positive_ids": ["p01"]},
]


@pytest.fixture(scope="module")
def store(tmp_path_factory, mining_corpus_vectors):
    """The user's existing store on disk: a corpus JSONL and a FAISS index built from it."""
    ids, texts, vectors = mining_corpus_vectors
    folder = tmp_path_factory.mktemp("store")
    corpus = folder / "corpus.jsonl"
    corpus.write_text(
        "".join(json.dumps({"_id": i, "text": t}) + "\n" for i, t in zip(ids, texts, strict=True))
    )
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    faiss.write_index(index, str(folder / "corpus.faiss"))
    log = folder / "log.jsonl"
    log.write_text("".join(json.dumps(row) + "\n" for row in LOG))
    return folder


def mine(store: Path, tmp_path: Path, *extra: str) -> tuple[int, Path]:
    output = tmp_path / "train.jsonl"
    args = [
        "mine",
        "--log",
        str(store / "log.jsonl"),
        "--corpus",
        str(store / "corpus.jsonl"),
        "--faiss-index",
        str(store / "corpus.faiss"),
        "--encoder",
        str(minilm_dir()),
        "-o",
        str(output),
        *extra,
    ]
    return main(args), output


def test_mine_writes_examples_and_prints_a_report(store, tmp_path, capsys):
    report_path = tmp_path / "report.json"
    code, output = mine(
        store, tmp_path, "--num-negatives", "3", "--no-progress", "--report-json", str(report_path)
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    examples = load_examples(output)
    assert len(examples) == 3
    assert all(len(e.negatives) <= 3 and e.negatives for e in examples)
    assert "p04" not in examples[0].negative_ids and "p03" not in examples[0].negative_ids
    assert "3 queries -> 3 examples" in captured.out
    assert f"wrote 3 examples to {output}" in captured.out
    assert "Mining" not in captured.err  # --no-progress
    report = json.loads(report_path.read_text())
    assert report["examples"] == 3 and report["removed"]["positive_text"] >= 1
    assert report["logs"][str(store / "log.jsonl")]["records"] == 3


def test_config_file_margin_off_and_streaming(store, tmp_path, capsys):
    config = tmp_path / "mine.json"
    config.write_text(json.dumps({"num_negatives": 2, "sampling": "random", "seed": 3}))
    code, output = mine(
        store, tmp_path, "--config", str(config), "--relative-margin", "none", "--no-progress", "--no-merge"
    )
    assert code == 0, capsys.readouterr().err
    examples = load_examples(output)
    assert len(examples) == 3 and all(len(e.negatives) == 2 for e in examples)


def test_bad_log_line_names_file_and_line_and_skip_reports_it(store, tmp_path, capsys):
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps(LOG[0]) + "\n" + '{"query": 42}\n' + json.dumps(LOG[1]) + "\n")
    args = [
        "mine",
        "--log",
        str(log),
        "--corpus",
        str(store / "corpus.jsonl"),
        "--faiss-index",
        str(store / "corpus.faiss"),
        "--encoder",
        str(minilm_dir()),
        "-o",
        str(tmp_path / "out.jsonl"),
        "--no-progress",
    ]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert f"{log}:2" in err and "'query'" in err and "--on-error skip" in err
    assert main([*args, "--on-error", "skip"]) == 0
    out = capsys.readouterr().out
    assert "1 bad records skipped" in out and f"bad record: {log}:2" in out


def test_index_and_corpus_must_agree(store, tmp_path, capsys):
    short = tmp_path / "corpus.jsonl"
    short.write_text(json.dumps({"_id": "p01", "text": "BM25"}) + "\n")
    args = [
        "mine",
        "--log",
        str(store / "log.jsonl"),
        "--corpus",
        str(short),
        "--faiss-index",
        str(store / "corpus.faiss"),
        "--encoder",
        str(minilm_dir()),
        "-o",
        str(tmp_path / "o.jsonl"),
    ]
    assert main(args) == 1
    assert "holds 16 vectors but --corpus has 1" in capsys.readouterr().err


def test_usage_errors_are_explained(store, tmp_path, capsys):
    base = [
        "mine",
        "--corpus",
        str(store / "corpus.jsonl"),
        "--encoder",
        "x",
        "-o",
        str(tmp_path / "o.jsonl"),
    ]
    assert main([*base, "--log", str(tmp_path / "missing.jsonl")]) == 1
    assert "no such file" in capsys.readouterr().err
    assert main([*base, "--log", str(store / "log.jsonl"), "--num-negatives", "0"]) == 1
    assert "num_negatives=0" in capsys.readouterr().err
    assert main([*base, "--log", str(store / "log.jsonl"), "--field", "clicks"]) == 1
    assert "NAME=COLUMN" in capsys.readouterr().err


def test_small_corpus_without_an_index_is_embedded_in_memory(store, tmp_path, capsys):
    output = tmp_path / "train.jsonl"
    args = [
        "mine",
        "--log",
        str(store / "log.jsonl"),
        "--corpus",
        str(store / "corpus.jsonl"),
        "--encoder",
        str(minilm_dir()),
        "-o",
        str(output),
        "--num-negatives",
        "2",
        "--no-progress",
    ]
    assert main(args) == 0
    assert "embedding 16 corpus documents in memory" in capsys.readouterr().out
    assert len(load_examples(output)) == 3
