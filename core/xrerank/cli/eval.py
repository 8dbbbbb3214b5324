"""``xrerank eval``: retriever vs base reranker vs fine-tuned reranker on the same candidates."""

from __future__ import annotations

import argparse
import json
from typing import Any

from xrerank.cli.common import CommandError, add_allow_pickle_weights, add_long_passages, load_config_file
from xrerank.cli.inputs import load_id_texts, load_qrels, load_run, open_input


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="Compare retriever, base and fine-tuned rerankers on held-out queries.",
        description=(
            "Rerank the retriever's top-k candidates of held-out queries with each model and print NDCG@10, "
            "MRR@10, Recall@k and MAP (saved as JSON with --out). Files: queries and documents as JSONL "
            "with 'id' (or '_id') and 'text' (documents may add 'title'); candidates as a TREC run "
            "(qid Q0 docid rank score tag) or JSONL with query_id, doc_id, score; qrels as TSV "
            "(query-id corpus-id score, BEIR) or TREC qrels (qid 0 docid grade)."
        ),
    )
    parser.add_argument("--queries", help="Held-out queries, JSONL.")
    parser.add_argument("--documents", help="Documents, JSONL.")
    parser.add_argument("--candidates", help="The retriever's run (TREC or JSONL).")
    parser.add_argument("--qrels", help="Relevance judgments (TSV or TREC).")
    parser.add_argument(
        "--model",
        action="append",
        default=None,
        metavar="[NAME=]PATH",
        help="A reranker to evaluate (repeatable), e.g. base=cross-encoder/... tuned=./out.",
    )
    parser.add_argument("--top-k", type=int, default=None, help="Rerank the retriever's best K (default 20).")
    parser.add_argument("--max-length", type=int, default=None, help="Token limit per pair.")
    add_long_passages(parser)
    parser.add_argument(
        "--fusion-weight",
        type=float,
        default=None,
        help="Also report w*z(reranker)+(1-w)*z(retriever); choose w on training data, not here.",
    )
    parser.add_argument(
        "--report",
        action="store_true",
        help="Print the per-query report (first model = base, last = fine-tuned).",
    )
    parser.add_argument("--topics", help="JSON file {query_id: topic} to split the report into seen/unseen.")
    parser.add_argument("--seen-topics", help="Comma-separated topics present in the training data.")
    parser.add_argument("--out", help="Write the metrics table and per-query values as JSON here.")
    add_allow_pickle_weights(parser, default=None)
    parser.add_argument("--no-progress", action="store_true", help="Hide progress bars.")
    parser.add_argument("--config", help="JSON/YAML file with defaults for these options.")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from xrerank import ModelLoadError, Reranker
    from xrerank.evaluation.evaluate import compare, fuse_runs, per_query_report, rerank_run, top_k

    config = load_config_file(args.config)
    option: dict[str, Any] = {
        name: getattr(args, name) if getattr(args, name) is not None else config.get(name)
        for name in (
            "queries",
            "documents",
            "candidates",
            "qrels",
            "model",
            "top_k",
            "max_length",
            "long_passages",
            "fusion_weight",
            "topics",
            "seen_topics",
            "out",
            "allow_pickle_weights",
        )
    }
    for name in ("queries", "documents", "candidates", "qrels"):
        if not option[name]:
            raise CommandError(f"--{name} is required (or set '{name}' in --config).")
    queries = load_id_texts(option["queries"], "--queries", with_title=False)
    documents = load_id_texts(option["documents"], "--documents", with_title=True)
    k = option["top_k"] or 20
    if k < 1:
        raise CommandError(f"--top-k {k}: expected a positive number.")
    candidates = top_k(load_run(option["candidates"]), k)
    qrels = {q: g for q, g in load_qrels(option["qrels"]).items() if q in candidates}
    missing = [q for q in candidates if q not in queries]
    if missing:
        raise CommandError(f"--candidates has query {missing[0]!r}, which is not in --queries.")
    if not qrels:
        raise CommandError("no query of --candidates has judgments in --qrels; check that the ids match.")
    candidates = {q: candidates[q] for q in qrels}
    runs: dict[str, dict[str, dict[str, float]]] = {"retriever": candidates}
    models = option["model"] or []
    if isinstance(models, str):
        models = [models]
    names: list[str] = []
    for position, spec in enumerate(models):
        name, sep, path = spec.partition("=")
        if not sep:
            name, path = (f"model{position + 1}", spec)
        try:
            reranker = Reranker(
                path,
                max_length=option["max_length"],
                long_passages=option["long_passages"] or "truncate",
                cache_size=0,
                allow_pickle_weights=bool(option["allow_pickle_weights"]),
            )
            runs[name] = rerank_run(
                reranker, queries, candidates, documents, show_progress=not args.no_progress
            )
        except (ModelLoadError, KeyError, ValueError) as exc:
            raise CommandError(f"--model {spec}: {exc}") from exc
        names.append(name)
        if option["fusion_weight"] is not None:
            try:
                runs[f"{name}+fusion"] = fuse_runs(runs[name], candidates, float(option["fusion_weight"]))
            except ValueError as exc:
                raise CommandError(f"--fusion-weight: {exc}") from exc
    metrics = ("ndcg@10", "mrr@10", f"recall@{min(k, 10)}", f"recall@{k}", "map")
    comparison = compare(runs, qrels, list(dict.fromkeys(metrics)))
    print(f"{len(qrels)} queries, reranking the retriever's top-{k}.\n")
    print(comparison.table(baseline="retriever"))
    if args.report and len(names) >= 2:
        topics = None
        if option["topics"]:
            with open_input(option["topics"], "--topics") as handle:
                topics = {str(q): str(t) for q, t in json.load(handle).items()}
        seen = option["seen_topics"]
        seen_list = seen.split(",") if isinstance(seen, str) else list(seen or [])
        print()
        print(
            per_query_report(
                runs,
                qrels,
                queries,
                base=names[0],
                tuned=names[-1],
                retriever="retriever",
                topics=topics,
                seen_topics=seen_list,
            )
        )
    if option["out"]:
        print(f"\nSaved {comparison.save_json(option['out'])}")
    return 0
