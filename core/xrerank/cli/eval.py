"""``xrerank eval``: retriever vs base reranker vs fine-tuned reranker on the same candidates."""

from __future__ import annotations

import argparse
import json
from typing import Any

from xrerank.cli.common import (
    CommandError,
    add_allow_pickle_weights,
    add_config_option,
    add_long_passages,
    add_no_progress,
    check_int_flag,
    load_config_file,
    user_errors,
)
from xrerank.cli.inputs import open_input, read_eval_inputs


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
    add_no_progress(parser)
    add_config_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from xrerank import ModelLoadError, Reranker
    from xrerank.evaluation.fusion import fuse_runs
    from xrerank.evaluation.reports import compare, per_query_report
    from xrerank.evaluation.runs import rerank_run, top_k
    from xrerank.models.serving_recipe import FROM_RECIPE

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
    k = 20 if option["top_k"] is None else option["top_k"]
    check_int_flag(k, "--top-k", expected="a positive number")
    queries, documents, retrieved, qrels = read_eval_inputs(
        option["queries"], option["documents"], option["candidates"], option["qrels"]
    )
    assert qrels is not None  # --qrels is required above
    best = top_k(retrieved, k)
    candidates = {q: best[q] for q in qrels}
    runs: dict[str, dict[str, dict[str, float]]] = {"retriever": candidates}
    models = option["model"] or []
    if isinstance(models, str):
        models = [models]
    names: list[str] = []
    for position, spec in enumerate(models):
        name, sep, path = spec.partition("=")
        if not sep:
            name, path = (f"model{position + 1}", spec)
        with user_errors(ModelLoadError, KeyError, ValueError, prefix=f"--model {spec}: "):
            # Options not given: a tuned model's serving recipe decides, else the built-in defaults.
            reranker = Reranker(
                path,
                max_length=FROM_RECIPE if option["max_length"] is None else option["max_length"],
                long_passages=option["long_passages"] or FROM_RECIPE,
                cache_size=0,
                allow_pickle_weights=bool(option["allow_pickle_weights"]),
            )
            runs[name] = rerank_run(
                reranker, queries, candidates, documents, show_progress=not args.no_progress
            )
            if reranker.fusion_weight is not None:  # the recipe's fusion, as the adapters serve it
                runs[f"{name} as served"] = rerank_run(
                    reranker, queries, candidates, documents, show_progress=False, as_served=True
                )
        names.append(name)
        if option["fusion_weight"] is not None:
            with user_errors(ValueError, prefix="--fusion-weight: "):
                runs[f"{name}+fusion"] = fuse_runs(runs[name], candidates, float(option["fusion_weight"]))
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
