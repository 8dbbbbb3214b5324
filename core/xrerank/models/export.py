"""Exporting a cross-encoder to ONNX or OpenVINO, in fp32 or with int8 quantisation.

The output is a sentence-transformers directory (config, tokenizer, ``modules.json``)
whose weights are one exported file, ``onnx/model.onnx``, ``onnx/model_qint8_quantized.onnx``,
``openvino/openvino_model.xml`` or ``openvino/openvino_model_qint8_quantized.xml``, plus
``xrerank_export.json`` naming it, and the source's serving recipe. ``Reranker(OUT)`` (and so
both adapters) picks the backend and file from there;
``CrossEncoder(OUT, backend="onnx", model_kwargs={"file_name": ...})`` reads the same layout where
optimum is installed.

int8 means dynamic quantisation, with no calibration data: for ONNX, ONNX Runtime's
``quantize_dynamic`` (int8 weights per channel, activations quantised per batch at run
time); for OpenVINO, NNCF's int8 weight compression (the CPU plugin quantises
activations dynamically where it helps).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from xrerank._optional import require
from xrerank.models.atomic_dir import make_staging_dir, replace_directory
from xrerank.models.backends import EXPORT_MARKER, ExportedCrossEncoder
from xrerank.models.serving_recipe import read_recipe, write_recipe

logger = logging.getLogger(__name__)

Quantize = Literal["int8"] | None
_FILES = {
    ("onnx", None): "onnx/model.onnx",
    ("onnx", "int8"): "onnx/model_qint8_quantized.onnx",
    ("openvino", None): "openvino/openvino_model.xml",
    ("openvino", "int8"): "openvino/openvino_model_qint8_quantized.xml",
}
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json")
_CHECK_PAIRS = [
    ("what does a cross-encoder do?", "A cross-encoder reads the query and the passage together."),
    ("boiling point of water", "Bananas are rich in potassium and grow in tropical climates."),
    ("p53 tumour suppression", "The p53 protein halts the cell cycle after DNA damage, " * 6),
]


def export_model(
    model: str | Path,
    output_dir: str | Path,
    *,
    backend: Literal["onnx", "openvino"] = "onnx",
    quantize: Quantize = None,
    max_length: int | None = None,
    overwrite: bool = False,
    trust_remote_code: bool = False,
    allow_pickle_weights: bool = False,
) -> Path:
    """Export a cross-encoder for fast CPU inference and check it against torch.

    The directory is built beside ``output_dir`` and renamed into place at the end, so
    a failed or interrupted export never leaves a half-written model behind.

    Args:
        model: Hub name or local directory of a sentence-transformers CrossEncoder
            (or Hugging Face sequence-classification model).
        output_dir: Directory to create.
        backend: ``"onnx"`` (ONNX Runtime) or ``"openvino"``.
        quantize: ``"int8"`` for dynamic int8 quantisation; None keeps fp32.
        max_length: Token limit stored with the export (None: the model's own).
        overwrite: Replace ``output_dir`` if it exists and is not empty.
        trust_remote_code: Allow custom modelling code from the hub.
        allow_pickle_weights: Read a source model whose weights are pickle files (they can run
            code when loaded); off: safetensors only. The export itself holds no pickle.

    Returns:
        The output directory.

    Raises:
        ImportError: The backend's packages are missing (names the extra to install).
        ValueError: Unknown backend or quantisation, or an unusable output directory.

    Example:
        >>> from xrerank import Reranker
        >>> out = export_model("./my-reranker", "./my-reranker-onnx", quantize="int8")
        >>> sorted(path.relative_to(out).as_posix() for path in out.glob("onnx/*"))
        ['onnx/model_qint8_quantized.onnx']
        >>> [item.text for item in Reranker(out).rank("capital of France", ["Berlin.", "Paris."], top_k=1)]
        ['Paris.']
    """
    if backend not in ("onnx", "openvino"):
        raise ValueError(f"export_model got backend={backend!r}; expected 'onnx' or 'openvino'.")
    if quantize not in (None, "int8"):
        raise ValueError(f"export_model got quantize={quantize!r}; expected 'int8' or None (fp32).")
    require("onnx", purpose=f"Exporting to {backend}")
    if backend == "onnx":
        require("onnxruntime", purpose="Exporting to ONNX")
    else:
        require("openvino", purpose="Exporting to OpenVINO")
        if quantize:
            require("nncf", purpose="int8 quantisation for OpenVINO")
    out = Path(output_dir).expanduser().resolve()
    check_output_dir(out, source=model, overwrite=overwrite)

    from xrerank.models.loading import load_cross_encoder

    cross_encoder = load_cross_encoder(
        str(model),
        device="cpu",
        max_length=max_length,
        trust_remote_code=trust_remote_code,
        local_files_only=False,
        allow_pickle_weights=allow_pickle_weights,
    )
    build = make_staging_dir(out, kind="export")
    try:
        cross_encoder.save(str(build))
        _carry_recipe(model, build)
        for name in _WEIGHT_FILES:  # the exported file replaces the torch weights
            (build / name).unlink(missing_ok=True)
        file_name = _FILES[(backend, quantize)]
        onnx_fp32 = build / "onnx" / "model.onnx"
        _export_onnx(cross_encoder, onnx_fp32)
        if backend == "onnx" and quantize:
            _quantize_onnx(onnx_fp32, build / file_name)
            onnx_fp32.unlink()
        elif backend == "openvino":
            _export_openvino(onnx_fp32, build / file_name, quantize=quantize)
            shutil.rmtree(build / "onnx")
        marker = {
            "format_version": 1,
            "backend": backend,
            "file_name": file_name,
            "quantize": quantize,
            "max_length": max_length or cross_encoder.max_seq_length,
            "source": str(model),
        }
        (build / EXPORT_MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        _check_scores(cross_encoder, build, backend=backend, file_name=file_name, quantize=quantize)
        replace_directory(build, out)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    logger.info("Exported %s to %s (%s, %s)", model, out / file_name, backend, quantize or "fp32")
    return out


def _carry_recipe(model: str | Path, build: Path) -> None:
    """The export is served the way its source was validated: the serving recipe travels along.

    A backend record of the source (a torch model chosen by ``--backend auto``) describes the
    source, not this export, and is left behind.
    """
    recipe = read_recipe(model) if os.path.isdir(model) else None
    if recipe is not None:
        write_recipe(build, replace(recipe, backend=None))


def check_output_dir(out: Path, *, source: str | Path, overwrite: bool) -> None:
    """Refuse an output that is a file, the source itself, non-empty (without ``overwrite``) or unwritable."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"Export output '{out}' is a file; expected a directory path. Choose another path.")
    if os.path.isdir(source) and Path(source).resolve() == out:
        raise ValueError(f"Export output '{out}' is the source model's directory; choose another path.")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise ValueError(
            f"Export output '{out}' exists and is not empty. Choose a new path or pass overwrite=True "
            "(CLI: --overwrite)."
        )
    parent = out.parent
    while not parent.exists():
        parent = parent.parent
    if not os.access(parent, os.W_OK):
        raise ValueError(f"Export output '{out}': cannot write in '{parent}'. Choose a writable path.")


def _export_onnx(cross_encoder: Any, path: Path) -> None:
    """torch -> ONNX with dynamic batch and sequence axes; input names as optimum's ORT models use."""
    import inspect

    import torch

    hf_model = cross_encoder.model
    if hf_model is None or not type(hf_model).__name__.endswith("ForSequenceClassification"):
        raise ValueError(
            f"Only Hugging Face sequence-classification cross-encoders can be exported; got "
            f"{type(hf_model).__name__}."
        )
    accepted = set(inspect.signature(hf_model.forward).parameters)
    sample = cross_encoder.tokenizer(
        ["a query"] * 2, ["a passage", "another passage"], return_tensors="pt", padding=True
    )
    names = [name for name in ("input_ids", "attention_mask", "token_type_ids") if name in sample]
    names = [name for name in names if name in accepted]

    class _Logits(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.inner(**dict(zip(names, inputs, strict=True))).logits

    path.parent.mkdir(parents=True, exist_ok=True)
    axes: dict[str, dict[int, str]] = {name: {0: "batch_size", 1: "sequence_length"} for name in names}
    axes["logits"] = {0: "batch_size"}
    wrapper = _Logits(hf_model.float().eval())
    args = tuple(sample[name] for name in names)
    with torch.inference_mode(), warnings.catch_warnings():
        # The tracer's notes on Python-side shape checks do not apply: axes are declared dynamic.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper,
            args,
            str(path),
            input_names=names,
            output_names=["logits"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
            external_data=False,
        )


def _quantize_onnx(source: Path, target: Path) -> None:
    """ONNX Runtime dynamic int8: per-channel weights, 7-bit range (no saturation on AVX2 without VNNI)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(source),
        str(target),
        weight_type=QuantType.QInt8,
        per_channel=True,
        reduce_range=True,
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )


def _export_openvino(onnx_file: Path, target: Path, *, quantize: Quantize) -> None:
    import openvino as ov

    model = ov.convert_model(str(onnx_file))
    if quantize:
        import nncf

        model = nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_ASYM)
    target.parent.mkdir(parents=True, exist_ok=True)
    ov.save_model(model, str(target), compress_to_fp16=False)


def _check_scores(
    cross_encoder: Any, build: Path, *, backend: str, file_name: str, quantize: Quantize
) -> None:
    """Score a few pairs with torch and with the export; fp32 must agree to 1e-4."""
    import numpy as np
    import torch

    exported = ExportedCrossEncoder(build, backend=backend, file_name=file_name)
    ours = exported.predict(_CHECK_PAIRS).reshape(-1)
    reference = np.asarray(
        cross_encoder.predict(_CHECK_PAIRS, activation_fn=torch.nn.Identity(), show_progress_bar=False)
    ).reshape(-1)
    difference = float(np.max(np.abs(ours - reference)))
    logger.info(
        "Export check (%s, %s): largest |score difference| vs torch %.2e",
        backend,
        quantize or "fp32",
        difference,
    )
    if not quantize and difference >= 1e-4:
        raise RuntimeError(
            f"The {backend} export scores differ from torch by {difference:.2e} (limit 1e-4); the export "
            "is not kept. Please report this with the model name."
        )
