"""What a :class:`~xrerank.serving.query_cache.SemanticQueryCache` is set up with and reports back.

Example:
    >>> QueryCacheConfig(max_size=256, ttl_s=3600).min_similarity == DEFAULT_MIN_SIMILARITY
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from xrerank.validation import check_int, check_number

T = TypeVar("T")

MatchStage = Literal["exact", "semantic"]

# Threshold on the bi-encoder cosine similarity, calibrated for all-MiniLM-L6-v2 on the calibration
# split of benchmarks/data/query_cache_eval.jsonl (procedure in benchmarks/query_cache.py). Other encoders
# place paraphrases at other similarities: calibrate for yours.
DEFAULT_MIN_SIMILARITY = 0.89


@dataclass(frozen=True, slots=True)
class QueryCacheConfig:
    """Settings of a :class:`~xrerank.serving.query_cache.SemanticQueryCache`.

    Attributes:
        max_size: Most entries kept; the least recently used entry is evicted beyond it.
        ttl_s: Seconds an entry stays valid after it was stored; None keeps entries until evicted.
        min_similarity: Bi-encoder cosine similarity a cached query needs to be considered at all.
            Calibrated for all-MiniLM-L6-v2 (see :data:`DEFAULT_MIN_SIMILARITY`).
        prefilter_k: Most cached queries the verifier scores per lookup: the most similar ones
            that pass the guard (which itself looks at no more than ``4 * prefilter_k``). Bounds
            the cross-encoder pairs per lookup.
        verifier_threshold: Score the verifier must give ``(query, cached query)`` for a hit, on the
            verifier's own scale (in [0, 1] for a Reranker with sigmoid activation). Required
            when a verifier is given.
    """

    max_size: int = 1024
    ttl_s: float | None = None
    min_similarity: float = DEFAULT_MIN_SIMILARITY
    prefilter_k: int = 5
    verifier_threshold: float | None = None

    def __post_init__(self) -> None:
        caller = "QueryCacheConfig"
        check_int(self.max_size, caller=caller, name="max_size")
        check_number(
            self.ttl_s, caller=caller, name="ttl_s", minimum=0, exclusive_minimum=True, optional=True
        )
        check_number(self.min_similarity, caller=caller, name="min_similarity", minimum=-1, maximum=1)
        check_int(self.prefilter_k, caller=caller, name="prefilter_k")
        check_number(self.verifier_threshold, caller=caller, name="verifier_threshold", optional=True)


@dataclass(frozen=True, slots=True)
class CacheLookup(Generic[T]):
    """The outcome of :meth:`~xrerank.serving.query_cache.SemanticQueryCache.lookup`.

    Attributes:
        hit: Whether a cached result answers the query.
        value: The cached result on a hit, else None.
        matched_query: The cached query that matched, else None.
        stage: ``"exact"`` or ``"semantic"`` on a hit, else None.
        similarity: Bi-encoder cosine similarity of the best candidate considered (1.0 for an
            exact hit), or None when no candidate was considered.
        verifier_score: The verifier's score of the matched (or best rejected) candidate, or None.
        rejected_by_guard: Candidates above ``min_similarity`` that the key-term guard turned away.
    """

    hit: bool
    value: T | None = None
    matched_query: str | None = None
    stage: MatchStage | None = None
    similarity: float | None = None
    verifier_score: float | None = None
    rejected_by_guard: int = 0


@dataclass(frozen=True, slots=True)
class QueryCacheStats:
    """Counters since the cache was built: a snapshot, as ``SemanticQueryCache.stats`` returns it.

    Attributes:
        lookups: Lookups made (including those inside ``get_or_compute``).
        hits: Lookups answered from the cache (``exact_hits + semantic_hits``).
        exact_hits: Hits on the normalised-text fast path.
        semantic_hits: Hits through the embedding prefilter (and guard, and verifier).
        misses: Lookups that found nothing.
        guard_rejections: Candidates above ``min_similarity`` turned away by the key-term guard.
        verifier_calls: Calls made to the verifier (one per lookup that reached it).
        verifier_rejections: Lookups where the verifier turned every candidate away.
        evictions: Entries dropped because the cache was full.
        expirations: Entries dropped because their TTL had passed.
        size: Entries held now.
    """

    lookups: int = 0
    hits: int = 0
    exact_hits: int = 0
    semantic_hits: int = 0
    misses: int = 0
    guard_rejections: int = 0
    verifier_calls: int = 0
    verifier_rejections: int = 0
    evictions: int = 0
    expirations: int = 0
    size: int = 0

    @property
    def hit_rate(self) -> float:
        """Share of lookups answered from the cache (0.0 before any lookup)."""
        return float(self.hits / self.lookups) if self.lookups else 0.0
