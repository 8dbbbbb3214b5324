"""Teach a bi-encoder to rank like a cross-encoder: ``distill_bi_encoder``.

A fine-tuned cross-encoder (the *teacher*) is accurate but reads every (query, passage)
pair; a bi-encoder (the *student*) embeds passages once and is fast enough for first-stage
retrieval. Distillation lets the teacher score the training pairs (queries from a retriever
log with their positives and mined negatives, i.e. :class:`~xrerank.examples.TrainingExample`)
and trains the student, with sentence-transformers' own ``SentenceTransformerTrainer``, to
reproduce those scores:

* ``margin_mse`` (default): per query, the student's similarity margins
  ``sim(q, positive) - sim(q, negative_i)`` regress to the teacher's margins
  (sentence-transformers' ``MarginMSELoss``, Hofstätter et al. 2020).
* ``cosent``: only the *order* of the teacher's scores over the pairs of a batch is learned
  (``CoSENTLoss``); insensitive to the teacher's score scale.
* ``cosine``: the cosine similarity of each pair regresses to the teacher's score
  (``CosineSimilarityLoss``, the recipe of the production-reranking article); needs
  teacher scores in [0, 1].

A teacher given as a path is loaded as an :class:`xrerank.Reranker` with sigmoid scores,
so teacher scores lie in [0, 1], the range a cosine similarity can follow.
:mod:`xrerank.evaluation.distillation_report` measures the result on held-out queries.

Example:
    Distillation trains a model for minutes, so this example is shown, not run::

        from xrerank.training.distill import DistillationConfig, distill_bi_encoder

        config = DistillationConfig(output_dir="my-student")
        result = distill_bi_encoder(examples, "xrerank-demo/reranker", config)
        SentenceTransformer(str(result.model_path)).encode(["query"])
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from xrerank._optional import require
from xrerank.examples import TrainingExample
from xrerank.models.serving_recipe import FROM_RECIPE
from xrerank.training.checkpoints import refuse_existing_output, save_model_atomically
from xrerank.training.config import MINILM_ALIAS, BaseTrainingConfig
from xrerank.training.losses import build_distillation_loss
from xrerank.training.rows import build_distillation_rows, check_examples, trim_negatives
from xrerank.training.start_model import has_classification_head, resolve_base_model
from xrerank.validation import check_int

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from xrerank.scoring.reranker import Activation, Reranker

logger = logging.getLogger(__name__)

DISTILLATION_LOSSES = ("margin_mse", "cosent", "cosine")


@dataclass
class DistillationConfig(BaseTrainingConfig):
    """Everything that decides a distillation run.

    The options shared with every run (steps, batch, optimiser, output) are documented on
    :class:`~xrerank.training.config.BaseTrainingConfig`. Distillation runs 3 epochs by
    default: a log yields only a few hundred rows, i.e. tens of steps, on a CPU.

    Attributes:
        student: The bi-encoder to train: a SentenceTransformer name or directory;
            ``"minilm"`` is the packaged all-MiniLM-L6-v2.
        loss: ``"margin_mse"`` (student margins regress to teacher margins), ``"cosent"``
            (the order of teacher scores within a batch) or ``"cosine"`` (cosine similarity
            regresses to the teacher score in [0, 1]).
        teacher_max_length: Token limit of each (query, passage) pair when the teacher is given
            as a path; None keeps the teacher's own setting.

    Example:
        >>> config = DistillationConfig(loss="cosent", epochs=2, output_dir="my-student")
        >>> config.loss
        'cosent'
    """

    epochs: float = 3.0
    batch_size: int = 16
    num_negatives: int = 3
    logging_steps: int = 10
    output_dir: str = "xrerank-student"
    student: str = MINILM_ALIAS
    loss: str = "margin_mse"
    teacher_max_length: int | None = None

    def __post_init__(self) -> None:
        if self.loss not in DISTILLATION_LOSSES:
            raise ValueError(
                f"DistillationConfig got loss={self.loss!r}; expected one of "
                f"{', '.join(DISTILLATION_LOSSES)}."
            )
        if not isinstance(self.student, str) or not self.student:
            raise ValueError(
                f"DistillationConfig got student={self.student!r}; expected a SentenceTransformer name or "
                "directory (or 'minilm'). Pass a loaded model as distill_bi_encoder(..., student=model)."
            )
        super().__post_init__()
        check_int(
            self.teacher_max_length,
            caller="DistillationConfig",
            name="teacher_max_length",
            minimum=self.MIN_MAX_LENGTH,
            optional=True,
        )


@dataclass
class DistillationResult:
    """What :func:`distill_bi_encoder` did.

    Attributes:
        model_path: The saved student; loads with ``SentenceTransformer(str(model_path))``.
        train_rows: Rows in the training dataset.
        skipped_examples: Examples left out (``margin_mse``: fewer than ``num_negatives`` negatives).
        teacher_pairs: Distinct (query, passage) pairs the teacher scored.
        teacher_seconds: Wall-clock seconds of teacher scoring.
        steps: Optimiser steps run.
        train_seconds: Wall-clock seconds of ``trainer.train()``.
        final_loss: Mean training loss reported by the trainer.
        log_history: The trainer's log entries (loss every ``logging_steps``).
    """

    model_path: Path
    train_rows: int
    skipped_examples: int
    teacher_pairs: int
    teacher_seconds: float
    steps: int
    train_seconds: float
    final_loss: float | None
    log_history: list[dict[str, Any]] = field(default_factory=list)


# --------------------------------------------------------------------------- teacher


def load_teacher(teacher: Reranker | str | Path, config: DistillationConfig | None = None) -> Reranker:
    """The teacher as an :class:`xrerank.Reranker`; a path is loaded with sigmoid scores.

    A directory without a classification head (a plain encoder or a bi-encoder) is refused:
    sentence-transformers would add a *random* head, and the student would learn noise.

    Example:
        >>> teacher = load_teacher("./my-reranker")  # a fine-tuned cross-encoder
        >>> teacher.activation
        'sigmoid'
    """
    from xrerank.scoring.reranker import Reranker

    config = config or DistillationConfig()
    if isinstance(teacher, Reranker) and teacher.activation is None and config.loss == "cosine":
        logger.warning(
            "The teacher returns raw logits but loss='cosine' regresses cosine similarities (at most 1) "
            "to its scores; build it with activation='sigmoid' or use loss='margin_mse'/'cosent'."
        )
    return open_teacher(
        teacher,
        caller="distill_bi_encoder",
        activation="sigmoid",
        device=config.device,
        max_length=config.teacher_max_length,
        show_progress=config.show_progress,
        allow_pickle_weights=config.allow_pickle_weights,
    )


def open_teacher(
    teacher: Reranker | str | Path,
    *,
    caller: str,
    activation: Activation,
    device: str | None,
    show_progress: bool,
    allow_pickle_weights: bool,
    max_length: int | None = FROM_RECIPE,
) -> Reranker:
    """A teacher as a :class:`xrerank.Reranker`: one given as a Reranker as is, a path loaded.

    A loaded teacher is served by its recipe except for ``activation`` (and ``max_length`` when given).

    The checks both distillations share: a path must hold a cross-encoder (a classification
    head), else sentence-transformers would add a *random* head and the student would learn noise.
    """
    from xrerank.scoring.reranker import Reranker

    if isinstance(teacher, Reranker):
        return teacher
    if not isinstance(teacher, (str, Path)):
        raise TypeError(
            f"{caller} got a {type(teacher).__name__} as teacher; expected an xrerank.Reranker or the path "
            "of a fine-tuned cross-encoder (the output of `xrerank tune` or `xrerank train`)."
        )
    path = os.fspath(teacher)
    if has_classification_head(path) is False:
        raise ValueError(
            f"Teacher {path} has no classification head: it is a plain encoder or a bi-encoder, not a "
            "cross-encoder. Pass a fine-tuned reranker directory (the output of `xrerank tune` or "
            "`xrerank train`, e.g. xrerank-demo/reranker from `xrerank demo`)."
        )
    return Reranker(
        path,
        device=device,  # None: the Reranker resolves it as every model load does
        max_length=max_length,
        activation=activation,
        show_progress_bar=show_progress,
        local_files_only=os.path.isdir(path),
        micro_batching=None,
        allow_pickle_weights=allow_pickle_weights,
    )


def teacher_scored(
    examples: Sequence[TrainingExample],
    teacher: Reranker | str | Path | None,
    config: DistillationConfig | None = None,
) -> tuple[list[TrainingExample], int]:
    """Copies of ``examples`` whose ``positive_scores``/``negative_scores`` are the teacher's.

    With ``teacher=None`` the scores already on the examples are used (e.g. written by
    ``mine_hard_negatives(..., teacher=...)``); every example must have them. Negatives are
    cut to ``config.num_negatives``. Returns ``(examples, distinct pairs scored)``.

    Example:
        >>> scored, pairs = teacher_scored(examples, "./my-reranker")
        >>> scored[0].positive_scores, pairs  # teacher scores in [0, 1]; 6 distinct pairs scored
        ([0.91...], 6)
    """
    config = config or DistillationConfig()
    trimmed = [
        trim_negatives(e, config.num_negatives) for e in check_examples(examples, caller="distill_bi_encoder")
    ]
    if teacher is None:
        missing = next((e for e in trimmed if not e.has_teacher_scores), None)
        if missing is not None:
            raise ValueError(
                f"distill_bi_encoder got teacher=None, but the example for query {missing.query!r} has no "
                "teacher scores. Pass a teacher (an xrerank.Reranker or a fine-tuned cross-encoder path)."
            )
        return trimmed, 0
    reranker = load_teacher(teacher, config)
    pairs = list(dict.fromkeys((e.query, text) for e in trimmed for text in [*e.positives, *e.negatives]))
    scores = dict(zip(pairs, reranker.score_pairs(pairs), strict=True))
    scored = [
        replace(
            e,
            positive_scores=[scores[(e.query, t)] for t in e.positives],
            negative_scores=[scores[(e.query, t)] for t in e.negatives],
        )
        for e in trimmed
    ]
    return scored, len(pairs)


def load_student(config: DistillationConfig) -> SentenceTransformer:
    """The student named by ``config.student`` (``"minilm"``: the packaged all-MiniLM-L6-v2).

    Pickle-only weights are refused unless ``config.allow_pickle_weights``.

    Example:
        >>> student = load_student(DistillationConfig(device="cpu"))
        >>> student.max_seq_length
        128
    """
    import torch

    from xrerank.models.loading import load_sentence_transformer, resolve_device

    path = resolve_base_model(config.student)
    torch.manual_seed(config.seed)
    model = load_sentence_transformer(
        path,
        allow_pickle_weights=config.allow_pickle_weights,
        device=resolve_device(config.device),
        local_files_only=os.path.isdir(path),
    )
    model.max_seq_length = config.max_length
    return model


# --------------------------------------------------------------------------- training


def distill_bi_encoder(
    examples: Sequence[TrainingExample],
    teacher: Reranker | str | Path | None,
    config: DistillationConfig | None = None,
    *,
    student: SentenceTransformer | None = None,
    callbacks: list[Any] | None = None,
) -> DistillationResult:
    """Train a bi-encoder to reproduce a cross-encoder's scores, and save it.

    Args:
        examples: Training queries with positives and negatives (e.g. mined from a retriever log
            with :func:`xrerank.mine_hard_negatives`). Only the texts are used; the teacher
            decides how relevant each one is.
        teacher: A fine-tuned cross-encoder: an :class:`xrerank.Reranker` (its scores are used as
            it returns them) or a directory (loaded with sigmoid scores in [0, 1]). None uses the
            teacher scores already on the examples.
        config: Loss and settings; defaults to :class:`DistillationConfig`'s defaults.
        student: An already loaded SentenceTransformer to train in place instead of ``config.student``.
        callbacks: ``transformers.TrainerCallback`` objects handed to the trainer (with
            ``config.report_to``, how a run is followed in TensorBoard, MLflow or W&B).

    Returns:
        A :class:`DistillationResult`; ``model_path`` is a plain SentenceTransformer directory,
        written atomically (beside the target, then renamed).

    Raises:
        ValueError: No examples, no usable rows, a teacher that is not a cross-encoder, or an
            existing ``output_dir`` without ``overwrite``.

    Example:
        Training takes minutes, so this example is shown, not run::

            examples, _ = mine_hard_negatives(read_log("search-log.jsonl"), source)
            result = distill_bi_encoder(examples, "my-reranker", DistillationConfig(output_dir="my-student"))
    """
    config = config or DistillationConfig()
    if not isinstance(config, DistillationConfig):
        raise TypeError(
            f"distill_bi_encoder got {type(config).__name__} as config; expected DistillationConfig."
        )
    datasets = require("datasets", purpose="Distilling a bi-encoder")
    require("accelerate", purpose="Distilling a bi-encoder")
    output_dir = refuse_existing_output(config.output_dir, overwrite=config.overwrite)

    started = time.perf_counter()
    scored, teacher_pairs = teacher_scored(examples, teacher, config)
    teacher_seconds = time.perf_counter() - started
    rows, skipped = build_distillation_rows(scored, config)
    if skipped:
        logger.warning(
            "%d of %d examples have fewer than %d negatives and were skipped for loss=margin_mse; mine "
            "more negatives or lower num_negatives.",
            skipped,
            len(scored),
            config.num_negatives,
        )
    if not rows:
        raise ValueError(
            f"No training rows for loss={config.loss!r}: every example has fewer than {config.num_negatives} "
            "negatives. Mine more negatives, lower num_negatives or use loss='cosent'."
        )

    from sentence_transformers import SentenceTransformerTrainer, SentenceTransformerTrainingArguments

    if student is None:
        student = load_student(config)
    student.max_seq_length = config.max_length
    # The trainer wants a working folder even with save_strategy="no"; it is removed afterwards
    # unless a tracker wrote its event files there (``runs/``).
    checkpoints = config.checkpoint_dir
    remove_checkpoints = not checkpoints.exists()
    device = config.device_arguments()
    args = SentenceTransformerTrainingArguments(
        output_dir=str(checkpoints),
        num_train_epochs=float(config.epochs),
        max_steps=config.max_steps if config.max_steps is not None else -1,
        per_device_train_batch_size=config.batch_size,
        learning_rate=config.learning_rate,
        warmup_steps=float(config.warmup),
        weight_decay=config.weight_decay,
        seed=config.seed,
        data_seed=config.seed,
        logging_steps=config.logging_steps,
        save_strategy="no",
        disable_tqdm=not config.show_progress,
        report_to=config.trackers,
        run_name=config.run_name,
        use_cpu=device["use_cpu"],
        bf16=device["bf16"],
    )
    trainer = SentenceTransformerTrainer(
        model=student,
        args=args,
        train_dataset=datasets.Dataset.from_list(rows),
        loss=build_distillation_loss(student, config),
        callbacks=callbacks,
    )
    logger.info(
        "Distilling into %s: %d rows (loss=%s), %d teacher pairs.",
        config.student,
        len(rows),
        config.loss,
        teacher_pairs,
    )
    started = time.perf_counter()
    output = trainer.train()
    train_seconds = time.perf_counter() - started
    # save_model_atomically only calls model.save(path), which a SentenceTransformer has too.
    save_model_atomically(cast(Any, student), output_dir, overwrite=config.overwrite)
    if remove_checkpoints and not (checkpoints / "runs").exists():
        shutil.rmtree(checkpoints, ignore_errors=True)
    return DistillationResult(
        model_path=output_dir,
        train_rows=len(rows),
        skipped_examples=skipped,
        teacher_pairs=teacher_pairs,
        teacher_seconds=float(teacher_seconds),
        steps=int(trainer.state.global_step),
        train_seconds=float(train_seconds),
        final_loss=float(output.training_loss) if output.training_loss is not None else None,
        log_history=list(trainer.state.log_history),
    )
