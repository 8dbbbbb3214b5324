"""Readers for the BEIR-format SciFact set in ../shared/data/scifact (never copied into the repo)."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

DEFAULT_SCIFACT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "scifact"


def scifact_dir() -> Path:
    """Where SciFact lies: $XRERANK_SCIFACT, else ../shared/data/scifact beside the checkout."""
    path = Path(os.environ.get("XRERANK_SCIFACT", DEFAULT_SCIFACT))
    if not (path / "corpus.jsonl").is_file():
        raise SystemExit(
            f"SciFact not found at {path}. Set XRERANK_SCIFACT to a BEIR-format SciFact folder "
            "(corpus.jsonl, queries-train.jsonl, qrels/train.tsv)."
        )
    return path


def load_corpus(path: Path) -> dict[str, str]:
    """doc id -> 'title. abstract'."""
    corpus = {}
    with open(path / "corpus.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            corpus[str(row["_id"])] = f"{row.get('title', '')}. {row['text']}".strip(". ")
    return corpus


def load_queries(path: Path, split: str = "train") -> dict[str, str]:
    queries = {}
    with open(path / f"queries-{split}.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            queries[str(row["_id"])] = row["text"]
    return queries


def load_qrels(path: Path, split: str = "train") -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with open(path / "qrels" / f"{split}.tsv", encoding="utf-8") as handle:
        reader = csv.reader(handle, delimiter="\t")
        for row in reader:
            if not row or row[0] == "query-id":
                continue
            qrels.setdefault(row[0], {})[row[1]] = int(row[2])
    return qrels


def bm25_rerank_sets(n_queries: int, n_docs: int) -> list[tuple[str, list[str]]]:
    """The first ``n_queries`` training claims, each with its BM25 top-``n_docs`` abstracts."""
    import bm25s

    data = scifact_dir()
    corpus = load_corpus(data)
    texts = list(corpus.values())
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
    queries = list(load_queries(data).values())[:n_queries]
    hits, _ = retriever.retrieve(
        bm25s.tokenize(queries, stopwords="en", show_progress=False), k=n_docs, show_progress=False
    )
    return [(query, [texts[int(doc)] for doc in row]) for query, row in zip(queries, hits, strict=True)]
