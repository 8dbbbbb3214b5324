"""JSON Lines files: the one reader behind every JSONL input (logs, examples, CLI files, demo data).

Each non-blank line must be one JSON object in UTF-8. Lines are read as bytes, one at a
time, so a file never sits in memory whole, a ``.gz`` file is read through gzip, and a
``max_line_bytes`` limit rejects an overlong line without loading it. A bad line
(overlong, not UTF-8, not JSON, not an object) is reported with its file and line number:
:func:`read_jsonl` raises at the first one, :func:`read_jsonl_with_bad_lines` hands it
over as a :class:`BadLine` and goes on (the log reader's ``on_error="skip"``).

Example:
    >>> for line_number, record in read_jsonl("train.jsonl"):
    ...     print(line_number, record["query"])
    1 what is BM25?
    2 capital of France
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.abc import Traversable
from pathlib import Path
from typing import IO, Any, cast

#: A JSONL file: a path, or a packaged resource (:func:`importlib.resources.files`).
JsonlSource = str | Path | Traversable


@dataclass(frozen=True)
class BadLine:
    """A line of a JSONL file that is not one JSON object.

    Attributes:
        path: The file, as given.
        line_number: 1-based line number.
        reason: What was wrong and the fix, e.g. ``"not valid JSON (Expecting value at column 1); ..."``.
    """

    path: str
    line_number: int
    reason: str

    @property
    def location(self) -> str:
        """``path:line``, the form editors and compilers use."""
        return f"{self.path}:{self.line_number}"

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}"


def read_jsonl(
    source: JsonlSource, *, max_line_bytes: int | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Stream ``(line_number, record)`` from a JSONL file; blank lines are skipped.

    Args:
        source: A path (``.gz`` is decompressed) or a packaged resource.
        max_line_bytes: Longest accepted line in bytes; None accepts any length.

    Raises:
        ValueError: At the first bad line, as ``"path:line: reason"``.

    Example:
        >>> rows = [record for _, record in read_jsonl("log.jsonl")]
        >>> rows[0]["query"], rows[0]["positive_ids"]
        ('what is BM25?', ['d1'])
    """
    for line_number, record in read_jsonl_with_bad_lines(source, max_line_bytes=max_line_bytes):
        if isinstance(record, BadLine):
            raise ValueError(str(record))
        yield line_number, record


def read_jsonl_with_bad_lines(
    source: JsonlSource, *, max_line_bytes: int | None = None
) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """Like :func:`read_jsonl`, but a bad line comes out as a :class:`BadLine` and reading goes on.

    Example:
        >>> _ = Path("log.jsonl").write_text('{"query": "what is BM25?"}\\nnot json\\n', encoding="utf-8")
        >>> rows = list(read_jsonl_with_bad_lines("log.jsonl"))
        >>> [str(r) for _, r in rows if isinstance(r, BadLine)]
        ['log.jsonl:2: not valid JSON (Expecting value at column 1); each line must be one JSON object.']
    """
    path = str(source)
    with open_binary(source) as handle:
        for line_number, line in bounded_lines(handle, max_line_bytes):
            if line is None:
                assert max_line_bytes is not None
                yield line_number, BadLine(path, line_number, line_too_long(max_line_bytes))
                continue
            if not line.strip():
                continue
            yield line_number, _parse_line(line, path, line_number)


@contextmanager
def open_binary(source: JsonlSource) -> Iterator[IO[bytes]]:
    """Open a file for reading bytes, through gzip when its name ends in ``.gz``.

    Example:
        >>> with open_binary("log.jsonl.gz") as handle:  # decompressed as it is read
        ...     first = handle.readline()
        >>> json.loads(first)["query"]
        'what is BM25?'
    """
    resource = Path(source) if isinstance(source, str) else source
    with resource.open("rb") as raw:
        if not resource.name.lower().endswith(".gz"):
            yield raw
            return
        with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
            yield cast(IO[bytes], unzipped)  # GzipFile reads bytes like any binary file


def bounded_lines(handle: IO[bytes], max_line_bytes: int | None) -> Iterator[tuple[int, bytes | None]]:
    """Yield ``(line_number, line)``; a line over ``max_line_bytes`` comes out as None, never held whole.

    Example:
        >>> import io
        >>> list(bounded_lines(io.BytesIO(b"ok\\n" + b"x" * 10 + b"\\nok\\n"), 5))
        [(1, b'ok\\n'), (2, None), (3, b'ok\\n')]
    """
    limit = -1 if max_line_bytes is None else max_line_bytes + 1
    number = 0
    while True:
        line = handle.readline(limit)
        if not line:
            return
        number += 1
        if max_line_bytes is not None and len(line) > max_line_bytes and not line.endswith(b"\n"):
            while True:  # drain the rest of the long line in bounded chunks
                rest = handle.readline(max_line_bytes)
                if not rest or rest.endswith(b"\n"):
                    break
            yield number, None
            continue
        yield number, line


def line_too_long(max_line_bytes: int) -> str:
    """The reason given for a line over the limit (shared by the JSONL and CSV log readers)."""
    return f"line longer than max_line_bytes={max_line_bytes:,}; shorten the record or raise max_line_bytes."


def not_utf8(exc: UnicodeDecodeError) -> str:
    """The reason given for a line that is not UTF-8 (shared by the JSONL and CSV log readers)."""
    return f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8."


def _parse_line(line: bytes, path: str, line_number: int) -> dict[str, Any] | BadLine:
    try:
        record = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return BadLine(path, line_number, not_utf8(exc))
    except json.JSONDecodeError as exc:
        return BadLine(
            path,
            line_number,
            f"not valid JSON ({exc.msg} at column {exc.colno}); each line must be one JSON object.",
        )
    if not isinstance(record, dict):
        return BadLine(path, line_number, f"expected a JSON object per line, got {type(record).__name__}.")
    return record
