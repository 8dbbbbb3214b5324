"""Retriever logs: what users searched, what they were shown, what they used.

One log record is one search. Read them from JSONL (optionally gzipped), CSV/TSV,
a list of dicts, a pandas DataFrame or a Hugging Face ``datasets.Dataset``; the
schema is documented in ``docs/retriever-logs.md``:

.. code-block:: json

    {"query": "how do I rotate an API key?", "query_id": "q17",
     "positive_ids": ["kb-12"], "positives": ["Rotate keys under Settings > API."],
     "shown": ["kb-40", "kb-7", "kb-12"], "labels": {"kb-12": 2, "kb-40": 0},
     "session": "s-981", "timestamp": "2025-03-02T10:15:00Z"}

Reading is streaming (one line in memory at a time, lines longer than
``max_line_bytes`` are rejected without being loaded). Bad records raise a
:class:`LogFormatError` naming the file, line and field, or, with
``on_error="skip"``, are counted in :attr:`LogReader.stats` and logged.
What a record is and what can be done with many lives in :mod:`xrerank.mining.log_records`;
how a row becomes one, in :mod:`xrerank.mining.log_fields`; where rows come from, in
:mod:`xrerank.mining.log_rows`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from xrerank.errors import LogFormatError
from xrerank.mining.log_fields import FIELD_ALIASES, LOG_FIELDS, BadRecord, LogError, parse_row
from xrerank.mining.log_records import LogRecord
from xrerank.mining.log_rows import LogFormat, log_rows
from xrerank.validation import check_int

logger = logging.getLogger(__name__)

OnError = Literal["raise", "skip"]

#: Longest accepted line of a JSONL/CSV log, in bytes (1 MiB).
DEFAULT_MAX_LINE_BYTES = 1 << 20
#: How many bad-record descriptions :class:`LogStats` keeps (all are counted).
MAX_KEPT_ERRORS = 20


@dataclass
class LogStats:
    """Counters of one pass over a log.

    Attributes:
        records: Records read successfully.
        skipped: Bad records skipped (``on_error="skip"``).
        errors: Descriptions of the first :data:`MAX_KEPT_ERRORS` bad records.
    """

    records: int = 0
    skipped: int = 0
    errors: list[LogError] = field(default_factory=list)

    def summary(self) -> str:
        """One line for reports, e.g. ``"1,204 records read, 3 bad records skipped"``."""
        text = f"{self.records:,} records read"
        if self.skipped:
            text += f", {self.skipped:,} bad records skipped (first: {self.errors[0]})"
        return text


class LogReader:
    """An iterable over the :class:`LogRecord` s of one log; see :func:`read_log`.

    Each iteration reads the log again from the start and resets :attr:`stats`.
    """

    def __init__(
        self,
        source: Any,
        *,
        format: LogFormat | None,
        on_error: OnError,
        fields: Mapping[str, str],
        list_separator: str,
        max_line_bytes: int,
    ) -> None:
        self._source = source
        self._format = format
        self._on_error = on_error
        self._columns = dict(FIELD_ALIASES)
        self._columns.update({name: (column,) for name, column in fields.items()})
        self._list_separator = list_separator
        self._max_line_bytes = max_line_bytes
        self.stats = LogStats()

    def __repr__(self) -> str:
        return f"LogReader({self._describe()}, on_error={self._on_error!r})"

    def _describe(self) -> str:
        if isinstance(self._source, (str, Path)):
            return str(self._source)
        return type(self._source).__name__

    def __iter__(self) -> Iterator[LogRecord]:
        self.stats = LogStats()
        rows = log_rows(self._source, format=self._format, max_line_bytes=self._max_line_bytes)
        for location, row, from_text in rows:
            try:
                if isinstance(row, BadRecord):  # found while reading the line, before any field
                    raise row
                record = parse_row(row, self._columns, self._list_separator, from_text=from_text)
            except BadRecord as bad:
                self._handle(LogError(location, bad.field, bad.message))
                continue
            self.stats.records += 1
            yield record
        if self.stats.skipped:
            logger.warning(
                "%s: skipped %d bad records; %s", self._describe(), self.stats.skipped, self.stats.summary()
            )

    def _handle(self, error: LogError) -> None:
        if self._on_error == "raise":
            raise LogFormatError(error)
        self.stats.skipped += 1
        if len(self.stats.errors) < MAX_KEPT_ERRORS:
            self.stats.errors.append(error)
            logger.debug("skipping bad log record: %s", error)


def read_log(
    source: str | Path | Iterable[Mapping[str, Any]] | Any,
    *,
    format: LogFormat | None = None,
    on_error: OnError = "raise",
    fields: Mapping[str, str] | None = None,
    list_separator: str = "|",
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
) -> LogReader:
    """Stream the records of a retriever log.

    Args:
        source: A path to a ``.jsonl``/``.ndjson`` (optionally ``.gz``), ``.csv`` or ``.tsv``
            file; a list (or any iterable) of dicts; a pandas DataFrame; a ``datasets.Dataset``.
        format: Force the file format instead of guessing it from the suffix.
        on_error: ``"raise"`` stops at the first bad record with a :class:`LogFormatError`
            naming file, line and field; ``"skip"`` counts it in ``reader.stats`` and goes on.
        fields: Your column names for schema fields, e.g. ``{"positive_ids": "clicked"}``.
        list_separator: Separator of id lists in CSV cells (a cell starting with ``[`` is
            read as a JSON list instead).
        max_line_bytes: Longest accepted line; longer lines are bad records.

    Returns:
        A :class:`LogReader`: iterate it for :class:`LogRecord` s, then read ``.stats``.

    Example:
        >>> reader = read_log([{"query": "what is BM25?", "positive_ids": ["d3"], "shown": ["d1", "d3"]}])
        >>> [record.skipped_ids for record in reader]
        [('d1',)]
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"read_log got on_error={on_error!r}; expected 'raise' or 'skip'.")
    if format is not None and format not in ("jsonl", "csv", "tsv"):
        raise ValueError(f"read_log got format={format!r}; expected 'jsonl', 'csv', 'tsv' or None.")
    fields = dict(fields or {})
    unknown = set(fields) - set(LOG_FIELDS)
    if unknown:
        raise ValueError(
            f"read_log got fields for unknown schema names {sorted(unknown)}; the schema names are "
            f"{list(LOG_FIELDS)} (map them to your column names, e.g. {{'positive_ids': 'clicked'}})."
        )
    if not isinstance(list_separator, str) or not list_separator:
        raise ValueError(f"read_log got list_separator={list_separator!r}; expected a non-empty str.")
    check_int(max_line_bytes, caller="read_log", name="max_line_bytes")
    if isinstance(source, (str, Path)) and not Path(source).is_file():
        raise FileNotFoundError(f"read_log: no such log file: {source}")
    return LogReader(
        source,
        format=format,
        on_error=on_error,
        fields=fields,
        list_separator=list_separator,
        max_line_bytes=max_line_bytes,
    )
