"""Batch scoring on Ray Data: pairs (or a whole candidate run) -> actors holding a reranker -> scores.

The reranker travels to each actor as a handle (a :class:`xrerank.Reranker` pickles its options,
not its weights) and loads its model there once; every actor then scores through the same code
as a single process (``score_pairs``, :func:`xrerank.evaluation.runs.rerank_run`), so the scores
are the single-process scores (to float rounding across batch shapes, below 1e-6).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xrerank.distributed.ray_runtime import map_chunks
from xrerank.evaluation.runs import Run, rerank_run
from xrerank.validation import check_int, check_pairs


@dataclass
class _ScorePairs:
    reranker: Any

    def run(self, chunk: list[tuple[str, str]]) -> list[float]:
        return [float(score) for score in self.reranker.score_pairs(chunk)]


@dataclass
class _RerankRun:
    reranker: Any
    as_served: bool

    def run(self, chunk: tuple[dict[str, str], dict[str, dict[str, float]], dict[str, str]]) -> Any:
        queries, candidates, documents = chunk
        return rerank_run(
            self.reranker, queries, candidates, documents, show_progress=False, as_served=self.as_served
        )


def score_pairs_on_ray(
    reranker: Any,
    pairs: Sequence[tuple[str, str]],
    *,
    pairs_per_task: int = 512,
    concurrency: int = 2,
    num_cpus: float = 1.0,
    show_progress: bool = True,
) -> list[float]:
    """Score ``(query, text)`` pairs on Ray actors; scores come back in input order.

    Args:
        reranker: What each actor scores with: an :class:`xrerank.Reranker` (sent as a handle,
            loaded in the actor) or any picklable object with ``score_pairs``.
        pairs: The pairs.
        pairs_per_task: Pairs sent to an actor at a time.
        concurrency: Actors (each loads the model once).
        num_cpus: CPUs Ray reserves for each actor.
        show_progress: Show Ray Data's progress bars.

    Example::

        ray.init(num_cpus=2)
        scores = score_pairs_on_ray(Reranker("./my-reranker"), pairs, concurrency=2)
    """
    caller = "score_pairs_on_ray"
    items = check_pairs(pairs, caller=caller)
    check_int(pairs_per_task, caller=caller, name="pairs_per_task")
    chunks = [items[i : i + pairs_per_task] for i in range(0, len(items), pairs_per_task)]
    results = map_chunks(
        _ScorePairs(reranker),
        chunks,
        concurrency=concurrency,
        num_cpus=num_cpus,
        show_progress=show_progress,
        caller=caller,
    )
    return [score for chunk_scores in results for score in chunk_scores]


def rerank_run_on_ray(
    reranker: Any,
    queries: Mapping[str, str],
    candidates: Run,
    documents: Mapping[str, str],
    *,
    as_served: bool = False,
    queries_per_task: int = 16,
    concurrency: int = 2,
    num_cpus: float = 1.0,
    show_progress: bool = True,
) -> dict[str, dict[str, float]]:
    """:func:`xrerank.evaluation.runs.rerank_run` with the queries spread over Ray actors.

    Each actor runs ``rerank_run`` itself on its share of the queries, so a query's scores are
    exactly what one process computes. Arguments as ``rerank_run``, plus ``queries_per_task``,
    ``concurrency``, ``num_cpus`` as in :func:`score_pairs_on_ray`.

    Example::

        run = rerank_run_on_ray(Reranker("./my-reranker"), queries, candidates, documents)
    """
    caller = "rerank_run_on_ray"
    check_int(queries_per_task, caller=caller, name="queries_per_task")
    ids = list(candidates)
    chunks = []
    for start in range(0, len(ids), queries_per_task):
        share = ids[start : start + queries_per_task]
        # rerank_run names what is missing; ship only what the share needs.
        wanted = {doc for qid in share for doc in candidates[qid] if doc in documents}
        chunks.append(
            (
                {qid: queries[qid] for qid in share if qid in queries},
                {qid: dict(candidates[qid]) for qid in share},
                {doc: documents[doc] for doc in wanted},
            )
        )
    results = map_chunks(
        _RerankRun(reranker, as_served),
        chunks,
        concurrency=concurrency,
        num_cpus=num_cpus,
        show_progress=show_progress,
        caller=caller,
    )
    return {qid: scores for run in results for qid, scores in run.items()}
