"""Any LangChain retriever as a :class:`xrerank.mining.sources.CandidateSource` (stage 1 of a funnel)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from xrerank._optional import require
from xrerank.mining.sources import Candidate, SourceBase, check_k
from xrerank.validation import check_query

try:
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
    from langchain_core.vectorstores import VectorStoreRetriever
except ImportError:  # pragma: no cover - depends on what is installed
    require("langchain_core", purpose="langchain_xrerank")  # raises with the pip install hint
    raise

logger = logging.getLogger(__name__)

_NAME = "RetrieverSource"


class RetrieverSource(SourceBase):
    """A :class:`xrerank.mining.sources.CandidateSource` over any LangChain ``BaseRetriever``.

    For mining from a vector store prefer :class:`langchain_xrerank.VectorStoreSource`, which reads
    scores and looks documents up by id; this source serves retrievers that are not a store
    (BM25Retriever, EnsembleRetriever, a multi-query retriever...).

    ``search(query, k)`` asks for ``k`` documents: a ``VectorStoreRetriever`` (``search_kwargs["k"]``)
    or a retriever with a ``k`` field is copied with ``k`` set (yours is never modified); any other
    retriever returns what it returns and its first ``k`` are used.

    Args:
        retriever: The LangChain retriever.
        id_key: Metadata field holding the document id; None uses ``Document.id``.
        score_key: Metadata field holding a retriever score (higher = better), if it writes one.

    Example:
        >>> from langchain_core.vectorstores import InMemoryVectorStore
        >>> from xrerank.serving import Funnel
        >>> retriever = InMemoryVectorStore.from_texts(passages, embeddings, ids=ids).as_retriever()
        >>> source = RetrieverSource(retriever)  # or BM25Retriever.from_texts(texts), an EnsembleRetriever...
        >>> [candidate.id for candidate in source.search("what is BM25?", k=2)]
        ['d1', 'd3']
        >>> Funnel(source, reranker).run("what is BM25?").report.summary()  # the whole store holds 8
        'retrieve 8 (... ms) -> rerank 8 (... ms); total ... ms'
    """

    def __init__(
        self, retriever: BaseRetriever, *, id_key: str | None = None, score_key: str | None = None
    ) -> None:
        if not isinstance(retriever, BaseRetriever):
            raise TypeError(
                f"{_NAME} got {type(retriever).__name__}; expected a LangChain BaseRetriever "
                "(e.g. vectorstore.as_retriever())."
            )
        self._retriever = retriever
        self._id_key = id_key
        self._score_key = score_key
        self._by_k: dict[int, BaseRetriever] = {}
        self._warned_short = False

    def __repr__(self) -> str:
        return f"{_NAME}({type(self._retriever).__name__})"

    def search(self, query: str, k: int) -> list[Candidate]:
        """The retriever's first ``k`` documents for ``query``."""
        query = check_query(query, caller=f"{_NAME}.search")
        k = check_k(k, caller=f"{_NAME}.search")
        retriever = self._retriever_for(k)
        documents = retriever.invoke(query)
        if len(documents) < k and retriever is self._retriever and not self._warned_short:
            self._warned_short = True
            logger.warning(
                "%s returned %d documents where %d were asked for and its k could not be set; build it "
                "with a larger k so that the reranker sees enough candidates.",
                type(self._retriever).__name__,
                len(documents),
                k,
            )
        return [self._candidate(doc) for doc in documents[:k]]

    def search_batch(self, queries: Sequence[str], k: int) -> list[list[Candidate]]:
        """Search each query in turn."""
        return [self.search(query, k) for query in queries]

    def _retriever_for(self, k: int) -> BaseRetriever:
        if k not in self._by_k:
            retriever = self._retriever
            if isinstance(retriever, VectorStoreRetriever):
                retriever = retriever.model_copy(
                    update={"search_kwargs": {**retriever.search_kwargs, "k": k}}
                )
            elif "k" in type(retriever).model_fields:
                retriever = retriever.model_copy(update={"k": k})
            self._by_k[k] = retriever
        return self._by_k[k]

    def _candidate(self, doc: Document) -> Candidate:
        doc_id = doc.id if self._id_key is None else doc.metadata.get(self._id_key)
        score = None if self._score_key is None else doc.metadata.get(self._score_key)
        return Candidate(
            None if doc_id is None else str(doc_id),
            doc.page_content,
            None if score is None else float(score),
        )

    def get_texts(self, ids: Sequence[str]) -> dict[str, str]:
        """A retriever cannot look documents up by id: always {}."""
        return {}
