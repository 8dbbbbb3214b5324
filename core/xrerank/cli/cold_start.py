"""``xrerank cold-start``: self-supervised training examples from the corpus, for when logs are few.

Writes the JSONL that ``xrerank train --cold-start`` trains on first (see
:mod:`xrerank.mining.cold_start`): a sentence of each sampled passage (or its title) is its
pseudo-query, the rest of the passage its positive, the store's nearest other passages
its negatives.
"""

from __future__ import annotations

import argparse
from typing import Any

from xrerank.cli.common import (
    CommandError,
    add_config_option,
    add_no_progress,
    check_int_flag,
    output_file,
    user_errors,
)
from xrerank.cli.config_flags import add_command_option, options_from_args
from xrerank.cli.inputs import add_store_arguments, build_source, read_corpus, read_corpus_field

_STRATEGIES = ("last_sentence", "random_sentence", "title")
# Options a --config file may set too, with their defaults.
_DEFAULTS: dict[str, Any] = {
    "output": None,
    "count": 1000,
    "num_negatives": 4,
    "strategy": "last_sentence",
    "seed": 0,
    "text_template": "{text}",
    "allow_pickle_weights": False,
}


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "cold-start",
        help="Make pseudo-query training examples from your corpus (no log needed).",
        description=(
            "Sample passages of --corpus, turn a sentence of each into a pseudo-query for the rest of "
            "it, take hard negatives from your FAISS index (or an in-memory embedding of a small "
            "corpus), and write training examples as JSONL for `xrerank train --cold-start`. "
            "Options not given fall back to --config, then to the defaults shown."
        ),
    )

    def option(*flags: str, **options: Any) -> None:
        add_command_option(parser, _DEFAULTS, *flags, **options)

    add_store_arguments(parser)
    option("--output", "-o", help="Where to write the examples, JSONL (required).")
    option("--count", type=int, help="Passages to sample (0 = all of them).")
    option("--num-negatives", type=int, help="Negatives per example.")
    option(
        "--strategy",
        choices=_STRATEGIES,
        help="What becomes the query: a sentence of the passage (last_sentence tends to state the "
        "finding), or its 'title' field; with title, every passage is trained on as its 'text' field "
        "alone, so a missing title does not give the positive away.",
    )
    option("--seed", type=int, help="Seed of the sample and of random_sentence.")
    option("--text-template", help="Passage text, e.g. '{title}. {text}'.")
    option(
        "--allow-pickle-weights",
        action="store_true",
        help="Also load --encoder models whose weights are pickle files (pytorch_model.bin): they "
        "can run code when loaded, so only for models you trust.",
    )
    add_no_progress(parser)
    add_config_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from xrerank.examples import write_examples
    from xrerank.mining.cold_start import pseudo_query_examples, sample_documents
    from xrerank.output_files import atomic_output

    option = options_from_args(args, _DEFAULTS)
    args.allow_pickle_weights = bool(option["allow_pickle_weights"])  # build_source reads it
    if not option["output"]:
        raise CommandError("--output is required (or set 'output' in --config).")
    check_int_flag(option["count"], "--count", minimum=0, expected="0 (all passages) or a positive number")
    check_int_flag(option["num_negatives"], "--num-negatives")
    check_int_flag(option["seed"], "--seed", minimum=0, expected="an int >= 0")
    output = output_file(option["output"], "--output")  # before the corpus is embedded
    assert output is not None
    strategy = option["strategy"]
    if strategy not in _STRATEGIES:
        raise CommandError(f"--strategy {strategy}: expected one of {', '.join(_STRATEGIES)}.")
    ids, texts = read_corpus(args.corpus, option["text_template"])
    source = build_source(args, ids, texts)
    sample = sample_documents(dict(zip(ids, texts, strict=True)), option["count"], seed=option["seed"])
    titled = strategy == "title"
    examples = pseudo_query_examples(
        sample,
        source,
        num_negatives=option["num_negatives"],
        strategy="last_sentence" if titled else strategy,
        queries=read_corpus_field(args.corpus, "title", needed_by="--strategy title") if titled else None,
        texts=read_corpus_field(args.corpus, "text", needed_by="--strategy title") if titled else None,
        seed=option["seed"],
        show_progress=not args.no_progress,
    )
    # The previous --output stays as it was unless every example is written (and there is one).
    with atomic_output(output) as handle, user_errors(ValueError, TypeError):
        count = write_examples(examples, handle)
        if count == 0:
            raise CommandError(
                f"no examples: the sampled passages have {_unusable(strategy)}, or the store returned "
                f"too few other passages; try a larger --count or fewer --num-negatives "
                f"({output} left as it was)."
            )
    print(
        f"wrote {count:,} examples to {output} from {len(sample):,} sampled passages "
        f"({len(sample) - count:,} skipped: {_unusable(strategy)}, or fewer than "
        f"{option['num_negatives']} negatives in the store)"
    )
    return 0


def _unusable(strategy: str) -> str:
    if strategy == "title":
        return "an empty title or text"
    return "fewer than two sentences of 5+ words each"
