"""What every command shares: the user-facing error, ``--config`` files, input checks and common flags."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from xrerank.validation import check_int


class CommandError(Exception):
    """A failure the user can fix; printed without a traceback, exit code 1."""


@contextmanager
def user_errors(*errors: type[Exception], prefix: str = "") -> Iterator[None]:
    """Turn the given library errors into a one-line :class:`CommandError` (``prefix`` + message).

    Example:
        >>> with user_errors(ValueError, prefix="--epochs: "):
        ...     float("many")
        Traceback (most recent call last):
        ...
        xrerank.cli.common.CommandError: --epochs: could not convert string to float: 'many'
    """
    try:
        yield
    except errors as exc:
        raise CommandError(f"{prefix}{exc}") from exc


def existing_file(path: str | Path, flag: str) -> Path:
    """``path`` as a Path, or a :class:`CommandError` naming ``flag`` when no such file exists."""
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"{flag} {path}: no such file.")
    return file


def check_int_flag(
    value: int | None, flag: str, *, minimum: int = 1, optional: bool = False, expected: str | None = None
) -> None:
    """Raise a CommandError unless :func:`~xrerank.validation.check_int` accepts an int option's value.

    The message names the flag as the user typed it: ``--top-k 0: expected a positive number.``

    Example:
        >>> check_int_flag(0, "--top-k", expected="a positive number")
        Traceback (most recent call last):
        ...
        xrerank.cli.common.CommandError: --top-k 0: expected a positive number.
    """
    try:
        check_int(value, caller="xrerank", name=flag, minimum=minimum, optional=optional)
    except ValueError:
        raise CommandError(f"{flag} {value}: expected {expected or f'an int >= {minimum}'}.") from None


def load_config_file(path: str | None) -> dict[str, Any]:
    """Read a ``--config`` file (JSON, or YAML when PyYAML is installed) into a dict."""
    if path is None:
        return {}
    file = existing_file(path, "--config")
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


def add_config_option(parser: argparse.ArgumentParser, what: str = "defaults for these options") -> None:
    """The ``--config`` option: a JSON/YAML file of ``what``."""
    parser.add_argument("--config", help=f"JSON/YAML file with {what}.")


def add_no_progress(parser: argparse.ArgumentParser) -> None:
    """The shared ``--no-progress`` flag (``args.no_progress``)."""
    parser.add_argument("--no-progress", action="store_true", help="Hide progress bars.")


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
