"""The settings of a training run: one base for every run, :class:`TrainingConfig` for rerankers.

:class:`BaseTrainingConfig` holds the options every run on a sentence-transformers trainer
shares (steps, batch, optimiser, output) with their documentation and their checks once;
:class:`TrainingConfig` (fine-tuning a cross-encoder) and
:class:`~xrerank.training.distill.DistillationConfig` (distilling into a bi-encoder) inherit
them and set the defaults that differ.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar, get_args

from xrerank.models.serving_recipe import LONG_PASSAGE_MODES, LongPassages
from xrerank.validation import check_int, is_number

#: What a training run computes in (see ``BaseTrainingConfig.precision``).
TrainingPrecision = Literal["auto", "fp32", "bf16"]

LOSSES = ("bce", "infonce", "margin_mse", "mse", "lambda")
# The packaged all-MiniLM-L6-v2 is used when a config names this alias.
MINILM_ALIAS = "minilm"

_Config = TypeVar("_Config", bound="BaseTrainingConfig")


@dataclass
class BaseTrainingConfig:
    """The options every training run shares; each kind of run sets the defaults of the first five.

    Attributes:
        epochs: Passes over the training rows (fractions allowed).
        batch_size: Rows per step and device. What a row holds depends on ``loss``: a
            (query, passage) pair for the pointwise losses, a query with its positive and
            ``num_negatives`` negatives for the others.
        num_negatives: Negatives used per positive. Losses whose rows hold every negative side
            by side skip examples with fewer (every row of a batch has the same width); the
            others use what there is.
        logging_steps: Log the training loss every N steps.
        output_dir: Directory of the saved model, written atomically (beside the target, then
            renamed). The trainer's working files and checkpoints go to ``<output_dir>.checkpoints``.
        max_steps: Optimiser steps; overrides ``epochs`` when set (a fixed CPU budget).
        learning_rate: Peak learning rate.
        warmup: Warm-up as a fraction of all steps (< 1) or a number of steps (>= 1).
        weight_decay: AdamW weight decay.
        max_length: Token limit of each model input (a (query, passage) pair for a
            cross-encoder, one text for a bi-encoder); training cost grows with it.
        seed: Seed for shuffling, dropout and any freshly initialised weights.
        overwrite: Replace an existing ``output_dir``.
        show_progress: Show tqdm progress bars.
        device: ``"cpu"``, ``"cuda"``, ``"mps"`` or None for the best available one (cuda,
            then mps, then cpu; see :func:`xrerank.models.loading.resolve_device`).
        allow_pickle_weights: Load a model (given as a path or name) whose weights are pickle
            files (``pytorch_model.bin``); they can run code when loaded, so only for models you
            trust. Off: such models are refused (see :mod:`xrerank.models.weights_safety`).
        report_to: Experiment trackers the trainer reports to, as transformers names them:
            ``"tensorboard"``, ``"mlflow"``, ``"wandb"``, several joined by commas
            (``"tensorboard,mlflow"``), ``"all"`` for every installed one, or ``"none"``.
            TensorBoard's event files go to ``<output_dir>.checkpoints/runs/`` (or
            ``$TENSORBOARD_LOGGING_DIR``) and are kept.
        run_name: The run's name in the tracker (None: the tracker's default).
        precision: ``"bf16"`` trains in bf16 mixed precision (weights and optimiser state stay
            fp32), ``"fp32"`` in full precision; ``"auto"`` uses bf16 where the device computes it
            natively (CPUs with AVX512_BF16 or AMX, GPUs that support bf16) and fp32 elsewhere,
            where bf16 would be emulated (:func:`xrerank.models.loading.resolve_training_precision`).

    Example:
        >>> TrainingConfig(epochs=2).checkpoint_dir
        PosixPath('xrerank-model.checkpoints')
    """

    # The subclasses set these defaults: they differ between kinds of run.
    epochs: float
    batch_size: int
    num_negatives: int
    logging_steps: int
    output_dir: str
    max_steps: int | None = None
    learning_rate: float = 5e-5
    warmup: float = 0.1
    weight_decay: float = 0.01
    max_length: int = 128
    seed: int = 42
    overwrite: bool = False
    show_progress: bool = True
    device: str | None = None
    allow_pickle_weights: bool = False
    report_to: str = "none"
    run_name: str | None = None
    precision: TrainingPrecision = "auto"

    # The shortest max_length that still leaves the model something to read.
    MIN_MAX_LENGTH: ClassVar[int] = 8

    def __post_init__(self) -> None:
        caller = type(self).__name__
        for name in ("batch_size", "num_negatives", "logging_steps"):
            check_int(getattr(self, name), caller=caller, name=name)
        check_int(self.max_steps, caller=caller, name="max_steps", optional=True)
        check_int(self.max_length, caller=caller, name="max_length", minimum=self.MIN_MAX_LENGTH)
        self._check_positive("epochs")
        self._check_positive("learning_rate")
        for name in ("warmup", "weight_decay"):
            value = getattr(self, name)
            if not (is_number(value) and value >= 0):
                raise ValueError(f"{caller} got {name}={value!r}; expected a number >= 0.")
        if not isinstance(self.allow_pickle_weights, bool):
            raise ValueError(
                f"{caller} got allow_pickle_weights={self.allow_pickle_weights!r}; expected True or False."
            )
        _check_report_to(self.report_to, caller)
        if self.run_name is not None and not isinstance(self.run_name, str):
            raise ValueError(f"{caller} got run_name={self.run_name!r}; expected a string or None.")
        if self.precision not in get_args(TrainingPrecision):
            raise ValueError(f"{caller} got precision={self.precision!r}; expected 'auto', 'fp32' or 'bf16'.")

    def _check_positive(self, name: str, *, none_means: str | None = None) -> None:
        """Refuse anything but a positive finite number (or None where ``none_means`` says what it does)."""
        value = getattr(self, name)
        if value is None and none_means is not None:
            return
        if not (is_number(value) and value > 0):
            alternative = f" or None ({none_means})" if none_means is not None else ""
            raise ValueError(
                f"{type(self).__name__} got {name}={value!r}; expected a positive number{alternative}."
            )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return asdict(self)

    @classmethod
    def from_dict(cls: type[_Config], data: dict[str, Any]) -> _Config:
        """Build from a dict (e.g. a ``--config`` file); unknown keys are an error naming them.

        Example:
            >>> TrainingConfig.from_dict({"loss": "bce"}).loss
            'bce'
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(
                f"{cls.__name__} got unknown options {unknown}; expected a subset of {sorted(known)}."
            )
        return cls(**data)

    @property
    def trackers(self) -> list[str]:
        """``report_to`` as the trainer's list of tracker names.

        Example:
            >>> TrainingConfig(report_to="tensorboard, mlflow").trackers
            ['tensorboard', 'mlflow']
        """
        return [name.strip() for name in self.report_to.split(",")]

    def device_arguments(self) -> dict[str, bool]:
        """The trainer's device and mixed-precision arguments: ``use_cpu`` and ``bf16``.

        Example:
            >>> TrainingConfig(device="cpu", precision="fp32").device_arguments()
            {'use_cpu': True, 'bf16': False}
        """
        device, bf16 = self._device_and_bf16()
        # transformers refuses bf16 off a GPU unless told the run is on the CPU.
        return {"use_cpu": device == "cpu", "bf16": bf16}

    def mixed_precision(self) -> AbstractContextManager[Any]:
        """A context that computes in this run's precision: bf16 autocast where it trains in bf16.

        For the scoring a run does besides its optimiser steps (picking each passage's best window),
        where the order of the scores matters and the last bits do not.

        Example:
            >>> with TrainingConfig(device="cpu", precision="fp32").mixed_precision():
            ...     pass
        """
        import torch

        device, bf16 = self._device_and_bf16()
        kind = device.split(":")[0]
        enabled = kind in ("cpu", "cuda") and bf16
        return torch.autocast(kind if enabled else "cpu", dtype=torch.bfloat16, enabled=enabled)

    def _device_and_bf16(self) -> tuple[str, bool]:
        """The device this run trains on, and whether it computes in bf16 there."""
        from xrerank.models.loading import resolve_device, resolve_training_precision

        device = resolve_device(self.device)
        return device, resolve_training_precision(self.precision, device=device) == "bf16"

    @property
    def checkpoint_dir(self) -> Path:
        """Where the trainer writes its working files and the checkpoints for ``resume``."""
        return Path(f"{os.fspath(self.output_dir).rstrip('/')}.checkpoints")


