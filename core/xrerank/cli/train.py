"""``xrerank train``: fine-tune a reranker on mined examples (JSONL from ``xrerank mine``)."""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path
from typing import Any

from xrerank.cli.common import CommandError, add_allow_pickle_weights, load_config_file

# Command-line flags that map one-to-one onto TrainingConfig fields.
_FLAGS: tuple[tuple[str, type, str], ...] = (
    ("base_model", str, "Start model: cross-encoder name/path, plain encoder checkpoint, or 'minilm'."),
    ("loss", str, "bce, infonce, margin_mse, mse (needs teacher scores) or lambda."),
    ("epochs", float, "Passes over the training data."),
    ("max_steps", int, "Optimiser steps (overrides --epochs)."),
    ("learning_rate", float, "Peak learning rate of the encoder."),
    ("head_learning_rate", float, "Learning rate of a fresh classification head."),
    ("batch_size", int, "Rows per step (pairs for bce/mse, query groups otherwise)."),
    ("max_length", int, "Token limit per (query, passage) pair."),
    (
        "long_passages",
        str,
        "truncate (train on the first --max-length tokens) or max_window (train on each long passage's "
        "best window under the start model, which must already rank: a cross-encoder or --cold-start).",
    ),
    ("num_negatives", int, "Hard negatives per positive."),
    ("pos_weight", float, "bce: weight of positive pairs."),
    ("warmup", float, "Warm-up: fraction of steps (< 1) or steps (>= 1)."),
    ("seed", int, "Random seed."),
    ("eval_steps", int, "Log the held-out loss every N steps (needs --eval-examples)."),
    ("save_steps", int, "Write a checkpoint every N steps (for --resume)."),
    ("output_dir", str, "Where the model is saved."),
)


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
    for name, kind, text in _FLAGS:
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=kind, default=None, help=text)
    parser.add_argument("--eval-examples", help="Held-out examples (JSONL) for before/after metrics.")
    parser.add_argument("--cold-start", help="Self-supervised examples (JSONL) trained on first.")
    parser.add_argument(
        "--resume",
        nargs="?",
        const=True,
        default=None,
        help="Continue from the latest checkpoint, or from the given checkpoint directory.",
    )
    parser.add_argument(
        "--overwrite", action="store_true", default=None, help="Replace an existing --output-dir."
    )
    parser.add_argument("--device", default=None, help="cpu or cuda (default: the trainer's choice).")
    add_allow_pickle_weights(parser, default=None)
    parser.add_argument("--no-progress", action="store_true", help="Hide progress bars.")
    parser.add_argument("--config", help="JSON/YAML file of TrainingConfig options.")
    parser.set_defaults(handler=run)


def _read(path: str | None, flag: str) -> list[Any]:
    from xrerank.examples import load_examples

    if path is None:
        return []
    if not Path(path).is_file():
        raise CommandError(f"{flag} {path}: no such file.")
    try:
        return load_examples(path)
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise CommandError(str(exc)) from exc


def build_config(args: argparse.Namespace) -> Any:
    """TrainingConfig from --config, overridden by the flags given on the command line."""
    from xrerank.training.trainer import TrainingConfig

    options: dict[str, Any] = dict(load_config_file(args.config))
    known = {f.name for f in fields(TrainingConfig)}
    for name in known:
        value = getattr(args, name, None)
        if value is not None:
            options[name] = value
    if args.no_progress:
        options["show_progress"] = False
    try:
        return TrainingConfig.from_dict(options)
    except (ValueError, TypeError) as exc:
        raise CommandError(str(exc)) from exc


def run(args: argparse.Namespace) -> int:
    from xrerank.errors import ModelLoadError
    from xrerank.training.finetune import INFO_FILE, finetune

    config = build_config(args)
    examples = _read(args.examples, "examples")
    if not examples:
        raise CommandError(f"{args.examples} holds no training examples; run `xrerank mine` first.")
    eval_examples = _read(args.eval_examples, "--eval-examples")
    cold_start = _read(args.cold_start, "--cold-start")
    try:
        path = finetune(examples, config, eval_set=eval_examples or None, cold_start=cold_start or None)
    except FileExistsError as exc:
        raise CommandError(f"{exc}") from exc
    except FileNotFoundError as exc:
        raise CommandError(f"{exc}") from exc
    except (ModelLoadError, ValueError, TypeError, ImportError) as exc:
        raise CommandError(str(exc)) from exc
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
