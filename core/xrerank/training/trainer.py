"""Fine-tune a cross-encoder with sentence-transformers' ``CrossEncoderTrainer``.

:class:`~xrerank.training.config.TrainingConfig` names the loss and every setting;
:func:`train` turns :class:`~xrerank.examples.TrainingExample` objects into the column
layout that loss reads, runs the trainer (which also handles ``torchrun``/``accelerate
launch``) and saves a plain sentence-transformers CrossEncoder directory, atomically
(written beside the target, then renamed).

The defaults are built for a CPU budget (see DESIGN's "measured trap"): short
sequences (128 tokens), one positive against its own hard negatives per row
(InfoNCE, no extra in-batch pairs) and a fast learning rate for a fresh head, so
that minutes of training move the model. ``benchmarks/scifact.py`` measures them
against the sentence-transformers recipe; its table is the evidence to revise them.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xrerank._optional import require
from xrerank.examples import TrainingExample
from xrerank.training.checkpoints import checkpoint_to_resume, refuse_existing_output, save_model_atomically
from xrerank.training.config import TrainingConfig
from xrerank.training.losses import build_loss
from xrerank.training.rows import build_rows, check_examples
from xrerank.training.start_model import gets_a_fresh_head, load_start_model, set_max_length
from xrerank.training.window_cut import cut_to_best_windows, require_a_ranking_start

if TYPE_CHECKING:
    from sentence_transformers import CrossEncoder
    from sentence_transformers.cross_encoder import CrossEncoderTrainer, CrossEncoderTrainingArguments

logger = logging.getLogger(__name__)


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


def train(
    examples: Sequence[TrainingExample],
    config: TrainingConfig | None = None,
    *,
    model: CrossEncoder | None = None,
    fresh_head: bool = False,
    eval_examples: Sequence[TrainingExample] | None = None,
    callbacks: list[Any] | None = None,
    before_save: Callable[[CrossEncoder, Path], None] | None = None,
    progress_label: str = "training",
) -> TrainResult:
    """Fine-tune a cross-encoder on ``examples`` and save it to ``config.output_dir``.

    The caller's model object, if given, is trained in place (pass a copy to keep it).

    Args:
        examples: Training queries with positives and mined negatives.
        config: Loss and settings; defaults to :class:`~xrerank.training.config.TrainingConfig`'s defaults.
        model: An already loaded CrossEncoder to train instead of ``config.base_model``.
        fresh_head: Whether ``model``'s classification head is new and random (as
            :func:`~xrerank.training.start_model.load_start_model` reports): it then learns at
            ``config.head_learning_rate``, and ``long_passages="max_window"`` is refused.
        eval_examples: Held-out examples whose loss is logged every ``config.eval_steps``.
        callbacks: Extra ``transformers.TrainerCallback`` objects.
        before_save: Called on the main process as ``before_save(model, staging_dir)`` after the
            model is written and before the directory is renamed into place (add files there).
        progress_label: The progress bar's label (a recipe of several stages names each one).

    Returns:
        A :class:`TrainResult`; ``model_path`` loads with ``CrossEncoder(path)`` and ``Reranker(path)``.

    Example:
        Training takes minutes on a CPU, so this example is shown, not run::

            result = train(examples, TrainingConfig(loss="bce", output_dir="out"))
            Reranker(result.model_path).rank("query", passages)
    """
    config = config or TrainingConfig()
    require("datasets", purpose="Fine-tuning a reranker")
    require("accelerate", purpose="Fine-tuning a reranker")
    from sentence_transformers.cross_encoder import CrossEncoderTrainer

    refuse_existing_output(config.output_dir, overwrite=config.overwrite)
    examples = check_examples(examples, caller="train()")
    resume_from = checkpoint_to_resume(config)
    require_a_ranking_start(config, fresh_head if model is not None else gets_a_fresh_head(config))
    if model is None:
        model, fresh_head = load_start_model(config)
    set_max_length(model, config.max_length)

    started = time.perf_counter()
    if config.long_passages == "max_window":
        examples = cut_to_best_windows(examples, model, config)
        if eval_examples:
            eval_examples = cut_to_best_windows(eval_examples, model, config)
    window_seconds = time.perf_counter() - started
    rows, skipped = _training_rows(examples, config)
    eval_rows = build_rows(eval_examples, config)[0] if eval_examples else []

    trainer = CrossEncoderTrainer(
        model=model,
        args=_training_arguments(config, fresh_head, evaluate=bool(eval_rows)),
        train_dataset=_to_dataset(rows),
        eval_dataset=_to_dataset(eval_rows) if eval_rows else None,
        loss=build_loss(model, config),
        callbacks=callbacks,
    )
    _log_entries_to_logging(trainer, progress_label)
    logger.info(
        "Training %s on %d rows (loss=%s, fresh head=%s).",
        config.base_model,
        len(rows),
        config.loss,
        fresh_head,
    )
    started = time.perf_counter()
    output = trainer.train(resume_from_checkpoint=resume_from)
    seconds = time.perf_counter() - started + window_seconds
    _save(trainer, model, config, before_save)
    return TrainResult(
        model_path=Path(config.output_dir),
        train_rows=len(rows),
        steps=int(trainer.state.global_step),
        seconds=float(seconds),
        final_loss=float(output.training_loss) if output.training_loss is not None else None,
        fresh_head=fresh_head,
        skipped_examples=skipped,
        log_history=list(trainer.state.log_history),
    )


def _log_entries_to_logging(trainer: Any, progress_label: str) -> None:
    """Send the trainer's log entries (loss, learning rate...) to logging, not to stdout as raw dicts.

    transformers prints each entry through its progress bar (or ``print`` without one); a
    command's stdout carries its results only. The progress bar itself stays, labelled: its
    default has no label, and a recipe's stages would show as anonymous bars one after another.
    """
    from transformers.trainer_callback import PrinterCallback, ProgressCallback, TrainerCallback

    def log_entry(state: Any, logs: Any) -> None:
        if state.is_world_process_zero and logs:
            entry = {key: value for key, value in logs.items() if key != "total_flos"}
            logger.info("step %d: %s", state.global_step, entry)

    class LoggedProgress(ProgressCallback):
        def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            super().on_train_begin(args, state, control, **kwargs)
            if self.training_bar is not None:
                self.training_bar.set_description(progress_label)
                self.training_bar.unit = "step"

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
            log_entry(state, logs)

    class LoggedEntries(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kwargs: Any) -> None:
            log_entry(state, logs)

    had_bar = trainer.pop_callback(ProgressCallback) is not None
    trainer.pop_callback(PrinterCallback)
    trainer.add_callback(LoggedProgress() if had_bar else LoggedEntries())


def _training_rows(
    examples: list[TrainingExample], config: TrainingConfig
) -> tuple[list[dict[str, Any]], int]:
    """The training rows, with a warning for skipped examples and an error when none are left."""
    rows, skipped = build_rows(examples, config)
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
    return rows, skipped


def _to_dataset(rows: list[dict[str, Any]]) -> Any:
    datasets = require("datasets", purpose="Fine-tuning a reranker")
    return datasets.Dataset.from_list(rows)


def _training_arguments(
    config: TrainingConfig, fresh_head: bool, *, evaluate: bool
) -> CrossEncoderTrainingArguments:
    """The trainer's arguments for ``config``; a fresh head learns at ``head_learning_rate``."""
    from sentence_transformers.cross_encoder import CrossEncoderTrainingArguments

    learning_rate_mapping: dict[str, float] = {}
    if fresh_head and config.head_learning_rate is not None:
        learning_rate_mapping = {r"classifier\.|pooler\.": float(config.head_learning_rate)}
    device = config.device_arguments()
    return CrossEncoderTrainingArguments(
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
        eval_strategy="steps" if (config.eval_steps and evaluate) else "no",
        eval_steps=config.eval_steps,
        save_strategy="steps" if config.save_steps else "no",
        save_steps=config.save_steps or 500,
        save_total_limit=config.save_total_limit,
        disable_tqdm=not config.show_progress,
        report_to=config.trackers,
        run_name=config.run_name,
        dataloader_drop_last=False,
        # Pinned host memory only speeds up copies to an accelerator.
        dataloader_pin_memory=not device["use_cpu"],
        ddp_find_unused_parameters=False,
        use_cpu=device["use_cpu"],
        bf16=device["bf16"],
    )


def _save(
    trainer: CrossEncoderTrainer,
    model: CrossEncoder,
    config: TrainingConfig,
    before_save: Callable[[CrossEncoder, Path], None] | None,
) -> None:
    """Save the trained model once (main process); drop the trainer's working folder if it holds nothing."""
    if trainer.is_world_process_zero():
        hook = (lambda staging: before_save(model, staging)) if before_save is not None else None
        save_model_atomically(model, config.output_dir, overwrite=config.overwrite, before_rename=hook)
        checkpoints = config.checkpoint_dir
        # The folder goes unless it holds checkpoints or a tracker's event files (``runs/``).
        kept = [*checkpoints.glob("checkpoint-*"), *checkpoints.glob("runs")]
        if config.save_steps is None and checkpoints.is_dir() and not kept:
            shutil.rmtree(checkpoints, ignore_errors=True)
    if trainer.accelerator.num_processes > 1:
        trainer.accelerator.wait_for_everyone()
