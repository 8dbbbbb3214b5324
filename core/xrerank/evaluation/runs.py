"""Runs and judgments: the two shapes every evaluation reads, and reranking a fixed candidate run.

A *run* maps a query id to ``{doc_id: score}`` (higher is better) and *qrels* map a query id to
``{doc_id: grade}`` (grade > 0 is relevant), the conventions of ``trec_eval``/``ir-measures``.
Every system is compared on the *same* candidates: the first-stage retriever's top-k for each
held-out query, rescored by each reranker.

Example:
    >>> top_k({"q": {"a": 1.0, "b": 3.0, "c": 2.0}}, 2)
    {'q': {'b': 3.0, 'c': 2.0}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xrerank.scoring.reranker import Reranker

Run = Mapping[str, Mapping[str, float]]
Qrels = Mapping[str, Mapping[str, float]]


def ranked_ids(scores: Mapping[str, float]) -> list[str]:
    """Document ids in ``trec_eval`` order: score descending, ties by document id descending.

    Example:
        >>> ranked_ids({"a": 1.0, "b": 2.0, "c": 1.0})
        ['b', 'c', 'a']
    """
    return [
        doc for doc, _ in sorted(scores.items(), key=lambda item: (float(item[1]), item[0]), reverse=True)
    ]


def top_k(run: Run, k: int) -> dict[str, dict[str, float]]:
    """The best ``k`` documents of each query (a new run).

    Example:
        >>> top_k({"q": {"a": 0.2, "b": 0.9}}, 1)
        {'q': {'b': 0.9}}
    """
    return {qid: {doc: float(scores[doc]) for doc in ranked_ids(scores)[:k]} for qid, scores in run.items()}


def rerank_run(
    reranker: Reranker,
    queries: Mapping[str, str],
    candidates: Run,
    documents: Mapping[str, str],
    *,
    show_progress: bool = True,
    as_served: bool = False,
) -> dict[str, dict[str, float]]:
    """Score every query's candidates with ``reranker``; returns a new run.

    Args:
        reranker: The cross-encoder to apply.
        queries: ``{query_id: text}``.
        candidates: The first-stage run whose documents are rescored.
        documents: ``{doc_id: text}`` for every candidate.
        show_progress: Show a tqdm bar over queries.
        as_served: Rank as the adapters serve the reranker: the candidates' retriever scores go to
            ``rank(retriever_scores=...)``, so a reranker with a fusion weight (from its serving
            recipe) returns fused scores. Otherwise the retriever's scores are ignored.

    Example:
        >>> rerank_run(reranker, {"q": "what is BM25?"}, {"q": {"d1": 0.6, "d2": 0.5}}, documents)
        {'q': {'d1': 0.913..., 'd2': 0.913...}}
    """
    from tqdm.auto import tqdm

    result: dict[str, dict[str, float]] = {}
    for qid in tqdm(list(candidates), desc="rerank", unit="query", disable=not show_progress):
        if qid not in queries:
            raise KeyError(f"rerank_run: query id {qid!r} is in candidates but not in queries.")
        ids = list(candidates[qid])
        missing = [doc for doc in ids if doc not in documents]
        if missing:
            raise KeyError(f"rerank_run: candidate {missing[0]!r} of query {qid!r} has no text in documents.")
        texts = [documents[doc] for doc in ids]
        if as_served and ids:
            ranked = reranker.rank(queries[qid], texts, retriever_scores=[candidates[qid][i] for i in ids])
            result[qid] = {ids[item.index]: float(item.score) for item in ranked}
            continue
        scores = reranker.score(queries[qid], texts) if ids else []
        result[qid] = {doc: float(score) for doc, score in zip(ids, scores, strict=True)}
    return result
