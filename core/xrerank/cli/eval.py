"""``xrerank eval``: retriever vs base reranker vs fine-tuned reranker on the same candidates."""

from __future__ import annotations

import argparse
import json
from typing import Any

from xrerank.cli.common import (
    CommandError,
    add_config_option,
    add_no_progress,
    check_int_flag,
    check_number_flag,
    output_file,
    read_text,
    user_errors,
)
from xrerank.cli.config_flags import add_command_option, options_from_args
from xrerank.cli.inputs import read_eval_inputs

# Every option a --config file may set, with its default (None: not given; the recipe decides).
_DEFAULTS: dict[str, Any] = {
    "queries": None,
    "documents": None,
    "candidates": None,
    "qrels": None,
    "model": None,
    "top_k": 20,
    "max_length": None,
    "long_passages": None,
    "fusion_weight": None,
    "topics": None,
    "seen_topics": None,
    "output": None,
    "html": None,
    "allow_pickle_weights": False,
}


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="Compare retriever, base and fine-tuned rerankers on held-out queries.",
        description=(
            "Rerank the retriever's top-k candidates of held-out queries with each model and print NDCG@10, "
            "MRR@10, Recall@k and MAP (saved as JSON with --output). Files: queries and documents as JSONL "
            "with 'id' (or '_id') and 'text' (documents may add 'title'); candidates as a TREC run "
            "(qid Q0 docid rank score tag) or JSONL with query_id, doc_id, score; qrels as TSV "
            "(query-id corpus-id score, BEIR) or TREC qrels (qid 0 docid grade). Options not given "
            "fall back to --config, then to the defaults shown."
        ),
    )

    def option(*flags: str, **options: Any) -> None:
        add_command_option(parser, _DEFAULTS, *flags, **options)

    option("--queries", help="Held-out queries, JSONL (required).")
    option("--documents", help="Documents, JSONL (required).")
    option("--candidates", help="The retriever's run, TREC or JSONL (required).")
    option("--qrels", help="Relevance judgments, TSV or TREC (required).")
    option(
        "--model",
        action="append",
        metavar="[NAME=]PATH",
        help="A reranker to evaluate (repeatable), e.g. base=cross-encoder/... tuned=./out.",
    )
    option("--top-k", type=int, help="Rerank the retriever's best K.")
    option("--max-length", type=int, help="Token limit per pair; none: the model's recipe.")
    option(
        "--long-passages",
        choices=("truncate", "max_window"),
        help="Passages longer than --max-length: 'truncate' or 'max_window'; none: the model's recipe.",
    )
    option(
        "--fusion-weight",
        type=float,
        help="Also report w*z(reranker)+(1-w)*z(retriever); choose w on training data, not here.",
    )
    parser.add_argument(
        "--report",
        action="store_true",
        help="Print the per-query report (first model = base, last = fine-tuned).",
    )
    option("--topics", help="JSON file {query_id: topic} to split the report into seen/unseen.")
    option("--seen-topics", help="Comma-separated topics present in the training data.")
    option("--output", "-o", help="Write the metrics table and per-query values as JSON here.")
    option(
        "--html",
        metavar="FILE",
        help="Also write a self-contained HTML page: metrics, a plot of NDCG@10 per system and, per query, "
        "the retriever's and the last model's top results, marking first places fixed or broken.",
    )
    option(
        "--allow-pickle-weights",
        action="store_true",
        help="Also load models whose weights are pickle files (pytorch_model.bin): they can run code "
        "when loaded, so only for models you trust.",
    )
    parser.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="Score in this process, or spread the queries over Ray Data actors (xrerank[ray]; same scores).",
    )
    add_no_progress(parser)
    add_config_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from xrerank import ModelLoadError, Reranker
    from xrerank.evaluation.fusion import fuse_runs
    from xrerank.evaluation.html_report import write_html_report
    from xrerank.evaluation.reports import compare, per_query_report
    from xrerank.evaluation.runs import top_k
    from xrerank.models.serving_recipe import FROM_RECIPE

    option = options_from_args(args, _DEFAULTS)
    for name in ("queries", "documents", "candidates", "qrels"):
        if not option[name]:
            raise CommandError(f"--{name} is required (or set '{name}' in --config).")
    k = option["top_k"]
    check_int_flag(k, "--top-k", expected="a positive number")
    check_int_flag(option["max_length"], "--max-length", optional=True, expected="a positive token count")
    weight = option["fusion_weight"]
    check_number_flag(weight, "--fusion-weight", minimum=0, maximum=1, expected="a number in [0, 1]")
    output = output_file(option["output"], "--output")  # checked before minutes of scoring
    html_page = output_file(option["html"], "--html")
    if option["topics"] and not option["seen_topics"]:
        # Without them every query would count as an unseen topic.
        raise CommandError(
            "--topics splits the report into seen and unseen topics; pass --seen-topics too "
            "(comma-separated topics present in the training data)."
        )
    topics = _read_topics(option["topics"]) if args.report else None
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
    score_run = _rerank_function(args.engine)
    for position, spec in enumerate(models):
        name, sep, path = spec.partition("=")
        if not sep:
            name, path = (f"model{position + 1}", spec)
        with user_errors(ModelLoadError, KeyError, ValueError, prefix=f"--model {spec}: "):
            # Options not given: a tuned model's serving recipe decides, else the built-in defaults.
            reranker = _remote_or_local(path, option) or Reranker(
                path,
                max_length=FROM_RECIPE if option["max_length"] is None else option["max_length"],
                long_passages=option["long_passages"] or FROM_RECIPE,
                cache_size=0,
                allow_pickle_weights=bool(option["allow_pickle_weights"]),
            )
            runs[name] = score_run(
                reranker, queries, candidates, documents, show_progress=not args.no_progress
            )
            if reranker.fusion_weight is not None:  # the recipe's fusion, as the adapters serve it
                runs[f"{name} as served"] = score_run(
                    reranker, queries, candidates, documents, show_progress=False, as_served=True
                )
        names.append(name)
        if weight is not None:
            runs[f"{name}+fusion"] = fuse_runs(runs[name], candidates, float(weight))
    metrics = ("ndcg@10", "mrr@10", f"recall@{min(k, 10)}", f"recall@{k}", "map")
    comparison = compare(runs, qrels, list(dict.fromkeys(metrics)))
    print(f"{len(qrels)} queries, reranking the retriever's top-{k}.\n")
    print(comparison.table(baseline="retriever"))
    if args.report and len(names) >= 2:
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
                seen_topics=seen_list if topics else None,
            )
        )
    if output is not None:
        print(f"\nSaved {comparison.save_json(output)}")
    if html_page is not None:
        print(f"Saved {write_html_report(html_page, runs, qrels, queries, documents, title='xrerank eval')}")
    return 0


