"""Dynamic micro-batching: concurrent requests share forward passes.

Callers (threads or coroutines) submit their pairs and get a future back. One
worker thread takes everything queued, up to a bound on pairs, waiting at most a
few milliseconds for more, and scores it in one call, so that many small
requests become a few large, length-sorted batches. Each caller gets exactly
its own scores, in its own order.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from xrerank.validation import check_int, check_number

logger = logging.getLogger(__name__)

Pairs = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class MicroBatching:
    """How concurrent requests are coalesced into shared forward passes (``Reranker(micro_batching=...)``).

    Attributes:
        max_pairs: Most pairs gathered into one shared call (a larger single
            request still runs whole). Bounds the latency a request can add to another.
        max_wait_ms: How long the first waiting request may wait for company.

    Example:
        >>> MicroBatching(max_pairs=256, max_wait_ms=5.0).max_pairs
        256
    """

    max_pairs: int = 128
    max_wait_ms: float = 2.0


@dataclass(slots=True)
class _Request:
    pairs: Pairs
    future: Future[list[float]]


class MicroBatcher:
    """Coalesce concurrent scoring requests into shared calls of ``score_fn``.

    Args:
        score_fn: Scores a list of pairs (in order); called from the worker thread only.
        max_pairs: Stop collecting once this many pairs are gathered (one request
            larger than this still runs whole, on its own).
        max_wait_s: How long the worker waits for more requests after the first one.
        idle_timeout_s: The worker thread exits after this long without requests
            and is restarted by the next submit (no thread outlives its use).

    Example:
        >>> batcher = MicroBatcher(lambda pairs: [float(len(t)) for _, t in pairs], max_pairs=64)
        >>> batcher.submit([("q", "abc")]).result()
        [3.0]
    """

    def __init__(
        self,
        score_fn: Callable[[Pairs], list[float]],
        *,
        max_pairs: int = 128,
        max_wait_s: float = 0.002,
        idle_timeout_s: float = 5.0,
    ) -> None:
        check_int(max_pairs, caller="MicroBatcher", name="max_pairs")
        check_number(max_wait_s, caller="MicroBatcher", name="max_wait_s", minimum=0)
        self._score_fn = score_fn
        self.max_pairs = max_pairs
        self.max_wait_s = max_wait_s
        self.idle_timeout_s = idle_timeout_s
        self._queue: deque[_Request] = deque()
        self._condition = threading.Condition()
        self._worker: threading.Thread | None = None
        self._busy = False  # the worker is scoring a batch
        self.calls = 0  # shared calls of score_fn (for stats and tests)

    @property
    def idle(self) -> bool:
        """True when nothing is queued or being scored: a caller may score inline instead."""
        with self._condition:
            return not self._queue and not self._busy

    def submit(self, pairs: Pairs) -> Future[list[float]]:
        """Queue ``pairs``; the future resolves to their scores (or the error scoring them)."""
        future: Future[list[float]] = Future()
        with self._condition:
            self._queue.append(_Request(pairs, future))
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="xrerank-batcher", daemon=True)
                self._worker.start()
            self._condition.notify()
        return future

    def _run(self) -> None:
        while True:
            batch = self._collect()
            if batch is None:
                return
            try:
                self._score(batch)
            finally:
                with self._condition:
                    self._busy = False

    def _collect(self) -> list[_Request] | None:
        """Wait for work; return the requests of one shared call, or None to exit when idle."""
        with self._condition:
            if not self._queue and not self._condition.wait_for(
                lambda: bool(self._queue), self.idle_timeout_s
            ):
                self._worker = None  # the next submit starts a new worker
                return None
            deadline = time.monotonic() + self.max_wait_s
            batch: list[_Request] = []
            size = 0
            while True:
                while self._queue and (not batch or size + len(self._queue[0].pairs) <= self.max_pairs):
                    request = self._queue.popleft()
                    # A cancelled request (e.g. its coroutine was cancelled) is dropped unscored.
                    if request.future.set_running_or_notify_cancel():
                        batch.append(request)
                        size += len(request.pairs)
                remaining = deadline - time.monotonic()
                if self._queue or size >= self.max_pairs or remaining <= 0:
                    self._busy = True
                    return batch
                self._condition.wait(remaining)

    def _score(self, batch: list[_Request]) -> None:
        if not batch:
            return
        pairs = [pair for request in batch for pair in request.pairs]
        try:
            self.calls += 1
            scores = self._score_fn(pairs)
        except BaseException as exc:
            if len(batch) == 1:
                batch[0].future.set_exception(exc)
                return
            # One bad request must not fail the others: score each on its own.
            logger.debug("shared call failed (%s); retrying %d requests one by one", exc, len(batch))
            for request in batch:
                self._score_alone(request)
            return
        start = 0
        for request in batch:
            end = start + len(request.pairs)
            request.future.set_result(scores[start:end])
            start = end

    def _score_alone(self, request: _Request) -> None:
        try:
            self.calls += 1
            request.future.set_result(self._score_fn(request.pairs))
        except BaseException as exc:
            request.future.set_exception(exc)
