"""``xrerank serve``: a reranker on Ray Serve behind the rerank API, until interrupted."""

from __future__ import annotations

import argparse
import signal
import time
from typing import Any

from xrerank.cli.common import (
    CommandError,
    add_allow_pickle_weights,
    check_int_flag,
    check_number_flag,
    user_errors,
)


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="Serve a reranker over HTTP (POST /rerank) on Ray Serve.",
        description=(
            "Serve MODEL (hub name or directory; a tuned model's serving recipe applies) on Ray Serve: "
            'POST /rerank takes {"query", "documents", "top_n"?, "return_documents"?} and answers '
            '{"results": [{"index", "relevance_score", "document"?}], "model"}, best first; GET /health '
            "answers status, model and fusion weight. Concurrent requests are batched; a full queue "
            "answers 503. Call it from Python with xrerank.RemoteReranker(URL) or the spec remote:URL. "
            'Needs pip install "xrerank[ray]".'
        ),
    )
    parser.add_argument("model", help="Hub name or local directory of the cross-encoder.")
    parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
    parser.add_argument("--port", type=int, default=8000, help="Port to listen on (default 8000).")
    parser.add_argument("--replicas", type=int, default=1, help="Copies of the model (default 1).")
    parser.add_argument(
        "--max-batch-size", type=int, default=16, help="Requests scored together (default 16)."
    )
    parser.add_argument(
        "--batch-wait-ms", type=float, default=5.0, help="Wait for a batch to fill, ms (default 5)."
    )
    parser.add_argument(
        "--max-ongoing", type=int, default=32, help="Requests one replica works on at once (default 32)."
    )
    parser.add_argument(
        "--max-queued", type=int, default=64, help="Requests waiting before 503 answers (default 64)."
    )
    parser.add_argument(
        "--max-documents", type=int, default=1000, help="Documents one request may carry (default 1000)."
    )
    parser.add_argument("--replica-cpus", type=float, default=1.0, help="CPUs per replica (default 1).")
    add_allow_pickle_weights(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from xrerank._optional import require

    check_int_flag(args.port, "--port", minimum=0, expected="a port number (0-65535)")
    if args.port > 65535:
        raise CommandError(f"--port {args.port}: expected a port number (0-65535).")
    for flag in ("replicas", "max_batch_size", "max_ongoing", "max_queued", "max_documents"):
        check_int_flag(getattr(args, flag), "--" + flag.replace("_", "-"), expected="a positive number")
    check_number_flag(args.batch_wait_ms, "--batch-wait-ms", minimum=0, expected="a number of ms >= 0")
    if args.replica_cpus <= 0:
        raise CommandError(f"--replica-cpus {args.replica_cpus}: expected a number above 0.")
    with user_errors(ImportError):
        require("ray.serve", purpose="xrerank serve")
    from xrerank.distributed.serve_app import ServeConfig, serve_reranker
    from xrerank.errors import ModelLoadError

    # A model that cannot load fails here with the loader's message, not inside a replica.
    with user_errors(ModelLoadError, ValueError, prefix=f"{args.model}: "):
        from xrerank.scoring.reranker import Reranker

        Reranker(args.model, allow_pickle_weights=args.allow_pickle_weights, device="cpu").load()
    config = ServeConfig(
        replicas=args.replicas,
        max_batch_size=args.max_batch_size,
        batch_wait_ms=args.batch_wait_ms,
        max_ongoing_requests=args.max_ongoing,
        max_queued=args.max_queued,
        max_documents=args.max_documents,
        num_cpus=args.replica_cpus,
        reranker_options={"allow_pickle_weights": args.allow_pickle_weights},
    )
    with user_errors(ValueError, OSError):
        url = serve_reranker(args.model, config, host=args.host, port=args.port)
    print(f"serving {args.model} at {url} (POST {url}/rerank, GET {url}/health); Ctrl-C stops it")
    # `docker stop` and service managers send SIGTERM: stop as cleanly as on Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while True:
            time.sleep(3600)
    finally:
        from ray import serve

        serve.shutdown()


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
