"""Resource bounds: a long run of distinct requests keeps memory flat beyond the cache bound."""

from __future__ import annotations

import gc
import tracemalloc

from xrerank.score_cache import ScoreCache, pair_key


def test_score_cache_never_exceeds_its_bound():
    cache = ScoreCache(max_size=100)
    for i in range(10_000):
        cache.put(pair_key("model", "query", f"text {i}"), float(i))
    assert len(cache) == 100
    # The newest entries survive, the oldest were evicted.
    assert cache.get(pair_key("model", "query", "text 9999")) == 9999.0
    assert cache.get(pair_key("model", "query", "text 0")) is None


def test_soak_of_distinct_requests_keeps_memory_flat(tiny_reranker_factory):
    """Thousands of distinct requests: Python heap growth stays far below one copy of the traffic."""
    reranker = tiny_reranker_factory(cache_size=200, batch_size=64, max_length=32)
    passage = "a passage about reranking that is long enough to matter " * 4  # ~230 bytes

    def burst(start: int) -> None:
        for i in range(start, start + 100):
            reranker.score(f"distinct query number {i}", [f"{passage} {i}-{j}" for j in range(4)])

    burst(0)  # warm-up: fills the cache to its bound, allocates the worker thread
    gc.collect()
    tracemalloc.start()
    baseline, _ = tracemalloc.get_traced_memory()
    for round_start in range(100, 1_300, 100):  # 1,200 more requests, 4,800 distinct pairs
        burst(round_start)
    gc.collect()
    current, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    traffic_bytes = 4_800 * len(passage)  # what keeping every pair's text would cost (~1.1 MB)
    growth = current - baseline
    assert len(reranker._cache) == 200
    assert reranker.stats.pairs_scored == 5_200
    assert growth < traffic_bytes / 10, f"heap grew by {growth / 1e6:.1f} MB over the soak"
