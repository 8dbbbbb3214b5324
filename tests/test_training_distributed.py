"""Multi-process training runs unchanged under torchrun: 2 CPU processes (gloo), a few steps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest


def test_torchrun_two_cpu_processes(tmp_path, tiny_model_dir):
    script = Path(__file__).with_name("ddp_train_script.py")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": "", "HF_HUB_OFFLINE": "1"}
    # torchrun's workers are grandchildren: run it in its own session so that a hang
    # (e.g. a gloo rendezvous that never completes) kills them all, not just torchrun.
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            "2",
            str(script),
            str(tiny_model_dir),
            str(tmp_path / "model"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        _, stderr = process.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail("torchrun with 2 CPU processes did not finish within 240 s")
    completed = subprocess.CompletedProcess(process.args, process.returncode, "", stderr)
    assert completed.returncode == 0, completed.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["world"] for r in ranks] == [2, 2]
    assert [r["steps"] for r in ranks] == [3, 3]
    # Only the main process saves, once, and the result is a loadable CrossEncoder.
    from xrerank import Reranker

    assert len(Reranker(tmp_path / "model", device="cpu").score("query 1", ["passage 1"])) == 1
