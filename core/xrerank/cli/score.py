"""``xrerank score``: rank passages for a query with a cross-encoder."""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, Any

from xrerank.cli.common import (
    CommandError,
    add_config_option,
    add_no_progress,
    check_int_flag,
    existing_file,
    read_lines,
    user_errors,
)
from xrerank.cli.config_flags import add_command_option, options_from_args

# Options a --config file may set too; None leaves a tuned model's serving recipe (or the default) in charge.
_DEFAULTS: dict[str, Any] = {
    "model": None,
    "top_k": None,
    "threshold": None,
    "max_length": None,
    "long_passages": None,
    "batch_size": 32,
    "device": "auto",
    "allow_pickle_weights": False,
}


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "score",
        help="Rank passages for a query.",
        description=(
            "Rank passages for a query and print them best first. Passages come from --passage "
            "(repeatable) or from a file with one passage per line (--passages-file, '-' for stdin). "
            "Options not given fall back to --config, then to the defaults shown (none: the model's "
            "serving recipe decides, else the built-in default)."
        ),
    )
    parser.add_argument("query", help="The search text.")
    parser.add_argument("--passage", action="append", default=[], help="A passage to rank (repeatable).")
    parser.add_argument("--passages-file", help="File with one passage per line; '-' reads stdin.")
    option = _option(parser)
    option("--model", help="Hub name or local directory of the cross-encoder; none: the hub's default one.")
    option("--top-k", type=int, help="Keep only the best K.")
    option("--threshold", type=float, help="Drop passages scoring below this.")
    option("--max-length", type=int, help="Token limit per pair.")
    option(
        "--long-passages",
        choices=("truncate", "max_window"),
        help="Passages longer than --max-length: 'truncate' scores their first tokens; 'max_window' "
        "scores every sentence window and keeps the best.",
    )
    option("--batch-size", type=int, help="Pairs per forward pass.")
    option("--device", help="cpu, cuda, cuda:N, mps, or auto.")
    option(
        "--allow-pickle-weights",
        action="store_true",
        help="Also load a model whose weights are a pickle file (pytorch_model.bin): it can run code "
        "when loaded, so only for models you trust.",
    )
    parser.add_argument("--raw", action="store_true", help="Print raw logits instead of sigmoid scores.")
    parser.add_argument("--json", action="store_true", help="Print JSON lines instead of a table.")
    add_no_progress(parser)
    add_config_option(parser)
    parser.set_defaults(handler=run)


def _option(parser: argparse.ArgumentParser) -> Any:
    def add(*flags: str, **options: Any) -> None:
        add_command_option(parser, _DEFAULTS, *flags, **options)

    return add


def run(args: argparse.Namespace) -> int:
    from xrerank import DEFAULT_MODEL, ModelLoadError, Reranker
    from xrerank.models.serving_recipe import FROM_RECIPE

    option = options_from_args(args, _DEFAULTS)
    check_int_flag(option["top_k"], "--top-k", optional=True, expected="a positive number")
    check_int_flag(option["max_length"], "--max-length", optional=True, expected="a positive token count")
    check_int_flag(option["batch_size"], "--batch-size", expected="a positive number")
    passages = list(args.passage)
    if args.passages_file:
        passages.extend(_read_passages(args.passages_file))
    if not passages:
        raise CommandError("no passages given; use --passage TEXT or --passages-file FILE.")
    with user_errors(ModelLoadError, ValueError, TypeError):
        reranker = Reranker(
            option["model"] or DEFAULT_MODEL,
            # Options not given: a tuned model's serving recipe decides, else the built-in defaults.
            max_length=FROM_RECIPE if option["max_length"] is None else option["max_length"],
            long_passages=option["long_passages"] or FROM_RECIPE,
            activation=None if args.raw else FROM_RECIPE,
            device=option["device"],
            batch_size=option["batch_size"],
            show_progress_bar=not args.no_progress,
            allow_pickle_weights=bool(option["allow_pickle_weights"]),
        )
        ranked = reranker.rank(args.query, passages, top_k=option["top_k"], threshold=option["threshold"])
    for position, item in enumerate(ranked, start=1):
        if args.json:
            print(json.dumps({"rank": position, "index": item.index, "score": item.score, "text": item.text}))
        else:
            print(f"{position:>3}  {item.score:8.4f}  [{item.index}] {item.text[:100]}")
    return 0


def _read_passages(path: str) -> list[str]:
    """The non-blank lines of ``--passages-file`` (``-``: stdin), each checked to be UTF-8."""
    if path == "-":
        return _passages(sys.stdin.buffer, "<stdin>")
    with open(existing_file(path, "--passages-file"), "rb") as handle:
        return _passages(handle, path)


def _passages(handle: IO[bytes], path: str) -> list[str]:
    lines = [line.rstrip("\r\n") for _, line in read_lines(handle, path, "--passages-file") if line.strip()]
    if not lines:
        raise CommandError(f"--passages-file {path}: no passages in it; write one passage per line.")
    return lines
