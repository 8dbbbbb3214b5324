"""The scoring core: :class:`Reranker`, shared by every adapter."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from xrerank.models.backends import ExportedCrossEncoder, check_backend
from xrerank.models.loading import DEFAULT_MODEL, load_cross_encoder, model_fingerprint, resolve_dtype
from xrerank.models.serving_recipe import (
    FROM_RECIPE,
    LONG_PASSAGE_MODES,
    LongPassages,
    ServingRecipe,
    backend_options,
    read_recipe,
    settle,
)
from xrerank.scoring.base import RerankerBase
from xrerank.scoring.micro_batching import MicroBatcher, MicroBatching
from xrerank.scoring.reranker_stats import RerankerStats
from xrerank.scoring.score_cache import ScoreCache, pair_key
from xrerank.scoring.window_shortlist import shortlist_windows
from xrerank.scoring.window_vectors import SentenceVectorPicker
from xrerank.scoring.windows import MIN_WINDOW_TOKENS, WindowPlan, plan_windows
from xrerank.validation import check_int, check_number, check_pairs

if TYPE_CHECKING:
    from sentence_transformers import CrossEncoder

logger = logging.getLogger(__name__)

Activation = Literal["sigmoid"] | None
_DEFAULT_MICRO_BATCHING = MicroBatching()


class Reranker(RerankerBase["CrossEncoder", RerankerStats]):
    """Scores (query, passage) pairs with a cross-encoder, fast and safely.

    Pairs are sorted by token length before batching (order restored after),
    exact duplicates are scored once, and raw scores are kept in an LRU cache
    keyed by (model fingerprint, query, text). One instance is safe to share
    between threads and coroutines, and between the LangChain and LlamaIndex adapters.

    Args:
        model: A Hugging Face hub name, a local model directory, or a loaded
            sentence-transformers ``CrossEncoder`` (used as is, never modified
            beyond switching it to eval mode).
        device: ``"auto"`` picks cuda, then mps, then cpu. Ignored for a loaded model.
        batch_size: Pairs per forward pass.
        max_length: Token limit per pair; longer pairs are truncated and counted
            in :attr:`stats` (see ``long_passages``). None uses the model's own limit.
        long_passages: ``"truncate"`` scores the first ``max_length`` tokens of a pair (passed
            explicitly, truncation is logged at INFO rather than warned: it was asked for).
            ``"max_window"`` cuts a passage that does not fit into windows of whole
            sentences, scores each and keeps the best (:mod:`xrerank.scoring.windows`): the
            whole passage counts, at one forward pass per window.
        max_windows: With ``"max_window"``, score only this many windows of a long passage, those
            sharing the most query words (:mod:`xrerank.scoring.window_shortlist`); None: every one.
        window_picker: What picks those windows instead of the query words: a
            :class:`~xrerank.scoring.window_vectors.SentenceVectorPicker` (index your passages with
            it first) or the name of the bi-encoder to build one with. None: the query words.
        activation: ``"sigmoid"`` maps scores into [0, 1]; None returns raw logits.
        cache_size: Entries in the score cache; 0 disables it.
        trust_remote_code: Allow custom modelling code from the hub. Off by default.
        allow_pickle_weights: Load a model whose weights are pickle files (``pytorch_model.bin``),
            which can run code when loaded. Off by default: only safetensors weights load, and
            a pickle-only model raises :class:`~xrerank.errors.PickleWeightsError`
            saying how to convert it.
        local_files_only: Never try to download; load from disk or the local cache only.
        show_progress_bar: Show a tqdm bar over batches on long calls.
        micro_batching: Coalesce concurrent calls (threads and coroutines) into
            shared forward passes; None scores each call on its own.
        backend: ``"torch"``, ``"onnx"`` (ONNX Runtime) or ``"openvino"``; ``"auto"`` uses
            the backend of a directory written by ``xrerank export`` and torch otherwise.
        model_kwargs: Passed to the model on load, e.g. ``{"file_name":
            "onnx/model_qint8_quantized.onnx"}`` to pick an exported file.
        dtype: Precision of a torch model loaded by name: ``"auto"`` is fp16 on CUDA
            (bf16 for bf16 checkpoints) and fp32 elsewhere; ``"fp32"`` switches half
            precision off. A model passed as an object keeps its precision.
        fusion_weight: Weight of this reranker when :meth:`rank` is given the retriever's
            scores (``retriever_scores=``): ``w * z(reranker) + (1 - w) * z(retriever)`` per query
            (:mod:`xrerank.scoring.fusion`). None ranks by the reranker alone.

    ``max_length``, ``long_passages``, ``max_windows``, ``window_picker``, ``activation`` and
    ``fusion_weight`` default to the serving recipe saved with a local model
    (:mod:`xrerank.models.serving_recipe`, written by :func:`xrerank.training.tune`), so a tuned
    model is served the way it was validated; without a recipe they are None (the model's limit),
    ``"truncate"``, None, None, ``"sigmoid"`` and None. Explicit arguments override the recipe.
    :attr:`recipe` holds the recipe read, if any.

    Example:
        >>> reranker = Reranker("./my-reranker")  # a hub name works too, e.g. the default MS MARCO model
        >>> [item.text for item in reranker.rank("capital of France", ["Berlin is big.", "Paris."], top_k=1)]
        [...]
        >>> fast = Reranker("./reranker-onnx")  # a directory written by `xrerank export`
        >>> fast.backend, fast.load().max_length > 0
        ('auto', True)
    """

    _STATS = RerankerStats
    _MODEL_CLASS = "CrossEncoder"
    # What survives pickling besides the options every reranker keeps (see RerankerBase).
    _PICKLED_FIELDS = (
        "activation",
        "micro_batching",
        "_cache_size",
        "backend",
        "model_kwargs",
        "dtype",
        "long_passages",
        "max_windows",
        "window_picker",
        "_truncation_chosen",
        "recipe",
        "fusion_weight",
    )

    def __init__(
        self,
        model: str | Path | CrossEncoder = DEFAULT_MODEL,
        *,
        device: str | None = "auto",
        batch_size: int = 32,
        max_length: int | None = FROM_RECIPE,
        activation: Activation = FROM_RECIPE,
        cache_size: int = 10_000,
        trust_remote_code: bool = False,
        local_files_only: bool = False,
        show_progress_bar: bool = False,
        micro_batching: MicroBatching | None = _DEFAULT_MICRO_BATCHING,
        backend: str = "auto",
        model_kwargs: dict[str, Any] | None = None,
        dtype: str = "auto",
        allow_pickle_weights: bool = False,
        long_passages: LongPassages = FROM_RECIPE,
        fusion_weight: float | None = FROM_RECIPE,
        max_windows: int | None = FROM_RECIPE,
        window_picker: SentenceVectorPicker | str | None = FROM_RECIPE,
    ) -> None:
        # Truncation asked for by name is not worth a warning; one that comes by default is.
        truncation_chosen = long_passages == "truncate"
        # Only a model directory on disk carries a serving recipe; hub names and objects cannot.
        is_dir = isinstance(model, (str, Path)) and Path(model).is_dir()
        recipe = read_recipe(model) if is_dir and isinstance(model, (str, Path)) else None
        served = settle(
            recipe,
            max_length=max_length,
            activation=activation,
            long_passages=long_passages,
            fusion_weight=fusion_weight,
            max_windows=max_windows,
            window_picker=window_picker,
        )
        max_length, activation, long_passages = (
            served["max_length"],
            served["activation"],
            served["long_passages"],
        )
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
        check_int(cache_size, caller="Reranker", name="cache_size", minimum=0)
        if activation not in ("sigmoid", None):
            raise ValueError(
                f"Reranker got activation={activation!r}; expected 'sigmoid' (scores in [0, 1]) "
                "or None (raw logits)."
            )
        if long_passages not in LONG_PASSAGE_MODES:
            raise ValueError(
                f"Reranker got long_passages={long_passages!r}; expected 'truncate' (score the first "
                "max_length tokens) or 'max_window' (score every window of a long passage, keep the best)."
            )
        check_backend(backend, caller="Reranker")
        resolve_dtype(dtype, device="cpu")  # validates the value only
        self.activation: Activation = activation
        self.micro_batching = micro_batching
        self.backend = backend
        # An exported model's recipe records the precision and threads it was measured fastest with.
        served_options = backend_options(recipe) if backend == "auto" else {}
        self.model_kwargs = {**served_options, **dict(model_kwargs or {})}
        self.dtype = dtype
        self.long_passages: LongPassages = long_passages
        self.max_windows: int | None = check_int(
            served["max_windows"], caller="Reranker", name="max_windows", minimum=1, optional=True
        )
        picker = served["window_picker"]
        self.window_picker = SentenceVectorPicker(picker) if isinstance(picker, (str, Path)) else picker
        if self.window_picker is not None and not hasattr(self.window_picker, "window_scores"):
            raise TypeError(
                f"Reranker got window_picker={type(picker).__name__}; pass a SentenceVectorPicker, the name "
                "of a sentence-transformers bi-encoder, or None (pick windows by query words)."
            )
        self._truncation_chosen = truncation_chosen
        self.recipe: ServingRecipe | None = recipe
        self.fusion_weight: float | None = check_number(
            served["fusion_weight"],
            caller="Reranker",
            name="fusion_weight",
            minimum=0,
            maximum=1,
            optional=True,
        )
        self._cache_size = cache_size
        self._init_runtime()

    # ------------------------------------------------------------------ state

    def _init_own_runtime(self) -> None:
        self._cache = ScoreCache(self._cache_size)
        self._warned_truncation = False
        self._batcher = (
            None
            if self.micro_batching is None
            else MicroBatcher(
                self._raw_scores,
                max_pairs=self.micro_batching.max_pairs,
                max_wait_s=self.micro_batching.max_wait_ms / 1000,
            )
        )
        self._fingerprint: str | None = None
        self._fast_path = False

    def __repr__(self) -> str:
        return (
            f"Reranker(model={self.model_name!r}, activation={self.activation!r}, "
            f"batch_size={self.batch_size}, max_length={self._max_length}, "
            f"long_passages={self.long_passages!r}, loaded={self._model is not None})"
        )

    # ---------------------------------------------------------------- loading

    @classmethod
    def _accepts(cls, model: object) -> bool:
        return _is_cross_encoder(model)

    @classmethod
    def _name_of(cls, model: Any) -> str:
        config = getattr(getattr(model, "model", None), "config", None)
        return str(getattr(config, "_name_or_path", "") or type(model).__name__)

    def _load_model(self) -> CrossEncoder:
        return load_cross_encoder(
            self.model_name,
            device=self.device,
            max_length=self._requested_max_length,
            trust_remote_code=self.trust_remote_code,
            local_files_only=self.local_files_only,
            backend=self.backend,
            model_kwargs=self.model_kwargs,
            dtype=self.dtype,
            allow_pickle_weights=self.allow_pickle_weights,
        )

    def _prepare(self, model: CrossEncoder) -> None:
        if model.num_labels != 1:
            raise ValueError(
                f"Reranker needs a cross-encoder with one output score; '{self.model_name}' has "
                f"{model.num_labels} labels. Use a reranking model (e.g. {DEFAULT_MODEL})."
            )
        super()._prepare(model)
        assert self._max_length is not None
        hf_model = getattr(model, "model", None)
        self._fast_path = (
            len(model) == 1
            and getattr(model, "backend", "torch") == "torch"
            and hf_model is not None
            and type(hf_model).__name__.endswith("ForSequenceClassification")
        )
        self._fingerprint = model_fingerprint(model, source=self.model_name, max_length=self._max_length)

    # ---------------------------------------------------------------- scoring

    def _final_scores(self, pairs: list[tuple[str, str]]) -> list[float]:
        if self.long_passages == "truncate":
            return self._activate(self._scores_now(pairs))
        plan = self._window_plan(pairs)
        return self._activate(plan.best_scores(self._scores_now(plan.pairs), len(pairs)))

    async def _final_scores_later(self, pairs: list[tuple[str, str]]) -> list[float]:
        if self.long_passages == "truncate":
            return self._activate(await self._scores_later(pairs))
        # Off the event loop: the first call loads the model, and tokenizing is CPU work.
        plan = await asyncio.to_thread(self._window_plan, pairs)
        return self._activate(plan.best_scores(await self._scores_later(plan.pairs), len(pairs)))

    def best_windows(self, pairs: Iterable[tuple[str, str]]) -> list[str]:
        """The best-scoring window of each (query, passage) pair, in input order.

        A passage that fits next to its query is its own window; a longer one is cut
        as with ``long_passages="max_window"``, whatever this reranker's mode. Use it
        to hand an LLM only the part of a passage that matched, or to train on what a
        ``max_window`` reranker sees (:func:`xrerank.scoring.windows.best_window_examples`).

        Example:
            >>> short = Reranker("./my-reranker", max_length=32)
            >>> [window] = short.best_windows([("when was the treaty signed?", long_text)])
            >>> len(window.split()) < len(long_text.split())
            True
        """
        checked = check_pairs(pairs, caller=self._caller("best_windows"))
        plan = self._window_plan(checked)
        return plan.best_windows(self._scores_now(plan.pairs), len(checked))

    def _window_plan(self, pairs: list[tuple[str, str]]) -> WindowPlan:
        if not pairs:  # nothing to score: do not load the model for it
            return WindowPlan([], [])
        model = self.model
        assert self._max_length is not None
        with self._model_lock:  # the fast tokenizer is not safe to share between threads
            plan = plan_windows(model.tokenizer, pairs, self._max_length)
        passages = [text for _, text in pairs] if self.window_picker is not None else []
        kept = shortlist_windows(plan, self.max_windows, self.window_picker, passages)  # None: every window
        self._count(split_passages=plan.split_passages, skipped_windows=len(plan.pairs) - len(kept.pairs))
        return kept

    def _scores_now(self, pairs: list[tuple[str, str]]) -> list[float]:
        """Raw scores for a synchronous caller, shared with concurrent callers when batching."""
        if not pairs:
            return []
        if self._batcher is None or self._batcher.idle:
            # Nobody to share a forward pass with: score in the caller's thread and skip
            # the hand-off. Callers arriving meanwhile queue up and are coalesced.
            return self._raw_scores(pairs)
        return self._batcher.submit(pairs).result()

    async def _scores_later(self, pairs: list[tuple[str, str]]) -> list[float]:
        """Raw scores for a coroutine; the forward pass runs off the event loop."""
        if not pairs:
            return []
        if self._batcher is not None:
            # Cancelling the awaiting task cancels the queued request (it is never scored).
            return await asyncio.wrap_future(self._batcher.submit(pairs))
        return await self._in_worker_thread(self._raw_scores, pairs)

    # --------------------------------------------------------------- internals

    def _activate(self, raw: list[float]) -> list[float]:
        if self.activation is None:
            return raw
        return [_sigmoid(value) for value in raw]

    def _raw_scores(self, pairs: list[tuple[str, str]]) -> list[float]:
        """Raw logits for ``pairs`` via the cache, de-duplicated; input order kept."""
        if not pairs:
            return []
        model = self.model  # loads once; also fixes the fingerprint
        assert self._fingerprint is not None
        results: list[float | None] = [None] * len(pairs)
        pending: dict[bytes, list[int]] = {}
        hits = 0
        for position, (query, text) in enumerate(pairs):
            key = pair_key(self._fingerprint, query, text)
            if key in pending:
                pending[key].append(position)
                continue
            cached = self._cache.get(key)
            if cached is None:
                pending[key] = [position]
            else:
                results[position] = cached
                hits += 1
        unique = [(key, pairs[positions[0]]) for key, positions in pending.items()]
        scored = self._forward(model, [pair for _, pair in unique]) if unique else []
        for (key, _), value in zip(unique, scored, strict=True):
            self._cache.put(key, value)
            for position in pending[key]:
                results[position] = value
        self._count(
            pairs_requested=len(pairs),
            pairs_scored=len(unique),
            cache_hits=hits,
            cache_misses=len(unique),
            duplicate_pairs=len(pairs) - hits - len(unique),
        )
        return [float(value) for value in results]  # type: ignore[arg-type]

    def _forward(self, model: CrossEncoder, pairs: list[tuple[str, str]]) -> list[float]:
        """Run the model on ``pairs`` in token-length-sorted batches; input order kept."""
        import torch
        from tqdm.auto import tqdm

        assert self._max_length is not None
        max_length = self._max_length
        with self._model_lock:
            tokenizer = model.tokenizer
            queries = [query for query, _ in pairs]
            texts = [text for _, text in pairs]
            lengths = [
                len(ids) for ids in tokenizer(queries, texts, truncation=False, verbose=False)["input_ids"]
            ]
            truncated = sum(length > max_length for length in lengths)
            # Longest first: padding waste is minimal and an out-of-memory error shows up at once.
            order = sorted(range(len(pairs)), key=lambda i: -lengths[i])
            scores = [0.0] * len(pairs)
            starts = range(0, len(order), self.batch_size)
            batches = 0
            for start in tqdm(starts, desc="Reranking", unit="batch", disable=not self.show_progress_bar):
                batch = order[start : start + self.batch_size]
                batch_pairs = [pairs[i] for i in batch]
                if self._fast_path:
                    features = tokenizer(
                        [queries[i] for i in batch],
                        [texts[i] for i in batch],
                        padding=True,
                        truncation=True,
                        max_length=max_length,
                        return_tensors="pt",
                    ).to(model.device)
                    hf_model: Any = model.model  # set whenever _fast_path is
                    with torch.inference_mode():
                        logits = hf_model(**features).logits[:, 0].float().cpu().tolist()
                else:
                    logits = (
                        model.predict(
                            batch_pairs,
                            batch_size=len(batch_pairs),
                            activation_fn=torch.nn.Identity(),
                            show_progress_bar=False,
                        )
                        .reshape(-1)
                        .tolist()
                    )
                for index, value in zip(batch, logits, strict=True):
                    scores[index] = value
                batches += 1
        self._count(truncated_pairs=truncated, batches=batches)
        if truncated:
            self._report_truncation(truncated, len(pairs), max_length)
        return scores

    def _report_truncation(self, truncated: int, total: int, max_length: int) -> None:
        if self.long_passages == "max_window":  # windows fit, so the query is what overflows
            fix = (
                f"their queries leave fewer than {MIN_WINDOW_TOKENS} tokens for a passage window. "
                "Shorten those queries or raise max_length. "
            )
        else:
            fix = (
                "the cut-off text does not affect their scores. Pass long_passages='max_window' to score "
                "every window of a long passage, or raise max_length. "
            )
        message = (
            "%d of %d scored pairs are longer than max_length=%d tokens and were truncated; "
            + fix
            + "Running total in reranker.stats.truncated_pairs."
        )
        if self._warned_truncation:
            logger.debug(message, truncated, total, max_length)
        elif self._truncation_chosen:
            self._warned_truncation = True
            logger.info(message, truncated, total, max_length)
        else:
            self._warned_truncation = True
            logger.warning(message, truncated, total, max_length)


def _sigmoid(value: float) -> float:
    # Split by sign so that large |value| never overflows math.exp.
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    exp = math.exp(value)
    return exp / (1.0 + exp)


def _is_cross_encoder(model: object) -> bool:
    if isinstance(model, ExportedCrossEncoder):
        return True
    try:
        from sentence_transformers import CrossEncoder
    except ImportError:  # pragma: no cover - sentence-transformers is a hard dependency
        return False
    return isinstance(model, CrossEncoder)
