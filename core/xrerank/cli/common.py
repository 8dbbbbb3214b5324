"""What every command shares: the user-facing error, ``--config`` files, input checks and common flags."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from xrerank.validation import check_int, check_number


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


class HelpFormatter(argparse.HelpFormatter):
    """``--help`` shows each option's default, unless its help already says it or there is none."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if "default" in text.lower() or default in (None, False, [], argparse.SUPPRESS) or not text:
            return text
        if not action.option_strings and action.nargs not in (argparse.OPTIONAL, argparse.ZERO_OR_MORE):
            return text  # a required positional has no default to show
        return f"{text} (default: %(default)s)"


class CommandParser(argparse.ArgumentParser):
    """The parser of every ``xrerank`` command: the shared :class:`HelpFormatter`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)


def existing_file(path: str | Path, flag: str) -> Path:
    """``path`` as a Path, or a :class:`CommandError` naming ``flag`` when no such file exists."""
    file = Path(path)
    if file.is_dir():
        raise CommandError(f"{flag} {path} is a directory; expected a file.")
    if not file.is_file():
        raise CommandError(f"{flag} {path}: no such file.")
    return file


def read_text(path: str | Path, flag: str) -> str:
    """The whole text of a UTF-8 file, or a :class:`CommandError` naming ``flag``, the file and the bad line.

    Example:
        >>> _ = Path("topics.json").write_bytes(b'{"q1": "caf\\xe9"}')
        >>> read_text("topics.json", "--topics")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        xrerank.cli.common.CommandError: --topics topics.json:1: not UTF-8 text (...); save the file as UTF-8.
    """
    data = existing_file(path, flag).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CommandError(
            f"{flag} {path}:{line}: not UTF-8 text ({exc.reason}); save the file as UTF-8."
        ) from None


def read_lines(handle: IO[bytes], path: str, flag: str) -> Iterator[tuple[int, str]]:
    """``(line_number, text)`` of each line of a binary file, each decoded as UTF-8 on its own.

    A line that is not UTF-8 raises a :class:`CommandError` naming ``flag``, the file and the line.

    Example:
        >>> import io
        >>> list(read_lines(io.BytesIO(b"first\\nsecond\\n"), "passages.txt", "--passages-file"))
        [(1, 'first\\n'), (2, 'second\\n')]
    """
    for number, raw in enumerate(handle, start=1):
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CommandError(
                f"{flag} {path}:{number}: not UTF-8 text ({exc.reason} at byte {exc.start}); "
                "save the file as UTF-8."
            ) from None


def output_file(path: str | None, flag: str) -> Path | None:
    """Check an output file's path before the work (see :func:`~xrerank.output_files.check_output_path`).

    Example:
        >>> output_file(".", "--output")
        Traceback (most recent call last):
        ...
        xrerank.cli.common.CommandError: --output . is a directory; give a file name, e.g. output.json.
    """
    if path is None:
        return None
    from xrerank.output_files import check_output_path

    with user_errors(ValueError):
        return check_output_path(path, what=flag)


def output_dir(path: str | None, flag: str) -> None:
    """Refuse a model directory's path that is a file (see :func:`~xrerank.output_files.check_output_dir`)."""
    if path is None:
        return
    from xrerank.output_files import check_output_dir

    with user_errors(ValueError):
        check_output_dir(path, what=flag)


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


def check_number_flag(
    value: float | None, flag: str, *, minimum: float, maximum: float | None = None, expected: str
) -> None:
    """Raise a CommandError unless :func:`~xrerank.validation.check_number` accepts a number option's value.

    Example:
        >>> check_number_flag(1.5, "--fusion-weight", minimum=0, maximum=1, expected="a number in [0, 1]")
        Traceback (most recent call last):
        ...
        xrerank.cli.common.CommandError: --fusion-weight 1.5: expected a number in [0, 1].
    """
    try:
        check_number(value, caller="xrerank", name=flag, minimum=minimum, maximum=maximum, optional=True)
    except (TypeError, ValueError):
        raise CommandError(f"{flag} {value}: expected {expected}.") from None


def load_config_file(path: str | None) -> dict[str, Any]:
    """Read a ``--config`` file (JSON, or YAML when PyYAML is installed) into a dict."""
    if path is None:
        return {}
    file = existing_file(path, "--config")
    text = read_text(file, "--config")
    if file.suffix in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError as exc:
            raise CommandError(f"--config {path} is YAML; install PyYAML or use a .json file.") from exc
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or "cannot parse it"
            message = f"--config {path}{where}: not valid YAML ({problem}); fix that line."
            raise CommandError(message) from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"--config {path}:{exc.lineno}: not valid JSON ({exc.msg} at column {exc.colno}); "
                "fix that line (YAML files need a .yaml name)."
            ) from None
    if not isinstance(data, dict):
        raise CommandError(
            f"--config {path}: expected a mapping of option names to values, got "
            f'{type(data).__name__ if data is not None else "an empty file"}; write e.g. {{"top_k": 10}}.'
        )
    return data


def add_config_option(parser: argparse.ArgumentParser, what: str = "defaults for these options") -> None:
    """The ``--config`` option: a JSON/YAML file of ``what``."""
    parser.add_argument("--config", help=f"JSON/YAML file with {what}.")


def add_no_progress(parser: argparse.ArgumentParser) -> None:
    """The shared ``--no-progress`` flag (``args.no_progress``)."""
    parser.add_argument("--no-progress", action="store_true", help="Hide progress bars.")


def add_device(parser: argparse.ArgumentParser) -> None:
    """The shared ``--device`` option (``args.device``)."""
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:N, mps, or auto.")


@contextmanager
def loading_bars(shown: bool) -> Iterator[None]:
    """Hide transformers' and the hub's weight-loading bars inside the block when ``shown`` is False.

    ``--no-progress`` means no bar at all, including the one transformers draws while it
    loads weights; the previous setting is restored afterwards.
    """
    if shown:
        yield
        return
    from huggingface_hub import utils as hub_utils
    from transformers.utils import logging as transformers_logging

    was_enabled = transformers_logging.is_progress_bar_enabled()
    hub_was_disabled = hub_utils.are_progress_bars_disabled()
    transformers_logging.disable_progress_bar()
    hub_utils.disable_progress_bars()
    try:
        yield
    finally:
        if was_enabled:
            transformers_logging.enable_progress_bar()
        if not hub_was_disabled:
            hub_utils.enable_progress_bars()


def stage_labels(stages: list[str]) -> Any:
    """A trainer callback that names each training stage as it starts (``stage 1/2: ...`` on stderr).

    Runs with several stages (a cold start, then the log) show one progress bar per stage; the
    label says which bar is which.
    """
    from transformers import TrainerCallback

    class StageLabels(TrainerCallback):
        def __init__(self) -> None:
            self.started = 0

        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if not state.is_world_process_zero:
                return
            name = stages[self.started] if self.started < len(stages) else "training"
            self.started += 1
            print(
                f"stage {self.started}/{max(len(stages), self.started)}: {name}", file=sys.stderr, flush=True
            )

    return StageLabels()


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
