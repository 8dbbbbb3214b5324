"""benchmarks/demo_recipe.py refuses a change it cannot measure before minutes of training."""

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "demo_recipe.py"


def run_benchmark(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *arguments], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((), "give the change to measure"),
        (
            ("--training", "num_negativs=5"),
            "'num_negativs=5' is not NAME=VALUE with NAME a field of TrainingConfig",
        ),
        (("--tune", "mining_depth"), "'mining_depth' is not NAME=VALUE"),
        (("--training", "seed=3"), "seed=... is the benchmark's to set (seeds: --seeds)"),
        (("--training", "num_negatives=0"), "TrainingConfig got num_negatives=0"),
        (("--tune", "cold_start=titels"), "TuneConfig got cold_start='titels'"),
        (("--tune", "mining_depth=100", "--seeds", "42,x"), "is not a comma-separated list of integers"),
    ],
)
def test_bad_arguments_get_one_clear_line(arguments, message):
    result = run_benchmark(*arguments)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
