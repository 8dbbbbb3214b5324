"""Models on disk: safe loading (safetensors only unless allowed), CPU backends, export, atomic saves."""

from __future__ import annotations

from xrerank.errors import ModelLoadError, PickleWeightsError
from xrerank.models.backend_choice import choose_backend, export_fastest
from xrerank.models.export import export_model
from xrerank.models.loading import DEFAULT_MODEL

__all__ = [
    "DEFAULT_MODEL",
    "ModelLoadError",
    "PickleWeightsError",
    "choose_backend",
    "export_fastest",
    "export_model",
]
