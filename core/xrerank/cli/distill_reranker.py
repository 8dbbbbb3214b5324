"""``xrerank distill-reranker``: a smaller, faster cross-encoder trained on a fine-tuned one's scores."""

from __future__ import annotations

import argparse
import json
from typing import Any

from xrerank.cli.common import CommandError, add_config_option, existing_file, output_dir, user_errors
from xrerank.cli.config_flags import add_config_flags, config_from_args
from xrerank.training.distill_reranker import RerankerDistillationConfig


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "distill-reranker",
        help="Distil a fine-tuned reranker into a smaller one (k of its layers) for faster ranking.",
        description=(
            "Build a student that keeps --layers of TEACHER's transformer layers (evenly spaced, initialised "
            "from them), train it on TEACHER's scores over the candidates in EXAMPLES (JSONL written by "
            "`xrerank mine`; Margin-MSE by default), and save it with TEACHER's serving recipe to "
            "--output-dir. Serve it alone with Reranker(DIR), or in front of TEACHER as a cascade "
            "(xrerank.scoring.cascade.CascadeReranker). Keep your evaluation queries out of EXAMPLES."
        ),
    )
    parser.add_argument(
        "teacher", help="Directory of the fine-tuned cross-encoder (from `xrerank tune`/`train`)."
    )
    parser.add_argument("examples", help="Training examples, JSONL (one TrainingExample per line).")
    add_config_option(parser, "RerankerDistillationConfig options")
    add_config_flags(
        parser.add_argument_group("distillation options (RerankerDistillationConfig)"),
        RerankerDistillationConfig,
        off_switches={"show_progress": "--no-progress"},
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from xrerank.errors import ModelLoadError
    from xrerank.examples import load_examples
    from xrerank.training.distill_reranker import distill_reranker

    config, _ = config_from_args(RerankerDistillationConfig, args)
    output_dir(config.output_dir, "--output-dir")  # never a model directory in place of a file
    with user_errors(ValueError, TypeError, json.JSONDecodeError):
        examples = load_examples(existing_file(args.examples, "examples"))
    if not examples:
        raise CommandError(f"{args.examples} holds no training examples; run `xrerank mine` first.")
    with user_errors(FileExistsError, FileNotFoundError, ModelLoadError, ValueError, TypeError, ImportError):
        result = distill_reranker(examples, args.teacher, config)
    print(
        f"Saved the {len(result.kept_layers)}-layer student (teacher layers {result.kept_layers} of "
        f"{result.teacher_layers}) to {result.model_path}: {result.train_rows} rows, {result.steps} steps, "
        f"{result.train_seconds:.0f} s of training."
    )
    print(f"Use it: xrerank score --model {result.model_path} QUERY --passage ...")
    return 0
