"""``xrerank demo``: the whole loop on the packaged demo domain (the README's main job)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from xrerank.cli.common import add_no_progress, check_int_flag, output_dir, user_errors


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="Run the whole loop on the built-in demo domain (offline, a few minutes on CPU).",
        description=(
            "Embed the demo knowledge base into a vector store, run `xrerank tune` with its defaults on "
            "the passages, the store and the search log, compare the reranker as its recipe serves it "
            "with the retriever on held-out queries, and answer through LangChain and LlamaIndex. "
            "Needs nothing from a model hub."
        ),
    )
    parser.add_argument("--output-dir", default="xrerank-demo", help="Folder where the model and report go.")
    parser.add_argument(
        "--max-steps",
        type=int,
        default=None,
        help="Stop each training stage after N optimiser steps (a quick look; default: the full recipe).",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help=(
            "The recipe's seed: it draws the validation split, the data order and the fresh head "
            "(default: the recipe's). Other seeds show how far the figures move from run to run."
        ),
    )
    add_no_progress(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from transformers.utils import logging as transformers_logging

    from xrerank.demo.run import DemoOptions, run_demo

    # Each model loads in a blink; transformers' per-load weight bars would bury the demo's steps.
    transformers_logging.disable_progress_bar()
    check_int_flag(args.max_steps, "--max-steps", optional=True, expected="a positive number of steps")
    output_dir(args.output_dir, "--output-dir")
    check_int_flag(args.seed, "--seed", minimum=0, optional=True, expected="a seed >= 0")
    options = DemoOptions(
        workdir=args.output_dir,
        max_steps=args.max_steps,
        show_progress=not args.no_progress,
        seed=args.seed,
    )
    start = time.perf_counter()
    with user_errors(ImportError, ValueError):
        result = run_demo(options, say=lambda line: print(line, flush=True))
    print(f"done in {time.perf_counter() - start:.0f} s; tuned model: {result.model_path}")
    return 0
