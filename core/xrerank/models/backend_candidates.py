"""The ways this machine can run a cross-encoder: backends and precisions, by installed package and CPU.

:func:`candidate_paths` lists what :func:`xrerank.models.backend_choice.choose_backend` measures:
torch fp32 always, ONNX Runtime fp32/int8 and OpenVINO fp32/int8 where installed, and OpenVINO
with bf16 compute where the CPU has AVX512_BF16 or AMX.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

CPU_FEATURES = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")


@dataclass(frozen=True)
class BackendCandidate:
    """One way to run the model: backend, weight quantisation and compute precision."""

    backend: str
    quantize: str | None = None
    precision: str = "fp32"

    @property
    def label(self) -> str:
        """A short name, e.g. ``"openvino fp32 (bf16 compute)"``."""
        weights = self.quantize or "fp32"
        return f"{self.backend} {weights}" + (" (bf16 compute)" if self.precision == "bf16" else "")

    @property
    def portable(self) -> bool:
        """True for torch and ONNX fp32: same scores on any CPU, no CPU-specific fast path."""
        return self.backend in ("torch", "onnx") and self.quantize is None and self.precision == "fp32"


@functools.cache
def cpu_features() -> tuple[str, ...]:
    """The CPU features among :data:`CPU_FEATURES` this machine has (Linux; empty elsewhere).

    Example:
        >>> set(cpu_features()) <= set(CPU_FEATURES)
        True
    """
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return ()
    flags = {flag for line in text.splitlines() if line.startswith("flags") for flag in line.split()[2:]}
    return tuple(name for name in CPU_FEATURES if name in flags)


def candidate_paths(features: Sequence[str] | None = None) -> list[BackendCandidate]:
    """The paths worth measuring here: those whose packages are installed and that the CPU runs.

    Example:
        >>> candidate_paths(features=())[0].label
        'torch fp32'
    """
    features = cpu_features() if features is None else tuple(features)
    paths = [BackendCandidate("torch")]
    if _installed("onnx") and _installed("onnxruntime"):
        paths += [BackendCandidate("onnx"), BackendCandidate("onnx", "int8")]
    if _installed("onnx") and _installed("openvino"):
        paths.append(BackendCandidate("openvino"))
        if _installed("nncf"):
            paths.append(BackendCandidate("openvino", "int8"))
        if {"avx512_bf16", "amx_bf16"} & set(features):
            paths.append(BackendCandidate("openvino", None, "bf16"))
    return paths


def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None
