"""Saving a model is atomic: SIGKILL at any point leaves the previous (or the new) model loadable."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from xrerank.models.atomic_dir import make_staging_dir, recover_interrupted_save, replace_directory

QUERY = "what causes condition 3?"
PASSAGES = ["condition 3 is caused by factor 3.", "an unrelated remark.", "bread needs yeast."]

# Saves two models in turn to one target until it is killed. The hook runs between
# writing the staging directory and swapping it in; PAUSE > 0 holds the process there.
SAVER = textwrap.dedent(
    """
    import sys, time
    from sentence_transformers import CrossEncoder
    from xrerank.training.checkpoints import save_model_atomically

    first, second, target, pause = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    models = [CrossEncoder(first, device="cpu"), CrossEncoder(second, device="cpu")]

    def hook(staging):
        print("staged", flush=True)
        time.sleep(pause)

    print("ready", flush=True)
    i = 0
    while True:
        save_model_atomically(models[i % 2], target, overwrite=True, before_rename=hook)
        i += 1
        print("saved", i, flush=True)
    """
)


def scores_of(path: Path) -> list[float]:
    from xrerank import Reranker

    return Reranker(path, device="cpu", cache_size=0).score(QUERY, PASSAGES)


@pytest.fixture(scope="module")
def two_models(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny model and a copy whose head is negated: any mix-up shows in the scores."""
    import torch
    from sentence_transformers import CrossEncoder

    root = tmp_path_factory.mktemp("two-models")
    first = CrossEncoder(str(tiny_model_dir), device="cpu")
    first.save(str(root / "first"))
    with torch.no_grad():
        first.model.classifier.weight.neg_()
    first.save(str(root / "second"))
    return root / "first", root / "second"


def hidden_leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def start_saver(first: Path, second: Path, target: Path, pause: float) -> subprocess.Popen[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(
        [sys.executable, "-c", SAVER, str(first), str(second), str(target), str(pause)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )


def wait_for_line(process: subprocess.Popen[str], expected: str, timeout: float) -> None:
    """Read the saver's stdout until a line starts with ``expected`` (fails on exit or timeout)."""
    assert process.stdout is not None
    found = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(expected):
                found.set()
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not found.wait(timeout):
        kill_group(process)
        stderr = process.stderr.read() if process.stderr else ""
        pytest.fail(f"saver never printed {expected!r} within {timeout} s: {stderr[-2000:]}")


def kill_group(process: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)  # reaped: its PID no longer counts as a live saver


def test_sigkill_at_any_point_of_a_save_leaves_a_complete_model(two_models, tmp_path) -> None:
    from xrerank.training.checkpoints import save_model_atomically

    first, second = two_models
    expected = [scores_of(first), scores_of(second)]
    assert expected[0] != expected[1]
    # (hook pause, seconds after "ready" before the kill): the first is killed while its
    # staged model waits to be swapped in; the others at arbitrary points of back-to-back saves.
    plans = [(30.0, None), (0.0, 0.1), (0.0, 0.7)]
    targets = [tmp_path / f"run{i}" / "reranker" for i in range(len(plans))]
    savers = []
    for target, (pause, _) in zip(targets, plans, strict=True):
        target.parent.mkdir()
        save_model_atomically(_load(first), target, overwrite=False)
        savers.append(start_saver(first, second, target, pause))
    try:
        for saver, (_, delay) in zip(savers, plans, strict=True):
            if delay is None:
                wait_for_line(saver, "staged", timeout=180)
            else:
                wait_for_line(saver, "ready", timeout=180)
                time.sleep(delay)
            kill_group(saver)
    finally:
        for saver in savers:
            kill_group(saver)

    for target in targets:
        visible = sorted(p.name for p in target.parent.iterdir() if not p.name.startswith("."))
        assert visible == ["reranker"], "only the target is visible; staging copies are hidden"
        got = scores_of(target)
        assert any(got == pytest.approx(want, abs=1e-6) for want in expected), (
            "the target must hold one complete model, the previous or the new one"
        )
        # The next save removes what the killed process left behind.
        save_model_atomically(_load(first), target, overwrite=True)
        assert hidden_leftovers(target.parent) == []
        assert scores_of(target) == pytest.approx(expected[0], abs=1e-6)
    assert hidden_leftovers(targets[0].parent) == []


def _load(path: Path):
    from sentence_transformers import CrossEncoder

    return CrossEncoder(str(path), device="cpu")


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_save_killed_between_two_renames_is_restored_on_the_next_load(two_models, tmp_path) -> None:
    """Where renameat2 is missing a save takes two renames; a kill between them is repaired on load."""
    import shutil

    first, _ = two_models
    target = tmp_path / "reranker"
    # The state such a kill leaves: no target, the previous model moved aside under a dead PID.
    shutil.copytree(first, tmp_path / f".reranker.old-{dead_pid()}")
    assert not target.exists()
    assert scores_of(target) == pytest.approx(scores_of(first), abs=1e-6)
    assert target.is_dir() and hidden_leftovers(tmp_path) == []


def test_a_read_only_folder_loads_the_moved_aside_copy_in_place(two_models, tmp_path) -> None:
    import shutil

    first, _ = two_models
    folder = tmp_path / "models"
    folder.mkdir()
    old = folder / f".reranker.old-{dead_pid()}"
    shutil.copytree(first, old)
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who can write to read-only folders (root)")
        assert recover_interrupted_save(folder / "reranker") == str(old)
    finally:
        folder.chmod(0o755)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="atomic exchange is Linux's renameat2")
def test_a_reader_never_finds_the_target_missing_while_it_is_replaced(tmp_path) -> None:
    target = tmp_path / "model"
    target.mkdir()
    (target / "weights").write_text("0")
    stop = threading.Event()
    misses: list[int] = []

    def read() -> None:
        while not stop.is_set():
            if not (target / "weights").is_file():
                misses.append(1)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for version in range(1, 301):
            staging = make_staging_dir(target)
            (staging / "weights").write_text(str(version))
            replace_directory(staging, target)
    finally:
        stop.set()
        reader.join()
    assert (target / "weights").read_text() == "300"
    assert misses == [], f"the target was missing {len(misses)} times during 300 replacements"
    assert hidden_leftovers(tmp_path) == []
