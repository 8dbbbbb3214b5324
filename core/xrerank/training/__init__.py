"""Training: from :class:`xrerank.examples.TrainingExample` s to a saved, evaluated reranker.

:func:`train` runs sentence-transformers' ``CrossEncoderTrainer`` with checkpoints and
resume; :func:`finetune` adds the before/after evaluation and the model card;
:func:`distill_bi_encoder` distils a reranker into a bi-encoder.
"""

from __future__ import annotations

from xrerank.training.config import TrainingConfig
from xrerank.training.distill import DistillationConfig, DistillationResult, distill_bi_encoder
from xrerank.training.distill_reranker import (
    RerankerDistillationConfig,
    RerankerDistillationResult,
    distill_reranker,
)
from xrerank.training.finetune import finetune
from xrerank.training.trainer import TrainResult, train
from xrerank.training.tune import TuneConfig, TuneDidNotHelp, TuneResult, recipe_training_config, tune

__all__ = [
    "DistillationConfig",
    "DistillationResult",
    "RerankerDistillationConfig",
    "RerankerDistillationResult",
    "TrainResult",
    "TrainingConfig",
    "TuneConfig",
    "TuneDidNotHelp",
    "TuneResult",
    "distill_bi_encoder",
    "distill_reranker",
    "finetune",
    "recipe_training_config",
    "train",
    "tune",
]
