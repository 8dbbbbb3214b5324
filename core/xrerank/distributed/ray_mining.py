"""Hard-negative mining on Ray Data: log shards -> actors that hold the store -> training examples.

The driver reads and merges the log as :func:`xrerank.mining.miner.mine_hard_negatives` does and
cuts it into the same batches (``MiningConfig.batch_size`` queries); each actor builds the
candidate source once and mines its batches with :func:`xrerank.mining.miner.iter_hard_negatives`,
the single-process code. Batches come back in log order, so the examples are the ones a single
process mines from the same input, in the same order.

A source is sent to each actor. One that does not pickle (a client holding a connection), or
one better read from files in each actor than shipped (a large FAISS index), is passed as a
function that builds it, e.g. ``lambda: FaissSource(faiss.read_index("corpus.faiss"), ...)``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from xrerank.distributed.ray_runtime import map_chunks
from xrerank.examples import TrainingExample
from xrerank.mining.batch_miner import Teacher
from xrerank.mining.log_reader import read_log
from xrerank.mining.log_records import LogRecord, merge_records
from xrerank.mining.miner import MiningResult, iter_hard_negatives
from xrerank.mining.mining_config import MiningConfig
from xrerank.mining.mining_report import MiningReport
from xrerank.mining.sources import CandidateSource

#: A candidate source, or a function of no arguments that builds one (called once in each actor).
SourceOrFactory = CandidateSource | Callable[[], CandidateSource]


@dataclass
class _MineBatches:
    source: Any
    config: MiningConfig
    teacher: Teacher | None
    _built: Any = None

    def run(self, chunk: list[LogRecord]) -> tuple[list[TrainingExample], MiningReport]:
        if self._built is None:
            is_source = callable(getattr(self.source, "search_batch", None))
            self._built = self.source if is_source or not callable(self.source) else self.source()
        report = MiningReport()
        examples = list(
            iter_hard_negatives(
                chunk, self._built, self.config, teacher=self.teacher, report=report, show_progress=False
            )
        )
        return examples, report


def mine_on_ray(
    records: Iterable[LogRecord | Mapping[str, Any]],
    source: SourceOrFactory,
    config: MiningConfig | None = None,
    *,
    teacher: Teacher | None = None,
    merge: bool = True,
    concurrency: int = 2,
    num_cpus: float = 1.0,
    show_progress: bool = True,
) -> MiningResult:
    """:func:`xrerank.mining.miner.mine_hard_negatives` with the log's batches spread over Ray actors.

    Args:
        records: Log records (from :func:`xrerank.mining.log_reader.read_log`) or dicts in the log schema.
        source: A picklable :class:`~xrerank.mining.sources.CandidateSource` (``FaissSource``,
            ``EmbeddingSource``), or a function of no arguments that builds one in each actor (for
            a source that does not pickle, or to read a large index from files there).
        config: As for ``mine_hard_negatives``; ``random_share`` must be 0 (see Raises).
        teacher: A cross-encoder that rescores candidates; an :class:`xrerank.Reranker` travels as a
            handle and loads its model in each actor.
        merge: Fold repeated queries into one example first (on the driver).
        concurrency: Actors (each builds the source and the teacher once).
        num_cpus: CPUs Ray reserves for each actor.
        show_progress: Show Ray Data's progress bars.

    Returns:
        ``(examples, report)`` as ``mine_hard_negatives`` returns them.

    Raises:
        ValueError: ``config.random_share > 0``: easy negatives come from a pool of other queries'
            results that grows through the whole log in order, which shards cannot share.

    Example::

        examples, report = mine_on_ray(read_log("log.jsonl"), lambda: FaissSource(...), concurrency=4)
    """
    caller = "mine_on_ray"
    config = config or MiningConfig()
    if not isinstance(config, MiningConfig):
        raise TypeError(f"{caller} got {type(config).__name__} as config; expected MiningConfig.")
    if config.num_random:
        raise ValueError(
            f"{caller} cannot mine random (easy) negatives (random_share={config.random_share}): they are "
            "drawn from a pool of other queries' results that grows through the whole log in order. Set "
            "random_share=0, or mine with mine_hard_negatives (xrerank mine --engine local)."
        )
    if not callable(source):
        for method in ("search_batch", "get_texts"):
            if not callable(getattr(source, method, None)):
                raise TypeError(
                    f"{caller} got {type(source).__name__} as source; expected a CandidateSource or a "
                    "function of no arguments that builds one."
                )
    started = time.perf_counter()
    items = _log_records(records, caller)
    if merge:
        items = merge_records(items)
    size = config.batch_size
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    results = map_chunks(
        _MineBatches(source, config, teacher),
        chunks,
        concurrency=concurrency,
        num_cpus=num_cpus,
        show_progress=show_progress,
        caller=caller,
    )
    report = MiningReport()
    examples: list[TrainingExample] = []
    for chunk_examples, chunk_report in results:
        examples += chunk_examples
        _add_counts(report, chunk_report)
    report.seconds = time.perf_counter() - started
    return MiningResult(examples, report)


def _log_records(records: Iterable[LogRecord | Mapping[str, Any]], caller: str) -> list[LogRecord]:
    """The records as LogRecords; dicts go through read_log, the one reader of the log schema."""
    if isinstance(records, (str, bytes, Mapping)) or not isinstance(records, Iterable):
        raise TypeError(
            f"{caller} got {type(records).__name__} as records; expected log records (read_log(path)) or a "
            "list of dicts in the log schema."
        )
    items: list[LogRecord] = []
    for record in records:
        items.extend(read_log([record]) if isinstance(record, Mapping) else [record])
    return items


def _add_counts(total: MiningReport, part: MiningReport) -> None:
    for field in fields(MiningReport):
        if field.name == "seconds":
            continue
        if field.name == "removed":
            for name, count in part.removed.items():
                total.removed[name] = total.removed.get(name, 0) + count
        else:
            setattr(total, field.name, getattr(total, field.name) + getattr(part, field.name))
