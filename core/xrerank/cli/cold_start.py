"""``xrerank cold-start``: self-supervised training examples from the corpus, for when logs are few.

Writes the JSONL that ``xrerank train --cold-start`` trains on first (see
:mod:`xrerank.mining.cold_start`): a sentence of each sampled passage (or its title) is its
pseudo-query, the rest of the passage its positive, the store's nearest other passages
its negatives.
"""

from __future__ import annotations

import argparse
from typing import Any

from xrerank.cli.common import CommandError, add_allow_pickle_weights, add_no_progress, check_int_flag
from xrerank.cli.inputs import add_store_arguments, build_source, read_corpus, read_corpus_field


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "cold-start",
        help="Make pseudo-query training examples from your corpus (no log needed).",
        description=(
            "Sample passages of --corpus, turn a sentence of each into a pseudo-query for the rest of "
            "it, take hard negatives from your FAISS index (or an in-memory embedding of a small "
            "corpus), and write training examples as JSONL for `xrerank train --cold-start`."
        ),
    )
    add_store_arguments(parser)
    parser.add_argument("--output", "-o", required=True, help="Where to write the examples (JSONL).")
    parser.add_argument(
        "--count", type=int, default=1000, help="Passages to sample (default 1000; 0 = all of them)."
    )
    parser.add_argument("--num-negatives", type=int, default=4, help="Negatives per example (default 4).")
    parser.add_argument(
        "--strategy",
        choices=("last_sentence", "random_sentence", "title"),
        default="last_sentence",
        help="What becomes the query: a sentence of the passage (default: the last, which tends to "
        "state the finding), or its 'title' field; with title, every passage is trained on as its "
        "'text' field alone, so a missing title does not give the positive away.",
    )
    parser.add_argument("--seed", type=int, default=0, help="Seed of the sample and of random_sentence.")
    parser.add_argument("--text-template", default="{text}", help="Passage text, e.g. '{title}. {text}'.")
    add_allow_pickle_weights(parser, models="--encoder models")
    add_no_progress(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from xrerank.examples import save_examples
    from xrerank.mining.cold_start import pseudo_query_examples, sample_documents

    check_int_flag(args.count, "--count", minimum=0, expected="0 (all passages) or a positive number")
    check_int_flag(args.num_negatives, "--num-negatives")
    ids, texts = read_corpus(args.corpus, args.text_template)
    source = build_source(args, ids, texts)
    sample = sample_documents(dict(zip(ids, texts, strict=True)), args.count, seed=args.seed)
    titled = args.strategy == "title"
    examples = pseudo_query_examples(
        sample,
        source,
        num_negatives=args.num_negatives,
        strategy="last_sentence" if titled else args.strategy,
        queries=read_corpus_field(args.corpus, "title", needed_by="--strategy title") if titled else None,
        texts=read_corpus_field(args.corpus, "text", needed_by="--strategy title") if titled else None,
        seed=args.seed,
        show_progress=not args.no_progress,
    )
    try:
        count = save_examples(examples, args.output)
    except OSError as exc:
        raise CommandError(f"--output {args.output}: {exc.strerror or exc}.") from exc
    print(
        f"wrote {count:,} examples to {args.output} from {len(sample):,} sampled passages "
        f"({len(sample) - count:,} skipped: {_unusable(args.strategy)}, or fewer than "
        f"{args.num_negatives} negatives in the store)"
    )
    if count == 0:
        raise CommandError(
            f"no examples: the sampled passages have {_unusable(args.strategy)}, "
            "or the store returned too few other passages; try a larger --count or fewer --num-negatives."
        )
    return 0


def _unusable(strategy: str) -> str:
    if strategy == "title":
        return "an empty title or text"
    return "fewer than two sentences of 5+ words each"
