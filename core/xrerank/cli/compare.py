"""``xrerank compare``: several rerankers on the same candidates, speed against quality."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from xrerank.cli.common import (
    CommandError,
    add_config_option,
    add_no_progress,
    check_int_flag,
    output_file,
    user_errors,
)
from xrerank.cli.config_flags import add_command_option, options_from_args
from xrerank.cli.inputs import Run, load_id_texts, load_qrels, read_eval_inputs

_NAME_WIDTH = 40
# Every option a --config file may set, with its default.
_DEFAULTS: dict[str, Any] = {
    "queries": None,
    "documents": None,
    "candidates": None,
    "qrels": None,
    "beir": None,
    "split": "test",
    "top_k": 20,
    "max_queries": None,
    "max_length": None,
    "batch_size": None,
    "device": "auto",
    "output": None,
    "plot": None,
    "allow_pickle_weights": False,
}


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="Compare rerankers' speed, agreement and NDCG@10 on the same candidates.",
        description=(
            "Score the same queries' candidate lists with each MODEL and print one table: pairs/s, "
            "mean latency per query, agreement with the first model (per-query Kendall tau and top-5 "
            "overlap, averaged) and NDCG@10 when relevance labels are given. MODEL is a cross-encoder "
            "(hub name or directory) or late:PATH for a late interaction (ColBERT-style) reranker on "
            "the encoder at PATH, optionally named NAME=MODEL. Input: the files `xrerank eval` takes "
            "(--queries, --documents, --candidates, optional --qrels) or a BEIR folder (--beir DIR "
            "--split SPLIT), whose candidates are the BM25 top-k."
        ),
    )
    parser.add_argument("models", nargs="+", metavar="MODEL", help="[NAME=]PATH or [NAME=]late:PATH.")

    def option(*flags: str, **options: Any) -> None:
        add_command_option(parser, _DEFAULTS, *flags, **options)

    option("--queries", help="Queries, JSONL with 'id' (or '_id') and 'text'.")
    option("--documents", help="Documents, JSONL with 'id' (or '_id'), 'text', 'title'.")
    option("--candidates", help="The retriever's run: TREC run file or JSONL.")
    option("--qrels", help="Relevance judgments (TSV or TREC); enables NDCG@10.")
    option("--beir", metavar="DIR", help="A BEIR folder (corpus.jsonl, queries, qrels/).")
    option("--split", help="BEIR qrels split of the queries.")
    option("--top-k", type=int, help="Candidates per query.")
    option("--max-queries", type=int, help="Use only the first N queries.")
    option("--max-length", type=int, help="Token limit per text or pair.")
    option("--batch-size", type=int, help="Pairs (or texts) per forward pass; none: each reranker's own.")
    option("--device", help="cpu, cuda, cuda:N, mps, or auto.")
    option("--output", "-o", help="Save the comparison as JSON here.")
    option("--plot", metavar="PATH", help="Save a PNG of NDCG@10 (or tau) against pairs/s.")
    option(
        "--allow-pickle-weights",
        action="store_true",
        help="Also load models whose weights are pickle files (pytorch_model.bin): they can run code "
        "when loaded, so only for models you trust.",
    )
    add_no_progress(parser)
    add_config_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from xrerank import ModelLoadError
    from xrerank.evaluation.comparison import compare_rerankers
    from xrerank.evaluation.metrics import evaluate_run
    from xrerank.evaluation.runs import top_k

    vars(args).update(options_from_args(args, _DEFAULTS))
    check_int_flag(args.top_k, "--top-k", expected="a positive number")
    check_int_flag(args.max_queries, "--max-queries", optional=True, expected="a positive number")
    check_int_flag(args.max_length, "--max-length", optional=True, expected="a positive token count")
    check_int_flag(args.batch_size, "--batch-size", optional=True, expected="a positive number")
    output_file(args.output, "--output")  # checked before minutes of scoring
    output_file(args.plot, "--plot")
    specs = _named_specs(args.models)
    queries, documents, candidates, qrels = _load_inputs(args)
    candidates = top_k(candidates, args.top_k)
    if args.max_queries is not None:
        candidates = dict(list(candidates.items())[: args.max_queries])
    if qrels is not None:
        qrels = {q: grades for q, grades in qrels.items() if q in candidates}
    if args.plot:
        from xrerank._optional import require

        with user_errors(ImportError):  # fail before minutes of scoring, not after
            require("matplotlib", purpose="xrerank compare --plot")

    rerankers = {}
    for name, spec in specs.items():
        with user_errors(ModelLoadError, ValueError, TypeError, OSError, prefix=f"model {spec!r}: "):
            rerankers[name] = _build(spec, args).load()  # every model loads before any is timed
    try:
        comparison = compare_rerankers(
            rerankers, queries, candidates, documents, qrels, show_progress=not args.no_progress
        )
    except (KeyError, ValueError) as exc:
        raise CommandError(str(exc).strip("'\"")) from exc  # a KeyError's str() is quoted
    if comparison.results[0].ndcg_at_10 is not None:
        assert qrels is not None
        retriever = evaluate_run(candidates, qrels, ["ndcg@10"])["ndcg@10"]
        comparison.notes.append(f"The candidates in their retriever's order: NDCG@10 {retriever:.3f}.")
    if any(spec.startswith("late:") for spec in specs.values()):
        comparison.notes.append(
            "late: rows cache passage token vectors, so a passage shared by several queries is encoded once."
        )
    print(comparison.table())
    if args.output:
        print(f"\nSaved {comparison.save_json(args.output)}")
    if args.plot:
        print(f"Saved {comparison.save_plot(args.plot)}")
    return 0


def _named_specs(models: list[str]) -> dict[str, str]:
    """``{name: spec}`` from ``[NAME=]SPEC`` arguments; names must be unique."""
    from xrerank.scoring.protocol import spec_kind

    named: dict[str, str] = {}
    for argument in models:
        name, sep, spec = argument.partition("=")
        if not sep or name.startswith("late:"):
            name, spec = _short_name(argument), argument
        if not name or not spec:
            raise CommandError(f"model {argument!r}: expected [NAME=]PATH or [NAME=]late:PATH.")
        try:
            spec_kind(spec)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if name in named:
            raise CommandError(
                f"two models are named {name!r}; name them apart, e.g. base={named[name]} other={spec}."
            )
        named[name] = spec
    return named


def _short_name(spec: str) -> str:
    """The spec itself, or its end when long; a ``late:`` prefix is always kept."""
    if len(spec) <= _NAME_WIDTH:
        return spec
    prefix = "late:" if spec.startswith("late:") else ""
    return prefix + "…" + spec[-(_NAME_WIDTH - len(prefix) - 1) :]


def _build(spec: str, args: argparse.Namespace) -> Any:
    from xrerank.scoring.protocol import reranker_from_spec

    options: dict[str, Any] = {
        "device": args.device,
        "max_length": args.max_length,
        "allow_pickle_weights": bool(args.allow_pickle_weights),
    }
    if args.batch_size is not None:
        options["batch_size"] = args.batch_size
    if not spec.startswith("late:"):
        options["cache_size"] = 0  # every pair is new; a cache would only add lookups
    return reranker_from_spec(spec, **options)


def _load_inputs(args: argparse.Namespace) -> tuple[dict[str, str], dict[str, str], Run, Run | None]:
    files = {name: getattr(args, name) for name in ("queries", "documents", "candidates", "qrels")}
    if args.beir and any(files.values()):
        raise CommandError("give either --beir DIR or --queries/--documents/--candidates files, not both.")
    if args.beir:
        return _load_beir(Path(args.beir), args.split, args.top_k, args.max_queries)
    missing = [name for name in ("queries", "documents", "candidates") if not files[name]]
    if missing:
        raise CommandError(
            f"--{missing[0]} is required (or use --beir DIR); compare needs queries, documents and "
            "the retriever's candidates for them."
        )
    return read_eval_inputs(files["queries"], files["documents"], files["candidates"], files["qrels"])


def _load_beir(
    folder: Path, split: str, k: int, max_queries: int | None
) -> tuple[dict[str, str], dict[str, str], Run, Run]:
    """The first ``max_queries`` judged in ``split``, the corpus, BM25 top-``k`` candidates, qrels."""
    from xrerank._optional import require
    from xrerank.mining.bm25 import BM25Source

    corpus_file = folder / "corpus.jsonl"
    if not corpus_file.is_file():
        raise CommandError(f"--beir {folder}: no corpus.jsonl there; expected a BEIR-format folder.")
    qrels_file = folder / "qrels" / f"{split}.tsv"
    if not qrels_file.is_file():
        splits = sorted(p.stem for p in (folder / "qrels").glob("*.tsv"))
        raise CommandError(
            f"--split {split}: {qrels_file} does not exist; splits in this folder: "
            f"{', '.join(splits) or 'none'}."
        )
    queries_file = next(
        (p for p in (folder / f"queries-{split}.jsonl", folder / "queries.jsonl") if p.is_file()), None
    )
    if queries_file is None:
        raise CommandError(f"--beir {folder}: no queries.jsonl (or queries-{split}.jsonl) there.")
    with user_errors(ImportError):
        require("bm25s", purpose="xrerank compare --beir (BM25 candidates)")
    documents = load_id_texts(str(corpus_file), "--beir corpus", with_title=True)
    all_queries = load_id_texts(str(queries_file), "--beir queries", with_title=False)
    qrels = load_qrels(str(qrels_file), "--beir qrels")
    queries = {q: text for q, text in all_queries.items() if q in qrels}
    if max_queries is not None:
        queries = dict(list(queries.items())[:max_queries])
    if not queries:
        raise CommandError(f"--beir {folder}: no query of {queries_file.name} has judgments in {qrels_file}.")
    ids = list(documents)
    source = BM25Source([documents[d] for d in ids], ids=ids)
    hits = source.search_batch(list(queries.values()), k)
    candidates = {
        qid: {str(c.id): float(c.score or 0.0) for c in found}
        for qid, found in zip(queries, hits, strict=True)
        if found
    }
    return queries, documents, candidates, {q: qrels[q] for q in candidates}
