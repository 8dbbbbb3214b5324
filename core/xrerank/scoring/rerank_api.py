"""The HTTP rerank API's wire format, shared by ``xrerank serve`` and :class:`~.remote.RemoteReranker`.

The shape is the one the widely used hosted rerank APIs share: ``POST /rerank`` with
``{"query", "documents", "top_n"?, "return_documents"?}`` answers
``{"results": [{"index", "relevance_score", "document"?: {"text"}}], "model"}``, results best first.
``GET /health`` answers ``{"status": "ok", "model", "fusion_weight", "max_documents"}``.
Requests are checked with :mod:`xrerank.validation`, so the server refuses exactly what an
in-process :class:`xrerank.Reranker` refuses, with the same words.

Example:
    >>> request = parse_rerank_request({"query": "capital of France", "documents": ["Paris.", "Figs."]})
    >>> request.top_n is None, request.return_documents
    (True, False)
    >>> body = rerank_response(request, [0.9, 0.1], model="my-reranker")
    >>> [(r["index"], r["relevance_score"]) for r in body["results"]]
    [(0, 0.9), (1, 0.1)]
    >>> scores_from_response(body, 2)
    [0.9, 0.1]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from xrerank.scoring.ranking import select_ranked
from xrerank.validation import check_query, check_texts, check_top_k, is_number

#: Where the API answers.
RERANK_PATH = "/rerank"
HEALTH_PATH = "/health"
#: Documents one request may carry unless the server says otherwise (a bound on each request's work).
DEFAULT_MAX_DOCUMENTS = 1000

_CALLER = f"POST {RERANK_PATH}"
_FIELDS = ("query", "documents", "top_n", "return_documents")


@dataclass(frozen=True, slots=True)
class RerankRequest:
    """One checked ``POST /rerank`` body."""

    query: str
    documents: list[str]
    top_n: int | None = None
    return_documents: bool = False


def parse_rerank_request(body: Any, *, max_documents: int = DEFAULT_MAX_DOCUMENTS) -> RerankRequest:
    """Check a decoded JSON body; raises ValueError or TypeError with a message for the client.

    Example:
        >>> parse_rerank_request({"query": "", "documents": []})
        Traceback (most recent call last):
        ...
        ValueError: POST /rerank got an empty query; pass the user's search text.
    """
    if not isinstance(body, Mapping):
        raise TypeError(
            f"{_CALLER} got a JSON {type(body).__name__}; expected an object "
            '{"query": str, "documents": [str, ...], "top_n": int?, "return_documents": bool?}.'
        )
    unknown = sorted(set(body) - set(_FIELDS))
    if unknown:
        raise ValueError(f"{_CALLER} got unknown fields {unknown}; expected only {list(_FIELDS)}.")
    if "documents" not in body:
        raise ValueError(f'{_CALLER} got no "documents"; expected a list of str.')
    query = check_query(body.get("query"), caller=_CALLER)
    documents = check_texts(body["documents"], caller=_CALLER, name="documents")
    if len(documents) > max_documents:
        raise ValueError(
            f"{_CALLER} got {len(documents):,} documents; this server takes at most {max_documents:,} "
            "per request. Split them over several requests."
        )
    top_n = check_top_k(body.get("top_n"), caller=_CALLER, name="top_n")
    return_documents = body.get("return_documents", False)
    if not isinstance(return_documents, bool):
        raise TypeError(f"{_CALLER} got return_documents={return_documents!r}; expected true or false.")
    return RerankRequest(query, documents, top_n, return_documents)


def rerank_response(request: RerankRequest, scores: Sequence[float], *, model: str) -> dict[str, Any]:
    """The response body for ``request`` given the reranker's score of each document (input order)."""
    ranked = select_ranked(request.documents, scores, top_k=request.top_n, threshold=None)
    results: list[dict[str, Any]] = []
    for item in ranked:
        result: dict[str, Any] = {"index": item.index, "relevance_score": item.score}
        if request.return_documents:
            result["document"] = {"text": item.text}
        results.append(result)
    return {"results": results, "model": model}


def scores_from_response(body: Any, count: int) -> list[float]:
    """Each document's score, in input order, from a response that ranked all ``count`` documents.

    Raises:
        ValueError: the body is not a complete answer for ``count`` documents.
    """
    results = body.get("results") if isinstance(body, Mapping) else None
    if not isinstance(results, list):
        raise ValueError(f'the rerank response has no "results" list; got {str(body)[:200]!r}.')
    scores: dict[int, float] = {}
    for result in results:
        index = result.get("index") if isinstance(result, Mapping) else None
        score = result.get("relevance_score") if isinstance(result, Mapping) else None
        valid_index = isinstance(index, int) and not isinstance(index, bool) and 0 <= index < count
        if not (valid_index and is_number(score)) or index in scores:
            raise ValueError(
                f"the rerank response has a bad result {result!r} for {count} documents; expected "
                "each index once, with a finite relevance_score."
            )
        scores[int(index)] = float(score)  # type: ignore[arg-type]
    missing = next((i for i in range(count) if i not in scores), None)
    if missing is not None:
        raise ValueError(f"the rerank response has no score for document {missing} of {count}.")
    return [scores[i] for i in range(count)]
