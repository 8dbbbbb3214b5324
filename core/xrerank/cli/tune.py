"""``xrerank tune``: your corpus, your store and your retriever log in; a reranker that helps out.

Runs :func:`xrerank.training.tune`: a retriever start for a fresh head, a cold start on the corpus,
hard negatives mined deep from the store, the training stages, then the serving mode and fusion
weight chosen on log queries held out from training. The model directory carries its serving
recipe and a card with the evidence. Exits 1 with ``--strict`` when nothing beat the retriever on validation.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from xrerank.cli.common import (
    CommandError,
    add_config_option,
    existing_file,
    output_dir,
    user_errors,
)
from xrerank.cli.config_flags import add_config_flags, config_from_args
from xrerank.cli.inputs import add_store_arguments, build_source, read_corpus, read_corpus_field
from xrerank.training import TrainingConfig
from xrerank.training.tune import TuneConfig, recipe_training_config

_UNSET: Any = object()  # a TrainingConfig option given neither on the command line nor in --config


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "tune",
        help="The whole recipe: corpus + store + log -> a reranker that beats your retriever.",
        description=(
            "Fine-tune a reranker for your domain and prove it: pseudo-queries from --corpus (titles and "
            "last sentences), then the logged "
            "queries with hard negatives mined from your store; on log queries held out from training, "
            "the serving mode and the fusion weight with your retriever. The saved model carries its "
            "serving recipe; Reranker(path) and the "
            "LangChain/LlamaIndex adapters serve it that way. Options not given fall back to --config, "
            "then to the defaults shown."
        ),
    )
    parser.add_argument(
        "--log", required=True, help="Retriever log file (JSONL/CSV, docs/retriever-logs.md)."
    )
    add_store_arguments(parser)
    parser.add_argument(
        "--text-template",
        default="{text}",
        help="The passage text as your store holds it, from a corpus line, e.g. '{title}. {text}' "
        "(default: {text}). Lines with a 'title' field give title pseudo-queries.",
    )
    add_config_option(parser, "TuneConfig and TrainingConfig options")
    add_config_flags(parser.add_argument_group("recipe options (TuneConfig)"), TuneConfig)
    add_config_flags(
        parser.add_argument_group("log-stage training options (TrainingConfig)"),
        TrainingConfig,
        off_switches={"show_progress": "--no-progress"},
        defaults=dataclasses.asdict(recipe_training_config()),
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from xrerank.errors import ModelLoadError
    from xrerank.training.tune import TuneDidNotHelp, tune

    training_fields = {field.name for field in dataclasses.fields(TrainingConfig)}
    config, given = config_from_args(
        TuneConfig, args, command_defaults=dict.fromkeys(training_fields, _UNSET)
    )
    with user_errors(ValueError, TypeError):
        training = recipe_training_config(**{k: v for k, v in given.items() if v is not _UNSET})
    existing_file(args.log, "--log")
    output_dir(training.output_dir, "--output-dir")  # never a model directory in place of a file
    # The store's options follow the training ones (one --allow-pickle-weights, one --no-progress).
    args.no_progress = not training.show_progress
    args.allow_pickle_weights = training.allow_pickle_weights
    ids, texts = read_corpus(args.corpus, args.text_template)
    titles = _titles(args.corpus) if config.cold_start in ("auto", "titles", "both") else None
    source = build_source(args, ids, texts)
    try:
        with user_errors(ValueError, FileExistsError, ModelLoadError, ImportError):
            result = tune(
                dict(zip(ids, texts, strict=True)), source, args.log, config, training=training, titles=titles
            )
    except TuneDidNotHelp as exc:
        raise CommandError(f"--strict: {exc}") from exc
    print(f"Saved the tuned reranker to {result.model_path}")
    # The seed draws the validation split too, so a rerun with another one shows how far results move.
    print(f"Seed {training.seed} (--seed) drew the validation split, the data order and the fresh head")
    for name, value in result.validation.items():
        print(f"  {name:<48} NDCG@10 {value:.4f}")
    recipe = result.recipe
    print(
        f"Serving recipe: max_length={recipe.max_length}, long_passages={recipe.long_passages}, "
        f"fusion weight {recipe.fusion_weight} with the retriever's score"
    )
    if not result.beats_retriever:
        print("warning: nothing beat the retriever on validation; the recipe keeps the retriever's order.")
    print(f"Use it: xrerank score --model {result.model_path} QUERY --passage ...")
    return 0


def _titles(corpus: str) -> dict[str, str] | None:
    """The corpus's titles when every line has a non-empty one; None otherwise."""
    try:
        titles = read_corpus_field(corpus, "title", needed_by="title pseudo-queries")
    except CommandError:
        return None
    return titles if all(title.strip() for title in titles.values()) else None
