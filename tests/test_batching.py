"""Micro-batching: concurrent callers share forward passes and each gets its own scores."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from xrerank.scoring import MicroBatching
from xrerank.scoring.micro_batching import MicroBatcher

QUERY = "what does a reranker do"
TEXTS = [f"passage number {i} about reranking and retrieval " + "word " * (i % 9) for i in range(20)]


def lengths(pairs):
    return [float(len(text)) for _, text in pairs]


def test_concurrent_coroutines_share_forward_passes(tiny_reranker_factory):
    reranker = tiny_reranker_factory(
        cache_size=0, micro_batching=MicroBatching(max_pairs=256, max_wait_ms=20)
    )
    requests = [TEXTS[i:] + TEXTS[:i] for i in range(32)]
    expected = [tiny_reranker_factory(cache_size=0, micro_batching=None).score(QUERY, r) for r in requests]

    async def main():
        return await asyncio.gather(*(reranker.ascore(QUERY, r) for r in requests))

    results = asyncio.run(main())
    assert [r == pytest.approx(e, abs=1e-6) for r, e in zip(results, expected, strict=True)] == [True] * 32
    assert reranker._batcher.calls < 32 / 4  # 640 pairs in shared calls of up to 256


def test_threads_share_forward_passes(tiny_reranker_factory):
    reranker = tiny_reranker_factory(
        cache_size=0, micro_batching=MicroBatching(max_pairs=512, max_wait_ms=20)
    )
    expected = reranker.score(QUERY, TEXTS)
    calls_before = reranker._batcher.calls
    results: list[list[float]] = []
    barrier = threading.Barrier(16)

    def worker():
        barrier.wait()
        results.append(reranker.score(QUERY, TEXTS))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r == pytest.approx(expected, abs=1e-6) for r in results) and len(results) == 16
    assert reranker._batcher.calls - calls_before < 16


def test_an_error_in_one_request_does_not_fail_the_others():
    def score(pairs):
        if any(text == "boom" for _, text in pairs):
            raise RuntimeError("cannot score boom")
        time.sleep(0.01)
        return lengths(pairs)

    batcher = MicroBatcher(score, max_pairs=100, max_wait_s=0.05)
    good = batcher.submit([("q", "abc"), ("q", "de")])
    bad = batcher.submit([("q", "boom")])
    other = batcher.submit([("q", "fghij")])
    assert good.result(timeout=5) == [3.0, 2.0]
    assert other.result(timeout=5) == [5.0]
    with pytest.raises(RuntimeError, match="cannot score boom"):
        bad.result(timeout=5)


def test_a_cancelled_request_is_never_scored():
    seen: list[str] = []
    started = threading.Event()
    release = threading.Event()

    def score(pairs):
        seen.extend(text for _, text in pairs)
        started.set()
        release.wait(5)
        return lengths(pairs)

    batcher = MicroBatcher(score, max_pairs=1, max_wait_s=0)
    first = batcher.submit([("q", "first")])
    started.wait(5)  # the worker is busy with the first request
    queued = batcher.submit([("q", "cancelled")])
    assert queued.cancel()
    last = batcher.submit([("q", "last")])
    release.set()
    assert first.result(timeout=5) == [5.0] and last.result(timeout=5) == [4.0]
    assert "cancelled" not in seen


def test_cancelling_an_awaiting_coroutine(tiny_reranker_factory):
    reranker = tiny_reranker_factory(cache_size=0)

    async def main():
        slow = asyncio.create_task(reranker.ascore(QUERY, TEXTS * 30))
        await asyncio.sleep(0)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        return await reranker.ascore(QUERY, TEXTS)

    assert asyncio.run(main()) == pytest.approx(reranker.score(QUERY, TEXTS), abs=1e-6)


def test_each_caller_gets_its_own_order_when_requests_overlap():
    batcher = MicroBatcher(lengths, max_pairs=1000, max_wait_s=0.02)
    futures = [batcher.submit([("q", "x" * (i + j)) for j in range(3)]) for i in range(10)]
    assert [f.result(timeout=5) for f in futures] == [[float(i), i + 1.0, i + 2.0] for i in range(10)]


def test_idle_worker_thread_exits_and_restarts():
    batcher = MicroBatcher(lengths, idle_timeout_s=0.05)
    assert batcher.submit([("q", "ab")]).result(timeout=5) == [2.0]
    deadline = time.monotonic() + 5
    while batcher._worker is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert batcher._worker is None
    assert batcher.submit([("q", "abc")]).result(timeout=5) == [3.0]


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="max_pairs=0"):
        MicroBatcher(lengths, max_pairs=0)
    with pytest.raises(ValueError, match="max_wait_s"):
        MicroBatcher(lengths, max_wait_s=-1)
