"""``xrerank demo``: the whole loop on the packaged demo domain (the README's main job)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from xrerank.cli.common import add_no_progress, check_int_flag, user_errors


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="Run the whole loop on the built-in demo domain (offline, a few minutes on CPU).",
        description=(
            "Embed the demo knowledge base into a vector store, mine hard negatives from it with the "
            "search log, fine-tune a cross-encoder on CPU, compare it with the retriever on held-out "
            "queries and answer through LangChain and LlamaIndex. Needs nothing from a model hub."
        ),
    )
    parser.add_argument("--workdir", default="xrerank-demo", help="Where the model and report go.")
    parser.add_argument("--loss", default=None, help="Training loss (bce, infonce, margin_mse, lambda).")
    parser.add_argument("--epochs", type=float, default=None, help="Training epochs.")
    parser.add_argument(
        "--cold-start",
        type=int,
        default=None,
        help="Passages turned into pseudo-queries and trained on before the log (0 = off).",
    )
    add_no_progress(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from transformers.utils import logging as transformers_logging

    from xrerank.demo.run import DemoOptions, run_demo

    # Each model loads in a blink; transformers' per-load weight bars would bury the demo's steps.
    transformers_logging.disable_progress_bar()
    options = DemoOptions(workdir=args.workdir, show_progress=not args.no_progress)
    if args.loss is not None:
        options = replace(options, loss=args.loss)
    if args.epochs is not None:
        options = replace(options, epochs=args.epochs)
    if args.cold_start is not None:
        check_int_flag(args.cold_start, "--cold-start", minimum=0, expected="0 (off) or a number of passages")
        options = replace(options, cold_start=args.cold_start)
    start = time.perf_counter()
    with user_errors(ImportError, ValueError):
        result = run_demo(options, say=lambda line: print(line, flush=True))
    print(f"done in {time.perf_counter() - start:.0f} s; fine-tuned model: {result.model_path}")
    return 0
