"""A training run killed with SIGKILL resumes from its last complete checkpoint and finishes."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from test_training import config_for, make_examples

from xrerank.examples import load_examples, save_examples
from xrerank.training import TrainingConfig, train

MAX_STEPS = 30
SAVE_STEPS = 3
FAULT_RUN = dict(loss="bce", max_steps=MAX_STEPS, save_steps=SAVE_STEPS, save_total_limit=2)

# Trains with the given config, slowed down per step so that the test can kill it mid-run.
TRAINER = textwrap.dedent(
    """
    import json, sys, time
    from transformers import TrainerCallback
    from xrerank.training import TrainingConfig, train
    from xrerank.examples import load_examples

    class Slow(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            time.sleep(0.1)

    config = TrainingConfig.from_dict(json.loads(open(sys.argv[2]).read()))
    train(load_examples(sys.argv[1]), config, callbacks=[Slow()])
    print("finished", flush=True)
    """
)


def step_of(checkpoint: Path) -> int:
    return int(checkpoint.name.split("-")[-1])


def complete_checkpoints(directory: Path) -> list[Path]:
    """Checkpoints whose trainer_state.json (written last) parses, oldest first."""
    done = []
    for checkpoint in directory.glob("checkpoint-*"):
        try:
            json.loads((checkpoint / "trainer_state.json").read_text())
        except (OSError, ValueError):
            continue
        done.append(checkpoint)
    return sorted(done, key=step_of)


def run_until_first_checkpoint_then_kill(examples_file: Path, config: TrainingConfig, tmp_path: Path) -> None:
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config.to_dict()))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(
        [sys.executable, "-c", TRAINER, str(examples_file), str(config_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # the kill reaches any worker it starts too
    )
    try:
        deadline = time.monotonic() + 180
        while not complete_checkpoints(config.checkpoint_dir):
            if process.poll() is not None:
                pytest.fail(f"training exited before its first checkpoint: {process.stderr.read()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail("no checkpoint within 180 s")
            time.sleep(0.05)
        time.sleep(0.35)  # land the kill somewhere in the following steps, maybe mid-checkpoint
        finished_early = process.poll() is not None
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
    assert not finished_early, "training finished before it was killed; make the steps slower"


def test_sigkill_mid_training_then_resume_continues_from_the_checkpoint(tmp_path, tiny_model_dir) -> None:
    from sentence_transformers import CrossEncoder
    from transformers import TrainerCallback

    from xrerank import Reranker

    examples_file = tmp_path / "examples.jsonl"
    save_examples(make_examples(), examples_file)
    config = config_for(tmp_path, tiny_model_dir, **FAULT_RUN)
    run_until_first_checkpoint_then_kill(examples_file, config, tmp_path)

    assert not Path(config.output_dir).exists(), "killed before the final save"
    latest = complete_checkpoints(config.checkpoint_dir)[-1]
    resumed_at = step_of(latest)
    assert 0 < resumed_at < MAX_STEPS
    # What a kill while writing the next checkpoint leaves: its state file cut short. Resume skips it.
    torn = config.checkpoint_dir / f"checkpoint-{resumed_at + 1000}"
    shutil.copytree(latest, torn)
    state = (torn / "trainer_state.json").read_text()
    (torn / "trainer_state.json").write_text(state[: len(state) // 2])

    steps: list[int] = []

    class RecordSteps(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            steps.append(state.global_step)

    resumed = TrainingConfig.from_dict({**config.to_dict(), "resume": True})
    result = train(load_examples(examples_file), resumed, callbacks=[RecordSteps()])

    assert steps[0] == resumed_at + 1, "the global step continues from the checkpoint, not 0"
    assert steps == list(range(resumed_at + 1, MAX_STEPS + 1))
    assert result.steps == MAX_STEPS
    assert CrossEncoder(str(result.model_path), device="cpu").num_labels == 1
    scores = Reranker(result.model_path, device="cpu").score("what causes condition 1?", ["a", "b"])
    assert len(scores) == 2 and all(type(s) is float for s in scores)

    # The interrupted-and-resumed run ends where an uninterrupted one with the same settings ends.
    straight_config = config_for(tmp_path, tiny_model_dir, **FAULT_RUN, output_dir=str(tmp_path / "straight"))
    straight = train(load_examples(examples_file), straight_config)
    pairs = [("what causes condition 1?", text) for text in ("condition 1 is caused by factor 1.", "bread")]
    want = Reranker(straight.model_path, device="cpu", activation=None).score_pairs(pairs)
    got = Reranker(result.model_path, device="cpu", activation=None).score_pairs(pairs)
    assert got == pytest.approx(want, abs=1e-4)


def test_resume_from_a_torn_checkpoint_path_is_refused_with_the_fix(tmp_path, tiny_model_dir) -> None:
    config = config_for(tmp_path, tiny_model_dir, **{**FAULT_RUN, "max_steps": SAVE_STEPS})
    train(make_examples(), config)
    checkpoint = config.checkpoint_dir / f"checkpoint-{SAVE_STEPS}"
    (checkpoint / "trainer_state.json").unlink()
    torn = TrainingConfig.from_dict({**config.to_dict(), "resume": str(checkpoint), "overwrite": True})
    with pytest.raises(FileNotFoundError, match="resume=True"):
        train(make_examples(), torn)
