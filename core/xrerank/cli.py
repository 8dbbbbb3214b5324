"""The ``xrerank`` command line: ``xrerank <command> --help`` for each command.

Each command lives in ``xrerank/commands/<name>.py`` and exposes
``add_parser(subparsers)`` (registers its arguments, sets ``handler``) and is run
through that handler, which returns the process exit code. The CLI prints; the
library only logs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Order shown in --help.
COMMANDS = ("demo", "score", "mine", "cold-start", "train", "eval", "compare", "export")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class CommandError(Exception):
    """A failure the user can fix; printed without a traceback, exit code 1."""


def load_config_file(path: str | None) -> dict[str, Any]:
    """Read a ``--config`` file (JSON, or YAML when PyYAML is installed) into a dict."""
    if path is None:
        return {}
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"--config {path}: no such file.")
    text = file.read_text(encoding="utf-8")
    if file.suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError as exc:
            raise CommandError(f"--config {path} is YAML; install PyYAML or use a .json file.") from exc
        data = yaml.safe_load(text)
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(f"--config {path}: not valid JSON ({exc}).") from exc
    if not isinstance(data, dict):
        raise CommandError(f"--config {path}: expected a mapping of option names to values.")
    return data


def add_allow_pickle_weights(
    parser: argparse.ArgumentParser, *, models: str = "models", default: bool | None = False
) -> None:
    """The shared ``--allow-pickle-weights`` flag (``default=None`` lets a --config file set it)."""
    parser.add_argument(
        "--allow-pickle-weights",
        action="store_true",
        default=default,
        help=f"Also load {models} whose weights are pickle files (pytorch_model.bin): "
        "they can run code when loaded, so only for models you trust. Off by default.",
    )


def add_long_passages(parser: argparse.ArgumentParser) -> None:
    """The shared ``--long-passages`` option (default None, so a --config file can set it)."""
    parser.add_argument(
        "--long-passages",
        choices=("truncate", "max_window"),
        default=None,
        help="Passages longer than --max-length: 'truncate' scores their first tokens (default); "
        "'max_window' scores every sentence window and keeps the best (one forward pass per window).",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xrerank",
        description="Cross-encoder reranking for RAG: score, mine hard negatives, fine-tune, evaluate.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="More log output (-vv for debug).")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"xrerank.commands.{name.replace('-', '_')}").add_parser(subparsers)
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
    try:
        return int(args.handler(args))
    except CommandError as exc:
        print(f"xrerank {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"xrerank {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
