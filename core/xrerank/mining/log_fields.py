"""Log fields: the schema of a retriever log and how one row of it becomes a :class:`LogRecord`.

A row is a mapping of column name to value, from a JSONL object, a CSV line (``from_text``: every
cell a string, id lists split on a separator or read as JSON) or an in-memory record. A row that
does not follow the schema raises :class:`BadRecord` naming the field; the reader turns that into
a :class:`LogError` with the file and line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xrerank.mining.log_records import LogRecord, unique_in_order
from xrerank.validation import is_number

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

#: Column names read for each field unless ``fields`` says otherwise ("clicked" is a common log name).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {name: (name,) for name in LOG_FIELDS}
FIELD_ALIASES["positive_ids"] = ("positive_ids", "clicked")


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


class BadRecord(Exception):
    """A row that does not follow the schema; ``field`` is the schema field at fault (None: the whole row)."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def parse_row(
    row: Mapping[str, Any], columns: Mapping[str, tuple[str, ...]], separator: str, *, from_text: bool
) -> LogRecord:
    """Turn one row into a :class:`LogRecord`, or raise :class:`BadRecord` naming the field at fault.

    Args:
        row: Column name -> value.
        columns: Schema field -> the column names it is read from (see :data:`FIELD_ALIASES`).
        separator: Separator of id lists in text cells.
        from_text: The row comes from a CSV/TSV file, so every cell is text (lists and labels included).

    Example:
        >>> parse_row({"query": "q", "clicked": "d2", "shown": "d1|d2|d3"}, FIELD_ALIASES, "|",
        ...           from_text=True).skipped_ids
        ('d1',)
    """

    def get(name: str) -> Any:
        return next((row[c] for c in columns[name] if c in row and not _missing(row[c])), None)

    query = get("query")
    if query is None:
        raise BadRecord("query", f"missing; every record needs the search text in {columns['query'][0]!r}.")
    if not isinstance(query, str):
        raise BadRecord("query", f"expected str, got {type(query).__name__}.")
    if not query.strip():
        raise BadRecord("query", "empty; every record needs the search text.")

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

    positives = unique_in_order([*positive_ids, *(d for d, grade in labels.items() if grade > 0)])
    positive_set = set(positives)
    judged = unique_in_order([*negative_ids, *(d for d, grade in labels.items() if grade <= 0)])
    conflict = positive_set.intersection(negative_ids)
    if conflict:
        raise BadRecord(
            "negative_ids",
            f"lists {sorted(conflict)[:3]} that are also positives; a document is either relevant or not.",
        )
    return LogRecord(
        query=query,
        query_id=_parse_scalar(get("query_id"), "query_id"),
        positive_ids=positives,
        positive_texts=unique_in_order(positive_texts),
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
    return unique_in_order(doc for doc in shown[:last_click] if doc not in positives)


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
        raise BadRecord(name, f"expected a str or number, got {type(value).__name__}.")
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
                raise BadRecord(name, f"starts with '[' but is not a JSON list ({exc.msg}).") from exc
        elif from_text and not texts:
            return unique_in_order(part.strip() for part in stripped.split(separator) if part.strip())
        else:
            value = [value]
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and not texts:
        value = [value]
    elif hasattr(value, "tolist") and not isinstance(value, Mapping):  # numpy arrays from pandas/datasets
        value = value.tolist()
    if isinstance(value, Mapping) or not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
        expected = "a list of passage texts" if texts else "a list of document ids"
        raise BadRecord(name, f"expected {expected}, got {type(value).__name__}.")
    items: list[str] = []
    for position, item in enumerate(value):
        if texts:
            if not isinstance(item, str) or not item.strip():
                got = "an empty str" if isinstance(item, str) else type(item).__name__
                raise BadRecord(name, f"item {position} is {got}; expected passage text.")
            items.append(item)
            continue
        if not (isinstance(item, str) or is_number(item)):
            raise BadRecord(name, f"item {position} is {type(item).__name__}; expected a document id (str).")
        text = _id_text(item)
        if not text:
            raise BadRecord(name, f"item {position} is an empty id.")
        items.append(text)
    return tuple(items)


def _parse_labels(value: Any, *, from_text: bool) -> dict[str, float]:
    if value is None:
        return {}
    if isinstance(value, str) and from_text:
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise BadRecord("labels", f"expected a JSON object of id -> grade ({exc.msg}).") from exc
    if not isinstance(value, Mapping):
        raise BadRecord("labels", f"expected a mapping of document id -> grade, got {type(value).__name__}.")
    labels: dict[str, float] = {}
    for doc_id, grade in value.items():
        if not is_number(grade):
            raise BadRecord("labels", f"grade of {doc_id!r} is {grade!r}; expected a finite number.")
        if isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)) or not str(doc_id).strip():
            raise BadRecord("labels", f"key {doc_id!r} is not a document id (str).")
        labels[_id_text(doc_id)] = float(grade)
    return labels
