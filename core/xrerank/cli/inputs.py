"""Input readers shared by the commands: corpus, id/text files, runs, judgments and the user's store.

Every reader turns a bad file into a :class:`CommandError` that names the flag, the file and
the line, so commands never print a traceback for a user's file.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Any

from xrerank.cli.common import CommandError


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that name the user's store; :func:`build_source` reads them."""
    parser.add_argument("--corpus", required=True, help="JSONL of documents: _id or id, text (+ any fields).")
    parser.add_argument("--faiss-index", help="FAISS index file whose row i is line i of --corpus.")
    parser.add_argument("--encoder", required=True, help="SentenceTransformer that embedded the corpus.")
    parser.add_argument(
        "--raw-queries", action="store_true", help="Do not L2-normalise query vectors (index not cosine)."
    )


def read_corpus(path: str, template: str) -> tuple[list[str], list[str]]:
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"--corpus {path}: no such file.")
    ids: list[str] = []
    texts: list[str] = []
    with open(file, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CommandError(f"--corpus {path}:{number}: not valid JSON ({exc.msg}).") from exc
            doc_id = row.get("_id", row.get("id")) if isinstance(row, dict) else None
            if doc_id is None:
                raise CommandError(f"--corpus {path}:{number}: needs an '_id' or 'id' field.")
            try:
                text = template.format(**{k: "" if v is None else v for k, v in row.items()})
            except (KeyError, IndexError, ValueError) as exc:
                raise CommandError(
                    f"--corpus {path}:{number}: --text-template {template!r} needs field "
                    f"{exc}; the line has {sorted(row)}."
                ) from exc
            ids.append(str(doc_id))
            texts.append(text)
    if not ids:
        raise CommandError(f"--corpus {path}: no documents.")
    return ids, texts


def build_source(args: argparse.Namespace, ids: list[str], texts: list[str]) -> Any:
    """The user's store over ``--corpus``: their ``--faiss-index``, else an in-memory embedding."""
    from xrerank.mining.sources import EmbeddingSource, FaissSource

    encoder = _load_encoder(args.encoder, allow_pickle_weights=args.allow_pickle_weights)
    if args.faiss_index:
        try:
            from xrerank._optional import require

            faiss = require("faiss", purpose="--faiss-index")
            index = faiss.read_index(str(args.faiss_index))
        except ImportError as exc:
            raise CommandError(str(exc)) from exc
        except RuntimeError as exc:
            raise CommandError(f"--faiss-index {args.faiss_index}: cannot read it as a FAISS index.") from exc
        if index.ntotal != len(ids):
            raise CommandError(
                f"--faiss-index holds {index.ntotal:,} vectors but --corpus has {len(ids):,} "
                "documents; row i of the index must be line i of the corpus."
            )
        return FaissSource(
            index, texts=texts, ids=ids, query_encoder=encoder, normalize_queries=not args.raw_queries
        )
    print(f"no --faiss-index: embedding {len(ids):,} corpus documents in memory (small corpora only)")
    vectors = encoder.encode(
        texts, batch_size=64, convert_to_numpy=True, show_progress_bar=not args.no_progress
    )
    return EmbeddingSource(vectors, texts, ids=ids, query_encoder=encoder)


def _load_encoder(name: str, *, allow_pickle_weights: bool) -> Any:
    from xrerank.errors import PickleWeightsError
    from xrerank.models.loading import load_sentence_transformer

    try:
        return load_sentence_transformer(name, allow_pickle_weights=allow_pickle_weights)
    except PickleWeightsError as exc:
        raise CommandError(f"--encoder {name}: {exc}") from exc
    except Exception as exc:  # hub errors, missing directories, bad configs
        raise CommandError(
            f"--encoder {name}: cannot load a SentenceTransformer ({exc}). Pass a local "
            "model directory or a hub name reachable from this machine."
        ) from exc


def open_input(path: str, flag: str) -> Any:
    if not Path(path).is_file():
        raise CommandError(f"{flag} {path}: no such file.")
    return open(path, encoding="utf-8")


def read_jsonl_records(path: str, flag: str) -> list[dict[str, Any]]:
    rows = []
    with open_input(path, flag) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CommandError(f"{flag} {path}:{number}: not valid JSON ({exc.msg}).") from exc
            if not isinstance(row, dict):
                raise CommandError(f"{flag} {path}:{number}: expected a JSON object.")
            rows.append(row)
    return rows


def load_id_texts(path: str, flag: str, *, with_title: bool) -> dict[str, str]:
    """``{id: text}`` from a JSONL file of records with 'id' (or '_id') and 'text' (+ optional 'title')."""
    out: dict[str, str] = {}
    for number, row in enumerate(read_jsonl_records(path, flag), start=1):
        key = row.get("id", row.get("_id", row.get("query_id")))
        text = row.get("text", row.get("query"))
        if key is None or not isinstance(text, str):
            raise CommandError(f"{flag} {path}: record {number} needs 'id' (or '_id') and a string 'text'.")
        if with_title and row.get("title"):
            text = f"{row['title']} {text}"
        out[str(key)] = text
    return out


def load_run(path: str, flag: str = "--candidates") -> dict[str, dict[str, float]]:
    """A run from a TREC run file or JSONL (query_id, doc_id, score)."""
    run: dict[str, dict[str, float]] = {}
    if path.endswith(".jsonl") or path.endswith(".json"):
        for number, row in enumerate(read_jsonl_records(path, flag), start=1):
            try:
                run.setdefault(str(row["query_id"]), {})[str(row["doc_id"])] = float(row["score"])
            except (KeyError, TypeError, ValueError) as exc:
                raise CommandError(
                    f"{flag} {path}: record {number} needs query_id, doc_id and a numeric score."
                ) from exc
        return run
    with open_input(path, flag) as handle:
        for number, line in enumerate(handle, start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) != 6:
                raise CommandError(
                    f"{flag} {path}:{number}: expected 'qid Q0 docid rank score tag' (6 fields)."
                )
            try:
                run.setdefault(parts[0], {})[parts[2]] = float(parts[4])
            except ValueError as exc:
                raise CommandError(f"{flag} {path}:{number}: score {parts[4]!r} is not a number.") from exc
    return run


def load_qrels(path: str, flag: str = "--qrels") -> dict[str, dict[str, float]]:
    """Judgments from a BEIR TSV (with header) or a TREC qrels file."""
    qrels: dict[str, dict[str, float]] = {}
    with open_input(path, flag) as handle:
        reader = (
            csv.reader(handle, delimiter="\t") if path.endswith(".tsv") else (line.split() for line in handle)
        )
        for number, parts in enumerate(reader, start=1):
            if not parts:
                continue
            if len(parts) == 3:
                qid, did, grade = parts
            elif len(parts) == 4:
                qid, _, did, grade = parts
            else:
                raise CommandError(f"{flag} {path}:{number}: expected 3 (TSV) or 4 (TREC) fields.")
            try:
                value = float(grade)
            except ValueError as exc:
                if number == 1:
                    continue  # header line
                raise CommandError(f"{flag} {path}:{number}: grade {grade!r} is not a number.") from exc
            qrels.setdefault(qid, {})[did] = value
    return qrels
