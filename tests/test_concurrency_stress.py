"""Hundreds of concurrent requests, async and threaded, through the core and both adapters at once.

One shared Reranker serves every caller (as in a service that uses LangChain and LlamaIndex
side by side). Each result must equal what one sequential, un-batched reranker returns for
the same request: same order, same scores (to float32 noise: concurrent requests share
padded forward passes through micro-batching).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.documents import Document
from llama_index.core.schema import NodeWithScore, TextNode

from langchain_xrerank import XRerankCompressor
from llamaindex_xrerank import XRerankPostprocessor

QUERIES = [
    "capital of France",
    "how to bake bread",
    "river through Paris",
    "yeast and flour",
    "tallest tower",
    "water the garden",
]
PASSAGES = [
    "Paris is the capital of France.",
    "The Seine is the river that runs through Paris.",
    "Bread rises because yeast ferments the flour.",
    "The Eiffel Tower was the tallest structure in the world until 1930.",
    "Water your garden early in the morning.",
    "A baguette is a long, thin loaf of French bread.",
    "The sun is a star at the centre of the solar system.",
    "Flour, water, salt and yeast are all a basic bread needs, and a hot oven does the rest of the work.",
]
ASYNC_REQUESTS = 200  # on the main event loop
THREADS = 4
CALLS_PER_THREAD = 20  # synchronous calls
LOOP_THREAD_REQUESTS = 20  # async calls on a second event loop, in its own thread
Result = list[tuple[int, float]]


def request(i: int) -> tuple[str, list[str], int | None]:
    """Request i: a query, 3 to 8 passages in a rotated order (sometimes a duplicate), a top_n."""
    start = i % len(PASSAGES)
    texts = (PASSAGES[start:] + PASSAGES[:start])[: 3 + i % 6]
    if i % 7 == 0:
        texts.append(texts[0])
    return QUERIES[i % len(QUERIES)], texts, None if i % 3 == 0 else 3


def documents(texts: list[str]) -> list[Document]:
    return [Document(page_content=text, id=str(i)) for i, text in enumerate(texts)]


def nodes(texts: list[str]) -> list[NodeWithScore]:
    return [NodeWithScore(node=TextNode(text=text, id_=str(i))) for i, text in enumerate(texts)]


class Callers:
    """The three ways in: core Reranker, LangChain compressor, LlamaIndex postprocessor (sync and async)."""

    def __init__(self, reranker: Any) -> None:
        self.reranker = reranker
        self.compressors = {n: XRerankCompressor(reranker=reranker, top_n=n) for n in (None, 3)}
        self.postprocessors = {n: XRerankPostprocessor(reranker=reranker, top_n=n) for n in (None, 3)}

    def sync(self, i: int) -> Result:
        query, texts, top_n = request(i)
        if i % 3 == 0:
            return [(item.index, item.score) for item in self.reranker.rank(query, texts, top_k=top_n)]
        if i % 3 == 1:
            docs = self.compressors[top_n].compress_documents(documents(texts), query)
            return [(int(d.id), d.metadata["relevance_score"]) for d in docs]
        ranked = self.postprocessors[top_n].postprocess_nodes(nodes(texts), query_str=query)
        return [(int(n.node.node_id), n.score) for n in ranked]

    async def async_(self, i: int) -> Result:
        query, texts, top_n = request(i)
        if i % 3 == 0:
            items = await self.reranker.arank(query, texts, top_k=top_n)
            return [(item.index, item.score) for item in items]
        if i % 3 == 1:
            docs = await self.compressors[top_n].acompress_documents(documents(texts), query)
            return [(int(d.id), d.metadata["relevance_score"]) for d in docs]
        ranked = await self.postprocessors[top_n].apostprocess_nodes(nodes(texts), query_str=query)
        return [(int(n.node.node_id), n.score) for n in ranked]


def run_in_thread(work: Callable[[], None], errors: list[BaseException]) -> threading.Thread:
    def guarded() -> None:
        try:
            work()
        except BaseException as exc:  # collected and reported by the test
            errors.append(exc)

    thread = threading.Thread(target=guarded)
    thread.start()
    return thread


def test_300_concurrent_requests_through_core_and_both_adapters_equal_sequential(tiny_reranker_factory):
    total = ASYNC_REQUESTS + THREADS * CALLS_PER_THREAD + LOOP_THREAD_REQUESTS
    sequential = tiny_reranker_factory(cache_size=0, micro_batching=None)
    expected = {
        i: [(item.index, item.score) for item in sequential.rank(*request(i)[:2], top_k=request(i)[2])]
        for i in range(total)
    }
    # The cache is off so that every request reaches the model and the batcher.
    callers = Callers(tiny_reranker_factory(cache_size=0))
    results: dict[int, Result] = {}
    errors: list[BaseException] = []
    start_together = threading.Barrier(THREADS + 2)
    first_thread_call = ASYNC_REQUESTS

    def sync_worker(first: int) -> None:
        start_together.wait(timeout=60)
        for i in range(first, first + CALLS_PER_THREAD):
            results[i] = callers.sync(i)

    def loop_worker(first: int) -> None:
        async def many() -> list[Result]:
            calls = [callers.async_(i) for i in range(first, first + LOOP_THREAD_REQUESTS)]
            return await asyncio.gather(*calls)

        start_together.wait(timeout=60)
        for i, result in enumerate(asyncio.run(many()), start=first):
            results[i] = result

    threads = [
        run_in_thread(lambda f=first_thread_call + t * CALLS_PER_THREAD: sync_worker(f), errors)
        for t in range(THREADS)
    ]
    threads.append(run_in_thread(lambda: loop_worker(total - LOOP_THREAD_REQUESTS), errors))

    async def main_loop() -> list[Result | BaseException]:
        start_together.wait(timeout=60)
        calls = [callers.async_(i) for i in range(ASYNC_REQUESTS)]
        return await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), timeout=120)

    began = time.perf_counter()
    for i, outcome in enumerate(asyncio.run(main_loop())):
        if isinstance(outcome, BaseException):
            errors.append(outcome)
        else:
            results[i] = outcome
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "a worker thread did not finish within 120 s"
    elapsed = time.perf_counter() - began

    assert errors == []
    assert sorted(results) == list(range(total))
    for i in range(total):
        got, want = results[i], expected[i]
        assert [index for index, _ in got] == [index for index, _ in want], f"request {i}: order differs"
        assert [score for _, score in got] == pytest.approx([s for _, s in want], abs=1e-6), f"request {i}"
        assert all(type(score) is float for _, score in got)
    stats = callers.reranker.stats
    assert stats.batches < total, "concurrent requests shared forward passes (micro-batching)"
    assert elapsed < 60, f"{total} requests took {elapsed:.1f} s"
