"""Resource bounds: a long run of distinct requests keeps memory flat beyond the cache bound."""

from __future__ import annotations

import gc
import tracemalloc

from xrerank.scoring.score_cache import ScoreCache, pair_key


def test_score_cache_never_exceeds_its_bound():
    cache = ScoreCache(max_size=100)
    for i in range(10_000):
        cache.put(pair_key("model", "query", f"text {i}"), float(i))
    assert len(cache) == 100
    # The newest entries survive, the oldest were evicted.
    assert cache.get(pair_key("model", "query", "text 9999")) == 9999.0
    assert cache.get(pair_key("model", "query", "text 0")) is None


def test_soak_of_distinct_requests_keeps_memory_flat(tiny_reranker_factory):
    """Thousands of distinct requests: once the cache is full, the Python heap stops growing."""
    reranker = tiny_reranker_factory(cache_size=200, batch_size=64, max_length=32)
    passage = "a passage about reranking that is long enough to matter " * 4  # ~230 bytes

    def burst(start: int) -> None:
        for i in range(start, start + 100):
            reranker.score(f"distinct query number {i}", [f"{passage} {i}-{j}" for j in range(4)])

    burst(0)  # warm-up: fills the cache to its bound
    gc.collect()
    tracemalloc.start()
    heap = []
    for round_start in range(100, 1_300, 100):  # 1,200 more requests, 4,800 distinct pairs
        burst(round_start)
        gc.collect()
        heap.append(tracemalloc.get_traced_memory()[0])
    tracemalloc.stop()

    assert len(reranker._cache) == 200
    assert reranker.stats.pairs_scored == 5_200
    # Library caches settle in the first rounds; after that the heap is flat. Keeping the
    # text of the last 600 requests' pairs would have cost ~550 kB: allow a twentieth.
    late_traffic = 2_400 * len(passage)
    late_growth = heap[-1] - heap[5]
    assert late_growth < late_traffic / 20, f"heap grew {late_growth / 1e3:.0f} kB over the last 600 requests"
    assert heap[-1] < 1_000_000, f"heap grew {heap[-1] / 1e6:.1f} MB over the soak"
