"""Training examples: the records mining produces and training consumes, and their JSONL files.

A :class:`TrainingExample` is one query, its known positives, the mined negatives and
(optionally) teacher scores. It sits between the two stages, so that mining never imports
training; :mod:`xrerank.training.rows` turns examples into the columns each loss reads.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from xrerank.jsonl import read_jsonl
from xrerank.output_files import atomic_output

# Fields of the JSONL format that hold lists (a string there would be read as a list of characters).
_LIST_FIELDS = (
    "positives",
    "negatives",
    "positive_ids",
    "negative_ids",
    "positive_scores",
    "negative_scores",
)


@dataclass
class TrainingExample:
    """One query with its positives and hard negatives.

    Attributes:
        query: The search text.
        positives: Passages known to be relevant (clicked, cited, labelled).
        negatives: Mined passages that are not relevant, hardest first.
        positive_ids: Document ids of ``positives`` where known (same order), else empty.
        negative_ids: Document ids of ``negatives`` where known (same order), else empty.
        positive_scores: Teacher scores for ``positives`` (same order), for distillation.
        negative_scores: Teacher scores for ``negatives`` (same order), for distillation.
        query_id: An id for the query, carried through for reports.

    Example:
        >>> ex = TrainingExample("what is BM25?", ["BM25 is a ranking function."], ["BM25 is a road."])
        >>> TrainingExample.from_dict(ex.to_dict()) == ex
        True
    """

    query: str
    positives: list[str]
    negatives: list[str] = field(default_factory=list)
    positive_ids: list[str] = field(default_factory=list)
    negative_ids: list[str] = field(default_factory=list)
    positive_scores: list[float] = field(default_factory=list)
    negative_scores: list[float] = field(default_factory=list)
    query_id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.query, str) or not self.query.strip():
            raise ValueError(f"TrainingExample got query={self.query!r}; expected a non-empty str.")
        if not self.positives:
            raise ValueError(
                f"TrainingExample for query {self.query!r} has no positives; every training query needs "
                "at least one relevant passage."
            )
        for name in ("positives", "negatives"):
            for position, text in enumerate(getattr(self, name)):
                if not isinstance(text, str):
                    raise TypeError(
                        f"TrainingExample for query {self.query!r} got {type(text).__name__} at "
                        f"{name}[{position}]; expected str."
                    )
        for texts, ids, name in (
            (self.positives, self.positive_ids, "positive_ids"),
            (self.negatives, self.negative_ids, "negative_ids"),
        ):
            if ids and len(ids) != len(texts):
                raise ValueError(
                    f"TrainingExample for query {self.query!r}: {name} has {len(ids)} ids for "
                    f"{len(texts)} texts; give one id per text or none."
                )
        for texts, scores, name in (
            (self.positives, self.positive_scores, "positive_scores"),
            (self.negatives, self.negative_scores, "negative_scores"),
        ):
            if scores and len(scores) != len(texts):
                raise ValueError(
                    f"TrainingExample for query {self.query!r}: {name} has {len(scores)} scores for "
                    f"{len(texts)} texts; give one score per text or none."
                )
            if any(not math.isfinite(score) for score in scores):
                raise ValueError(f"TrainingExample for query {self.query!r}: {name} holds NaN or inf.")

    @property
    def has_teacher_scores(self) -> bool:
        """True when every positive and negative carries a teacher score."""
        return bool(self.positive_scores) and (not self.negatives or bool(self.negative_scores))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the JSONL line format of :func:`save_examples`)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingExample:
        """Inverse of :meth:`to_dict`; unknown keys are an error, not silently dropped."""
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise ValueError(
                f"TrainingExample got unknown fields {sorted(unknown)}; expected a subset of {sorted(known)}."
            )
        for name in _LIST_FIELDS:
            if name in data and not isinstance(data[name], list):
                raise TypeError(
                    f"TrainingExample got {type(data[name]).__name__} as {name}; expected a list, "
                    f'e.g. "{name}": [...].'
                )
        return cls(**data)


def save_examples(examples: Iterable[TrainingExample], path: str | Path) -> int:
    """Write examples as JSONL (one example per line); returns how many were written.

    The file is replaced only once every example is written (:func:`~xrerank.output_files.atomic_output`):
    if ``examples`` raises half way, the previous file at ``path`` stays as it was.

    Example:
        >>> save_examples([TrainingExample("q", ["p"], ["n"])], "train.jsonl")
        1
    """
    with atomic_output(path) as handle:
        return write_examples(examples, handle)


def write_examples(examples: Iterable[TrainingExample], handle: IO[str]) -> int:
    """Write examples as JSONL lines to an open text file; returns how many were written.

    Example:
        >>> import io
        >>> buffer = io.StringIO()
        >>> write_examples([TrainingExample("q", ["p"])], buffer), buffer.getvalue()[:13]
        (1, '{"query": "q"')
    """
    count = 0
    for example in examples:
        handle.write(json.dumps(example.to_dict(), ensure_ascii=False) + "\n")
        count += 1
    return count


def load_examples(path: str | Path) -> list[TrainingExample]:
    """Read examples written by :func:`save_examples`; errors name the file and line."""
    return list(iter_examples(path))


def iter_examples(path: str | Path) -> Iterator[TrainingExample]:
    """Stream examples from a JSONL file written by :func:`save_examples`; errors name the file and line."""
    for line_number, record in read_jsonl(path):
        try:
            yield TrainingExample.from_dict(record)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{path}:{line_number}: not a valid training example: {exc}") from exc
