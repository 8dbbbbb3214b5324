"""A semantic query cache: answer a repeated or paraphrased question without running the pipeline again.

Users ask the same thing many ways ("How do I reset my password?", "I forgot my password, how
do I change it?"). :class:`SemanticQueryCache` sits in front of an expensive pipeline (retrieval,
reranking, generation) and returns the stored result of an earlier query when the new one asks
the same thing. A lookup goes through these stages, cheapest first, and stops at the first that
decides:

1. **Exact match** on normalised text (Unicode NFKC, case-folded, whitespace collapsed, trailing
   punctuation dropped): a dictionary lookup.
2. **Embedding prefilter**: the query is embedded once with a bi-encoder (e.g. all-MiniLM-L6-v2)
   and compared with every cached query in one matrix product over a numpy array of normalised
   embeddings. Only the most similar entries at or above ``min_similarity`` go on (at most
   ``4 * prefilter_k`` to the guard, at most ``prefilter_k`` of its survivors to the verifier), so a
   lookup never costs one cross-encoder call per cached query.
3. **Key-term guard** (:class:`KeyTermGuard`): a lexical check that the two queries name the same
   specifics. Numbers and codes (``XR-40`` vs ``XR-60``, ``30 days`` vs ``14 days``), capitalised
   names (``Slack`` vs ``Teams``), negation (``can`` vs ``cannot``) and opposite actions (``enable``
   vs ``disable``, ``export`` vs ``import``) must agree. Embeddings place such pairs very close
   together; this guard is what keeps them apart. It only ever turns a hit into a miss.
4. **Cross-encoder paraphrase check** (optional ``verifier``): any :class:`xrerank.Reranker` (or
   object with ``score(query, texts)``) that scores ``(new query, cached query)`` pairs, e.g. a
   cross-encoder trained on Quora duplicate questions or STS. Survivors of stage 3 are scored in
   one call; the best at or above ``verifier_threshold`` is the hit.

What each stage can and cannot do, honestly: stage 2 measures topical similarity and cannot
tell apart queries that differ in one number, name or "not"; stage 3 catches those surface
differences but knows no synonyms beyond its word lists; stage 4 is only as good as the model you
give it. A relevance reranker (MS MARCO) or an untrained head is *not* a paraphrase judge: it
scores "is this passage relevant", not "is this the same question". Without a verifier the cache
runs stages 1-3, whose thresholds were calibrated on the project's own test set (see
``benchmarks/query_cache.py``); re-calibrate on your own traffic before trusting a lower
threshold.

The cache is bounded (least-recently-used entries are evicted), can expire entries after a TTL
(with an injectable clock), is safe to share between threads, and counts hits and misses.

Example:
    >>> cache = SemanticQueryCache(encoder)  # e.g. SentenceTransformer("all-MiniLM-L6-v2")
    >>> def run_pipeline(query):  # retrieve, rerank, answer: the work the cache saves
    ...     return f"answer to {query!r}"
    >>> cache.get_or_compute("How do I reset my password?", run_pipeline)
    "answer to 'How do I reset my password?'"
    >>> cache.get_or_compute("How can I reset my password?", run_pipeline)  # served from the cache
    "answer to 'How do I reset my password?'"
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from xrerank.mining.sources import QueryEncoder, encode_queries
from xrerank.serving.embedding_rows import EmbeddingRows
from xrerank.serving.key_terms import KeyTermGuard, normalize_query
from xrerank.serving.query_cache_types import CacheLookup, QueryCacheConfig, QueryCacheStats
from xrerank.validation import check_query

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger(__name__)

T = TypeVar("T")

_DEFAULT_GUARD = KeyTermGuard()  # frozen, so one instance can be every cache's default


class PairScorer(Protocol):
    """What the verifier must offer: :meth:`xrerank.Reranker.score` has this shape."""

    def score(self, query: str, texts: list[str]) -> list[float]: ...


@dataclass(slots=True)
class _Entry:
    query: str
    key: str
    value: Any
    row: int  # row in the embedding matrix, -1 when the cache has no encoder
    expires_at: float | None


class SemanticQueryCache(Generic[T]):
    """A bounded, thread-safe cache of pipeline results keyed by what a query asks.

    See the module documentation for the lookup stages and what each can judge.

    Args:
        encoder: Bi-encoder for the prefilter: a SentenceTransformer, or a callable mapping a list of
            queries to an (n, dim) array. None keeps only the exact-match fast path.
        config: Size, TTL and thresholds (:class:`QueryCacheConfig`).
        guard: Lexical check run on prefilter candidates (:class:`KeyTermGuard`, or any callable
            ``(query, cached_query) -> bool``); None skips it. It is the main protection against
            wrong hits when there is no verifier: keep it unless your verifier is trained for it.
        verifier: Optional cross-encoder paraphrase judge: an :class:`xrerank.Reranker` (or any object
            with ``score(query, texts) -> list[float]``) trained to score whether two questions are
            the same. Needs ``config.verifier_threshold``.
        clock: Seconds as a float, for the TTL; inject a fake clock in tests.

    Example:
        >>> cache = SemanticQueryCache(encoder=None)  # exact matches only, no model needed
        >>> cache.get_or_compute("What is BM25?", lambda q: f"answer to {q}")
        'answer to What is BM25?'
        >>> cache.lookup("what is bm25").value
        'answer to What is BM25?'
    """

    def __init__(
        self,
        encoder: QueryEncoder | None,
        *,
        config: QueryCacheConfig | None = None,
        guard: Callable[[str, str], bool] | None = _DEFAULT_GUARD,
        verifier: PairScorer | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config if config is not None else QueryCacheConfig()
        if not isinstance(self.config, QueryCacheConfig):
            raise TypeError(
                f"SemanticQueryCache got {type(self.config).__name__} as config; expected QueryCacheConfig."
            )
        if verifier is not None:
            if not callable(getattr(verifier, "score", None)):
                raise TypeError(
                    f"SemanticQueryCache got {type(verifier).__name__} as verifier; expected an "
                    "xrerank.Reranker (or an object with score(query, texts) -> list[float])."
                )
            if self.config.verifier_threshold is None:
                raise ValueError(
                    "SemanticQueryCache got a verifier but no threshold; set "
                    "QueryCacheConfig(verifier_threshold=...) on the verifier's score scale."
                )
        if guard is not None and not callable(guard):
            raise TypeError(f"SemanticQueryCache got {type(guard).__name__} as guard; expected a callable.")
        self.encoder = encoder
        self.guard = guard
        self.verifier = verifier
        self._clock = clock
        self._lock = threading.RLock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        # One row more than max_size: a new entry is stored before the least recent one is evicted.
        self._vectors: EmbeddingRows[_Entry] = EmbeddingRows(self.config.max_size + 1)
        self._inflight: dict[str, Future[Any]] = {}
        self._counts = dict.fromkeys(
            (
                "lookups", "hits", "exact_hits", "semantic_hits", "misses", "guard_rejections",
                "verifier_calls", "verifier_rejections", "evictions", "expirations",
            ),
            0,
        )  # fmt: skip

    def __repr__(self) -> str:
        return (
            f"SemanticQueryCache(size={len(self)}, max_size={self.config.max_size}, "
            f"encoder={type(self.encoder).__name__ if self.encoder is not None else None}, "
            f"verifier={type(self.verifier).__name__ if self.verifier is not None else None})"
        )

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def stats(self) -> QueryCacheStats:
        """A snapshot of the counters."""
        with self._lock:
            return QueryCacheStats(**self._counts, size=len(self._entries))

    # ------------------------------------------------------------------------------ public API

    def lookup(self, query: str) -> CacheLookup[T]:
        """Find a cached result for ``query`` without computing anything on a miss.

        Example:
            >>> cache = SemanticQueryCache(encoder=None)
            >>> cache.put("What is BM25?", "a ranking function")
            >>> cache.lookup("What is BM25?").hit, cache.lookup("What is DPR?").hit
            (True, False)
        """
        query = check_query(query, caller="SemanticQueryCache.lookup")
        key = normalize_query(query)
        with self._lock:
            self._counts["lookups"] += 1
            found = self._exact(key)
            if found is not None:
                self._counts["hits"] += 1
                self._counts["exact_hits"] += 1
                return CacheLookup(True, found.value, found.query, "exact", 1.0)
            has_vectors = (
                self.encoder is not None and self._vectors.dim is not None and len(self._entries) > 0
            )
        if not has_vectors:
            return self._record_miss(CacheLookup(False))
        vector = self._embed(query, caller="SemanticQueryCache.lookup")
        return self._semantic(query, vector)

    def put(self, query: str, value: T) -> None:
        """Store ``value`` as the result of ``query`` (replacing an entry with the same normalised text).

        Example:
            >>> cache = SemanticQueryCache(encoder=None)
            >>> cache.put("What is BM25?", ["doc-3", "doc-7"])
            >>> len(cache)
            1
        """
        query = check_query(query, caller="SemanticQueryCache.put")
        vector = self._embed(query, caller="SemanticQueryCache.put") if self.encoder is not None else None
        self._store(query, normalize_query(query), value, vector)

    def get_or_compute(self, query: str, compute: Callable[[str], T]) -> T:
        """Return the cached result for ``query``, or run ``compute(query)``, store and return it.

        Concurrent calls with the same normalised query run ``compute`` once; the others wait for
        its result (or its exception). The stored object is returned as is on later hits: do not
        modify it, or copy it first.

        Example:
            >>> cache = SemanticQueryCache(encoder=None)
            >>> calls = []
            >>> pipeline = lambda q: calls.append(q) or f"result for {q}"
            >>> cache.get_or_compute("What is BM25?", pipeline)
            'result for What is BM25?'
            >>> cache.get_or_compute("what is BM25", pipeline), len(calls)
            ('result for What is BM25?', 1)
        """
        found = self.lookup(query)
        if found.hit:
            return found.value  # type: ignore[return-value]
        key = normalize_query(query)
        with self._lock:
            pending = self._inflight.get(key)
            owner = pending is None
            if owner:
                done = self._exact(key)  # stored by a caller that finished since our lookup
                if done is not None:
                    return done.value
                pending = self._inflight[key] = Future()
        assert pending is not None
        if not owner:
            return pending.result()
        try:
            value = compute(query)
            self.put(query, value)
        except BaseException as exc:
            pending.set_exception(exc)
            raise
        else:
            pending.set_result(value)
            return value
        finally:
            with self._lock:
                self._inflight.pop(key, None)

    async def aget_or_compute(self, query: str, compute: Callable[[str], Awaitable[T]]) -> T:
        """Async :meth:`get_or_compute`: embedding runs off the event loop, ``compute`` is awaited.

        Example:
            >>> async def pipeline(q):
            ...     return f"result for {q}"
            >>> asyncio.run(SemanticQueryCache(encoder=None).aget_or_compute("What is BM25?", pipeline))
            'result for What is BM25?'
        """
        found = await asyncio.to_thread(self.lookup, query)
        if found.hit:
            return found.value  # type: ignore[return-value]
        value = await compute(query)
        await asyncio.to_thread(self.put, query, value)
        return value

    def invalidate(self, query: str) -> bool:
        """Drop the entry stored under ``query``'s normalised text; True if there was one."""
        key = normalize_query(check_query(query, caller="SemanticQueryCache.invalidate"))
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return False
            self._remove(entry)
            return True

    def clear(self) -> None:
        """Drop every entry (counters are kept)."""
        with self._lock:
            self._entries.clear()
            self._vectors.clear()

    def purge_expired(self) -> int:
        """Drop entries whose TTL has passed now; returns how many (lookups also skip them lazily)."""
        with self._lock:
            now = self._clock()
            expired = [e for e in self._entries.values() if e.expires_at is not None and e.expires_at <= now]
            for entry in expired:
                self._remove(entry)
            self._counts["expirations"] += len(expired)
            return len(expired)

    def queries(self) -> list[str]:
        """The cached queries, least recently used first."""
        with self._lock:
            return [entry.query for entry in self._entries.values()]

    # ------------------------------------------------------------------------------ internals

    def _embed(self, query: str, *, caller: str) -> np.ndarray:
        return encode_queries(self.encoder, [query], normalize=True, caller=caller)[0]

    def _alive(self, entry: _Entry) -> bool:
        if entry.expires_at is not None and entry.expires_at <= self._clock():
            self._remove(entry)
            self._counts["expirations"] += 1
            return False
        return True

    def _exact(self, key: str) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is None or not self._alive(entry):
            return None
        self._entries.move_to_end(key)
        return entry

    def _semantic(self, query: str, vector: np.ndarray) -> CacheLookup[T]:
        import numpy as np

        config = self.config
        with self._lock:
            if self._vectors.dim is None or not self._entries:
                return self._record_miss(CacheLookup(False))
            self._check_dimension(vector, "do not swap encoders on a filled cache (call clear() first)")
            similarities = self._vectors.similarities(vector)
            window = min(len(similarities), 4 * config.prefilter_k)
            top = np.argpartition(-similarities, window - 1)[:window]
            order = sorted(top.tolist(), key=lambda i: (-similarities[i], i))
            best = float(similarities[order[0]])
            best_similarity = best if np.isfinite(best) else None
            above: list[tuple[_Entry, float]] = []
            for row in order:
                similarity = float(similarities[row])
                if similarity < config.min_similarity:
                    break  # sorted: the rest are below too
                entry = self._vectors.owner(row)
                if entry is not None and self._alive(entry):
                    above.append((entry, similarity))
        candidates: list[tuple[_Entry, float]] = []
        rejected = 0
        for entry, similarity in above:
            if self.guard is not None and not self.guard(query, entry.query):
                rejected += 1
                continue
            candidates.append((entry, similarity))
            if len(candidates) == config.prefilter_k:
                break
        if rejected:
            with self._lock:
                self._counts["guard_rejections"] += rejected
        if not candidates:
            return self._record_miss(
                CacheLookup(False, similarity=best_similarity, rejected_by_guard=rejected)
            )
        verifier_score: float | None = None
        if self.verifier is not None:
            scores = [float(s) for s in self.verifier.score(query, [e.query for e, _ in candidates])]
            with self._lock:
                self._counts["verifier_calls"] += 1
            best = max(range(len(candidates)), key=lambda i: (scores[i], candidates[i][1]))
            verifier_score = scores[best]
            assert config.verifier_threshold is not None
            if verifier_score < config.verifier_threshold:
                with self._lock:
                    self._counts["verifier_rejections"] += 1
                return self._record_miss(
                    CacheLookup(
                        False,
                        similarity=candidates[best][1],
                        verifier_score=verifier_score,
                        rejected_by_guard=rejected,
                    )
                )
            entry, similarity = candidates[best]
        else:
            entry, similarity = candidates[0]
        with self._lock:
            if self._entries.get(entry.key) is not entry:  # evicted or replaced meanwhile
                return self._record_miss(CacheLookup(False, similarity=similarity))
            self._entries.move_to_end(entry.key)
            self._counts["hits"] += 1
            self._counts["semantic_hits"] += 1
        logger.debug("semantic cache hit: %r -> %r (cosine %.3f)", query, entry.query, similarity)
        return CacheLookup(True, entry.value, entry.query, "semantic", similarity, verifier_score, rejected)

    def _record_miss(self, result: CacheLookup[T]) -> CacheLookup[T]:
        with self._lock:
            self._counts["misses"] += 1
        return result

    def _store(self, query: str, key: str, value: Any, vector: np.ndarray | None) -> None:
        ttl = self.config.ttl_s
        with self._lock:
            old = self._entries.get(key)
            if old is not None:
                self._remove(old)
            if vector is not None:
                self._check_dimension(vector, "call clear() before changing encoders")
            entry = _Entry(query, key, value, -1, None if ttl is None else self._clock() + ttl)
            if vector is not None:
                entry.row = self._vectors.add(vector, entry)
            self._entries[key] = entry
            while len(self._entries) > self.config.max_size:
                _, evicted = next(iter(self._entries.items()))
                self._remove(evicted)
                self._counts["evictions"] += 1

    def _check_dimension(self, vector: np.ndarray, advice: str) -> None:
        dim = self._vectors.dim
        if dim is not None and vector.shape[0] != dim:
            raise ValueError(
                f"SemanticQueryCache: the encoder made a {vector.shape[0]}-dim vector but the cache "
                f"holds {dim}-dim vectors; {advice}."
            )

    def _remove(self, entry: _Entry) -> None:
        if self._entries.get(entry.key) is entry:
            del self._entries[entry.key]
        self._vectors.remove(entry.row, entry)
