"""Running exported cross-encoders (ONNX Runtime, OpenVINO) without torch in the forward pass.

:func:`xrerank.models.export.export_model` writes a directory in sentence-transformers' layout
(``onnx/*.onnx`` or ``openvino/*.xml`` beside the config and tokenizer) plus an
``xrerank_export.json`` marker naming the file to load. :class:`ExportedCrossEncoder`
runs such a file directly with onnxruntime or openvino: it needs neither optimum nor
the torch weights, and offers the small part of the ``CrossEncoder`` interface that
:class:`xrerank.Reranker` uses (``tokenizer``, ``predict``, ``num_labels``, ...).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from xrerank._optional import require

logger = logging.getLogger(__name__)

Backend = Literal["torch", "onnx", "openvino"]
BACKENDS: tuple[str, ...] = ("torch", "onnx", "openvino")
EXPORT_MARKER = "xrerank_export.json"
_TORCH_WEIGHTS = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json")
_PATTERNS = {"onnx": ("onnx", "*.onnx"), "openvino": ("openvino", "openvino*.xml")}
_DEFAULT_FILES = {"onnx": "onnx/model.onnx", "openvino": "openvino/openvino_model.xml"}


def check_backend(backend: str, *, caller: str) -> str:
    """Validate a ``backend`` option (``"auto"`` or one of :data:`BACKENDS`).

    Example:
        >>> check_backend("onnx", caller="Reranker")
        'onnx'
    """
    if backend not in ("auto", *BACKENDS):
        raise ValueError(f"{caller} got backend={backend!r}; expected 'auto', 'torch', 'onnx' or 'openvino'.")
    return backend


def exported_files(path: str | Path, backend: str) -> list[str]:
    """Model files of ``backend`` in an exported directory, relative to it, sorted.

    Example:
        >>> exported_files("./reranker-onnx", "onnx")
        ['onnx/model.onnx']
    """
    folder, pattern = _PATTERNS[backend]
    root = Path(path)
    found = [*root.glob(pattern), *(root / folder).glob(pattern)]
    return sorted(p.relative_to(root).as_posix() for p in found)


def resolve_backend(
    name_or_path: str, backend: str, model_kwargs: dict[str, Any] | None
) -> tuple[str, dict[str, Any]]:
    """Decide which backend (and, for exported models, which file) loads ``name_or_path``.

    ``"auto"`` means: a directory written by ``xrerank export`` uses the backend and
    file its ``xrerank_export.json`` names; a directory with ONNX or OpenVINO files and
    no torch weights uses that backend (the fp32 file when several are present); anything
    else is torch. An explicit ``model_kwargs["file_name"]`` always wins.

    Returns:
        The backend and a copy of ``model_kwargs`` completed with ``file_name`` for
        exported backends.

    Example:
        >>> resolve_backend("cross-encoder/ms-marco-MiniLM-L6-v2", "auto", None)
        ('torch', {})
    """
    kwargs = dict(model_kwargs or {})
    root = Path(name_or_path)
    marker: dict[str, Any] = {}
    if (root / EXPORT_MARKER).is_file():
        marker = json.loads((root / EXPORT_MARKER).read_text(encoding="utf-8"))
    if backend == "auto":
        if marker:
            backend = str(marker["backend"])
        elif root.is_dir() and not any((root / name).is_file() for name in _TORCH_WEIGHTS):
            backend = next((b for b in ("onnx", "openvino") if exported_files(root, b)), "torch")
        else:
            backend = "torch"
    if backend == "torch" or "file_name" in kwargs:
        return backend, kwargs
    if marker.get("backend") == backend:
        kwargs["file_name"] = str(marker["file_name"])
        return backend, kwargs
    files = exported_files(root, backend)
    if not files:
        raise FileNotFoundError(
            f"No {backend} model in '{name_or_path}' (looked for {_DEFAULT_FILES[backend]}). Create one with "
            f"`xrerank export {name_or_path} --backend {backend} OUT` and load OUT."
        )
    kwargs["file_name"] = _DEFAULT_FILES[backend] if _DEFAULT_FILES[backend] in files else files[0]
    if len(files) > 1:
        logger.info(
            "%s holds several %s files %s; loading %s. Pass model_kwargs={'file_name': ...} to choose.",
            name_or_path,
            backend,
            files,
            kwargs["file_name"],
        )
    return backend, kwargs


class ExportedCrossEncoder:
    """A one-file ONNX or OpenVINO cross-encoder with the ``CrossEncoder`` calls xrerank uses.

    Args:
        path: Directory written by ``xrerank export`` (or any sentence-transformers
            directory holding ``onnx/*.onnx`` / ``openvino/*.xml`` and a tokenizer).
        backend: ``"onnx"`` or ``"openvino"``.
        file_name: Model file relative to ``path``, e.g. ``"onnx/model_qint8_quantized.onnx"``.
        device: ``"cpu"``, or ``"cuda"`` for ONNX Runtime's CUDA provider (with onnxruntime-gpu;
            without it the CPU provider runs, with a warning). OpenVINO runs on the CPU
            unless ``options["ov_device"]`` names another OpenVINO device (e.g. ``"GPU"``, Intel).
        max_length: Token limit per pair; None uses the export's (or the tokenizer's) limit.
        options: Backend options: ``provider`` / ``session_options`` (onnx),
            ``ov_config`` (openvino; activations stay f32 on every CPU unless ``ov_config``
            sets ``INFERENCE_PRECISION_HINT`` (e.g. ``"bf16"``) or
            ``DYNAMIC_QUANTIZATION_GROUP_SIZE`` (e.g. ``"32"``), faster on CPUs with AMX or VNNI).

    Example:
        >>> model = ExportedCrossEncoder("./reranker-onnx", backend="onnx", file_name="onnx/model.onnx")
        >>> model.predict([("capital of France", "Paris is the capital.")])  # raw logits
        array([...], dtype=float32)
    """

    def __init__(
        self,
        path: str | Path,
        *,
        backend: str,
        file_name: str,
        device: str = "cpu",
        max_length: int | None = None,
        options: dict[str, Any] | None = None,
    ) -> None:
        from transformers import AutoConfig, AutoTokenizer

        if backend not in _PATTERNS:
            raise ValueError(f"ExportedCrossEncoder got backend={backend!r}; expected 'onnx' or 'openvino'.")
        self.path = Path(path)
        self.backend = backend
        self.model_file = (self.path / file_name).as_posix()
        if not os.path.isfile(self.model_file):
            raise FileNotFoundError(
                f"No {backend} model file '{file_name}' in '{path}'; found {exported_files(path, backend)}. "
                "Pass one of those as model_kwargs={'file_name': ...}."
            )
        options = dict(options or {})
        marker_file = self.path / EXPORT_MARKER
        marker = json.loads(marker_file.read_text(encoding="utf-8")) if marker_file.is_file() else {}
        self.config = AutoConfig.from_pretrained(str(self.path))
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.path))
        self.num_labels = int(getattr(self.config, "num_labels", 1))
        self.max_seq_length: int | None = max_length or marker.get("max_length")
        self.device = device
        self.model = None  # no torch module: keeps model_fingerprint's config/weights probes quiet
        self._run = self._load_onnx(options) if backend == "onnx" else self._load_openvino(options)

    # ------------------------------------------------------------- runtimes

    def _load_onnx(self, options: dict[str, Any]) -> Callable[[dict[str, Any]], Any]:
        ort = require("onnxruntime", purpose="Running an ONNX cross-encoder")
        available = ort.get_available_providers()
        default = "CUDAExecutionProvider" if self.device.startswith("cuda") else "CPUExecutionProvider"
        provider = options.pop("provider", None)
        if provider is None and default not in available:
            logger.warning(
                "device=%r but ONNX Runtime has no %s here (available: %s); running on the CPU. "
                "Install onnxruntime-gpu for CUDA.",
                self.device,
                default,
                available,
            )
            default = "CPUExecutionProvider"
        provider = provider or default
        if provider not in available:
            raise ValueError(
                f"ONNX Runtime provider {provider!r} is not available here (available: {available}). "
                "For CUDA install onnxruntime-gpu instead of onnxruntime, or use device='cpu'."
            )
        session = ort.InferenceSession(
            self.model_file, sess_options=options.pop("session_options", None), providers=[provider]
        )
        self._inputs = [item.name for item in session.get_inputs()]
        return lambda feeds: session.run(None, feeds)[0]

    def _load_openvino(self, options: dict[str, Any]) -> Callable[[dict[str, Any]], Any]:
        ov = require("openvino", purpose="Running an OpenVINO cross-encoder")
        core = ov.Core()
        model = core.read_model(self.model_file)
        self._inputs = [port.get_any_name() for port in model.inputs]
        device = options.pop("ov_device", "CPU")
        # On CPUs with bf16 or VNNI support OpenVINO by default computes in bf16 and quantizes
        # activations of int8-weight models on the fly; scores then move by ~1e-2 and differ from
        # machine to machine. Keep the exported precision unless the caller's ov_config says otherwise.
        config = {
            "INFERENCE_PRECISION_HINT": "f32",
            "DYNAMIC_QUANTIZATION_GROUP_SIZE": "0",
            **(options.pop("ov_config", None) or {}),
        }
        compiled = core.compile_model(model, device, config)
        request = compiled.create_infer_request()
        return lambda feeds: request.infer(feeds)[compiled.outputs[0]]

    # ------------------------------------------- the CrossEncoder calls xrerank uses

    def __len__(self) -> int:
        return 1

    def eval(self) -> ExportedCrossEncoder:
        """No-op (an exported graph is always in inference mode); kept for CrossEncoder parity."""
        return self

    def parameters(self) -> list[Any]:
        """No torch parameters: the weights live in the exported file."""
        return []

    def predict(
        self,
        sentences: Sequence[tuple[str, str]],
        batch_size: int = 32,
        activation_fn: Callable[[Any], Any] | None = None,
        show_progress_bar: bool | None = None,
        **_: Any,
    ) -> Any:
        """Raw scores (a float32 array, one row per pair; flat for one-label models).

        ``activation_fn`` (a torch module or any callable on a torch tensor) is applied
        when given, as ``CrossEncoder.predict`` does.

        Example:
            >>> model = ExportedCrossEncoder("./reranker-onnx", backend="onnx", file_name="onnx/model.onnx")
            >>> model.predict([("q", "a passage"), ("q", "another passage")], batch_size=16).shape
            (2,)
        """
        import numpy as np

        max_length = self.max_seq_length or min(int(self.tokenizer.model_max_length), 512)
        outputs = []
        for start in range(0, len(sentences), batch_size):
            batch = sentences[start : start + batch_size]
            features = self.tokenizer(
                [pair[0] for pair in batch],
                [pair[1] for pair in batch],
                padding=True,
                truncation=True,
                max_length=max_length,
                return_tensors="np",
            )
            feeds = {name: features[name].astype(np.int64) for name in self._inputs if name in features}
            outputs.append(np.asarray(self._run(feeds), dtype=np.float32))
        logits = np.concatenate(outputs) if outputs else np.zeros((0, self.num_labels), dtype=np.float32)
        if activation_fn is not None:
            import torch

            logits = activation_fn(torch.from_numpy(logits)).numpy()
        return logits[:, 0] if self.num_labels == 1 else logits


def load_exported_model(
    path: str,
    *,
    backend: str,
    model_kwargs: dict[str, Any],
    device: str,
    max_length: int | None,
) -> ExportedCrossEncoder:
    """Load an exported model (see :func:`resolve_backend` for ``model_kwargs["file_name"]``).

    Example:
        >>> model = load_exported_model(
        ...     "./reranker-onnx", backend="onnx", model_kwargs={"file_name": "onnx/model.onnx"},
        ...     device="cpu", max_length=None)
        >>> model.model_file
        'reranker-onnx/onnx/model.onnx'
    """
    if not os.path.isdir(path):
        raise FileNotFoundError(
            f"backend={backend!r} loads a local directory written by `xrerank export`; '{path}' is not one. "
            f"Export first: `xrerank export {path} --backend {backend} OUT`, then load OUT."
        )
    options = dict(model_kwargs)
    file_name = options.pop("file_name")
    return ExportedCrossEncoder(
        path, backend=backend, file_name=file_name, device=device, max_length=max_length, options=options
    )
