"""Log rows: the raw rows of a retriever log, from whatever holds it.

Files are streamed (JSONL through :mod:`xrerank.jsonl`, CSV/TSV through :mod:`csv`, either
optionally gzipped, lines over ``max_line_bytes`` rejected unread); lists of dicts, pandas
DataFrames and ``datasets.Dataset`` s are walked in order. Each :class:`LogRow` carries where it
came from (``file:line`` or ``records[i]``) and either the row's mapping or the
:class:`~xrerank.mining.log_fields.BadRecord` that says why it is not one.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple

from xrerank.errors import LogFormatError
from xrerank.jsonl import (
    BadLine,
    bounded_lines,
    line_too_long,
    not_utf8,
    open_binary,
    read_jsonl_with_bad_lines,
)
from xrerank.mining.log_fields import BadRecord, LogError

LogFormat = Literal["jsonl", "csv", "tsv"]

_JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
_CSV_SUFFIXES: dict[str, LogFormat] = {".csv": "csv", ".tsv": "tsv"}


class LogRow(NamedTuple):
    """One row of a log, before parsing.

    Attributes:
        location: ``file:line`` for files, ``records[i]`` or ``rows[i]`` for in-memory rows.
        row: Column name -> value, or the :class:`BadRecord` found before parsing (bad JSON, long line...).
        from_text: The row comes from a CSV/TSV file, so every cell is text.
    """

    location: str
    row: Mapping[str, Any] | BadRecord
    from_text: bool


def log_rows(source: Any, *, format: LogFormat | None, max_line_bytes: int) -> Iterator[LogRow]:
    """The rows of ``source`` in order: a log file, a list of dicts, a DataFrame or a Dataset.

    Example:
        >>> [row.location for row in log_rows([{"query": "q"}], format=None, max_line_bytes=1024)]
        ['records[0]']
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        kind = format or format_of(path)
        if kind == "jsonl":
            yield from _jsonl_rows(path, max_line_bytes)
        else:
            yield from _csv_rows(path, max_line_bytes, delimiter="\t" if kind == "tsv" else ",")
        return
    if isinstance(source, Mapping):
        raise TypeError("read_log got a single dict; wrap one record in a list: read_log([record]).")
    if hasattr(source, "itertuples") and hasattr(source, "columns"):  # pandas DataFrame
        columns = [str(c) for c in source.columns]
        for index, values in enumerate(source.itertuples(index=False, name=None)):
            yield LogRow(f"rows[{index}]", dict(zip(columns, values, strict=True)), False)
        return
    if isinstance(source, (bytes, bytearray)) or not isinstance(source, Iterable):
        raise TypeError(
            f"read_log got {type(source).__name__}; expected a path to a .jsonl/.csv/.tsv file, "
            "a list of dicts, a pandas DataFrame or a datasets.Dataset."
        )
    for index, row in enumerate(source):
        if isinstance(row, Mapping):
            yield LogRow(f"records[{index}]", row, False)
        else:
            bad = BadRecord(None, f"expected a dict per record, got {type(row).__name__}.")
            yield LogRow(f"records[{index}]", bad, False)


def format_of(path: Path) -> LogFormat:
    """The log format its suffix names (a trailing ``.gz`` aside), or a ValueError saying how to name it."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in _JSONL_SUFFIXES:
        return "jsonl"
    if last in _CSV_SUFFIXES:
        return _CSV_SUFFIXES[last]
    raise ValueError(
        f"read_log cannot tell the format of {path} from its suffix; name it .jsonl, .csv or .tsv "
        "(optionally .gz), or pass format='jsonl'|'csv'|'tsv'."
    )


def _jsonl_rows(path: Path, max_line_bytes: int) -> Iterator[LogRow]:
    for line_number, record in read_jsonl_with_bad_lines(path, max_line_bytes=max_line_bytes):
        if isinstance(record, BadLine):
            yield LogRow(record.location, BadRecord(None, record.reason), True)
        else:
            yield LogRow(f"{path}:{line_number}", record, False)


def _csv_rows(path: Path, max_line_bytes: int, *, delimiter: str) -> Iterator[LogRow]:
    # Lines csv never sees (too long, not UTF-8), each with its reason; the row is reported below.
    unreadable: list[str] = []

    def physical_lines(handle: IO[bytes]) -> Iterator[str]:
        for _number, line in bounded_lines(handle, max_line_bytes):
            if line is None:
                unreadable.append(line_too_long(max_line_bytes))
                yield "\n"  # keep csv's line count in step
                continue
            try:
                yield line.decode("utf-8")
            except UnicodeDecodeError as exc:
                unreadable.append(not_utf8(exc))
                yield "\n"

    with open_binary(path) as handle:
        reader = csv.reader(physical_lines(handle), delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise LogFormatError(LogError(f"{path}:1", None, f"unreadable CSV header ({exc}).")) from exc
        header = [name.strip().lstrip("\ufeff") for name in header]
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield LogRow(f"{path}:{reader.line_num}", BadRecord(None, f"not valid CSV ({exc})."), True)
                continue
            location = f"{path}:{reader.line_num}"
            if unreadable:
                reason = unreadable.pop(0)
                unreadable.clear()
                yield LogRow(location, BadRecord(None, reason), True)
                continue
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) != len(header):
                bad = BadRecord(None, f"has {len(values)} cells but the header has {len(header)} columns.")
                yield LogRow(location, bad, True)
                continue
            yield LogRow(location, dict(zip(header, values, strict=True)), True)
