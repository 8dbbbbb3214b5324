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
import math
import random
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, NamedTuple, Protocol

from xrerank.examples import TrainingExample
from xrerank.mining.logs import LogRecord, normalize_text, read_log
from xrerank.mining.sources import Candidate, CandidateSource

logger = logging.getLogger(__name__)

#: The funnel of filters, in the order they are applied; MiningReport.removed uses these keys.
FILTERS = (
    "positive_id",
    "positive_text",
    "duplicate",
    "outside_window",
    "max_score",
    "min_score",
    "absolute_margin",
    "relative_margin",
    "teacher",
)
#: Largest number of documents kept as the pool that random (easy) negatives are drawn from.
RANDOM_POOL_SIZE = 10_000


class Teacher(Protocol):
    """Anything that scores (query, passage) pairs, e.g. :class:`xrerank.Reranker`."""

    def score_pairs(self, pairs: Iterable[tuple[str, str]]) -> list[float]: ...


@dataclass
class MiningConfig:
    """How negatives are chosen. Defaults follow NV-Retriever's TopK-PercPos (95 %).

    Attributes:
        num_negatives: Negatives per query.
        range_min: Skip this many of the best-ranked candidates (ranks count the source's
            results after known positives and duplicates are removed).
        range_max: Consider candidates up to this rank (exclusive). None means
            ``range_min + 10 * num_negatives``.
        sampling: ``"top"`` takes the best-ranked candidates that pass the filters;
            ``"random"`` samples among them (seeded by ``seed`` and the query).
        seed: Seed of ``random`` sampling and of easy negatives.
        random_share: Share of ``num_negatives`` filled with easy negatives: documents
            the source returned for *other* queries. 0 disables them.
        relative_margin: Drop candidates scoring above
            ``positive - |positive| * relative_margin`` (0.05 keeps negatives below 95 % of
            the positive's score). A positive the source did not return is taken to score
            below every candidate, so all are dropped (see ``MiningReport.positive_not_retrieved``).
        absolute_margin: Drop candidates scoring above ``positive - absolute_margin``.
        max_score: Drop candidates scoring above this.
        min_score: Drop candidates scoring below this (too easy).
        teacher_margin: With a teacher, drop candidates whose teacher score is at least
            ``lowest positive teacher score - teacher_margin``.
        use_judged_negatives: Put documents the log labels not relevant first among the negatives.
        use_skipped: Put skip-above documents (shown above a used one, not used) first
            among the negatives. Off by default: users skip relevant results too.
        min_negatives: Queries left with fewer negatives are dropped from the output
            (and counted in the report). 0 keeps queries with positives only.
        batch_size: Queries sent to the source per ``search_batch`` call.

    Example:
        >>> MiningConfig(num_negatives=3, sampling="random", seed=7).range_max
        30
    """

    num_negatives: int = 5
    range_min: int = 0
    range_max: int | None = None
    sampling: Literal["top", "random"] = "top"
    seed: int = 0
    random_share: float = 0.0
    relative_margin: float | None = 0.05
    absolute_margin: float | None = None
    max_score: float | None = None
    min_score: float | None = None
    teacher_margin: float = 0.0
    use_judged_negatives: bool = True
    use_skipped: bool = False
    min_negatives: int = 1
    batch_size: int = 64

    def __post_init__(self) -> None:
        _int_at_least(self.num_negatives, "num_negatives", 1)
        _int_at_least(self.range_min, "range_min", 0)
        _int_at_least(self.seed, "seed", None)
        _int_at_least(self.batch_size, "batch_size", 1)
        _int_at_least(self.min_negatives, "min_negatives", 0)
        if self.range_max is None:
            self.range_max = self.range_min + 10 * self.num_negatives
        _int_at_least(self.range_max, "range_max", self.range_min + 1)
        if self.sampling not in ("top", "random"):
            raise ValueError(f"MiningConfig got sampling={self.sampling!r}; expected 'top' or 'random'.")
        if not _is_number(self.random_share) or not 0.0 <= self.random_share <= 1.0:
            raise ValueError(
                f"MiningConfig got random_share={self.random_share!r}; expected a share between 0 and 1."
            )
        for name in ("relative_margin", "absolute_margin", "max_score", "min_score", "teacher_margin"):
            value = getattr(self, name)
            if value is not None and not _is_number(value):
                raise ValueError(f"MiningConfig got {name}={value!r}; expected a finite number or None.")
        for name in ("relative_margin", "absolute_margin"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(
                    f"MiningConfig got {name}={value!r}; expected >= 0 (or None to turn it off)."
                )
        if self.min_negatives > self.num_negatives:
            raise ValueError(
                f"MiningConfig got min_negatives={self.min_negatives} above num_negatives="
                f"{self.num_negatives}; lower min_negatives."
            )
        if self.num_hard > self.range_max - self.range_min:
            raise ValueError(
                f"MiningConfig cannot mine {self.num_hard} hard negatives from a rank window of "
                f"{self.range_max - self.range_min} (range_min={self.range_min}, "
                f"range_max={self.range_max}); raise range_max or lower num_negatives."
            )

    @property
    def num_random(self) -> int:
        """Easy negatives per query (``round(num_negatives * random_share)``)."""
        return round(self.num_negatives * self.random_share)

    @property
    def num_hard(self) -> int:
        """Hard negatives per query (the rest of ``num_negatives``)."""
        return self.num_negatives - self.num_random

    @property
    def uses_scores(self) -> bool:
        """True when a filter needs the source's scores."""
        return any(
            v is not None
            for v in (self.relative_margin, self.absolute_margin, self.max_score, self.min_score)
        )


@dataclass
class MiningReport:
    """What mining did, for logs and for the CLI.

    Attributes:
        queries: Queries read (after merging repeats).
        examples: Training examples produced.
        no_positives: Queries skipped because the log names no positive (or none whose text
            the log or the source has).
        positives_without_text: Positive ids whose text neither the log nor the source had.
        candidates: Documents the source returned, over all queries.
        removed: Per filter (keys of :data:`FILTERS`), candidates it removed.
        positive_not_retrieved: Queries whose positive was not among the source's results;
            with a margin filter on, all of their candidates are removed. Raise range_max.
        negatives: Negatives in the output.
        log_negatives: Of those, taken from the log (judged or skipped).
        random_negatives: Of those, easy negatives drawn from other queries' results.
        short: Queries with fewer than ``num_negatives`` negatives (kept if >= min_negatives).
        dropped: Queries dropped for having fewer than ``min_negatives`` negatives.
        seconds: Wall time.
    """

    queries: int = 0
    examples: int = 0
    no_positives: int = 0
    positives_without_text: int = 0
    candidates: int = 0
    removed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FILTERS, 0))
    positive_not_retrieved: int = 0
    negatives: int = 0
    log_negatives: int = 0
    random_negatives: int = 0
    short: int = 0
    dropped: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    def summary(self) -> str:
        """A few human-readable lines (what the CLI prints).

        Example:
            >>> print(MiningReport(queries=2, examples=2, negatives=10).summary().splitlines()[0])
            2 queries -> 2 examples, 10 negatives (0 from the log, 0 random) in 0.0 s
        """
        lines = [
            f"{self.queries:,} queries -> {self.examples:,} examples, {self.negatives:,} negatives "
            f"({self.log_negatives:,} from the log, {self.random_negatives:,} random) "
            f"in {self.seconds:.1f} s",
            f"candidates retrieved: {self.candidates:,}",
        ]
        lines += [f"  removed by {name}: {count:,}" for name, count in self.removed.items() if count]
        notes = [
            (self.no_positives, "queries without any positive (skipped)"),
            (self.positives_without_text, "positive ids without text in the log or the store"),
            (
                self.positive_not_retrieved,
                "queries whose positive the store did not return in the window "
                "(margin filters then remove every candidate; raise range_max)",
            ),
            (self.short, "queries with fewer negatives than asked"),
            (self.dropped, "queries dropped below min_negatives"),
        ]
        lines += [f"{count:,} {text}" for count, text in notes if count]
        return "\n".join(lines)


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
        records: Log records (from :func:`xrerank.mining.logs.read_log`) or dicts in the log schema.
        source: Where candidates come from (FAISS, numpy, LangChain, LlamaIndex...).
        config: Window, sampling and filters; defaults to :class:`MiningConfig`.
        teacher: A cross-encoder (e.g. :class:`xrerank.Reranker`) that rescores candidates
            and drops those it rates as relevant as the positive; its scores are written
            to the examples' ``positive_scores``/``negative_scores`` (for distillation).
        merge: Fold repeated queries into one example first (:func:`xrerank.mining.logs.merge_records`).
        show_progress: Show a tqdm progress bar.

    Returns:
        ``(examples, report)``: the :class:`TrainingExample` s and a :class:`MiningReport`.

    Example:
        >>> from xrerank import EmbeddingSource, mine_hard_negatives
        >>> source = EmbeddingSource(vectors, texts, ids=ids, query_encoder=model)  # doctest: +SKIP
        >>> examples, report = mine_hard_negatives(read_log("log.jsonl"), source)  # doctest: +SKIP
        >>> print(report.summary())  # doctest: +SKIP
    """
    config = config or MiningConfig()
    report = MiningReport()
    records = _as_records(records)
    if merge:
        from xrerank.mining.logs import merge_records

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
        >>> for example in iter_hard_negatives(read_log("big.jsonl"), source):  # doctest: +SKIP
        ...     handle.write(json.dumps(example.to_dict()) + "\\n")
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
    return _run(_Miner(source, config, teacher, report), records, show_progress)


def _run(miner: _Miner, records: Iterable[Any], show_progress: bool) -> Iterator[TrainingExample]:
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


# --------------------------------------------------------------------------- internals


@dataclass
class _Query:
    record: LogRecord
    candidates: list[Candidate]
    positive_ids: set[str]
    positive_texts: dict[str, tuple[str, str | None]]  # normalised text -> (text, id)
    survivors: list[Candidate] = field(default_factory=list)
    log_negatives: list[Candidate] = field(default_factory=list)
    positive_scores: list[float] = field(default_factory=list)


class _Miner:
    def __init__(
        self, source: CandidateSource, config: MiningConfig, teacher: Teacher | None, report: MiningReport
    ) -> None:
        self.source = source
        self.config = config
        self.teacher = teacher
        self.report = report
        self.pool: list[Candidate] = []
        self.pool_seen: set[str] = set()
        self.pool_count = 0
        self.pool_rng = random.Random(f"{config.seed}:pool")

    def mine_batch(self, records: list[LogRecord]) -> list[TrainingExample]:
        config, report = self.config, self.report
        with_positives = [r for r in records if r.has_positives]
        report.no_positives += len(records) - len(with_positives)
        if not with_positives:
            return []
        extra = max(len(r.positive_ids) + len(r.positive_texts) for r in with_positives)
        assert config.range_max is not None
        results = self.source.search_batch([r.query for r in with_positives], config.range_max + extra)
        if len(results) != len(with_positives):
            raise ValueError(
                f"{type(self.source).__name__}.search_batch returned {len(results)} result lists "
                f"for {len(with_positives)} queries; expected one per query."
            )
        queries = self._resolve(with_positives, results)
        for query in queries:
            self._filter(query)
        if self.teacher is not None:
            self._denoise(queries)
        self._add_to_pool(queries)
        examples = []
        for query in queries:
            example = self._sample(query)
            if example is not None:
                examples.append(example)
        return examples

    # Positives: texts for ids, known by id and by normalised text.
    def _resolve(self, records: list[LogRecord], results: list[list[Candidate]]) -> list[_Query]:
        wanted: set[str] = set()
        for record, candidates in zip(records, results, strict=True):
            found = {c.id for c in candidates if c.id is not None}
            wanted.update(i for i in record.positive_ids if i not in found)
            if self.config.use_judged_negatives:
                wanted.update(i for i in record.negative_ids if i not in found)
            if self.config.use_skipped:
                wanted.update(i for i in record.skipped_ids if i not in found)
        looked_up = self.source.get_texts(sorted(wanted)) if wanted else {}
        queries = []
        for record, candidates in zip(records, results, strict=True):
            self.report.candidates += len(candidates)
            by_id = {c.id: c.text for c in candidates if c.id is not None}
            texts: dict[str, tuple[str, str | None]] = {}
            for doc_id in record.positive_ids:
                text = by_id.get(doc_id, looked_up.get(doc_id))
                if text is None:
                    self.report.positives_without_text += 1
                    continue
                texts.setdefault(normalize_text(text), (text, doc_id))
            for text in record.positive_texts:
                texts.setdefault(normalize_text(text), (text, None))
            query = _Query(record, candidates, set(record.positive_ids), texts)
            query.log_negatives = self._log_negatives(record, by_id, looked_up)
            queries.append(query)
        return queries

    def _log_negatives(
        self, record: LogRecord, by_id: Mapping[str, str], looked_up: Mapping[str, str]
    ) -> list[Candidate]:
        ids: list[str] = []
        if self.config.use_judged_negatives:
            ids += record.negative_ids
        if self.config.use_skipped:
            ids += record.skipped_ids
        found = []
        for doc_id in dict.fromkeys(ids):
            text = by_id.get(doc_id, looked_up.get(doc_id))
            if text is not None:
                found.append(Candidate(doc_id, text, None))
        return found

    def _is_positive(self, query: _Query, candidate: Candidate) -> str | None:
        if candidate.id is not None and candidate.id in query.positive_ids:
            return "positive_id"
        if normalize_text(candidate.text) in query.positive_texts:
            return "positive_text"
        return None

    def _filter(self, query: _Query) -> None:
        config, removed = self.config, self.report.removed
        # Each positive is one unit, known by id and/or normalised text. A unit the source did not
        # return scores below every candidate (the source returns its best matches first).
        unit_of_id = {doc_id: key for key, (_, doc_id) in query.positive_texts.items() if doc_id is not None}
        for doc_id in query.positive_ids:
            unit_of_id.setdefault(doc_id, f"id:{doc_id}")
        units = set(query.positive_texts) | set(unit_of_id.values())
        matched: dict[str, float] = {}
        remaining: list[Candidate] = []
        seen: set[str] = set()
        for candidate in query.candidates:
            reason = self._is_positive(query, candidate)
            key = normalize_text(candidate.text)
            if reason is not None:
                removed[reason] += 1
                unit = unit_of_id[candidate.id] if reason == "positive_id" and candidate.id else key
                if reason == "positive_text" and query.positive_texts[key][1] is None:
                    query.positive_texts[key] = (query.positive_texts[key][0], candidate.id)
                if candidate.score is not None:
                    matched[unit] = max(candidate.score, matched.get(unit, -math.inf))
                continue
            if key in seen:
                removed["duplicate"] += 1
                continue
            seen.add(key)
            remaining.append(candidate)
        positive_score = min(matched.values()) if units and units <= set(matched) else None
        window = remaining[config.range_min : config.range_max]
        removed["outside_window"] += len(remaining) - len(window)

        margins = config.relative_margin is not None or config.absolute_margin is not None
        if margins and positive_score is None:
            self.report.positive_not_retrieved += 1
        survivors = []
        for candidate in window:
            reason = self._score_filter(candidate, positive_score, margins)
            if reason is None:
                survivors.append(candidate)
            else:
                removed[reason] += 1
        query.survivors = survivors

    def _score_filter(self, candidate: Candidate, positive: float | None, margins: bool) -> str | None:
        config = self.config
        if not config.uses_scores:
            return None
        score = candidate.score
        if score is None:
            raise ValueError(
                f"{type(self.source).__name__} returned no score for document {candidate.id!r}, but "
                "max_score/min_score/margins need scores; use a source that reports scores or set "
                "relative_margin=None, absolute_margin=None, max_score=None, min_score=None."
            )
        if config.max_score is not None and score > config.max_score:
            return "max_score"
        if config.min_score is not None and score < config.min_score:
            return "min_score"
        if margins and positive is None:
            return "relative_margin" if config.relative_margin is not None else "absolute_margin"
        if positive is not None:
            if config.absolute_margin is not None and score + config.absolute_margin > positive:
                return "absolute_margin"
            if (
                config.relative_margin is not None
                and score > positive - abs(positive) * config.relative_margin
            ):
                return "relative_margin"
        return None

    def _denoise(self, queries: list[_Query]) -> None:
        assert self.teacher is not None
        pairs: list[tuple[str, str]] = []
        for query in queries:
            pairs += [(query.record.query, text) for text, _ in query.positive_texts.values()]
            pairs += [(query.record.query, c.text) for c in query.log_negatives + query.survivors]
        scores = iter(_floats(self.teacher.score_pairs(pairs), len(pairs)))
        margin = self.config.teacher_margin
        for query in queries:
            positive_scores = [next(scores) for _ in query.positive_texts]
            query.positive_scores = positive_scores
            bar = min(positive_scores) - margin if positive_scores else math.inf
            kept_log: list[Candidate] = []
            kept: list[Candidate] = []
            for target, items in ((kept_log, query.log_negatives), (kept, query.survivors)):
                for candidate in items:
                    teacher_score = next(scores)
                    if teacher_score >= bar:
                        self.report.removed["teacher"] += 1
                    else:
                        target.append(Candidate(candidate.id, candidate.text, teacher_score))
            query.log_negatives, query.survivors = kept_log, kept

    def _add_to_pool(self, queries: list[_Query]) -> None:
        if not self.config.num_random:
            return
        for query in queries:
            for candidate in query.candidates:
                key = candidate.id if candidate.id is not None else normalize_text(candidate.text)
                if key in self.pool_seen:
                    continue
                self.pool_seen.add(key)
                self.pool_count += 1
                if len(self.pool) < RANDOM_POOL_SIZE:
                    self.pool.append(candidate)
                else:  # reservoir sampling keeps a uniform sample in bounded memory
                    slot = self.pool_rng.randrange(self.pool_count)
                    if slot < RANDOM_POOL_SIZE:
                        self.pool[slot] = candidate

    def _sample(self, query: _Query) -> TrainingExample | None:
        config, report = self.config, self.report
        if not query.positive_texts:
            report.no_positives += 1
            return None
        rng = random.Random(f"{config.seed}:{normalize_text(query.record.query)}")
        log_negatives = []
        taken: set[str] = set()
        for candidate in query.log_negatives:
            # Logs can name two documents with the same text: one training negative each.
            key = normalize_text(candidate.text)
            if key not in taken and self._is_positive(query, candidate) is None:
                taken.add(key)
                log_negatives.append(candidate)
        hard = log_negatives[: config.num_hard]
        taken = {normalize_text(c.text) for c in hard}
        options = [c for c in query.survivors if normalize_text(c.text) not in taken]
        wanted = config.num_hard - len(hard)
        if config.sampling == "top":
            hard += options[:wanted]
        else:
            positions = sorted(rng.sample(range(len(options)), min(wanted, len(options))))
            hard += [options[i] for i in positions]
        easy = self._easy_negatives(query, hard, rng)
        negatives = hard + easy
        if len(negatives) < config.num_negatives:
            report.short += 1
        if len(negatives) < config.min_negatives:
            report.dropped += 1
            return None
        report.examples += 1
        report.negatives += len(negatives)
        report.log_negatives += min(len(log_negatives), config.num_hard)
        report.random_negatives += len(easy)
        positives = [text for text, _ in query.positive_texts.values()]
        positive_ids = [doc_id for _, doc_id in query.positive_texts.values()]
        negative_ids = [c.id for c in negatives]
        positive_scores: list[float] = []
        negative_scores: list[float] = []
        if self.teacher is not None:
            positive_scores = list(query.positive_scores)
            negative_scores = self._teacher_scores(query.record.query, negatives)
        return TrainingExample(
            query=query.record.query,
            positives=positives,
            negatives=[c.text for c in negatives],
            positive_ids=[str(i) for i in positive_ids] if all(i is not None for i in positive_ids) else [],
            negative_ids=[str(i) for i in negative_ids] if all(i is not None for i in negative_ids) else [],
            positive_scores=positive_scores,
            negative_scores=negative_scores,
            query_id=query.record.query_id,
        )

    def _easy_negatives(self, query: _Query, hard: list[Candidate], rng: random.Random) -> list[Candidate]:
        if not self.config.num_random or not self.pool:
            return []
        own = {normalize_text(c.text) for c in query.candidates} | {normalize_text(c.text) for c in hard}
        own_ids = {c.id for c in query.candidates if c.id is not None}
        options = [
            c
            for c in self.pool
            if c.id not in own_ids
            and normalize_text(c.text) not in own
            and self._is_positive(query, c) is None
        ]
        chosen = rng.sample(options, min(self.config.num_random, len(options)))
        return [Candidate(c.id, c.text, None) for c in chosen]

    def _teacher_scores(self, query: str, negatives: list[Candidate]) -> list[float]:
        # Hard negatives carry their teacher score from denoising; easy ones are scored now.
        assert self.teacher is not None
        missing = [c.text for c in negatives if c.score is None]
        fresh: Iterator[float] = iter(())
        if missing:
            fresh = iter(_floats(self.teacher.score_pairs([(query, t) for t in missing]), len(missing)))
        return [float(c.score) if c.score is not None else next(fresh) for c in negatives]


def _floats(values: Sequence[Any], expected: int) -> list[float]:
    scores = [float(v) for v in values]
    if len(scores) != expected:
        raise ValueError(
            f"the teacher returned {len(scores)} scores for {expected} pairs; expected one per pair."
        )
    if any(not math.isfinite(s) for s in scores):
        raise ValueError("the teacher returned NaN or inf scores; check the teacher model.")
    return scores


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


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


def _int_at_least(value: Any, name: str, minimum: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or (minimum is not None and value < minimum):
        bound = f" >= {minimum}" if minimum is not None else ""
        raise ValueError(f"MiningConfig got {name}={value!r}; expected an int{bound}.")