def _remote_or_local(path: str, option: dict[str, Any]) -> Any:
    """The reranker a ``remote:URL`` spec names (its server serves its recipe), else None."""
    from xrerank.scoring.protocol import reranker_from_spec, spec_kind

    if spec_kind(path)[0] != "remote":
        return None
    if option["max_length"] is not None or option["long_passages"]:
        raise CommandError(
            f"--model {path}: the server decides how it serves; drop --max-length/--long-passages."
        )
    return reranker_from_spec(path)


def _rerank_function(engine: str) -> Any:
    """``rerank_run`` in this process, or its Ray Data twin (same scores) for ``--engine ray``."""
    if engine == "ray":
        from xrerank._optional import require

        with user_errors(ImportError):
            require("ray", purpose="--engine ray")
        from xrerank.distributed.ray_scoring import rerank_run_on_ray

        return rerank_run_on_ray
    from xrerank.evaluation.runs import rerank_run

    return rerank_run


def _read_topics(path: str | None) -> dict[str, str] | None:
    """``{query_id: topic}`` from the ``--topics`` JSON file, or a one-line error naming it."""
    if path is None:
        return None
    try:
        data = json.loads(read_text(path, "--topics"))
    except json.JSONDecodeError as exc:
        raise CommandError(f"--topics {path}:{exc.lineno}: not valid JSON ({exc.msg}).") from None
    if not isinstance(data, dict):
        raise CommandError(
            f"--topics {path}: expected a JSON object {{query_id: topic}}, got {type(data).__name__}."
        )
    return {str(q): str(t) for q, t in data.items()}
