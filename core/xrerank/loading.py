"""Loading cross-encoders: device choice, clear download errors, model fingerprints."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sentence_transformers import CrossEncoder

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "cross-encoder/ms-marco-MiniLM-L6-v2"


class ModelLoadError(OSError):
    """A reranker model could not be loaded (not on disk and not downloadable)."""


def resolve_device(device: str | None) -> str:
    """Turn ``"auto"``/None into the best available device: cuda, then mps, then cpu.

    Example:
        >>> resolve_device("cpu")
        'cpu'
    """
    if device not in (None, "auto"):
        return str(device)
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def load_cross_encoder(
    name_or_path: str,
    *,
    device: str,
    max_length: int | None,
    trust_remote_code: bool,
    local_files_only: bool,
    num_labels: int | None = None,
) -> CrossEncoder:
    """Load a sentence-transformers CrossEncoder by hub name or local directory.

    A plain encoder checkpoint (no classification head) loads with a fresh
    one-logit head when ``num_labels=1`` is passed.

    Raises:
        ModelLoadError: The model is neither a local directory nor downloadable.
    """
    from sentence_transformers import CrossEncoder

    is_local = os.path.isdir(name_or_path)
    try:
        return CrossEncoder(
            name_or_path,
            device=device,
            max_length=max_length,
            trust_remote_code=trust_remote_code,
            local_files_only=local_files_only or is_local,
            num_labels=num_labels,
        )
    except OSError as exc:
        if is_local:
            raise ModelLoadError(
                f"Could not load a cross-encoder from the directory '{name_or_path}': {exc}. "
                "Expected a sentence-transformers CrossEncoder or Hugging Face model directory "
                "(config.json, weights, tokenizer files)."
            ) from exc
        raise ModelLoadError(
            f"Could not load the reranker model '{name_or_path}': it is not a local directory and could not "
            f"be downloaded from the Hugging Face Hub ({type(exc).__name__}). If this machine is offline, "
            "download the model elsewhere (e.g. `hf download "
            f"{name_or_path} --local-dir ./reranker`), copy the folder here and pass its path: "
            "Reranker('./reranker')."
        ) from exc


def model_fingerprint(model: CrossEncoder, *, source: str, max_length: int) -> str:
    """A short hash that changes when the weights' head, config or truncation change.

    Hashing the whole model would cost a second per load for large rerankers; the
    classification head differs between any two fine-tunes of the same backbone,
    so it stands in for the weights.
    """
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(source.encode())
    digest.update(str(max_length).encode())
    hf_model: Any = getattr(model, "model", None)
    config = getattr(hf_model, "config", None)
    if config is not None:
        digest.update(json.dumps(config.to_dict(), sort_keys=True, default=str).encode())
    parameters = list(model.parameters())
    if parameters:
        head = parameters[-1].detach().float().cpu().numpy()
        digest.update(head.tobytes())
    return digest.hexdigest()[:16]
