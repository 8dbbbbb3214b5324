"""The per-batch work of the miner: search, resolve positives, filter, denoise with a teacher, sample.

Positives are known by id and by normalised text, so a passage the store holds under another id
(or without one) is still never a negative. What survives the filters is sampled (``top`` or
seeded ``random``) and optionally mixed with easy negatives from a reservoir of other queries' results.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from xrerank.examples import TrainingExample
from xrerank.mining.log_records import LogRecord, normalize_text
from xrerank.mining.mining_config import MiningConfig
from xrerank.mining.mining_report import MiningReport
from xrerank.mining.sources import Candidate, CandidateSource

#: Largest number of documents kept as the pool that random (easy) negatives are drawn from.
RANDOM_POOL_SIZE = 10_000


class Teacher(Protocol):
    """Anything that scores (query, passage) pairs, e.g. :class:`xrerank.Reranker`."""

    def score_pairs(self, pairs: Iterable[tuple[str, str]]) -> list[float]: ...


@dataclass
class _Query:
    """One query of a batch as it goes through the funnel."""

    record: LogRecord
    candidates: list[Candidate]
    positive_ids: set[str]
    positive_texts: dict[str, tuple[str, str | None]]  # normalised text -> (text, id)
    survivors: list[Candidate] = field(default_factory=list)
    log_negatives: list[Candidate] = field(default_factory=list)
    positive_scores: list[float] = field(default_factory=list)


class BatchMiner:
    """Mines one batch of queries at a time; the easy-negative pool carries over between batches.

    For each batch: one ``search_batch`` call, positives resolved by id and by normalised text,
    the funnel of filters (:data:`~xrerank.mining.mining_report.FILTERS`), teacher denoising, then
    sampling. Counts go to ``report``. Use :func:`xrerank.mining.miner.iter_hard_negatives`.
    """

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
        """The training examples of one batch (queries without positives are counted, not mined)."""
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
