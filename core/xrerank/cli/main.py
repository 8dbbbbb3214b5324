"""The ``xrerank`` command line: ``xrerank <command> --help`` for each command.

Each command lives in ``xrerank/cli/<name>.py`` and exposes ``add_parser(subparsers)``
(registers its arguments, sets ``handler``); the handler returns the process exit code.
Commands never import each other: what two commands share lives in ``common`` and
``inputs``. The CLI prints; the library only logs.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from xrerank.cli.common import CommandError, CommandParser, HelpFormatter, loading_bars

# Order shown in --help.
COMMANDS = (
    "demo",
    "tune",
    "score",
    "mine",
    "cold-start",
    "train",
    "eval",
    "compare",
    "export",
    "distill-reranker",
    "serve",
)

EXIT_FAILURE = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    from xrerank import __version__

    parser = argparse.ArgumentParser(
        prog="xrerank",
        description="Cross-encoder reranking for RAG: score, mine hard negatives, fine-tune, evaluate.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="More log output (-vv for debug).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    # Every command's parser shows its defaults in --help (CommandParser's formatter).
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)
    for name in COMMANDS:
        importlib.import_module(f"xrerank.cli.{name.replace('-', '_')}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``xrerank`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    # --no-progress (or train/tune's show_progress off) also hides the weight-loading bars.
    shown = not getattr(args, "no_progress", False) and getattr(args, "show_progress", True) is not False
    try:
        with loading_bars(shown):
            return int(args.handler(args))
    except CommandError as exc:
        print(f"xrerank {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"xrerank {args.command}: interrupted", file=sys.stderr)
        return 130
