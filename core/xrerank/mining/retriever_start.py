"""Examples that teach a reranker with a fresh head to rank like the user's retriever, before any label.

A reranker started from a plain encoder (``"minilm"``) has a random head, and on a CPU budget the
label-driven stages barely move it: on the demo domain a cold start on 608 pseudo-queries left it
ranking the log's validation queries at random (NDCG@10 0.30). Trained first on the retriever's
own scores over the store's candidates, it ranked them at 0.745 (the retriever: 0.864), and the
cold start and log stages then build on a model that already ranks (docs/tune.md).

Each query becomes one example: its first candidate in the store is the positive, candidates
further down (``negative_ranks``) the negatives, and the retriever's scores are the teacher
scores for margin-MSE. Scores are centred per query and divided by their spread over all queries,
so a margin means the same for cosine similarities, inner products or BM25 scores.

Example:
    >>> examples = retriever_scored_examples(["pump trips at start"], source, negative_ranks=(2, 3))
    >>> examples[0].positive_scores[0] > examples[0].negative_scores[0]
    True
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence
from typing import Any

from xrerank.examples import TrainingExample
from xrerank.validation import check_int

#: Ranks (1 = the retriever's first candidate) whose passages are the negatives. One negative
#: halves the stage's cost against three (2, 4, 8), so twice the queries fit the same CPU minutes.
NEGATIVE_RANKS = (4,)


def retriever_scored_examples(
    queries: Sequence[str],
    source: Any,
    *,
    negative_ranks: Sequence[int] = NEGATIVE_RANKS,
    pair_depth: int | None = None,
    seed: int = 0,
    batch_size: int = 64,
) -> list[TrainingExample]:
    """One margin-MSE example per query from the store's ranking, with the retriever's scores as teacher.

    Args:
        queries: Query texts (log queries, pseudo-queries); no labels are needed.
        source: A :class:`~xrerank.mining.sources.CandidateSource` over the user's store.
        negative_ranks: Ranks of the store's candidates used as negatives (each > 1).
        pair_depth: Instead of the first candidate against ``negative_ranks``, two ranks drawn at
            random (``seed``) within the store's top ``pair_depth`` for each query, the higher one
            the positive: the whole candidate list's order is taught, not only what beats rank 4.
        seed: Seeds the drawn pairs.
        batch_size: Queries per ``search_batch`` call.

    Returns:
        The examples, in query order; queries with fewer candidates than the deepest rank (or
        than two, with ``pair_depth``) are skipped.
    """
    ranks = list(negative_ranks)
    if not ranks or any(not isinstance(r, int) or isinstance(r, bool) or r < 2 for r in ranks):
        raise ValueError(
            f"retriever_scored_examples got negative_ranks={negative_ranks!r}; expected ranks >= 2 "
            "(rank 1, the retriever's first candidate, is the positive)."
        )
    check_int(pair_depth, caller="retriever_scored_examples", name="pair_depth", minimum=2, optional=True)
    check_int(batch_size, caller="retriever_scored_examples", name="batch_size")
    depth = max(ranks) if pair_depth is None else pair_depth
    draw = random.Random(seed)
    rows: list[tuple[str, list[Any]]] = []
    for start in range(0, len(queries), batch_size):
        chunk = list(queries[start : start + batch_size])
        for query, hits in zip(chunk, source.search_batch(chunk, depth), strict=True):
            if pair_depth is not None and len(hits) >= 2:
                higher, lower = sorted(draw.sample(range(len(hits)), 2))
                rows.append((query, [hits[higher], hits[lower]]))
            elif pair_depth is None and len(hits) >= depth:
                rows.append((query, [hits[0], *(hits[r - 1] for r in ranks)]))
    centred = [_centred([float(c.score) for c in picked]) for _, picked in rows]
    spread = statistics.pstdev([d for deviations in centred for d in deviations]) if centred else 0.0
    spread = spread if spread > 0 else 1.0  # all scores equal: margins of 0 either way
    examples = []
    for (query, picked), deviations in zip(rows, centred, strict=True):
        teacher = [d / spread for d in deviations]
        examples.append(
            TrainingExample(
                query=query,
                positives=[picked[0].text],
                negatives=[c.text for c in picked[1:]],
                positive_ids=[str(picked[0].id)],
                negative_ids=[str(c.id) for c in picked[1:]],
                positive_scores=teacher[:1],
                negative_scores=teacher[1:],
            )
        )
    return examples


def _centred(scores: list[float]) -> list[float]:
    """Scores minus their own query's mean: only differences within a query carry a margin."""
    centre = statistics.fmean(scores)
    return [score - centre for score in scores]
