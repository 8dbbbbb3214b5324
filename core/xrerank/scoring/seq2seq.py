"""Sequence-to-sequence reranking, monoT5-style: :class:`Seq2SeqReranker`.

A cross-encoder ends in a one-logit head. monoT5 (Nogueira et al., 2020) is a T5 model
fine-tuned to answer ``Query: q Document: d Relevant:`` with the word ``true`` or
``false``; the pair's score is the first decoder step's logit of ``true`` minus that of
``false`` (its sigmoid is the softmax over the two words). Everything around the forward
pass is :class:`xrerank.Reranker`'s, so a seq2seq reranker batches by length, caches,
de-duplicates, scores long passages by windows, coalesces concurrent calls and serves both
adapters the same way; only loading, the prompt and the forward pass are its own.

The prompt is built from token ids: the prompt words are tokenized once, each field (the
query, the document) separately, and when the whole does not fit ``max_length`` the longest
fields are cut first, so the closing ``Relevant:`` is never cut off.

Example:
    >>> fit_lengths([5, 40], budget=20)  # the document is cut, the query kept whole
    [5, 15]
    >>> fit_lengths([30, 40], budget=20)
    [10, 10]
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from xrerank.models.atomic_dir import recover_interrupted_save
from xrerank.models.loading import _load_explained, model_fingerprint, resolve_device, resolve_dtype
from xrerank.models.serving_recipe import FROM_RECIPE, LongPassages
from xrerank.scoring.base import RerankerBase
from xrerank.scoring.micro_batching import MicroBatching
from xrerank.scoring.reranker import Activation, Reranker
from xrerank.scoring.windows import WindowPlan, plan_windows
from xrerank.validation import check_pairs

DEFAULT_MONOT5 = "castorini/monot5-base-msmarco"
_DEFAULT_MICRO_BATCHING = MicroBatching()


def fit_lengths(lengths: Sequence[int], budget: int) -> list[int]:
    """Token counts to keep of each field so that they sum to at most ``budget``, longest cut first.

    Fields shorter than their fair share stay whole; the others are cut to equal length
    (the first ones keep one token more when the budget does not divide evenly).

    Example:
        >>> fit_lengths([3, 4, 10], budget=9)
        [3, 3, 3]
    """
    if sum(lengths) <= budget:
        return list(lengths)
    remaining = max(budget, 0)
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    kept = list(lengths)
    for position, index in enumerate(order):
        share, extra = divmod(remaining, len(order) - position)
        if lengths[index] <= share:
            remaining -= lengths[index]
            continue
        cut = sorted(order[position:])
        for rank, field in enumerate(cut):
            kept[field] = share + (rank < extra)
        break
    return kept


class Seq2SeqModel:
    """A loaded sequence-to-sequence model (e.g. ``T5ForConditionalGeneration``) with its tokenizer.

    What :class:`Seq2SeqReranker` holds; pass one instead of a name to score with a model
    already in memory (it is used as is, never modified beyond switching it to eval mode).

    Example:
        A model loaded with transformers::

            model = Seq2SeqModel(T5ForConditionalGeneration.from_pretrained(path),
                                 AutoTokenizer.from_pretrained(path))
            Seq2SeqReranker(model).rank("capital of France", passages)
    """

    # Tokenizers give T5 no limit of its own (relative positions); monoT5 was trained at 512.
    max_seq_length = None

    def __init__(self, model: Any, tokenizer: Any) -> None:
        self.model = model
        self.tokenizer = tokenizer

    @property
    def device(self) -> Any:
        return self.model.device

    @property
    def training(self) -> bool:
        return bool(self.model.training)

    def eval(self) -> Seq2SeqModel:
        self.model.eval()
        return self

    def train(self, mode: bool = True) -> Seq2SeqModel:
        self.model.train(mode)
        return self

    def parameters(self) -> Any:
        return self.model.parameters()

    def save(self, path: str) -> None:
        """Write the model and its tokenizer into the directory ``path`` (safetensors)."""
        self.model.save_pretrained(path)
        self.tokenizer.save_pretrained(path)


def load_seq2seq_model(
    name_or_path: str,
    *,
    device: str | None,
    trust_remote_code: bool,
    local_files_only: bool,
    allow_pickle_weights: bool,
    dtype: str = "fp32",
    model_kwargs: dict[str, Any] | None = None,
) -> Seq2SeqModel:
    """Load a seq2seq model and its tokenizer by hub name or local directory.

    The same rules as :func:`xrerank.models.loading.load_cross_encoder`: the device from
    :func:`~xrerank.models.loading.resolve_device`, safetensors only unless ``allow_pickle_weights``,
    a local directory never reaches for the hub, and one
    :func:`~xrerank.models.loading.model_load_error` for a model that cannot be loaded.

    Raises:
        ModelLoadError: Neither a loadable local directory nor downloadable.
        PickleWeightsError: The weights are pickle files only and ``allow_pickle_weights`` is False.

    Example:
        ::

            model = load_seq2seq_model("castorini/monot5-base-msmarco", device="cpu",
                trust_remote_code=False, local_files_only=False, allow_pickle_weights=False)
    """
    from xrerank.models.weights_safety import check_local_weights, safetensors_only_kwargs

    device = resolve_device(device)
    name_or_path = recover_interrupted_save(name_or_path)
    loader = "T5ForConditionalGeneration"
    check_local_weights(name_or_path, allow_pickle_weights=allow_pickle_weights, loader=loader)
    kwargs = safetensors_only_kwargs(model_kwargs, allow_pickle_weights=allow_pickle_weights)
    local = local_files_only or os.path.isdir(name_or_path)

    def build() -> Seq2SeqModel:
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        options: dict[str, Any] = {"trust_remote_code": trust_remote_code, "local_files_only": local}
        tokenizer = AutoTokenizer.from_pretrained(name_or_path, **options)
        model = AutoModelForSeq2SeqLM.from_pretrained(name_or_path, **options, **(kwargs or {}))
        return Seq2SeqModel(model, tokenizer)

    loaded = _load_explained(build, name_or_path, allow_pickle_weights=allow_pickle_weights, loader=loader)
    precision = resolve_dtype(dtype, device=device, config=getattr(loaded.model, "config", None))
    if precision != "fp32":
        import torch

        loaded.model.to({"fp16": torch.float16, "bf16": torch.bfloat16}[precision])
    loaded.model.to(device)
    return loaded


class Seq2SeqReranker(Reranker):
    """Scores (query, passage) pairs with a monoT5-style sequence-to-sequence model.

    The score of a pair is ``logit(true_token) - logit(false_token)`` at the first decoder step
    after ``Query: {query} Document: {passage} Relevant:``; ``activation="sigmoid"`` maps it to
    the probability of ``true`` against ``false``. Batching, the score cache, windows
    (``long_passages="max_window"``), micro-batching, async calls, stats and the serving recipe
    work exactly as in :class:`xrerank.Reranker`, whose options it shares (see there); it runs on
    torch only (no ``backend``).

    Args:
        model: A hub name (e.g. ``castorini/monot5-base-msmarco``), a local directory of a T5-style
            model with its tokenizer, or a loaded :class:`Seq2SeqModel`.
        true_token: The word the model answers for a relevant passage (one token of its vocabulary).
        false_token: The word it answers for an irrelevant one.
        max_length: Token limit of the whole prompt; None uses the tokenizer's limit (512 for T5).

    Example:
        A local T5 model directory (the hub name works where the hub is reachable)::

            reranker = Seq2SeqReranker("./monot5", device="cpu")
            reranker.rank("capital of France", ["Berlin is big.", "Paris is the capital."], top_k=1)
            # the same model by spec, e.g. in an adapter: XRerankCompressor(model="monot5:./monot5")
    """

    _MODEL_CLASS = "Seq2SeqModel"
    _MODEL_MODULE = "xrerank.scoring.seq2seq"
    _PICKLED_FIELDS = (*Reranker._PICKLED_FIELDS, "true_token", "false_token")  # type: ignore[assignment]
    #: The prompt words around the fields: ``LABELS[0] field_0 LABELS[1] field_1 ... LABELS[-1]``.
    LABELS: ClassVar[tuple[str, ...]] = ("Query:", "Document:", "Relevant:")

    def __init__(
        self,
        model: str | Path | Seq2SeqModel = DEFAULT_MONOT5,
        *,
        true_token: str = "true",
        false_token: str = "false",
        device: str | None = "auto",
        batch_size: int = 32,
        max_length: int | None = FROM_RECIPE,
        activation: Activation = FROM_RECIPE,
        cache_size: int = 10_000,
        trust_remote_code: bool = False,
        local_files_only: bool = False,
        show_progress_bar: bool = False,
        micro_batching: MicroBatching | None = _DEFAULT_MICRO_BATCHING,
        model_kwargs: dict[str, Any] | None = None,
        dtype: str = "auto",
        allow_pickle_weights: bool = False,
        long_passages: LongPassages = FROM_RECIPE,
        fusion_weight: float | None = FROM_RECIPE,
    ) -> None:
        name = type(self).__name__
        for option, word in (("true_token", true_token), ("false_token", false_token)):
            if not isinstance(word, str) or not word.strip():
                raise ValueError(f"{name} got {option}={word!r}; expected a word of the model's vocabulary.")
        if true_token == false_token:
            raise ValueError(f"{name} got true_token == false_token == {true_token!r}; expected two words.")
        # Set before Reranker.__init__, which prepares a model passed as an object.
        self.true_token = true_token
        self.false_token = false_token
        super().__init__(
            model,  # type: ignore[arg-type]
            device=device,
            batch_size=batch_size,
            max_length=max_length,
            activation=activation,
            cache_size=cache_size,
            trust_remote_code=trust_remote_code,
            local_files_only=local_files_only,
            show_progress_bar=show_progress_bar,
            micro_batching=micro_batching,
            backend="torch",
            model_kwargs=model_kwargs,
            dtype=dtype,
            allow_pickle_weights=allow_pickle_weights,
            long_passages=long_passages,
            fusion_weight=fusion_weight,
        )

    def _init_own_runtime(self) -> None:
        super()._init_own_runtime()
        self._answer_ids: tuple[int, int] = (0, 0)
        self._label_ids: list[list[int]] = []
        self._suffix_ids: list[int] = []

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(model={self.model_name!r}, true_token={self.true_token!r}, "
            f"false_token={self.false_token!r}, activation={self.activation!r}, "
            f"batch_size={self.batch_size}, max_length={self._max_length}, loaded={self._model is not None})"
        )

    # ---------------------------------------------------------------- loading

    @classmethod
    def _accepts(cls, model: object) -> bool:
        return isinstance(model, Seq2SeqModel)

    @classmethod
    def _name_of(cls, model: Any) -> str:
        config = getattr(model.model, "config", None)
        return str(getattr(config, "_name_or_path", "") or type(model.model).__name__)

    @classmethod
    def _wrong_model_hint(cls, model: object) -> str:
        return " Wrap a loaded transformers model and its tokenizer: Seq2SeqModel(model, tokenizer)."

    def _load_model(self) -> Any:
        return load_seq2seq_model(
            self.model_name,
            device=self.device,
            trust_remote_code=self.trust_remote_code,
            local_files_only=self.local_files_only,
            allow_pickle_weights=self.allow_pickle_weights,
            dtype=self.dtype,
            model_kwargs=self.model_kwargs,
        )

    def _prepare(self, model: Any) -> None:
        tokenizer = model.tokenizer
        self._answer_ids = (
            self._single_token(tokenizer, self.true_token, "true_token"),
            self._single_token(tokenizer, self.false_token, "false_token"),
        )
        RerankerBase._prepare(self, model)
        assert self._max_length is not None
        self._label_ids = [tokenizer(label, add_special_tokens=False)["input_ids"] for label in self.LABELS]
        eos = tokenizer.eos_token_id
        self._suffix_ids = [] if eos is None else [eos]
        room = self._max_length - self._overhead
        if room < len(self.LABELS) - 1:
            raise ValueError(
                f"{type(self).__name__} got max_length={self._max_length}, which leaves no room for the "
                f"texts: the prompt words alone take {self._overhead} tokens. Raise max_length."
            )
        source = f"{self.model_name}|{' '.join(self.LABELS)}|{self.true_token}|{self.false_token}"
        self._fingerprint = model_fingerprint(model, source=source, max_length=self._max_length)

    def _single_token(self, tokenizer: Any, word: str, option: str) -> int:
        ids = tokenizer(word, add_special_tokens=False)["input_ids"]
        if len(ids) != 1 or ids[0] == tokenizer.unk_token_id:
            raise ValueError(
                f"{type(self).__name__} got {option}={word!r}, which the tokenizer of '{self.model_name}' "
                f"reads as {len(ids)} token(s) {ids}; expected a word that is one token of its vocabulary "
                "(monoT5 answers 'true' or 'false')."
            )
        return int(ids[0])

    @property
    def _overhead(self) -> int:
        """Tokens of the prompt that are not a field: the prompt words and the end-of-sequence token."""
        return sum(len(ids) for ids in self._label_ids) + len(self._suffix_ids)

    # ---------------------------------------------------------------- prompts

    @property
    def answer_ids(self) -> tuple[int, int]:
        """Token ids of ``(true_token, false_token)`` in the model's vocabulary (loads the model)."""
        _ = self.model
        return self._answer_ids

    def prompt_ids(self, pairs: Iterable[tuple[str, str]]) -> list[list[int]]:
        """Token ids of each (query, passage) pair's prompt, as the model reads it when scoring.

        Fine-tuning (:mod:`xrerank.training.seq2seq_training`) trains on exactly these inputs.
        """
        checked = check_pairs(pairs, caller=self._caller("prompt_ids"))
        model = self.model
        with self._model_lock:
            return self._prompt_ids(model.tokenizer, checked)[0]

    def _fields(self, query: str, text: str) -> tuple[str, ...]:
        """The texts that fill the prompt between :attr:`LABELS`, for one scored pair."""
        return (query, text)

    def _prompt_ids(self, tokenizer: Any, pairs: list[tuple[str, str]]) -> tuple[list[list[int]], int]:
        """Token ids of each pair's prompt, and how many prompts had to be cut to ``max_length``."""
        assert self._max_length is not None
        fields = [self._fields(query, text) for query, text in pairs]
        flat = [text for row in fields for text in row]
        flat_ids = tokenizer(flat, add_special_tokens=False, verbose=False)["input_ids"] if flat else []
        budget = self._max_length - self._overhead
        prompts: list[list[int]] = []
        truncated = 0
        start = 0
        for row in fields:
            row_ids = flat_ids[start : start + len(row)]
            start += len(row)
            kept = fit_lengths([len(ids) for ids in row_ids], budget)
            truncated += kept != [len(ids) for ids in row_ids]
            prompt = list(self._label_ids[0])
            for ids, count, label in zip(row_ids, kept, self._label_ids[1:], strict=True):
                prompt += ids[:count] + label
            prompts.append(prompt + self._suffix_ids)
        return prompts, truncated

    # ---------------------------------------------------------------- scoring

    def _window_plan(self, pairs: list[tuple[str, str]]) -> WindowPlan:
        if not pairs:
            return WindowPlan([], [])
        model = self.model
        assert self._max_length is not None
        with self._model_lock:
            tokenizer = model.tokenizer
            # plan_windows leaves a passage max_length - query - special tokens; the prompt words
            # take the place of the special tokens here.
            limit = self._max_length - self._overhead + tokenizer.num_special_tokens_to_add(pair=True)
            plan = plan_windows(tokenizer, pairs, limit)
        self._count(split_passages=plan.split_passages)
        return plan

    def _forward(self, model: Any, pairs: list[tuple[str, str]]) -> list[float]:
        """``logit(true) - logit(false)`` of each pair, in token-length-sorted batches; input order kept."""
        import torch
        from tqdm.auto import tqdm

        assert self._max_length is not None
        true_id, false_id = self._answer_ids
        with self._model_lock:
            prompts, truncated = self._prompt_ids(model.tokenizer, pairs)
            pad = model.tokenizer.pad_token_id or 0
            start_id = model.model.config.decoder_start_token_id
            start_id = pad if start_id is None else start_id
            # Longest first: padding waste is minimal and an out-of-memory error shows up at once.
            order = sorted(range(len(pairs)), key=lambda i: -len(prompts[i]))
            scores = [0.0] * len(pairs)
            batches = 0
            starts = range(0, len(order), self.batch_size)
            for start in tqdm(starts, desc="Reranking", unit="batch", disable=not self.show_progress_bar):
                batch = order[start : start + self.batch_size]
                width = max(len(prompts[i]) for i in batch)
                ids = [prompts[i] + [pad] * (width - len(prompts[i])) for i in batch]
                mask = [[1] * len(prompts[i]) + [0] * (width - len(prompts[i])) for i in batch]
                device = model.device
                with torch.inference_mode():
                    logits = model.model(
                        input_ids=torch.tensor(ids, device=device),
                        attention_mask=torch.tensor(mask, device=device),
                        decoder_input_ids=torch.full((len(batch), 1), start_id, device=device),
                    ).logits[:, 0, :]
                    answers = logits[:, [true_id, false_id]].float()
                    values = (answers[:, 0] - answers[:, 1]).cpu().tolist()
                for index, value in zip(batch, values, strict=True):
                    scores[index] = value
                batches += 1
        self._count(truncated_pairs=truncated, batches=batches)
        if truncated:
            self._report_truncation(truncated, len(pairs), self._max_length)
        return scores
