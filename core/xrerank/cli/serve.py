"""``xrerank serve``: a reranker on Ray Serve behind the rerank API, until interrupted."""

from __future__ import annotations

import argparse
import signal
import time
from typing import Any

from xrerank.cli.common import (
    CommandError,
    add_allow_pickle_weights,
    add_config_option,
    check_int_flag,
    check_number_flag,
    user_errors,
)
from xrerank.cli.config_flags import add_command_option, options_from_args

# Options a --config file may set too.
_DEFAULTS: dict[str, Any] = {
    "host": "127.0.0.1",
    "port": 8000,
    "replicas": 1,
    "max_batch_size": 16,
    "batch_wait_ms": 5.0,
    "max_ongoing": 32,
    "max_queued": 64,
    "max_documents": 1000,
    "replica_cpus": 1.0,
}


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

    def option(*flags: str, **options: Any) -> None:
        add_command_option(parser, _DEFAULTS, *flags, **options)

    option("--host", help="Address to listen on.")
    option("--port", type=int, help="Port to listen on (0: any free port).")
    option("--replicas", type=int, help="Copies of the model.")
    option("--max-batch-size", type=int, help="Requests scored together.")
    option("--batch-wait-ms", type=float, help="Wait for a batch to fill, ms.")
    option("--max-ongoing", type=int, help="Requests one replica works on at once.")
    option("--max-queued", type=int, help="Requests waiting before 503 answers.")
    option("--max-documents", type=int, help="Documents one request may carry.")
    option("--replica-cpus", type=float, help="CPUs per replica.")
    add_config_option(parser)
    add_allow_pickle_weights(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from xrerank._optional import require

    args = argparse.Namespace(**{**vars(args), **options_from_args(args, _DEFAULTS)})
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
