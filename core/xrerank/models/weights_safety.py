"""Refuse pickle model weights unless the caller opts in.

A ``pytorch_model.bin`` (or ``.pt``/``.pth``/``.ckpt``) file is a Python pickle:
loading one from an untrusted source can run code. safetensors files hold only
tensors. xrerank loads safetensors by default and refuses a model whose weights
exist only as pickles, with an error that says how to convert or opt in
(``allow_pickle_weights=True``).

Two checks share the work. :func:`check_local_weights` looks inside a local
model directory (and its sentence-transformers module folders, e.g. ``2_Dense``)
before anything is loaded. For hub names, including models already in the
Hugging Face cache, :func:`safetensors_only_kwargs` asks transformers for
safetensors only (``use_safetensors=True``), and :func:`is_missing_safetensors_error`
recognises its refusal so that it can be re-raised with the same advice.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from xrerank.errors import PickleWeightsError

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
# What transformers says when use_safetensors=True finds no safetensors file
# (hub name or cache, and local directory respectively).
_TRANSFORMERS_REFUSALS = ("cannot be loaded with `safetensors`", "no file named model.safetensors")


def is_pickle_weights(path: Path) -> bool:
    """Whether a file is, by its name, pickled torch weights (OpenVINO IR ``NAME.bin`` + ``NAME.xml`` is not).

    Example:
        >>> is_pickle_weights(Path("pytorch_model.bin")), is_pickle_weights(Path("model.safetensors"))
        (True, False)
    """
    if path.suffix not in PICKLE_SUFFIXES:
        return False
    return not (path.suffix == ".bin" and path.with_suffix(".xml").is_file())  # OpenVINO IR weights


def pickle_only_folders(path: str | os.PathLike[str]) -> list[Path]:
    """Folders of a local model directory whose weights are pickle files with no safetensors beside them.

    The directory itself and its direct sub-folders (sentence-transformers modules)
    are checked; hidden folders (staging or old copies) are skipped. A folder that
    also holds a ``.safetensors`` file is fine: transformers and sentence-transformers
    read that one first.

    Example:
        >>> pickle_only_folders("./my-reranker")  # model.safetensors
        []
        >>> Path("old-model").mkdir()
        >>> (Path("old-model") / "pytorch_model.bin").touch()
        >>> pickle_only_folders("old-model")
        [PosixPath('old-model')]
    """
    root = Path(path)
    folders = [root, *(p for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith("."))]
    found = []
    for folder in folders:
        files = [p for p in folder.iterdir() if p.is_file()]
        has_pickle = any(is_pickle_weights(p) for p in files)
        has_safetensors = any(p.name.endswith(".safetensors") for p in files)
        if has_pickle and not has_safetensors:
            found.append(folder)
    return found


def pickle_refusal(name_or_path: str, detail: str, *, loader: str = "CrossEncoder") -> PickleWeightsError:
    """The error raised for pickle-only weights: what was found, how to convert, how to opt in.

    ``loader`` is the sentence-transformers class whose ``save`` converts this kind of model.
    """
    return PickleWeightsError(
        f"Refusing to load '{name_or_path}': {detail} Pickle files can run arbitrary code when loaded, so "
        "xrerank loads safetensors only. Fix: if you trust the model, convert it once and load the new "
        f"directory: `from sentence_transformers import {loader}; "
        f"{loader}({name_or_path!r}).save('converted-model')` (with plain transformers: "
        "`model.save_pretrained('converted-model', safe_serialization=True)`). Or opt in for this model "
        "with allow_pickle_weights=True (on Reranker, LateInteractionReranker, XRerankCompressor, "
        "XRerankPostprocessor, TrainingConfig, DistillationConfig or export_model; "
        "CLI: --allow-pickle-weights)."
    )


def check_local_weights(
    path: str | os.PathLike[str], *, allow_pickle_weights: bool, loader: str = "CrossEncoder"
) -> None:
    """Raise :class:`PickleWeightsError` when a local model directory holds only pickle weights.

    Example:
        >>> check_local_weights("./my-reranker", allow_pickle_weights=False)  # safetensors: fine
        >>> Path("old-model").mkdir()
        >>> (Path("old-model") / "pytorch_model.bin").touch()
        >>> check_local_weights("old-model", allow_pickle_weights=False)
        Traceback (most recent call last):
        ...
        xrerank.errors.PickleWeightsError: Refusing to load 'old-model': its weights are pickle files ...
    """
    if allow_pickle_weights or not os.path.isdir(path):
        return
    folders = pickle_only_folders(path)
    if folders:
        names = ", ".join(
            sorted(p.name for folder in folders for p in folder.iterdir() if is_pickle_weights(p))
        )
        detail = f"its weights are pickle files ({names}) with no .safetensors."
        raise pickle_refusal(os.fspath(path), detail, loader=loader)


def safetensors_only_kwargs(
    model_kwargs: dict[str, Any] | None, *, allow_pickle_weights: bool
) -> dict[str, Any]:
    """The transformers ``from_pretrained`` options, with ``use_safetensors=True`` unless opted out.

    Example:
        >>> safetensors_only_kwargs(None, allow_pickle_weights=False)
        {'use_safetensors': True}
        >>> safetensors_only_kwargs({"use_safetensors": False}, allow_pickle_weights=True)
        {'use_safetensors': False}
    """
    options = dict(model_kwargs or {})
    if allow_pickle_weights:
        return options
    if options.get("use_safetensors", True) is not True:
        raise ValueError(
            f"Got model_kwargs use_safetensors={options['use_safetensors']!r} without "
            "allow_pickle_weights=True; pass allow_pickle_weights=True to load pickle weights."
        )
    options["use_safetensors"] = True
    return options


def is_missing_safetensors_error(exc: BaseException) -> bool:
    """Whether ``exc`` is transformers refusing a model that has no safetensors weights."""
    return isinstance(exc, OSError) and any(text in str(exc) for text in _TRANSFORMERS_REFUSALS)
