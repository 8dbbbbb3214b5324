"""What the pairwise (duoT5) stage costs as a function of k, against the pointwise (monoT5) stage alone.

A :class:`xrerank.PairwiseReranker` compares every ordered pair of the first stage's top k:
k * (k - 1) prompts per query, each holding two documents. This script times, per query,

* the baseline: ``Seq2SeqReranker`` (monoT5-style) scoring every candidate of the query once;
* ``PairwiseReranker(k=...)`` over that same first stage, for each k,

and prints the pairs compared, seconds per query and the ratio to the baseline. Both run on the
same model directory with the score caches off (``cache_size=0``), one query at a time, and the
median over ``--queries`` queries is reported. Without ``--model`` the tiny random-weight T5 of the
tests (tests/tiny_models.py) is built in a temporary folder: the figures then measure the
stage's overhead and how it grows, not the cost of a real monoT5/duoT5 base model (about 220M
parameters, a few hundred times the work per prompt).

    python benchmarks/pairwise_cost.py [--model DIR] [--docs 20] [--queries 5] [--k 2 5 10 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from tiny_models import TINY_T5_WORDS, build_tiny_t5

from xrerank import PairwiseReranker, Seq2SeqReranker

# The tiny T5's words (others read as <unk>), so that passages differ in what the model sees.
WORDS = TINY_T5_WORDS.split()


def candidates(query_index: int, docs: int) -> tuple[str, list[str]]:
    """A query and ``docs`` different passages of 20 to 40 words (deterministic)."""
    query = " ".join(WORDS[(query_index + i) % len(WORDS)] for i in range(6))
    texts = [
        " ".join(WORDS[(query_index * 7 + d * 3 + i * (d + 1)) % len(WORDS)] for i in range(20 + d % 21))
        for d in range(docs)
    ]
    return query, texts


def seconds_per_query(reranker: object, queries: list[tuple[str, list[str]]]) -> float:
    times = []
    for query, texts in queries:
        started = time.perf_counter()
        reranker.rank(query, texts)  # type: ignore[attr-defined]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a T5-style model directory (default: the tests' tiny T5)")
    parser.add_argument("--docs", type=int, default=20, help="candidates per query (at least max k)")
    parser.add_argument("--queries", type=int, default=5)
    parser.add_argument("--k", type=int, nargs="+", default=[2, 5, 10, 20])
    args = parser.parse_args()
    if args.docs < max(args.k):
        parser.error(f"--docs {args.docs} is below the largest k ({max(args.k)}).")

    with tempfile.TemporaryDirectory() as folder:
        model = args.model
        if model is None:
            model = str(build_tiny_t5(Path(folder) / "tiny-t5"))
        options = {"device": "cpu", "cache_size": 0}
        first = Seq2SeqReranker(model, micro_batching=None, **options).load()
        queries = [candidates(q, args.docs) for q in range(args.queries)]
        seconds_per_query(first, queries[:1])  # warm-up: first forward passes allocate
        baseline = seconds_per_query(first, queries)
        print(f"model: {model if args.model else 'tiny random-weight T5 (tests/tiny_models.py)'}")
        import torch

        threads = torch.get_num_threads()
        print(f"{args.docs} candidates per query, median of {args.queries} queries, {threads} torch threads")
        print(f"{'stage':<28}{'pairs/query':>12}{'s/query':>10}{'x pointwise':>13}")
        print(f"{'pointwise alone (baseline)':<28}{args.docs:>12}{baseline:>10.4f}{1.0:>13.2f}")
        for k in args.k:
            duo = PairwiseReranker(model, first_stage=first, k=k, **options).load()
            seconds = seconds_per_query(duo, queries)
            label = f"pointwise + pairwise k={k}"
            print(f"{label:<28}{k * (k - 1):>12}{seconds:>10.4f}{seconds / baseline:>13.2f}")


if __name__ == "__main__":
    main()
