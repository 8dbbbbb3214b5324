"""Log records: one search as xrerank sees it, and what can be done with many of them.

A :class:`LogRecord` is what :func:`xrerank.mining.log_reader.read_log` makes of one line of a
retriever log. :func:`merge_records` folds repeated searches of one query into one record;
:func:`split_by_positives` holds out validation queries whose clicked passages training never sees;
:func:`normalize_text` is the form in which texts are compared throughout mining.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


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
    positives = unique_in_order(i for r in group for i in r.positive_ids)
    positive_set = set(positives)
    labels: dict[str, float] = {}
    for record in group:
        for doc_id, grade in record.labels.items():
            labels[doc_id] = max(grade, labels.get(doc_id, grade))
    return LogRecord(
        query=first.query,
        query_id=next((r.query_id for r in group if r.query_id is not None), None),
        positive_ids=positives,
        positive_texts=unique_in_order(t for r in group for t in r.positive_texts),
        negative_ids=unique_in_order(i for r in group for i in r.negative_ids if i not in positive_set),
        impressions=tuple(imp for r in group for imp in r.impressions),
        skipped_ids=unique_in_order(i for r in group for i in r.skipped_ids if i not in positive_set),
        labels=labels,
        session=first.session,
        timestamp=first.timestamp,
        count=sum(r.count for r in group),
    )


def unique_in_order(items: Iterable[str]) -> tuple[str, ...]:
    """The items without repeats, each where it first occurs."""
    return tuple(dict.fromkeys(items))
