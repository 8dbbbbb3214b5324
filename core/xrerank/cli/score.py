"""``xrerank score``: rank passages for a query with a cross-encoder."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from xrerank.cli.common import (
    CommandError,
    add_allow_pickle_weights,
    add_config_option,
    add_long_passages,
    load_config_file,
    user_errors,
)


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "score",
        help="Rank passages for a query.",
        description=(
            "Rank passages for a query and print them best first. Passages come from --passage "
            "(repeatable) or from a file with one passage per line (--passages-file, '-' for stdin)."
        ),
    )
    parser.add_argument("query", help="The search text.")
    parser.add_argument("--model", default=None, help="Hub name or local directory of the cross-encoder.")
    parser.add_argument("--passage", action="append", default=[], help="A passage to rank (repeatable).")
    parser.add_argument("--passages-file", help="File with one passage per line; '-' reads stdin.")
    parser.add_argument("--top-k", type=int, default=None, help="Keep only the best K.")
    parser.add_argument("--threshold", type=float, default=None, help="Drop passages scoring below this.")
    parser.add_argument("--max-length", type=int, default=None, help="Token limit per pair.")
    add_long_passages(parser)
    parser.add_argument("--raw", action="store_true", help="Print raw logits instead of sigmoid scores.")
    parser.add_argument("--json", action="store_true", help="Print JSON lines instead of a table.")
    add_allow_pickle_weights(parser)
    add_config_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from xrerank import DEFAULT_MODEL, ModelLoadError, Reranker
    from xrerank.models.serving_recipe import FROM_RECIPE

    config = load_config_file(args.config)
    passages = list(args.passage)
    if args.passages_file:
        handle = sys.stdin if args.passages_file == "-" else _open(args.passages_file)
        with handle:
            passages.extend(line.rstrip("\n") for line in handle if line.strip())
    if not passages:
        raise CommandError("no passages given; use --passage TEXT or --passages-file FILE.")
    with user_errors(ModelLoadError, ValueError, TypeError):
        reranker = Reranker(
            args.model or config.get("model", DEFAULT_MODEL),
            # Options not given: a tuned model's serving recipe decides, else the built-in defaults.
            max_length=args.max_length or config.get("max_length", FROM_RECIPE),
            long_passages=args.long_passages or config.get("long_passages", FROM_RECIPE),
            activation=None if args.raw else FROM_RECIPE,
            allow_pickle_weights=args.allow_pickle_weights,
        )
        ranked = reranker.rank(args.query, passages, top_k=args.top_k, threshold=args.threshold)
    for position, item in enumerate(ranked, start=1):
        if args.json:
            print(json.dumps({"rank": position, "index": item.index, "score": item.score, "text": item.text}))
        else:
            print(f"{position:>3}  {item.score:8.4f}  [{item.index}] {item.text[:100]}")
    return 0


def _open(path: str) -> Any:
    try:
        return open(path, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"--passages-file {path}: {exc.strerror}.") from exc
