"""Hard-negative mining from the vector store the user already has.

For each logged query, the :class:`~xrerank.mining.sources.CandidateSource` returns the
nearest documents. Known positives are removed (by id and by normalised text),
duplicates dropped, a rank window kept, then positive-aware filters remove likely
false negatives (NV-Retriever's TopK-PercPos relative margin, an absolute margin,
``max_score``/``min_score``, and optionally a teacher cross-encoder). What is left
is sampled (``top`` or seeded ``random``), optionally mixed with easy negatives,
and returned as :class:`~xrerank.examples.TrainingExample` s with a
:class:`MiningReport` that says, per filter, how many candidates it removed.

Only queries are embedded (by the source, in batches); the corpus never is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from xrerank.examples import TrainingExample
from xrerank.mining.batch_miner import BatchMiner, Teacher
from xrerank.mining.log_reader import read_log
from xrerank.mining.log_records import LogRecord, merge_records
from xrerank.mining.mining_config import MiningConfig
from xrerank.mining.mining_report import MiningReport
from xrerank.mining.sources import CandidateSource

logger = logging.getLogger(__name__)


class MiningResult(NamedTuple):
    """``examples, report = mine_hard_negatives(...)``."""

    examples: list[TrainingExample]
    report: MiningReport


def mine_hard_negatives(
    records: Iterable[LogRecord | Mapping[str, Any]],
    source: CandidateSource,
    config: MiningConfig | None = None,
    *,
    teacher: Teacher | None = None,
    merge: bool = True,
    show_progress: bool = True,
) -> MiningResult:
    """Mine hard negatives for logged queries from an existing vector store.

    Args:
        records: Log records (from :func:`xrerank.mining.log_reader.read_log`) or dicts in the log schema.
        source: Where candidates come from (FAISS, numpy, LangChain, LlamaIndex...).
        config: Window, sampling and filters; defaults to :class:`MiningConfig`.
        teacher: A cross-encoder (e.g. :class:`xrerank.Reranker`) that rescores candidates
            and drops those it rates as relevant as the positive; its scores are written
            to the examples' ``positive_scores``/``negative_scores`` (for distillation).
        merge: Fold repeated queries into one example first
            (:func:`xrerank.mining.log_records.merge_records`).
        show_progress: Show a tqdm progress bar.

    Returns:
        ``(examples, report)``: the :class:`TrainingExample` s and a :class:`MiningReport`.

    Example:
        >>> from xrerank.mining import EmbeddingSource, mine_hard_negatives, read_log
        >>> source = EmbeddingSource(vectors, passages, ids=ids, query_encoder=encoder)
        >>> examples, report = mine_hard_negatives(read_log("log.jsonl"), source)
        >>> print(report.summary())
        3 queries -> 3 examples, 15 negatives (0 from the log, 0 random) in ... s
        candidates retrieved: 24
          removed by positive_id: 3
    """
    config = config or MiningConfig()
    report = MiningReport()
    records = _as_records(records)
    if merge:
        records = merge_records(records)
    examples = list(
        iter_hard_negatives(
            records, source, config, teacher=teacher, report=report, show_progress=show_progress
        )
    )
    logger.info("mining done: %s", report.summary().replace("\n", "; "))
    return MiningResult(examples, report)


def iter_hard_negatives(
    records: Iterable[LogRecord | Mapping[str, Any]],
    source: CandidateSource,
    config: MiningConfig | None = None,
    *,
    teacher: Teacher | None = None,
    report: MiningReport | None = None,
    show_progress: bool = True,
) -> Iterator[TrainingExample]:
    """Stream :func:`mine_hard_negatives` batch by batch (no merging, constant memory).

    Pass a :class:`MiningReport` to have it filled as examples are produced.

    Example:
        >>> import json
        >>> with open("train.jsonl", "w", encoding="utf-8") as handle:
        ...     for example in iter_hard_negatives(read_log("log.jsonl"), source):
        ...         _ = handle.write(json.dumps(example.to_dict()) + "\\n")
        >>> len(open("train.jsonl", encoding="utf-8").readlines())
        3
    """
    config = config or MiningConfig()
    if not isinstance(config, MiningConfig):
        raise TypeError(f"mining got {type(config).__name__} as config; expected MiningConfig.")
    for method in ("search_batch", "get_texts"):
        if not callable(getattr(source, method, None)):
            raise TypeError(
                f"mining got {type(source).__name__} as source, which has no {method}(); expected a "
                "CandidateSource such as FaissSource, EmbeddingSource, langchain_xrerank.VectorStoreSource "
                "or llamaindex_xrerank.RetrieverSource (subclass SourceBase for your own)."
            )
    report = report if report is not None else MiningReport()
    return _run(BatchMiner(source, config, teacher, report), records, show_progress)


def _run(miner: BatchMiner, records: Iterable[Any], show_progress: bool) -> Iterator[TrainingExample]:
    from tqdm.auto import tqdm

    report = miner.report
    started = time.perf_counter()
    total = len(records) if isinstance(records, Sequence) else None
    with tqdm(total=total, unit="query", desc="Mining", disable=not show_progress) as bar:
        for batch in _batches(_as_records(records), miner.config.batch_size):
            report.queries += len(batch)
            yield from miner.mine_batch(batch)
            report.seconds = time.perf_counter() - started
            bar.update(len(batch))
    report.seconds = time.perf_counter() - started


def _as_records(records: Iterable[LogRecord | Mapping[str, Any]]) -> Iterator[LogRecord]:
    if isinstance(records, (str, bytes)) or not isinstance(records, Iterable):
        raise TypeError(
            f"mining got {type(records).__name__} as records; expected log records (read_log(path)) or a "
            "list of dicts in the log schema."
        )
    if isinstance(records, Mapping):
        raise TypeError("mining got a single dict as records; wrap it in a list.")
    for index, record in enumerate(records):
        if isinstance(record, LogRecord):
            yield record
        elif isinstance(record, Mapping):
            yield from read_log([record])
        else:
            raise TypeError(
                f"mining got {type(record).__name__} at records[{index}]; expected LogRecord or dict."
            )


def _batches(records: Iterable[LogRecord], size: int) -> Iterator[list[LogRecord]]:
    batch: list[LogRecord] = []
    for record in records:
        batch.append(record)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
