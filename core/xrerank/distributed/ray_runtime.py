"""How xrerank runs work on Ray Data: chunks of work in, one result per chunk out, in input order.

A *job* is a small picklable object with ``run(chunk)``; Ray Data sends it to a pool of actors
(``map_batches`` with a callable class), each actor keeps it for its lifetime, so what the job
loads on first use (a model, a store) is loaded once per actor, not once per chunk.
Chunks travel pickled, so results come back exactly as the job computed them.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Sequence
from typing import Any, Protocol

from xrerank._optional import require
from xrerank.validation import check_int, check_number

logger = logging.getLogger(__name__)


class Job(Protocol):
    """What an actor runs on each chunk."""

    def run(self, chunk: Any) -> Any: ...


def ensure_ray(*, purpose: str, num_cpus: int | None = None) -> Any:
    """The ``ray`` module, connected: to the running cluster, or to a new local one.

    A program that already called ``ray.init(address=...)`` keeps its cluster; otherwise a
    local instance starts (``num_cpus`` of this machine; all by default).
    """
    ray = require("ray", purpose=purpose)
    if not ray.is_initialized():
        ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
    return ray


class ChunkWorker:
    """The Ray Data actor: holds one job, runs it on each pickled chunk of its batch."""

    def __init__(self, job: Job) -> None:
        self.job = job

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        results = [pickle.dumps(self._outcome(pickle.loads(chunk))) for chunk in batch["chunk"]]
        return {"position": batch["position"], "result": np.array(results, dtype=object)}

    def _outcome(self, chunk: Any) -> tuple[bool, Any]:
        # The job's own error goes back to the caller as raised (Ray would wrap it in a task error).
        try:
            return True, self.job.run(chunk)
        except Exception as exc:
            return False, exc


def map_chunks(
    job: Job,
    chunks: Sequence[Any],
    *,
    concurrency: int,
    num_cpus: float,
    show_progress: bool,
    caller: str,
) -> list[Any]:
    """``[job.run(chunk) for chunk in chunks]``, computed by ``concurrency`` Ray actors.

    Raises:
        TypeError: the job cannot be sent to the actors (e.g. it holds an open connection).
        Exception: the first error a chunk raised, as the job raised it.
    """
    check_int(concurrency, caller=caller, name="concurrency")
    check_number(num_cpus, caller=caller, name="num_cpus", minimum=0, exclusive_minimum=True)
    if not chunks:
        return []
    ray = ensure_ray(purpose=caller)
    try:
        ray.cloudpickle.dumps(job)
    except Exception as exc:  # any pickling failure: the message says which object
        raise TypeError(
            f"{caller} cannot send its work to Ray actors: {exc}. Objects that do not pickle (an open "
            "connection, a client of a remote store) must be built inside the actors: pass a function "
            "that builds them, e.g. source=lambda: MySource(url)."
        ) from exc
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = show_progress
    rows = [{"position": i, "chunk": pickle.dumps(chunk)} for i, chunk in enumerate(chunks)]
    actors = min(concurrency, len(rows))
    dataset = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
        ChunkWorker,
        fn_constructor_kwargs={"job": job},
        batch_size=1,
        compute=ray.data.ActorPoolStrategy(size=actors),
        num_cpus=num_cpus,
    )
    results: list[Any] = [None] * len(rows)
    for row in dataset.iter_rows():
        done, result = pickle.loads(row["result"])
        if not done:
            raise result
        results[int(row["position"])] = result
    logger.info("%s: %d chunks on %d Ray actors", caller, len(rows), actors)
    return results
