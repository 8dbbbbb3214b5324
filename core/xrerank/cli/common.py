"""What every command shares: the user-facing error, ``--config`` files and the common flags."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


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
