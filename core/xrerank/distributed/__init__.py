"""Past one machine, on Ray (the optional extra ``pip install "xrerank[ray]"``).

Mining and batch scoring on Ray Data give the single-process results with the work spread over
actors (:func:`mine_on_ray`, :func:`score_pairs_on_ray`, :func:`rerank_run_on_ray`;
``xrerank mine/eval --engine ray``). :func:`serve_reranker` serves a model on Ray Serve behind
the rerank API (``xrerank serve``), which :class:`xrerank.RemoteReranker` calls. Nothing else in
xrerank imports Ray, and importing this package does not either: Ray loads on first use.
"""

from __future__ import annotations

from xrerank.distributed.ray_mining import mine_on_ray
from xrerank.distributed.ray_scoring import rerank_run_on_ray, score_pairs_on_ray
from xrerank.distributed.serve_app import ServeConfig, rerank_app, serve_reranker

__all__ = [
    "ServeConfig",
    "mine_on_ray",
    "rerank_app",
    "rerank_run_on_ray",
    "score_pairs_on_ray",
    "serve_reranker",
]