@dataclass
class TrainingConfig(BaseTrainingConfig):
    """Everything that decides a fine-tuning run of a cross-encoder.

    The options shared with every run (steps, batch, optimiser, output) are documented on
    :class:`BaseTrainingConfig`.

    Attributes:
        base_model: Where to start: a cross-encoder (hub name or directory) or a plain
            encoder checkpoint (e.g. a sentence-transformers bi-encoder), which gets a
            fresh one-logit head. ``"minilm"`` is the packaged all-MiniLM-L6-v2.
        loss: ``"bce"`` (pointwise, optional ``pos_weight``), ``"infonce"`` (softmax
            over one positive and its hard negatives), ``"margin_mse"`` (positive minus
            negative score regressed to ``margin`` or to teacher margins), ``"mse"``
            (regress teacher scores; needs them) or ``"lambda"`` (listwise LambdaLoss).
        head_learning_rate: Learning rate of a *fresh* classification head (and the
            pooler under it); None uses ``learning_rate``. A random head trained at an
            encoder's 2e-5 barely moves in a CPU budget.
        gradient_accumulation_steps: Steps whose gradients add up before an update.
        long_passages: How the model will be served on passages longer than ``max_length``
            (as in :class:`~xrerank.Reranker`). ``"truncate"`` trains on a pair's first
            ``max_length`` tokens. ``"max_window"`` trains on what a ``max_window`` reranker
            reads: every long positive and negative is cut to its best window under the
            start model (:func:`~xrerank.training.window_cut.best_window_examples`). The start model must
            already rank (a cross-encoder, or :func:`~xrerank.training.finetune`'s cold-start stage):
            a fresh head cannot tell windows apart.
        pos_weight: ``bce`` only: weight of positive pairs (e.g. ``num_negatives`` to balance).
        margin: ``margin_mse`` target margin without teacher scores (1 = labels 1 vs 0).
        infonce_scale: ``infonce`` only: the logits are multiplied by this before the softmax.
        eval_steps: Evaluate on ``eval_examples`` every N steps (None: never).
        save_steps: Write a checkpoint every N steps (None: no checkpoints), for ``resume``.
        save_total_limit: Checkpoints kept.
        resume: Continue from the latest checkpoint (True) or a given checkpoint directory.

    Example:
        >>> config = TrainingConfig(loss="bce", epochs=1, output_dir="my-reranker")
        >>> config.loss
        'bce'
    """

    # Defaults measured best on 2 CPU cores (SciFact tuning queries, docs/training.md): short
    # inputs buy more steps per minute, and a fresh encoder + head need larger rates to move.
    epochs: float = 1.0
    batch_size: int = 8
    num_negatives: int = 3
    logging_steps: int = 25
    output_dir: str = "xrerank-model"
    learning_rate: float = 1e-4
    max_length: int = 96
    base_model: str = MINILM_ALIAS
    loss: str = "infonce"
    head_learning_rate: float | None = 2e-3
    gradient_accumulation_steps: int = 1
    long_passages: LongPassages = "truncate"
    pos_weight: float | None = None
    margin: float = 1.0
    infonce_scale: float = 1.0
    eval_steps: int | None = None
    save_steps: int | None = None
    save_total_limit: int = 2
    resume: bool | str = False

    # A (query, passage) pair needs room for both.
    MIN_MAX_LENGTH: ClassVar[int] = 16

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"TrainingConfig got loss={self.loss!r}; expected one of {', '.join(LOSSES)}.")
        super().__post_init__()
        for name in ("gradient_accumulation_steps", "save_total_limit"):
            check_int(getattr(self, name), caller="TrainingConfig", name=name)
        for name in ("eval_steps", "save_steps"):
            check_int(getattr(self, name), caller="TrainingConfig", name=name, optional=True)
        if self.long_passages not in LONG_PASSAGE_MODES:
            raise ValueError(
                f"TrainingConfig got long_passages={self.long_passages!r}; expected 'truncate' (train on "
                "the first max_length tokens) or 'max_window' (train on each long passage's best window)."
            )
        self._check_positive("head_learning_rate", none_means="same as learning_rate")
        self._check_positive("pos_weight", none_means="positives weigh as much as negatives")


def _check_report_to(report_to: object, caller: str) -> None:
    """Refuse anything but tracker names (the trainer checks that each one is installed)."""
    if not (isinstance(report_to, str) and all(name.strip() for name in report_to.split(","))):
        raise ValueError(
            f"{caller} got report_to={report_to!r}; expected a tracker name such as 'tensorboard', "
            "'mlflow' or 'wandb', several joined by commas, 'all' or 'none'."
        )
