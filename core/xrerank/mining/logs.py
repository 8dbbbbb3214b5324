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
:func:`merge_records` folds repeated searches of the same query into one record.
"""

from __future__ import annotations

import csv
import gzip
import json
import logging
import math
import random
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from xrerank.errors import LogFormatError

logger = logging.getLogger(__name__)

OnError = Literal["raise", "skip"]
LogFormat = Literal["jsonl", "csv", "tsv"]

#: Longest accepted line of a JSONL/CSV log, in bytes (1 MiB).
DEFAULT_MAX_LINE_BYTES = 1 << 20
#: How many bad-record descriptions :class:`LogStats` keeps (all are counted).
MAX_KEPT_ERRORS = 20

#: The fields of the log schema; :func:`read_log`'s ``fields`` maps these to your column names.
LOG_FIELDS = (
    "query",
    "query_id",
    "positive_ids",
    "positives",
    "negative_ids",
    "shown",
    "labels",
    "session",
    "timestamp",
)

# Column names read for each field unless ``fields`` says otherwise ("clicked" is a common log name).
_ALIASES: dict[str, tuple[str, ...]] = {name: (name,) for name in LOG_FIELDS}
_ALIASES["positive_ids"] = ("positive_ids", "clicked")

_JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
_CSV_SUFFIXES = {".csv": "csv", ".tsv": "tsv"}


def normalize_text(text: str) -> str:
    """The form used to compare texts: Unicode NFKC, case-folded, whitespace collapsed.

    Two passages that differ only in case, spacing or Unicode presentation are the
    same passage for de-duplication and for excluding known positives.

    Example:
        >>> normalize_text("  BM25 is\\n a  Ranking function ")
        'bm25 is a ranking function'
    """
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@dataclass(frozen=True)
class LogRecord:
    """One search (or, after :func:`merge_records`, every search of one query).

    Attributes:
        query: The search text.
        query_id: The query's id in your system, if logged.
        positive_ids: Documents the user used (clicked, cited, accepted) or labelled relevant.
        positive_texts: Relevant passages given as text (for logs without ids).
        negative_ids: Documents judged not relevant (label <= 0 or listed as negative).
        impressions: Each result list shown for this query, ids in display order.
        skipped_ids: Shown above a used document and not used (the skip-above click signal).
        labels: Graded relevance per document id, where logged.
        session: Session id of the (first) search.
        timestamp: Time of the (first) search, as logged.
        count: How many searches this record stands for.

    Example:
        >>> record = LogRecord("what is BM25?", positive_ids=("d3",), impressions=(("d1", "d3"),),
        ...                    skipped_ids=("d1",))
        >>> record.has_positives
        True
    """

    query: str
    query_id: str | None = None
    positive_ids: tuple[str, ...] = ()
    positive_texts: tuple[str, ...] = ()
    negative_ids: tuple[str, ...] = ()
    impressions: tuple[tuple[str, ...], ...] = ()
    skipped_ids: tuple[str, ...] = ()
    labels: Mapping[str, float] = field(default_factory=dict)
    session: str | None = None
    timestamp: str | None = None
    count: int = 1

    @property
    def has_positives(self) -> bool:
        """True when the record names at least one relevant document (by id or text)."""
        return bool(self.positive_ids or self.positive_texts)


@dataclass(frozen=True)
class LogError:
    """Where a log record went wrong and why.

    Attributes:
        location: ``file:line`` for files, ``records[i]`` for in-memory rows.
        field: The schema field at fault, or None when the record as a whole is bad.
        message: What was expected, what arrived, and the fix.
    """

    location: str
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.location}: field {self.field!r}" if self.field else self.location
        return f"{where}: {self.message}"


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


class _BadRecord(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


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
        self._columns = dict(_ALIASES)
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
        for location, row, early_error, from_text in self._rows():
            try:
                if early_error is not None:
                    raise early_error
                record = _parse_row(row, self._columns, self._list_separator, from_text=from_text)
            except _BadRecord as exc:
                self._handle(LogError(location, exc.field, exc.message))
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

    # Each row: (location, mapping or None, an error found before parsing or None, came from text).
    def _rows(self) -> Iterator[tuple[str, Mapping[str, Any] | None, _BadRecord | None, bool]]:
        source = self._source
        if isinstance(source, (str, Path)):
            path = Path(source)
            kind = self._format or _format_of(path)
            if kind == "jsonl":
                yield from _jsonl_rows(path, self._max_line_bytes)
            else:
                yield from _csv_rows(path, self._max_line_bytes, delimiter="\t" if kind == "tsv" else ",")
            return
        if isinstance(source, Mapping):
            raise TypeError("read_log got a single dict; wrap one record in a list: read_log([record]).")
        if hasattr(source, "itertuples") and hasattr(source, "columns"):  # pandas DataFrame
            columns = [str(c) for c in source.columns]
            for index, values in enumerate(source.itertuples(index=False, name=None)):
                yield f"rows[{index}]", dict(zip(columns, values, strict=True)), None, False
            return
        if isinstance(source, (bytes, bytearray)) or not isinstance(source, Iterable):
            raise TypeError(
                f"read_log got {type(source).__name__}; expected a path to a .jsonl/.csv/.tsv file, "
                "a list of dicts, a pandas DataFrame or a datasets.Dataset."
            )
        for index, row in enumerate(source):
            if isinstance(row, Mapping):
                yield f"records[{index}]", row, None, False
            else:
                yield (
                    f"records[{index}]",
                    None,
                    _BadRecord(None, f"expected a dict per record, got {type(row).__name__}."),
                    False,
                )


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
    if isinstance(max_line_bytes, bool) or not isinstance(max_line_bytes, int) or max_line_bytes < 1:
        raise ValueError(f"read_log got max_line_bytes={max_line_bytes!r}; expected a positive int.")
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


def merge_records(records: Iterable[LogRecord]) -> list[LogRecord]:
    """Fold searches of the same query into one record, in order of first appearance.

    Queries are the same when their :func:`normalize_text` forms are equal. Positives
    are united, every impression is kept, skipped and judged-negative ids are united
    (minus any id that is a positive anywhere: a positive always wins), graded labels
    keep the highest grade. ``query``, ``query_id``, ``session`` and ``timestamp`` come
    from the first search; ``count`` adds up.

    Example:
        >>> merged = merge_records([LogRecord("BM25?", positive_ids=("a",)),
        ...                         LogRecord("bm25? ", positive_ids=("b",), skipped_ids=("a",))])
        >>> merged[0].positive_ids, merged[0].skipped_ids, merged[0].count
        (('a', 'b'), (), 2)
    """
    groups: dict[str, list[LogRecord]] = {}
    for record in records:
        if not isinstance(record, LogRecord):
            raise TypeError(
                f"merge_records got {type(record).__name__}; expected LogRecord (read logs with read_log)."
            )
        groups.setdefault(normalize_text(record.query), []).append(record)
    return [_merge_group(group) if len(group) > 1 else group[0] for group in groups.values()]


def split_by_positives(
    records: Sequence[LogRecord], share: float, *, seed: int = 0
) -> tuple[list[LogRecord], list[LogRecord]]:
    """Split records into (training, validation) so that no validation positive is a training positive.

    A random split of a search log lets the same clicked passage answer queries on both
    sides; a reranker that memorised that passage then looks better on validation than it
    will on new questions, and anything tuned there (a fusion weight, a stopping point)
    trusts it too much. Here whole groups of queries that share a positive go to one side.
    Groups are taken in seeded random order until validation holds about ``share`` of the
    records; records without positive ids stay in training.

    Example:
        >>> records = [LogRecord("a", positive_ids=("d1",)), LogRecord("b", positive_ids=("d1",)),
        ...            LogRecord("c", positive_ids=("d2",)), LogRecord("d", positive_ids=("d3",))]
        >>> train, val = split_by_positives(records, 0.25, seed=1)
        >>> sorted(r.query for r in val), sorted(r.query for r in train)
        (['c'], ['a', 'b', 'd'])
    """
    if not 0.0 < share < 1.0:
        raise ValueError(f"split_by_positives got share={share!r}; expected a fraction between 0 and 1.")
    records = list(records)
    # Union-find over positive ids: queries that share any positive belong to one group.
    parent: dict[str, str] = {}

    def root(doc: str) -> str:
        while parent.setdefault(doc, doc) != doc:
            parent[doc] = parent[parent[doc]]
            doc = parent[doc]
        return doc

    for record in records:
        for doc in record.positive_ids[1:]:
            parent[root(doc)] = root(record.positive_ids[0])
    groups: dict[str, list[int]] = {}
    for position, record in enumerate(records):
        if record.positive_ids:
            groups.setdefault(root(record.positive_ids[0]), []).append(position)
    order = sorted(groups)
    random.Random(seed).shuffle(order)
    target = round(len(records) * share)
    chosen: set[int] = set()
    for key in order:
        if len(chosen) >= target:
            break
        chosen.update(groups[key])
    return (
        [r for i, r in enumerate(records) if i not in chosen],
        [r for i, r in enumerate(records) if i in chosen],
    )


def _merge_group(group: list[LogRecord]) -> LogRecord:
    first = group[0]
    positives = _unique(i for r in group for i in r.positive_ids)
    positive_set = set(positives)
    labels: dict[str, float] = {}
    for record in group:
        for doc_id, grade in record.labels.items():
            labels[doc_id] = max(grade, labels.get(doc_id, grade))
    return LogRecord(
        query=first.query,
        query_id=next((r.query_id for r in group if r.query_id is not None), None),
        positive_ids=positives,
        positive_texts=_unique(t for r in group for t in r.positive_texts),
        negative_ids=_unique(i for r in group for i in r.negative_ids if i not in positive_set),
        impressions=tuple(imp for r in group for imp in r.impressions),
        skipped_ids=_unique(i for r in group for i in r.skipped_ids if i not in positive_set),
        labels=labels,
        session=first.session,
        timestamp=first.timestamp,
        count=sum(r.count for r in group),
    )


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


# --------------------------------------------------------------------------- files


def _format_of(path: Path) -> str:
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


def _open_binary(path: Path) -> IO[bytes]:
    if path.suffix.lower() == ".gz":
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _bounded_lines(handle: IO[bytes], max_line_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """Yield (line number, line) with lines over the limit as None, never holding one in memory."""
    number = 0
    while True:
        line = handle.readline(max_line_bytes + 1)
        if not line:
            return
        number += 1
        if len(line) > max_line_bytes and not line.endswith(b"\n"):
            while True:  # drain the rest of the long line in bounded chunks
                rest = handle.readline(max_line_bytes)
                if not rest or rest.endswith(b"\n"):
                    break
            yield number, None
            continue
        yield number, line


def _jsonl_rows(path: Path, max_line_bytes: int) -> Iterator[tuple[str, Any, _BadRecord | None, bool]]:
    with _open_binary(path) as handle:
        for number, line in _bounded_lines(handle, max_line_bytes):
            location = f"{path}:{number}"
            if line is None:
                yield location, None, _BadRecord(None, _too_long(max_line_bytes)), True
                continue
            if not line.strip():
                continue
            try:
                row = json.loads(line.decode("utf-8"))
            except UnicodeDecodeError as exc:
                yield (
                    location,
                    None,
                    _BadRecord(None, f"not UTF-8 text ({exc.reason} at byte {exc.start})."),
                    True,
                )
                continue
            except json.JSONDecodeError as exc:
                yield (
                    location,
                    None,
                    _BadRecord(
                        None,
                        f"not valid JSON ({exc.msg} at column {exc.colno}); "
                        "each line must be one JSON object.",
                    ),
                    True,
                )
                continue
            if not isinstance(row, dict):
                yield (
                    location,
                    None,
                    _BadRecord(None, f"expected a JSON object per line, got {type(row).__name__}."),
                    True,
                )
                continue
            yield location, row, None, False


def _csv_rows(path: Path, max_line_bytes: int, *, delimiter: str) -> Iterator[tuple[str, Any, Any, bool]]:
    long_lines: list[int] = []

    def physical_lines(handle: IO[bytes]) -> Iterator[str]:
        for number, line in _bounded_lines(handle, max_line_bytes):
            if line is None:
                long_lines.append(number)
                yield "\n"  # keep csv's line count in step; the row is reported below
                continue
            yield line.decode("utf-8", errors="replace")

    with _open_binary(path) as handle:
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
                yield f"{path}:{reader.line_num}", None, _BadRecord(None, f"not valid CSV ({exc})."), True
                continue
            location = f"{path}:{reader.line_num}"
            if long_lines:
                long_lines.clear()
                yield location, None, _BadRecord(None, _too_long(max_line_bytes)), True
                continue
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) != len(header):
                yield (
                    location,
                    None,
                    _BadRecord(None, f"has {len(values)} cells but the header has {len(header)} columns."),
                    True,
                )
                continue
            yield location, dict(zip(header, values, strict=True)), None, True


def _too_long(max_line_bytes: int) -> str:
    return f"line longer than max_line_bytes={max_line_bytes:,}; shorten the record or raise max_line_bytes."


# --------------------------------------------------------------------------- parsing


def _parse_row(
    row: Mapping[str, Any] | None, columns: Mapping[str, tuple[str, ...]], separator: str, *, from_text: bool
) -> LogRecord:
    assert row is not None

    def get(name: str) -> Any:
        return next((row[c] for c in columns[name] if c in row and not _missing(row[c])), None)

    query = get("query")
    if query is None:
        raise _BadRecord("query", f"missing; every record needs the search text in {columns['query'][0]!r}.")
    if not isinstance(query, str):
        raise _BadRecord("query", f"expected str, got {type(query).__name__}.")
    if not query.strip():
        raise _BadRecord("query", "empty; every record needs the search text.")

    labels = _parse_labels(get("labels"), from_text=from_text)
    positive_ids = tuple(
        doc_id
        for column in columns["positive_ids"]
        if column in row and not _missing(row[column])
        for doc_id in _parse_list(row[column], "positive_ids", separator, from_text=from_text)
    )
    positive_texts = _parse_list(get("positives"), "positives", separator, from_text=from_text, texts=True)
    negative_ids = _parse_list(get("negative_ids"), "negative_ids", separator, from_text=from_text)
    shown = _parse_list(get("shown"), "shown", separator, from_text=from_text)

    positives = _unique([*positive_ids, *(d for d, grade in labels.items() if grade > 0)])
    positive_set = set(positives)
    judged = _unique([*negative_ids, *(d for d, grade in labels.items() if grade <= 0)])
    conflict = positive_set.intersection(negative_ids)
    if conflict:
        raise _BadRecord(
            "negative_ids",
            f"lists {sorted(conflict)[:3]} that are also positives; a document is either relevant or not.",
        )
    return LogRecord(
        query=query,
        query_id=_parse_scalar(get("query_id"), "query_id"),
        positive_ids=positives,
        positive_texts=_unique(positive_texts),
        negative_ids=tuple(d for d in judged if d not in positive_set),
        impressions=(shown,) if shown else (),
        skipped_ids=_skip_above(shown, positive_set),
        labels=labels,
        session=_parse_scalar(get("session"), "session"),
        timestamp=_parse_scalar(get("timestamp"), "timestamp"),
    )


def _skip_above(shown: tuple[str, ...], positives: set[str]) -> tuple[str, ...]:
    """Shown above the lowest used result and not used (Joachims' skip-above)."""
    last_click = max((position for position, doc in enumerate(shown) if doc in positives), default=-1)
    if last_click < 0:
        return ()
    return _unique(doc for doc in shown[:last_click] if doc not in positives)


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas missing markers
        return True
    return isinstance(value, str) and value == ""  # an empty CSV cell


def _parse_scalar(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _BadRecord(name, f"expected a str or number, got {type(value).__name__}.")
    return _id_text(value)


def _id_text(value: str | int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # pandas turns int columns with gaps into floats
    return str(value).strip() if isinstance(value, str) else str(value)


def _parse_list(
    value: Any, name: str, separator: str, *, from_text: bool, texts: bool = False
) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        stripped = value.strip()
        if from_text and stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except json.JSONDecodeError as exc:
                raise _BadRecord(name, f"starts with '[' but is not a JSON list ({exc.msg}).") from exc
        elif from_text and not texts:
            return _unique(part.strip() for part in stripped.split(separator) if part.strip())
        else:
            value = [value]
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and not texts:
        value = [value]
    elif hasattr(value, "tolist") and not isinstance(value, Mapping):  # numpy arrays from pandas/datasets
        value = value.tolist()
    if isinstance(value, Mapping) or not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
        expected = "a list of passage texts" if texts else "a list of document ids"
        raise _BadRecord(name, f"expected {expected}, got {type(value).__name__}.")
    items: list[str] = []
    for position, item in enumerate(value):
        if texts:
            if not isinstance(item, str) or not item.strip():
                got = "an empty str" if isinstance(item, str) else type(item).__name__
                raise _BadRecord(name, f"item {position} is {got}; expected passage text.")
            items.append(item)
            continue
        if (
            isinstance(item, bool)
            or not isinstance(item, (str, int, float))
            or (isinstance(item, float) and not math.isfinite(item))
        ):
            raise _BadRecord(name, f"item {position} is {type(item).__name__}; expected a document id (str).")
        text = _id_text(item)
        if not text:
            raise _BadRecord(name, f"item {position} is an empty id.")
        items.append(text)
    return tuple(items)


def _parse_labels(value: Any, *, from_text: bool) -> dict[str, float]:
    if value is None:
        return {}
    if isinstance(value, str) and from_text:
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise _BadRecord("labels", f"expected a JSON object of id -> grade ({exc.msg}).") from exc
    if not isinstance(value, Mapping):
        raise _BadRecord("labels", f"expected a mapping of document id -> grade, got {type(value).__name__}.")
    labels: dict[str, float] = {}
    for doc_id, grade in value.items():
        if isinstance(grade, bool) or not isinstance(grade, (int, float)) or not math.isfinite(grade):
            raise _BadRecord("labels", f"grade of {doc_id!r} is {grade!r}; expected a finite number.")
        if isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)) or not str(doc_id).strip():
            raise _BadRecord("labels", f"key {doc_id!r} is not a document id (str).")
        labels[_id_text(doc_id)] = float(grade)
    return labels
