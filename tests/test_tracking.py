"""Experiment tracking: ``TrainingConfig.report_to``/``run_name`` and ``callbacks`` reach the trainer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from transformers import TrainerCallback

from xrerank.examples import TrainingExample
from xrerank.training.config import TrainingConfig
from xrerank.training.finetune import finetune
from xrerank.training.trainer import train


def _examples(n: int = 6) -> list[TrainingExample]:
    return [
        TrainingExample(
            f"what causes condition {i}?",
            [f"condition {i} is caused by factor {i}."],
            [f"an unrelated remark number {i}-{j}." for j in range(2)],
        )
        for i in range(n)
    ]


def _config(tmp_path: Path, model_dir: Path, **overrides: Any) -> TrainingConfig:
    options: dict[str, Any] = dict(
        base_model=str(model_dir),
        max_steps=2,
        batch_size=4,
        num_negatives=2,
        max_length=32,
        output_dir=str(tmp_path / "model"),
        device="cpu",
        show_progress=False,
        logging_steps=1,
    )
    return TrainingConfig(**{**options, **overrides})


class Recorder(TrainerCallback):
    """Records the trainer's events and the arguments it ran with."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.logs: list[dict[str, float]] = []
        self.args: Any = None

    def on_train_begin(self, args, state, control, **kwargs):
        self.args = args
        self.events.append("train_begin")

    def on_log(self, args, state, control, logs=None, **kwargs):
        self.logs.append(dict(logs or {}))

    def on_train_end(self, args, state, control, **kwargs):
        self.events.append("train_end")


def test_a_callback_sees_every_stage_and_the_run_settings(tmp_path, tiny_model_dir):
    recorder = Recorder()
    config = _config(tmp_path, tiny_model_dir, run_name="my-run")
    finetune(_examples(), config, cold_start=_examples(4), callbacks=[recorder])
    # Two stages (cold start, then the log), each reported from its beginning to its end.
    assert recorder.events == ["train_begin", "train_end", "train_begin", "train_end"]
    assert any("loss" in logs for logs in recorder.logs), recorder.logs
    assert recorder.args.run_name == "my-run"
    assert recorder.args.report_to in ([], ["none"])  # nothing reports unless asked


def test_tensorboard_event_files_are_written_and_kept(tmp_path, tiny_model_dir):
    pytest.importorskip("tensorboard", reason="report_to='tensorboard' needs `pip install tensorboard`")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    config = _config(tmp_path, tiny_model_dir, report_to="tensorboard", run_name="tb-run")
    train(_examples(), config)
    event_files = list(config.checkpoint_dir.glob("runs/**/events.out.tfevents.*"))
    assert event_files, f"no TensorBoard event files under {config.checkpoint_dir}"
    events = EventAccumulator(str(event_files[0].parent))
    events.Reload()
    assert "train/loss" in events.Tags()["scalars"]
    assert len(events.Scalars("train/loss")) == 2  # logging_steps=1, two steps


def test_without_tracking_the_working_folder_is_removed(tmp_path, tiny_model_dir):
    config = _config(tmp_path, tiny_model_dir)
    train(_examples(), config)
    assert not config.checkpoint_dir.exists()


@pytest.mark.parametrize("report_to", [3, "tensorboard,", "", None])
def test_bad_report_to_is_refused_with_the_fix(report_to):
    with pytest.raises(ValueError, match=r"report_to=.*expected a tracker name such as 'tensorboard'"):
        TrainingConfig(report_to=report_to)


def test_report_to_round_trips_through_a_config_file():
    config = TrainingConfig.from_dict({"report_to": "tensorboard,mlflow", "run_name": "exp-1"})
    assert config.to_dict()["report_to"] == "tensorboard,mlflow"
    assert config.run_name == "exp-1"
