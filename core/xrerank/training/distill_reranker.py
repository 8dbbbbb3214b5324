"""Distil a fine-tuned cross-encoder into a smaller one that keeps ``k`` of its layers.

The student is the teacher with fewer transformer layers: ``layers`` of the teacher's layers,
evenly spaced from the first to the last, with the teacher's embeddings, pooler and head, so it
starts close to the teacher instead of from scratch. It is then trained on the teacher's own raw
scores (logits) over the training examples' candidates: Margin-MSE (default; per query, the
student's score margins between the positive and each negative regress to the teacher's,
Hofstätter et al. 2020) or MSE (each score regresses to the teacher's). Those losses and their rows
are the ones fine-tuning uses (:mod:`xrerank.training.losses`, :mod:`xrerank.training.rows`).

The student is saved atomically as a plain sentence-transformers CrossEncoder with the
teacher's serving recipe (max length, long-passage mode, activation, fusion weight) and a note
of what it was distilled from, so ``Reranker(student_dir)`` serves it like the teacher. A 2-layer
student of a 6-layer MiniLM scores about 3x as many pairs per second; put it in front of the
teacher with :class:`xrerank.scoring.cascade.CascadeReranker` to keep the teacher's quality.
In front of a teacher served by windows, a student that reads only each passage's first tokens
(``long_passages="truncate"``) costs one short forward pass per candidate where the teacher pays one
per window: the cheapest first stage a cascade can have (how well it ranks is measured in
docs/speed.md).

Example:
    Distillation trains a model for minutes, so this example is shown, not run::

        config = RerankerDistillationConfig(layers=2, output_dir="my-student")
        result = distill_reranker(examples, "./my-reranker", config)
        Reranker(result.model_path).rank("query", passages)
"""

from __future__ import annotations

import copy
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from xrerank.examples import TrainingExample
from xrerank.models.serving_recipe import (
    LONG_PASSAGE_MODES,
    LongPassages,
    ServingRecipe,
    read_recipe,
    write_recipe,
)
from xrerank.training.checkpoints import refuse_existing_output
from xrerank.training.config import BaseTrainingConfig, TrainingConfig
from xrerank.training.distill import DistillationConfig, open_teacher, teacher_scored
from xrerank.training.rows import check_examples
from xrerank.training.trainer import train
from xrerank.validation import check_int

if TYPE_CHECKING:
    from sentence_transformers import CrossEncoder

    from xrerank.scoring.reranker import Reranker

logger = logging.getLogger(__name__)

STUDENT_LOSSES = ("margin_mse", "mse")


@dataclass
class RerankerDistillationConfig(BaseTrainingConfig):
    """Everything that decides distilling a cross-encoder into a smaller cross-encoder.

    The options shared with every run (steps, batch, optimiser, output) are documented on
    :class:`~xrerank.training.config.BaseTrainingConfig`.

    Attributes:
        layers: Transformer layers the student keeps (at least 1, fewer than the teacher's).
        loss: ``"margin_mse"`` (student margins regress to the teacher's logit margins) or
            ``"mse"`` (student logits regress to the teacher's).
        long_passages: What the student reads of a long passage, in training and as served:
            ``"teacher"`` (the teacher's recipe's mode), ``"truncate"`` (the first ``max_length``
            tokens: one forward pass per candidate, the cheap stage of a cascade in front of a
            teacher served by windows) or ``"max_window"``. The teacher always scores as it is served.

    Example:
        >>> config = RerankerDistillationConfig(layers=3, output_dir="my-student")
        >>> config.loss, config.layers
        ('margin_mse', 3)
    """

    epochs: float = 2.0
    batch_size: int = 8
    num_negatives: int = 4
    logging_steps: int = 25
    output_dir: str = "xrerank-student"
    learning_rate: float = 1e-4
    max_length: int = 96
    layers: int = 2
    loss: str = "margin_mse"
    long_passages: Literal["teacher", "truncate", "max_window"] = "teacher"

    MIN_MAX_LENGTH = 16

    def __post_init__(self) -> None:
        if self.loss not in STUDENT_LOSSES:
            raise ValueError(
                f"RerankerDistillationConfig got loss={self.loss!r}; expected one of "
                f"{', '.join(STUDENT_LOSSES)}."
            )
        if self.long_passages not in ("teacher", *LONG_PASSAGE_MODES):
            raise ValueError(
                f"RerankerDistillationConfig got long_passages={self.long_passages!r}; expected "
                "'teacher', 'truncate' or 'max_window'."
            )
        super().__post_init__()
        check_int(self.layers, caller="RerankerDistillationConfig", name="layers", minimum=1)

    def student_mode(self, teacher_mode: LongPassages) -> LongPassages:
        """How the student reads long passages, given the teacher's mode.

        Example:
            >>> RerankerDistillationConfig(long_passages="truncate").student_mode("max_window")
            'truncate'
        """
        return teacher_mode if self.long_passages == "teacher" else self.long_passages


