"""``xrerank train``: fine-tune a reranker on mined examples (JSONL from ``xrerank mine``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from xrerank.cli.common import (
    CommandError,
    add_config_option,
    existing_file,
    output_dir,
    stage_labels,
    user_errors,
)
from xrerank.cli.config_flags import add_config_flags, config_from_args
from xrerank.training import TrainingConfig


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "train",
        help="Fine-tune a reranker on mined examples.",
        description=(
            "Fine-tune a cross-encoder on training examples (JSONL written by `xrerank mine`), measure it "
            "before and after on held-out examples, and save a sentence-transformers CrossEncoder directory "
            "with a model card. Options not given fall back to --config, then to xrerank's defaults."
        ),
    )
    parser.add_argument("examples", help="Training examples, JSONL (one TrainingExample per line).")
    parser.add_argument("--eval-examples", help="Held-out examples (JSONL) for before/after metrics.")
    parser.add_argument("--cold-start", help="Self-supervised examples (JSONL) trained on first.")
    add_config_option(parser, "TrainingConfig options")
    add_config_flags(
        parser.add_argument_group("training options (TrainingConfig)"),
        TrainingConfig,
        off_switches={"show_progress": "--no-progress"},
    )
    parser.set_defaults(handler=run)


def _read(path: str | None, flag: str) -> list[Any]:
    from xrerank.examples import load_examples

    if path is None:
        return []
    # load_examples names the file and line of a bad record (not UTF-8, not JSON, wrong shape).
    with user_errors(ValueError, TypeError, prefix=f"{flag} "):
        examples = load_examples(existing_file(path, flag))
    return examples


def run(args: argparse.Namespace) -> int:
    from xrerank.errors import ModelLoadError
    from xrerank.training.finetune import INFO_FILE, finetune

    config, _ = config_from_args(TrainingConfig, args)
    output_dir(config.output_dir, "--output-dir")  # never a model directory in place of a file
    examples = _read(args.examples, "examples")
    if not examples:
        raise CommandError(f"{args.examples} holds no training examples; run `xrerank mine` first.")
    eval_examples = _read(args.eval_examples, "--eval-examples")
    cold_start = _read(args.cold_start, "--cold-start")
    stages = ["cold start (pseudo-queries)", "training examples"] if cold_start else ["training examples"]
    with user_errors(FileExistsError, FileNotFoundError, ModelLoadError, ValueError, TypeError, ImportError):
        path = finetune(
            examples,
            config,
            eval_set=eval_examples or None,
            cold_start=cold_start or None,
            callbacks=[stage_labels(stages)],
        )
    print(f"Saved the fine-tuned reranker to {path}")
    info_file = Path(path) / INFO_FILE
    if info_file.is_file():
        info = json.loads(info_file.read_text(encoding="utf-8"))
        before = (info.get("metrics_before") or {}).get("reranker")
        after = (info.get("metrics_after") or {}).get("reranker")
        if before and after:
            for metric in after:
                print(f"  {metric}: {before[metric]:.4f} -> {after[metric]:.4f} (held-out examples)")
    print(f"Use it: xrerank score --model {path} QUERY --passage ...")
    return 0
