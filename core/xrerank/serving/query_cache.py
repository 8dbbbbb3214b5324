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
    >>> from sentence_transformers import SentenceTransformer  # doctest: +SKIP
    >>> cache = SemanticQueryCache(SentenceTransformer("all-MiniLM-L6-v2"))  # doctest: +SKIP
    >>> cache.get_or_compute("How do I reset my password?", run_pipeline)  # doctest: +SKIP
    >>> cache.get_or_compute("How can I reset my password?", run_pipeline)  # served from the cache
    ... # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

from xrerank.mining.sources import QueryEncoder, encode_queries
from xrerank.validation import check_query

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger(__name__)

T = TypeVar("T")

MatchStage = Literal["exact", "semantic"]

# Threshold on the bi-encoder cosine similarity, calibrated for all-MiniLM-L6-v2 on the calibration
# split of benchmarks/data/query_cache_eval.jsonl (procedure in benchmarks/query_cache.py). Other encoders
# place paraphrases at other similarities: calibrate for yours.
DEFAULT_MIN_SIMILARITY = 0.89


class PairScorer(Protocol):
    """What the verifier must offer: :meth:`xrerank.Reranker.score` has this shape."""

    def score(self, query: str, texts: list[str]) -> list[float]: ...


@dataclass(frozen=True, slots=True)
class QueryCacheConfig:
    """Settings of a :class:`SemanticQueryCache`.

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
        if isinstance(self.max_size, bool) or not isinstance(self.max_size, int) or self.max_size < 1:
            raise ValueError(f"QueryCacheConfig got max_size={self.max_size!r}; expected a positive int.")
        if self.ttl_s is not None and (
            isinstance(self.ttl_s, bool) or not isinstance(self.ttl_s, (int, float)) or not self.ttl_s > 0
        ):
            raise ValueError(
                f"QueryCacheConfig got ttl_s={self.ttl_s!r}; expected a positive number of seconds, "
                "or None to keep entries until evicted."
            )
        if not isinstance(self.min_similarity, (int, float)) or not -1.0 <= self.min_similarity <= 1.0:
            raise ValueError(
                f"QueryCacheConfig got min_similarity={self.min_similarity!r}; expected a cosine "
                "similarity in [-1, 1]."
            )
        if (
            isinstance(self.prefilter_k, bool)
            or not isinstance(self.prefilter_k, int)
            or self.prefilter_k < 1
        ):
            raise ValueError(
                f"QueryCacheConfig got prefilter_k={self.prefilter_k!r}; expected a positive int."
            )
        if self.verifier_threshold is not None and (
            isinstance(self.verifier_threshold, bool)
            or not isinstance(self.verifier_threshold, (int, float))
            or not math.isfinite(self.verifier_threshold)
        ):
            raise ValueError(
                f"QueryCacheConfig got verifier_threshold={self.verifier_threshold!r}; expected a "
                "finite number on the verifier's score scale."
            )


@dataclass(frozen=True, slots=True)
class CacheLookup(Generic[T]):
    """The outcome of :meth:`SemanticQueryCache.lookup`.

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
    """Counters since the cache was built (a snapshot; see :attr:`SemanticQueryCache.stats`).

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


# ---------------------------------------------------------------------------- normalisation, guard

_WHITESPACE = re.compile(r"\s+")
_TOKEN = re.compile(r"[^\W_]+(?:[-'./][^\W_]+)*", re.UNICODE)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def normalize_query(query: str) -> str:
    """The exact-match key of a query: NFKC, case-folded, whitespace collapsed, edge punctuation dropped.

    Example:
        >>> normalize_query("  How do I reset my   Password?? ")
        'how do i reset my password'
    """
    text = unicodedata.normalize("NFKC", query).translate(_APOSTROPHES).casefold()
    text = _WHITESPACE.sub(" ", text).strip()
    return text.strip(" \t?!.,;:'\"()[]{}")


_NEGATIONS = frozenset(
    {
        "not", "no", "never", "without", "cannot", "unable", "none", "nothing", "nor", "neither",
        "can't", "don't", "doesn't", "didn't", "won't", "isn't", "aren't", "wasn't", "weren't",
        "shouldn't", "couldn't", "wouldn't", "hasn't", "haven't", "hadn't", "mustn't", "ain't",
    }
)  # fmt: skip

_NUMBER_WORDS = frozenset(
    {
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
        "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
        "hundred", "thousand", "million", "billion", "half", "once", "twice", "single", "double",
    }
)  # fmt: skip

DEFAULT_OPPOSITES: tuple[tuple[str, str], ...] = (
    ("enable", "disable"), ("activate", "deactivate"), ("add", "remove"), ("add", "delete"),
    ("create", "delete"), ("increase", "decrease"), ("raise", "lower"), ("upgrade", "downgrade"),
    ("import", "export"), ("upload", "download"), ("login", "logout"), ("signin", "signout"),
    ("subscribe", "unsubscribe"), ("lock", "unlock"), ("encrypt", "decrypt"), ("allow", "block"),
    ("allow", "deny"), ("accept", "reject"), ("accept", "decline"), ("start", "stop"), ("open", "close"),
    ("show", "hide"), ("include", "exclude"), ("before", "after"), ("more", "less"), ("more", "fewer"),
    ("minimum", "maximum"), ("min", "max"), ("first", "last"), ("on", "off"), ("public", "private"),
    ("monthly", "annual"), ("monthly", "annually"), ("monthly", "yearly"), ("daily", "weekly"),
    ("weekly", "monthly"), ("inbound", "outbound"), ("incoming", "outgoing"), ("send", "receive"),
    ("buy", "sell"), ("pause", "resume"), ("connect", "disconnect"), ("join", "leave"), ("mute", "unmute"),
    ("pin", "unpin"), ("archive", "unarchive"), ("share", "unshare"), ("follow", "unfollow"),
    ("install", "uninstall"), ("link", "unlink"), ("freeze", "unfreeze"), ("hot", "cold"),
    ("old", "new"), ("free", "paid"), ("personal", "business"), ("ios", "android"),
)  # fmt: skip

# Two-word verbs written as one token, so that "log in" and "log out" can be told apart.
_PHRASES = (
    (re.compile(r"\b(log|sign)[\s-]+(in|on)\b"), r"\1in"),
    (re.compile(r"\b(log|sign)[\s-]+(out|off)\b"), r"\1out"),
)


def _variants(word: str) -> set[str]:
    """Common inflections of a lexicon word (enable -> enables, enabled, enabling)."""
    forms = {word, word + "s", word + "es", word + "ed", word + "d", word + "ing"}
    if word.endswith("e"):
        forms.add(word[:-1] + "ing")
    if len(word) <= 4 and word[-1] not in "aeiouwy" and word[-2:-1] in set("aeiou"):
        forms |= {word + word[-1] + "ed", word + word[-1] + "ing"}  # stop -> stopped, stopping
    return forms


@dataclass(frozen=True)
class KeyTermGuard:
    """A lexical check that two queries name the same specifics; True means "may be the same question".

    Bi-encoder embeddings put "reset the XR-40" and "reset the XR-60", or "enable SSO" and "disable
    SSO", almost on top of each other. This guard rejects a candidate when the two queries differ in:

    * numbers and codes: tokens holding a digit, and number words (``30`` vs ``14``, ``v2`` vs ``v3``);
    * names: tokens with a capital letter past the first word's first letter, or all-caps acronyms
      (``Slack`` vs ``Teams``, ``CSV`` vs ``PDF``), compared case-insensitively, so a name in one
      query must appear in the other (any case);
    * negation: one query negates (``not``, ``can't``, ``unable``, ``without``...) and the other does not;
    * opposite actions: one query says a word of an opposite pair (``enable``) and the other
      says its counterpart (``disable``) without the word itself.

    It knows no synonyms: "two-factor" and "2FA" differ to it, so such paraphrases miss (a run of
    the pipeline, never a wrong answer). Every check can be switched off, and the word lists
    extended.

    Attributes:
        check_numbers: Compare numbers, codes and number words.
        check_names: Compare capitalised names and acronyms.
        check_negation: Compare whether each query negates.
        opposites: Pairs of opposite words (lower case; common inflections are added).
        extra_negations: Words treated as negations on top of the built-in list.

    Example:
        >>> guard = KeyTermGuard()
        >>> guard("How do I reset the XR-40?", "How can I reset my XR-40")
        True
        >>> guard("How do I reset the XR-40?", "How do I reset the XR-60?")
        False
        >>> guard("How do I enable SSO?", "How do I disable SSO?")
        False
    """

    check_numbers: bool = True
    check_names: bool = True
    check_negation: bool = True
    opposites: tuple[tuple[str, str], ...] = DEFAULT_OPPOSITES
    extra_negations: frozenset[str] = frozenset()
    _opposite_forms: tuple[tuple[frozenset[str], frozenset[str]], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        forms = tuple(
            (frozenset(_variants(a.lower())), frozenset(_variants(b.lower()))) for a, b in self.opposites
        )
        object.__setattr__(self, "_opposite_forms", forms)

    def __call__(self, query: str, cached_query: str) -> bool:
        """True when nothing in the two queries' specifics disagrees."""
        return not self.conflicts(query, cached_query)

    def conflicts(self, query: str, cached_query: str) -> list[str]:
        """The reasons the two queries differ (empty when the guard lets the pair through).

        Example:
            >>> KeyTermGuard().conflicts("refund after 30 days", "refund after 14 days")
            ["numbers differ: ['30'] vs ['14']"]
        """
        a, b = _Terms.of(query), _Terms.of(cached_query)
        reasons: list[str] = []
        if self.check_numbers and a.numbers != b.numbers:
            reasons.append(f"numbers differ: {sorted(a.numbers)} vs {sorted(b.numbers)}")
        if self.check_names:
            missing = sorted((a.names - b.words) | (b.names - a.words))
            if missing:
                reasons.append(f"names in one query only: {missing}")
        if self.check_negation:
            negations = _NEGATIONS | self.extra_negations
            if bool(a.words & negations) != bool(b.words & negations):
                reasons.append("one query is negated, the other is not")
        for left, right in self._opposite_forms:
            a_left, a_right = bool(a.words & left), bool(a.words & right)
            b_left, b_right = bool(b.words & left), bool(b.words & right)
            if (a_left and not a_right and b_right and not b_left) or (
                a_right and not a_left and b_left and not b_right
            ):
                reasons.append(f"opposite words: {sorted(left)[0]!r} vs {sorted(right)[0]!r}")
        return reasons


@dataclass(frozen=True, slots=True)
class _Terms:
    words: frozenset[str]
    numbers: frozenset[str]
    names: frozenset[str]

    @classmethod
    def of(cls, text: str) -> _Terms:
        text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
        lowered = text.lower()
        for pattern, replacement in _PHRASES:
            lowered = pattern.sub(replacement, lowered)
        raw = list(_TOKEN.finditer(text))
        words = set(_TOKEN.findall(lowered)) | {match.group().lower() for match in raw}
        numbers = {w for w in words if any(c.isdigit() for c in w) or w in _NUMBER_WORDS}
        names = set()
        for match in raw:
            token = match.group()
            if token == "I" or token.startswith("I'"):
                continue
            before = text[: match.start()].rstrip()
            sentence_start = not before or before[-1] in ".?!:;\"'(\n"
            tail = token[1:] if sentence_start else token
            acronym = len(token) >= 2 and token.isupper()
            if acronym or any(c.isupper() for c in tail):
                names.add(token.lower())
        return cls(frozenset(words), frozenset(numbers), frozenset(names))


# ---------------------------------------------------------------------------------------- the cache


@dataclass(slots=True)
class _Entry:
    query: str
    key: str
    value: Any
    slot: int  # row in the embedding matrix, -1 when the cache has no encoder
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
        guard: Callable[[str, str], bool] | None = KeyTermGuard(),
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
        self._matrix: np.ndarray | None = None
        self._slot_entry: list[_Entry | None] = []
        self._live: np.ndarray | None = None  # which matrix rows hold a live entry
        self._free_slots: list[int] = []
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
            has_vectors = self.encoder is not None and self._matrix is not None and len(self._entries) > 0
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
            self._matrix = None
            self._live = None
            self._slot_entry = []
            self._free_slots = []

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
            if self._matrix is None or not self._entries:
                return self._record_miss(CacheLookup(False))
            if vector.shape[0] != self._matrix.shape[1]:
                raise ValueError(
                    f"SemanticQueryCache: the encoder made a {vector.shape[0]}-dim vector but the cache "
                    f"holds {self._matrix.shape[1]}-dim vectors; do not swap encoders on a filled cache "
                    "(call clear() first)."
                )
            assert self._live is not None
            rows = len(self._slot_entry)
            similarities = np.where(self._live[:rows], self._matrix[:rows] @ vector, -np.inf)
            window = min(rows, 4 * config.prefilter_k)
            top = np.argpartition(-similarities, window - 1)[:window]
            order = sorted(top.tolist(), key=lambda i: (-similarities[i], i))
            best = float(similarities[order[0]])
            best_similarity = best if np.isfinite(best) else None
            above: list[tuple[_Entry, float]] = []
            for slot in order:
                similarity = float(similarities[slot])
                if similarity < config.min_similarity:
                    break  # sorted: the rest are below too
                entry = self._slot_entry[slot]
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
        import numpy as np

        ttl = self.config.ttl_s
        with self._lock:
            old = self._entries.get(key)
            if old is not None:
                self._remove(old)
            slot = -1
            if vector is not None:
                if self._matrix is None:
                    capacity = min(self.config.max_size + 1, 64)
                    self._matrix = np.zeros((capacity, vector.shape[0]), dtype=np.float32)
                    self._live = np.zeros(capacity, dtype=bool)
                elif vector.shape[0] != self._matrix.shape[1]:
                    raise ValueError(
                        f"SemanticQueryCache: the encoder made a {vector.shape[0]}-dim vector but the cache "
                        f"holds {self._matrix.shape[1]}-dim vectors; call clear() before changing encoders."
                    )
                slot = self._take_slot()
                self._matrix[slot] = vector
            entry = _Entry(query, key, value, slot, None if ttl is None else self._clock() + ttl)
            if slot >= 0:
                assert self._live is not None
                self._slot_entry[slot] = entry
                self._live[slot] = True
            self._entries[key] = entry
            while len(self._entries) > self.config.max_size:
                _, evicted = next(iter(self._entries.items()))
                self._remove(evicted)
                self._counts["evictions"] += 1

    def _take_slot(self) -> int:
        import numpy as np

        assert self._matrix is not None
        if self._free_slots:
            return self._free_slots.pop()
        slot = len(self._slot_entry)
        if slot >= self._matrix.shape[0]:
            grown = np.zeros(
                (min(self._matrix.shape[0] * 2, self.config.max_size + 1), self._matrix.shape[1]),
                dtype=np.float32,
            )
            grown[: self._matrix.shape[0]] = self._matrix
            live = np.zeros(grown.shape[0], dtype=bool)
            live[: self._matrix.shape[0]] = self._live
            self._matrix, self._live = grown, live
        self._slot_entry.append(None)
        return slot

    def _remove(self, entry: _Entry) -> None:
        if self._entries.get(entry.key) is entry:
            del self._entries[entry.key]
        if entry.slot >= 0 and entry.slot < len(self._slot_entry) and self._slot_entry[entry.slot] is entry:
            self._slot_entry[entry.slot] = None
            self._free_slots.append(entry.slot)
            assert self._live is not None
            self._live[entry.slot] = False