@dataclass
class RerankerDistillationResult:
    """What :func:`distill_reranker` did.

    Attributes:
        model_path: The saved student; loads with ``Reranker(path)`` and ``CrossEncoder(path)``.
        kept_layers: The teacher's layers the student kept (0-based).
        teacher_layers: Layers the teacher has.
        train_rows: Rows in the training dataset.
        skipped_examples: Examples left out (``margin_mse``: fewer than ``num_negatives`` negatives).
        teacher_pairs: Distinct (query, passage) pairs the teacher scored.
        teacher_seconds: Wall-clock seconds of teacher scoring.
        steps: Optimiser steps run.
        train_seconds: Wall-clock seconds of training.
        final_loss: Mean training loss reported by the trainer.
        log_history: The trainer's log entries.
    """

    model_path: Path
    kept_layers: list[int]
    teacher_layers: int
    train_rows: int
    skipped_examples: int
    teacher_pairs: int
    teacher_seconds: float
    steps: int
    train_seconds: float
    final_loss: float | None
    log_history: list[dict[str, Any]] = field(default_factory=list)


def kept_layers(total: int, keep: int) -> list[int]:
    """``keep`` of ``total`` layer indices, evenly spaced from the first to the last.

    The first layer reads the embeddings the student keeps; the last one feeds the head it keeps.

    Example:
        >>> kept_layers(6, 3), kept_layers(6, 2), kept_layers(6, 1)
        ([0, 2, 5], [0, 5], [0])
    """
    if keep == 1:
        return [0]
    return sorted({round(i * (total - 1) / (keep - 1)) for i in range(keep)})


def student_from(teacher: CrossEncoder, layers: int) -> tuple[CrossEncoder, list[int], int]:
    """A copy of ``teacher`` that keeps ``layers`` of its transformer layers (the teacher is untouched).

    Returns:
        The student, the kept layer indices and the teacher's layer count.

    Raises:
        ValueError: The teacher's layer stack is not one xrerank can cut (BERT-like ``encoder.layer``
            or DistilBERT's ``transformer.layer``), or ``layers`` is not fewer than it has.

    Example:
        >>> student, kept, total = student_from(model, 1)  # model: the tiny 2-layer cross-encoder
        >>> kept, total, student.model.config.num_hidden_layers
        ([0], 2, 1)
    """
    import torch

    student = copy.deepcopy(teacher)
    hf_model: Any = student.model
    base = hf_model.base_model
    stack = getattr(getattr(base, "encoder", None), "layer", None)
    if stack is None:
        stack = getattr(getattr(base, "transformer", None), "layer", None)
    if not isinstance(stack, torch.nn.ModuleList):
        raise ValueError(
            f"Cannot cut the layers of a {type(hf_model).__name__}: expected a BERT-like encoder "
            "(encoder.layer) or DistilBERT (transformer.layer)."
        )
    total = len(stack)
    if not layers < total:
        raise ValueError(
            f"distill_reranker got layers={layers}, but the teacher has {total}; pass fewer layers "
            f"(e.g. {max(1, total // 3)})."
        )
    kept = kept_layers(total, layers)
    owner: Any = base.encoder if hasattr(base, "encoder") else base.transformer
    owner.layer = torch.nn.ModuleList([stack[i] for i in kept])
    config = hf_model.config
    for name in ("num_hidden_layers", "n_layers"):
        if hasattr(config, name):
            setattr(config, name, len(kept))
    return student, kept, total


def load_scoring_teacher(teacher: Reranker | str | Path, config: RerankerDistillationConfig) -> Reranker:
    """The teacher as a :class:`xrerank.Reranker` returning raw logits, served as its recipe says.

    Example:
        >>> teacher = load_scoring_teacher("./my-reranker", RerankerDistillationConfig(device="cpu"))
        >>> teacher.activation is None
        True
    """
    from xrerank.scoring.reranker import Reranker

    if isinstance(teacher, Reranker) and teacher.activation is not None:
        raise ValueError(
            "distill_reranker trains on the teacher's raw scores; build the teacher Reranker with "
            "activation=None (or pass its path)."
        )
    return open_teacher(
        teacher,
        caller="distill_reranker",
        activation=None,
        device=config.device,
        show_progress=config.show_progress,
        allow_pickle_weights=config.allow_pickle_weights,
    )


