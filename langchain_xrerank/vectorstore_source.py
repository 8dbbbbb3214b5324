"""Mine hard negatives from any LangChain ``VectorStore`` the user already has.

The store is asked with its scored search API (``similarity_search_with_score``, or
``similarity_search_with_relevance_scores``); documents are identified by their
``Document.id`` (or a metadata field). Nothing is re-embedded but the queries.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from typing import Any, Literal

from langchain_core.documents import Document
from langchain_core.vectorstores import VectorStore

from xrerank.mining.sources import Candidate, QueryEncoder, SourceBase, check_k, check_queries, encode_queries
from xrerank.validation import check_query

logger = logging.getLogger(__name__)

ScoreKind = Literal["auto", "similarity", "distance", "relevance"]


class VectorStoreSource(SourceBase):
    """A :class:`xrerank.mining.sources.CandidateSource` over a LangChain ``VectorStore``.

    Args:
        vectorstore: Any LangChain vector store (InMemoryVectorStore, FAISS, Chroma,
            PGVector...). Only read, never modified.
        id_key: Metadata field holding your document id; None uses ``Document.id``.
        score: How to read the store's scores so that higher means more similar.
            ``"similarity"`` and ``"distance"`` read ``similarity_search_with_score`` (a
            distance is negated); ``"relevance"`` reads the store's normalised
            ``similarity_search_with_relevance_scores``; ``"auto"`` reads
            ``similarity_search_with_score`` and tells similarity from distance by the
            order of the results (stores return the best match first).
        query_encoder: Optional batch query encoder (a SentenceTransformer or callable) that
            matches the store's embeddings; queries are then embedded in batches and the
            store is searched with ``similarity_search_with_score_by_vector``. None lets the
            store embed each query itself.
        normalize_queries: L2-normalise vectors from ``query_encoder``.
        batch_size: Queries per encoder forward pass.
        search_kwargs: Extra keyword arguments for every search (e.g. ``{"filter": ...}``).

    Example:
        >>> from langchain_core.vectorstores import InMemoryVectorStore
        >>> store = InMemoryVectorStore(embeddings)  # embeddings: any LangChain Embeddings
        >>> store.add_texts(["BM25 is a ranking function.", "Cats purr."], ids=["d1", "d2"])
        ['d1', 'd2']
        >>> VectorStoreSource(store).search("what is BM25?", k=1)
        [Candidate(id='d1', text='BM25 is a ranking function.', score=0.75...)]
    """

    def __init__(
        self,
        vectorstore: VectorStore,
        *,
        id_key: str | None = None,
        score: ScoreKind = "auto",
        query_encoder: QueryEncoder | None = None,
        normalize_queries: bool = True,
        batch_size: int = 64,
        search_kwargs: dict[str, Any] | None = None,
    ) -> None:
        caller = "VectorStoreSource"
        if not isinstance(vectorstore, VectorStore):
            raise TypeError(
                f"{caller} got {type(vectorstore).__name__}; expected a langchain_core VectorStore. "
                "For a retriever, pass the vector store it wraps (retriever.vectorstore)."
            )
        if score not in ("auto", "similarity", "distance", "relevance"):
            raise ValueError(
                f"{caller} got score={score!r}; expected 'auto', 'similarity', 'distance' or 'relevance'."
            )
        if query_encoder is not None and not hasattr(vectorstore, "similarity_search_with_score_by_vector"):
            raise ValueError(
                f"{caller}: {type(vectorstore).__name__} has no similarity_search_with_score_by_vector, so "
                "queries cannot be searched by a precomputed vector; drop query_encoder to let the store "
                "embed each query."
            )
        if query_encoder is not None and score == "relevance":
            raise ValueError(
                f"{caller}: score='relevance' cannot be combined with query_encoder; use 'auto'."
            )
        self._store = vectorstore
        self._id_key = id_key
        self._score = score
        self._sign: float | None = {"similarity": 1.0, "relevance": 1.0, "distance": -1.0}.get(score)
        self._encoder = query_encoder
        self._normalize = normalize_queries
        self._batch_size = batch_size
        self._search_kwargs = dict(search_kwargs or {})
        self._warned_no_id = False

    def __repr__(self) -> str:
        return f"VectorStoreSource({type(self._store).__name__}, score={self._score!r})"

    def search(self, query: str, k: int) -> list[Candidate]:
        """The ``k`` nearest documents to ``query``, best first, scores higher-is-better."""
        query = check_query(query, caller="VectorStoreSource.search")
        return self.search_batch([query], k)[0]

    def search_batch(self, queries: Sequence[str], k: int) -> list[list[Candidate]]:
        """Search each query; with a ``query_encoder`` the queries are embedded in one batch."""
        caller = "VectorStoreSource.search_batch"
        queries = check_queries(queries, caller=caller)
        k = check_k(k, caller=caller)
        if self._encoder is not None:
            vectors = encode_queries(
                self._encoder, queries, normalize=self._normalize, batch_size=self._batch_size, caller=caller
            )
            hits = [
                self._call("similarity_search_with_score_by_vector", [float(x) for x in vector], k)
                for vector in vectors
            ]
        else:
            method = (
                "similarity_search_with_relevance_scores"
                if self._score == "relevance"
                else "similarity_search_with_score"
            )
            hits = [self._call(method, query, k) for query in queries]
        return [self._candidates(pairs) for pairs in hits]

    def get_texts(self, ids: Sequence[str]) -> dict[str, str]:
        """Texts of documents by id through ``VectorStore.get_by_ids`` (unknown ids left out).

        With ``id_key`` set, ids are metadata values the store cannot look up: returns {}.
        """
        if self._id_key is not None or not ids:
            return {}
        try:
            documents = self._store.get_by_ids([str(i) for i in ids])
        except NotImplementedError:
            logger.warning(
                "%s does not implement get_by_ids; positives the search did not return need their text "
                "in the log ('positives').",
                type(self._store).__name__,
            )
            return {}
        return {str(doc.id): doc.page_content for doc in documents if doc.id is not None}

    def _call(self, method: str, query: Any, k: int) -> list[tuple[Document, float]]:
        try:
            return list(getattr(self._store, method)(query, k=k, **self._search_kwargs))
        except NotImplementedError as exc:
            raise NotImplementedError(
                f"{type(self._store).__name__} does not implement {method}, which VectorStoreSource needs "
                "for scored results; pass score='similarity' or 'distance' (or a store that reports scores)."
            ) from exc

    def _candidates(self, pairs: list[tuple[Document, float]]) -> list[Candidate]:
        scores = [float(score) for _, score in pairs]
        sign = self._orientation(scores)
        return [
            Candidate(self._id_of(doc), doc.page_content, sign * score)
            for (doc, _), score in zip(pairs, scores, strict=True)
        ]

    def _orientation(self, scores: list[float]) -> float:
        """+1 when scores are similarities, -1 when distances (auto: read from the result order)."""
        rising = any(b > a for a, b in itertools.pairwise(scores))
        falling = any(b < a for a, b in itertools.pairwise(scores))
        if rising and falling:
            raise ValueError(
                f"{type(self._store).__name__} returned results whose scores are not sorted {scores[:5]}...; "
                "VectorStoreSource needs the best match first. Pass score='similarity' or 'distance'."
            )
        if self._score != "auto":
            return self._sign or 1.0
        observed = -1.0 if rising else 1.0 if falling else None
        if self._sign is None and observed is not None:
            self._sign = observed
            logger.info(
                "%s scores read as %s",
                type(self._store).__name__,
                "distances" if observed < 0 else "similarities",
            )
        elif observed is not None and observed != self._sign:
            raise ValueError(
                f"{type(self._store).__name__} returned scores sorted both ways across queries; pass "
                "score='similarity' or score='distance' to VectorStoreSource."
            )
        return self._sign or 1.0

    def _id_of(self, doc: Document) -> str | None:
        doc_id = doc.id if self._id_key is None else doc.metadata.get(self._id_key)
        if doc_id is None:
            if not self._warned_no_id:
                self._warned_no_id = True
                where = f"metadata[{self._id_key!r}]" if self._id_key else "Document.id"
                logger.warning(
                    "%s returned documents without %s; positives are matched by text only. Pass id_key= "
                    "naming the metadata field that holds your document ids.",
                    type(self._store).__name__,
                    where,
                )
            return None
        return str(doc_id)
