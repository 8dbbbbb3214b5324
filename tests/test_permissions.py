"""Saved models get ordinary permissions: their folders and files follow the umask like any the user writes.

Every save is staged in a hidden folder beside the target and renamed into place
(:mod:`xrerank.models.atomic_dir`); a private staging folder (0700) would leave the
saved model unreadable to the user's group and to a serving account.
"""

from __future__ import annotations

import importlib.util
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from xrerank.examples import TrainingExample
from xrerank.models import export_model
from xrerank.training import TrainingConfig, finetune, train

# umask -> (directory mode, file mode) that an ordinary mkdir / open gives under it.
UMASK_022 = (0o022, 0o755, 0o644)
UMASK_027 = (0o027, 0o750, 0o640)


@contextmanager
def umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def wrong_modes(root: Path, *, directory: int, file: int) -> dict[str, str]:
    """Paths under ``root`` (itself included) whose mode differs from the expected one."""
    wrong = {}
    for path in [root, *sorted(root.rglob("*"))]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        expected = directory if path.is_dir() else file
        if mode != expected:
            wrong[str(path.relative_to(root.parent))] = f"{mode:o} (expected {expected:o})"
    return wrong


def examples(n: int = 6) -> list[TrainingExample]:
    return [
        TrainingExample(
            f"what causes condition {i}?",
            [f"condition {i} is caused by factor {i}."],
            [f"an unrelated remark number {i}-{j}." for j in range(2)],
            query_id=f"q{i}",
        )
        for i in range(n)
    ]


def config(tmp_path: Path, model_dir: Path) -> TrainingConfig:
    return TrainingConfig(
        base_model=str(model_dir),
        loss="bce",
        max_steps=2,
        batch_size=4,
        num_negatives=2,
        max_length=32,
        output_dir=str(tmp_path / "out" / "model"),
        device="cpu",
        show_progress=False,
    )


@pytest.mark.parametrize(("mask", "directory", "file"), [UMASK_022, UMASK_027], ids=["022", "027"])
def test_trained_model_follows_the_umask(tmp_path, tiny_model_dir, mask, directory, file) -> None:
    with umask(mask):
        result = train(examples(), config(tmp_path, tiny_model_dir))
    assert (result.model_path / "config.json").is_file()
    assert wrong_modes(result.model_path, directory=directory, file=file) == {}


def test_finetuned_model_follows_the_umask(tmp_path, tiny_model_dir) -> None:
    mask, directory, file = UMASK_022
    data = examples()
    with umask(mask):
        path = finetune(data, config(tmp_path, tiny_model_dir), eval_set=data[:3])
    assert (path / "README.md").is_file(), "the model card is written into the staged folder too"
    assert wrong_modes(path, directory=directory, file=file) == {}


@pytest.mark.skipif(
    any(importlib.util.find_spec(name) is None for name in ("onnx", "onnxruntime")),
    reason="optional backend packages onnx, onnxruntime not installed",
)
def test_exported_model_follows_the_umask(tmp_path, tiny_model_dir) -> None:
    mask, directory, file = UMASK_022
    with umask(mask):
        out = export_model(tiny_model_dir, tmp_path / "out" / "onnx", backend="onnx")
    assert (out / "onnx" / "model.onnx").is_file()
    assert wrong_modes(out, directory=directory, file=file) == {}
