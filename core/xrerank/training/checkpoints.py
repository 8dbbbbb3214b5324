"""What a run writes to disk and reads back: the final model, saved atomically, and checkpoints to resume."""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from xrerank.models.atomic_dir import make_staging_dir, recover_interrupted_save, replace_directory
from xrerank.output_files import check_output_dir

if TYPE_CHECKING:
    from sentence_transformers import CrossEncoder

    from xrerank.training.config import TrainingConfig

logger = logging.getLogger(__name__)


def refuse_existing_output(output_dir: str | Path, *, overwrite: bool) -> Path:
    """Check a run's model directory before any work: never a file, and not an existing one without overwrite.

    Only the main process saves, so under torchrun the others do not look.

    Example:
        >>> _ = Path("notes.txt").write_text("mine", encoding="utf-8")
        >>> refuse_existing_output("notes.txt", overwrite=True)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: output_dir notes.txt is a file, not a directory; ...
    """
    target = check_output_dir(output_dir, what="output_dir")
    if target.exists() and not overwrite and int(os.environ.get("RANK", "0")) == 0:
        raise FileExistsError(
            f"Output directory {target} already exists; set overwrite=True (--overwrite) or choose another."
        )
    return target


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
        >>> save_model_atomically(model, "out/reranker", overwrite=True)
        PosixPath('out/reranker')
    """
    target = Path(target)
    recover_interrupted_save(target)
    refuse_existing_output(target, overwrite=overwrite)
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
        >>> checkpoint = Path("xrerank-model.checkpoints/checkpoint-500")
        >>> checkpoint.mkdir(parents=True)
        >>> _ = (checkpoint / "trainer_state.json").write_text('{"global_step": 500}')
        >>> is_complete_checkpoint(checkpoint)  # the state file alone: no weights, optimizer, scheduler
        False
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


def latest_checkpoint(directory: Path) -> str | None:
    """The complete ``checkpoint-N`` with the highest N; incomplete ones (a kill mid-save) are skipped.

    Example:
        >>> checkpoint = Path("xrerank-model.checkpoints/checkpoint-500")
        >>> checkpoint.mkdir(parents=True)
        >>> for name in ("model.safetensors", "optimizer.pt", "scheduler.pt"):
        ...     (checkpoint / name).touch()
        >>> _ = (checkpoint / "trainer_state.json").write_text('{"global_step": 500}')
        >>> latest_checkpoint(Path("xrerank-model.checkpoints"))
        'xrerank-model.checkpoints/checkpoint-500'
    """
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


def checkpoint_to_resume(config: TrainingConfig) -> str | None:
    """The checkpoint ``config.resume`` names (None when not resuming); refuses one that is missing or torn.

    Example:
        >>> from xrerank.training.config import TrainingConfig
        >>> checkpoint_to_resume(TrainingConfig()) is None
        True
    """
    if not config.resume:
        return None
    checkpoint = (
        str(config.resume) if isinstance(config.resume, str) else latest_checkpoint(config.checkpoint_dir)
    )
    if checkpoint is None:
        raise FileNotFoundError(
            f"resume=True but {config.checkpoint_dir} holds no complete checkpoint-*; "
            "train once with save_steps set."
        )
    if not is_complete_checkpoint(checkpoint):
        raise FileNotFoundError(
            f"resume={checkpoint!r} is not a complete trainer checkpoint (trainer_state.json, "
            "weights, optimizer.pt and scheduler.pt); pass resume=True to take the latest complete one."
        )
    return checkpoint
