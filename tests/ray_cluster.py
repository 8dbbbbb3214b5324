"""One local Ray instance (2 CPUs) and one Ray Serve HTTP server on 127.0.0.1 for every Ray test.

Starting Ray and Serve takes seconds, so the test modules share them: the first caller starts
them, later callers in the same pytest process reuse them, and they stop when the process exits.
Each served model is its own Serve application under its own route prefix.
"""

from __future__ import annotations

import atexit
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any

_state: dict[str, Any] = {}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_ray() -> Any:
    """The ``ray`` module, connected to this process's local 2-CPU instance."""
    import ray

    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
        atexit.register(_stop)
    return ray


def serve_model(model_dir: Path, name: str, **config: Any) -> str:
    """Serve ``model_dir`` as application ``name`` (once per process); returns its base URL."""
    from xrerank.distributed.serve_app import ServeConfig, serve_reranker

    start_ray()
    apps = _state.setdefault("apps", {})
    if name not in apps:
        port = _state.setdefault("port", free_port())
        # Half a CPU per replica leaves the Ray Data actors room on the 2-CPU instance.
        options = {"num_cpus": 0.5, **config}
        apps[name] = serve_reranker(
            str(model_dir), ServeConfig(**options), port=port, name=name, route_prefix=f"/{name}"
        )
    return str(apps[name])


def recipe_model(tiny_model_dir: Path) -> Path:
    """A copy of the tiny cross-encoder with a serving recipe (32 tokens, best window, fusion 0.5)."""
    from xrerank.models.serving_recipe import ServingRecipe, write_recipe

    if "recipe_model" not in _state:
        folder = Path(tempfile.mkdtemp(prefix="xrerank-served-")) / "model"
        shutil.copytree(tiny_model_dir, folder)
        write_recipe(folder, ServingRecipe(max_length=32, long_passages="max_window", fusion_weight=0.5))
        _state["recipe_model"] = folder
        atexit.register(shutil.rmtree, folder.parent, True)
    return Path(_state["recipe_model"])


def served_recipe_model(tiny_model_dir: Path) -> tuple[Path, str]:
    """The recipe model served with 2 replicas (at most 50 documents a request): (model dir, URL)."""
    model = recipe_model(tiny_model_dir)
    return model, serve_model(model, "main", replicas=2, num_cpus=0.25, max_documents=50)


def _stop() -> None:
    import ray
    from ray import serve

    if "apps" in _state:
        serve.shutdown()
    ray.shutdown()