def distill_reranker(
    examples: Sequence[TrainingExample],
    teacher: Reranker | str | Path,
    config: RerankerDistillationConfig | None = None,
) -> RerankerDistillationResult:
    """Train a ``config.layers``-layer student of ``teacher`` on the teacher's scores and save it.

    Args:
        examples: Training queries with candidates (positives and negatives, e.g. from
            ``xrerank mine``); the teacher scores every candidate. Keep your evaluation queries out.
        teacher: The fine-tuned cross-encoder: a directory (served by its recipe, raw logits) or an
            :class:`xrerank.Reranker` built with ``activation=None``.
        config: Layers, loss and training settings.

    Returns:
        A :class:`RerankerDistillationResult`; ``model_path`` holds the student and its serving recipe.

    Raises:
        ValueError: Bad examples, options or teacher (the message names the fix).
        FileExistsError: ``output_dir`` exists and ``overwrite`` is off.

    Example:
        Training takes minutes on a CPU, so this example is shown, not run::

            result = distill_reranker(examples, "./my-reranker", RerankerDistillationConfig(layers=2))
            result.kept_layers  # [0, 5] of a 6-layer teacher
    """
    config = config or RerankerDistillationConfig()
    refuse_existing_output(config.output_dir, overwrite=config.overwrite)
    scorer = load_scoring_teacher(teacher, config)
    started = time.perf_counter()
    # Checked here first so that a bad input is reported as this function's.
    checked = check_examples(examples, caller="distill_reranker()")
    scored, pairs = teacher_scored(checked, scorer, DistillationConfig(num_negatives=config.num_negatives))
    teacher_seconds = time.perf_counter() - started
    student, kept, total = student_from(scorer.model, config.layers)
    student.model.float()  # type: ignore[union-attr]  # a teacher served in half precision on a GPU trains its student in fp32
    training = TrainingConfig(
        loss=config.loss,
        base_model=scorer.model_name,
        output_dir=config.output_dir,
        long_passages=config.student_mode(scorer.long_passages),
        **{name: getattr(config, name) for name in _SHARED_OPTIONS},
    )
    recipe = _student_recipe(scorer, config, kept, total)
    result = train(
        scored,
        training,
        model=student,
        fresh_head=False,
        before_save=lambda _, staging: _write(staging, recipe),
        progress_label="training: student",
    )
    logger.info(
        "Distilled %s (%d layers) into %s (layers %s): %d rows, %d steps, %.0f s.",
        scorer.model_name,
        total,
        result.model_path,
        kept,
        result.train_rows,
        result.steps,
        result.seconds,
    )
    return RerankerDistillationResult(
        model_path=result.model_path,
        kept_layers=kept,
        teacher_layers=total,
        train_rows=result.train_rows,
        skipped_examples=result.skipped_examples,
        teacher_pairs=pairs,
        teacher_seconds=teacher_seconds,
        steps=result.steps,
        train_seconds=result.seconds,
        final_loss=result.final_loss,
        log_history=result.log_history,
    )


def _write(staging: Path, recipe: ServingRecipe) -> None:
    write_recipe(staging, recipe)


# The BaseTrainingConfig options a distillation run hands to the trainer as they are.
_SHARED_OPTIONS = (
    "epochs",
    "batch_size",
    "num_negatives",
    "logging_steps",
    "max_steps",
    "learning_rate",
    "warmup",
    "weight_decay",
    "max_length",
    "seed",
    "overwrite",
    "show_progress",
    "device",
    "allow_pickle_weights",
    "report_to",
    "run_name",
)


def _student_recipe(
    teacher: Reranker, config: RerankerDistillationConfig, kept: list[int], total: int
) -> ServingRecipe:
    """The teacher's recipe at the student's max length and mode, with what it was distilled from.

    The fusion weight is the teacher's: validated for the teacher, the closest evidence there is.
    """
    source = read_recipe(teacher.model_name) if os.path.isdir(teacher.model_name) else None
    base = source or ServingRecipe(activation="sigmoid")
    mode = config.student_mode(teacher.long_passages)
    inherited = "fusion weight" + (" and long-passage mode" if mode == teacher.long_passages else "")
    return replace(
        base,
        max_length=config.max_length,
        long_passages=mode,
        backend=None,
        cascade=None,
        validation={
            **(base.validation or {}),
            "distilled_from": teacher.model_name,
            "teacher_layers": total,
            "kept_layers": kept,
            "loss": config.loss,
            "note": f"{inherited} inherited from the teacher",
        },
    )
