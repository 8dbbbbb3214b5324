"""A reranker served by Ray Serve behind the rerank API (``POST /rerank``, ``GET /health``).

Each replica holds one :class:`xrerank.Reranker` built from the model's path, so the model's
serving recipe applies. Serve's own request batching (``serve.batch``) joins concurrent requests
into one scoring call; Serve bounds each replica's ongoing requests and the queue in front of
them, and answers 503 when the queue is full (:class:`~xrerank.scoring.remote.RemoteReranker`
retries it). Bad input gets a 400 (not JSON) or 422 (JSON with the wrong content) whose
``{"error": ...}`` is the message an in-process Reranker would raise. The wire format lives in
:mod:`xrerank.scoring.rerank_api`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from xrerank.distributed.ray_runtime import ensure_ray
from xrerank.scoring.rerank_api import (
    DEFAULT_MAX_DOCUMENTS,
    HEALTH_PATH,
    RERANK_PATH,
    RerankRequest,
    parse_rerank_request,
    rerank_response,
)
from xrerank.validation import check_int, check_number

logger = logging.getLogger(__name__)

_CALLER = "ServeConfig"


@dataclass
class ServeConfig:
    """How the deployment serves requests.

    Attributes:
        replicas: Copies of the model, each in its own Ray actor.
        max_batch_size: Requests joined into one scoring call (``serve.batch``).
        batch_wait_ms: How long a replica waits for a batch to fill.
        max_ongoing_requests: Requests one replica works on at once.
        max_queued: Requests waiting for a replica; beyond that the server answers 503.
        max_documents: Documents one request may carry (a bound on each request's work).
        num_cpus: CPUs Ray reserves for each replica.
        reranker_options: Options for each replica's :class:`xrerank.Reranker` (the recipe
            decides what is not given).

    Example:
        >>> ServeConfig(replicas=2).max_queued
        64
    """

    replicas: int = 1
    max_batch_size: int = 16
    batch_wait_ms: float = 5.0
    max_ongoing_requests: int = 32
    max_queued: int = 64
    max_documents: int = DEFAULT_MAX_DOCUMENTS
    num_cpus: float = 1.0
    reranker_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("replicas", "max_batch_size", "max_ongoing_requests", "max_queued", "max_documents"):
            check_int(getattr(self, name), caller=_CALLER, name=name)
        check_number(self.batch_wait_ms, caller=_CALLER, name="batch_wait_ms", minimum=0)
        check_number(self.num_cpus, caller=_CALLER, name="num_cpus", minimum=0, exclusive_minimum=True)


class RerankService:
    """What each replica runs: one Reranker, the rerank API, requests batched by ``serve.batch``."""

    def __init__(self, model: str, config: ServeConfig) -> None:
        from ray import serve

        from xrerank.scoring.reranker import Reranker

        self.reranker = Reranker(model, **config.reranker_options).load()
        self.config = config
        # serve.batch wraps a bound method here so that each replica batches with its own settings.
        self.score_batch = serve.batch(
            max_batch_size=config.max_batch_size, batch_wait_timeout_s=config.batch_wait_ms / 1000
        )(self._score_requests)

    async def _score_requests(self, requests: list[RerankRequest]) -> list[list[float]]:
        pairs = [(request.query, text) for request in requests for text in request.documents]
        scores = await self.reranker.ascore_pairs(pairs)
        out, start = [], 0
        for request in requests:
            out.append(scores[start : start + len(request.documents)])
            start += len(request.documents)
        return out

    def health(self) -> dict[str, Any]:
        """The ``GET /health`` body."""
        return {
            "status": "ok",
            "model": self.reranker.model_name,
            "fusion_weight": self.reranker.fusion_weight,
            "max_documents": self.config.max_documents,
        }

    async def __call__(self, request: Any) -> Any:
        from starlette.responses import JSONResponse

        root = request.scope.get("root_path", "")
        path = request.url.path[len(root) :] if request.url.path.startswith(root) else request.url.path
        route = f"{request.method} {path.rstrip('/') or '/'}"
        if route == f"GET {HEALTH_PATH}":
            return JSONResponse(self.health())
        if route != f"POST {RERANK_PATH}":
            return JSONResponse(
                {"error": f"no route {route}; the API is POST {RERANK_PATH} and GET {HEALTH_PATH}."},
                status_code=404,
            )
        try:
            body = await request.json()
        except ValueError as exc:
            return JSONResponse({"error": f"POST {RERANK_PATH}: the body is not JSON ({exc})."}, 400)
        try:
            parsed = parse_rerank_request(body, max_documents=self.config.max_documents)
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        scores = await self.score_batch(parsed)
        return JSONResponse(rerank_response(parsed, scores, model=self.reranker.model_name))


def rerank_app(model: str, config: ServeConfig | None = None) -> Any:
    """The Ray Serve application serving ``model`` (bind it with ``serve.run``).

    Example::

        from ray import serve
        serve.run(rerank_app("./my-reranker", ServeConfig(replicas=2)), route_prefix="/")
    """
    serve = _serve_module()
    config = config or ServeConfig()
    deployment = serve.deployment(
        RerankService,
        name="xrerank",
        num_replicas=config.replicas,
        max_ongoing_requests=config.max_ongoing_requests,
        max_queued_requests=config.max_queued,
        ray_actor_options={"num_cpus": config.num_cpus},
    )
    return deployment.bind(model, config)


def serve_reranker(
    model: str,
    config: ServeConfig | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    name: str = "xrerank",
    route_prefix: str = "/",
) -> str:
    """Start serving ``model`` on Ray Serve and return its URL once every replica is ready.

    Starts a local Ray instance unless one is connected. Serve's HTTP address is set when Serve
    first starts in a cluster; a later call with another ``host``/``port`` raises.

    Example::

        url = serve_reranker("./my-reranker", ServeConfig(replicas=2), port=8000)
        RemoteReranker(url).rank("capital of France", ["Paris.", "Figs."])
    """
    check_int(port, caller="serve_reranker", name="port", minimum=0)
    ensure_ray(purpose="xrerank serve")
    serve = _serve_module()
    serve.start(http_options={"host": host, "port": port})
    address = _http_address(serve)
    if address != (host, port):
        raise ValueError(
            f"serve_reranker got host={host!r}, port={port}, but Ray Serve already listens on "
            f"{address[0]}:{address[1]} in this Ray cluster; use that address or serve.shutdown() first."
        )
    serve.run(rerank_app(model, config), name=name, route_prefix=route_prefix)
    url = f"http://{host}:{port}{route_prefix.rstrip('/')}"
    logger.info("serving %s at %s", model, url)
    return url


def _serve_module() -> Any:
    from xrerank._optional import require

    return require("ray.serve", purpose="xrerank serve")


def _http_address(serve: Any) -> tuple[str, int]:
    options = serve.context._get_global_client().http_config
    return options.host, options.port
