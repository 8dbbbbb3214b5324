"""Input readers shared by the commands: corpus, id/text files, runs, judgments and the user's store.

Every reader turns a bad file into a :class:`CommandError` that names the flag, the file and
the line, so commands never print a traceback for a user's file.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Iterator
from typing import Any

from xrerank.cli.common import CommandError, existing_file, read_lines, user_errors
from xrerank.jsonl import read_jsonl

# {query_id: {doc_id: score or grade}}: a retriever's run, or relevance judgments.
Run = dict[str, dict[str, float]]


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that name the user's store; :func:`build_source` reads them."""
    parser.add_argument("--corpus", required=True, help="JSONL of documents: _id or id, text (+ any fields).")
    parser.add_argument("--faiss-index", help="FAISS index file whose row i is line i of --corpus.")
    parser.add_argument("--encoder", required=True, help="SentenceTransformer that embedded the corpus.")
    parser.add_argument(
        "--raw-queries", action="store_true", help="Do not L2-normalise query vectors (index not cosine)."
    )


def read_corpus(path: str, template: str) -> tuple[list[str], list[str]]:
    """Ids and passage texts (``template`` filled from each line's fields) of a ``--corpus`` JSONL."""
    rows = read_jsonl(existing_file(path, "--corpus"))
    ids: list[str] = []
    texts: list[str] = []
    first_line: dict[str, int] = {}
    with user_errors(ValueError, prefix="--corpus "):  # a bad line, named by read_jsonl as path:line
        for number, row in rows:
            doc_id = row.get("_id", row.get("id"))
            if doc_id is None or isinstance(doc_id, (dict, list)):
                raise CommandError(f"--corpus {path}:{number}: needs an '_id' or 'id' field (a string).")
            if str(doc_id) in first_line:
                # A duplicate would give a query the wrong passage as its positive: refuse it.
                raise CommandError(
                    f"--corpus {path}:{number}: id {str(doc_id)!r} is already used on line "
                    f"{first_line[str(doc_id)]}; every document needs its own id."
                )
            first_line[str(doc_id)] = number
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
        from xrerank._optional import require

        with user_errors(ImportError):
            faiss = require("faiss", purpose="--faiss-index")
        try:
            index = faiss.read_index(str(args.faiss_index))
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
    from xrerank.errors import ModelLoadError
    from xrerank.models.loading import load_sentence_transformer

    # models.loading words every load failure (pickle weights included); the CLI names the flag.
    with user_errors(ModelLoadError, prefix=f"--encoder {name}: "):
        encoder = load_sentence_transformer(name, allow_pickle_weights=allow_pickle_weights)
    return encoder


def input_lines(path: str, flag: str) -> Iterator[tuple[int, str]]:
    """``(line_number, text)`` of each line of a UTF-8 file; errors name ``flag``, the file and the line."""
    with open(existing_file(path, flag), "rb") as handle:
        yield from read_lines(handle, path, flag)


def read_jsonl_records(path: str, flag: str) -> list[tuple[int, dict[str, Any]]]:
    """``(line_number, record)`` of a JSONL file; a bad line raises a :class:`CommandError` naming it."""
    existing_file(path, flag)
    with user_errors(ValueError, prefix=f"{flag} "):  # read_jsonl names the file and line
        return list(read_jsonl(path))


def load_id_texts(path: str, flag: str, *, with_title: bool) -> dict[str, str]:
    """``{id: text}`` from a JSONL file of records with 'id' (or '_id') and 'text' (+ optional 'title').

    An id used twice is refused, naming both lines: the second text would silently replace the first.
    """
    out: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for number, row in read_jsonl_records(path, flag):
        key = row.get("id", row.get("_id", row.get("query_id")))
        text = row.get("text", row.get("query"))
        if key is None or isinstance(key, (dict, list)) or not isinstance(text, str):
            raise CommandError(f"{flag} {path}:{number}: needs 'id' (or '_id') and a string 'text'.")
        if str(key) in first_line:
            raise CommandError(
                f"{flag} {path}:{number}: id {str(key)!r} is already used on line {first_line[str(key)]}; "
                "every record needs its own id."
            )
        first_line[str(key)] = number
        if with_title and row.get("title"):
            text = f"{row['title']} {text}"
        out[str(key)] = text
    if not out:
        raise CommandError(f"{flag} {path}: no records in it; expected one JSON object per line.")
    return out


def load_run(path: str, flag: str = "--candidates") -> Run:
    """A run from a TREC run file or JSONL (query_id, doc_id, score)."""
    run: Run = {}
    if path.endswith(".jsonl") or path.endswith(".json"):
        for number, row in read_jsonl_records(path, flag):
            try:
                run.setdefault(str(row["query_id"]), {})[str(row["doc_id"])] = float(row["score"])
            except (KeyError, TypeError, ValueError) as exc:
                raise CommandError(
                    f"{flag} {path}:{number}: needs query_id, doc_id and a numeric score."
                ) from exc
        return run
    for number, line in input_lines(path, flag):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 6:
            raise CommandError(f"{flag} {path}:{number}: expected 'qid Q0 docid rank score tag' (6 fields).")
        try:
            run.setdefault(parts[0], {})[parts[2]] = float(parts[4])
        except ValueError as exc:
            raise CommandError(f"{flag} {path}:{number}: score {parts[4]!r} is not a number.") from exc
    return run


def load_qrels(path: str, flag: str = "--qrels") -> Run:
    """Judgments from a BEIR TSV (with header) or a TREC qrels file."""
    qrels: Run = {}
    lines = (line for _, line in input_lines(path, flag))
    reader = csv.reader(lines, delimiter="\t") if path.endswith(".tsv") else (line.split() for line in lines)
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


def read_eval_inputs(
    queries: str, documents: str, candidates: str, qrels: str | None
) -> tuple[dict[str, str], dict[str, str], Run, Run | None]:
    """The ``--queries``, ``--documents``, ``--candidates`` and ``--qrels`` files, checked against each other.

    Every candidate's query must be in the queries and its document in the documents; the
    judgments (when given) are kept for the candidates' queries and must cover at least one.
    """
    query_texts = load_id_texts(queries, "--queries", with_title=False)
    document_texts = load_id_texts(documents, "--documents", with_title=True)
    run = load_run(candidates)
    if not run:
        raise CommandError(f"--candidates {candidates}: no candidates in it.")
    unknown_query = next((q for q in run if q not in query_texts), None)
    if unknown_query is not None:
        raise CommandError(f"--candidates has query {unknown_query!r}, which is not in --queries.")
    unknown_doc = next(((q, d) for q, docs in run.items() for d in docs if d not in document_texts), None)
    if unknown_doc is not None:
        raise CommandError(
            f"--candidates lists document {unknown_doc[1]!r} for query {unknown_doc[0]!r}, which is not "
            "in --documents; check that both files come from the same corpus."
        )
    if qrels is None:
        return query_texts, document_texts, run, None
    judged = {q: grades for q, grades in load_qrels(qrels).items() if q in run}
    if not judged:
        raise CommandError("no query of --candidates has judgments in --qrels; check that the ids match.")
    return query_texts, document_texts, run, judged


def read_corpus_field(corpus: str, name: str, *, needed_by: str) -> dict[str, str]:
    """``{doc_id: the line's <name> field}`` of every --corpus line; ``needed_by`` names who asks."""
    try:
        ids, values = read_corpus(corpus, "{" + name + "}")
    except CommandError as exc:
        raise CommandError(f"{needed_by} needs '{name}' on every --corpus line: {exc}") from None
    return dict(zip(ids, values, strict=True))
