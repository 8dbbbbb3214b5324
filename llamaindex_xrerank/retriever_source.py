"""Mine hard negatives from a LlamaIndex ``VectorStoreIndex`` or retriever the user already has.

The index is asked through its own retriever (``as_retriever(similarity_top_k=k)``);
nodes are identified by ``node_id`` (or ``ref_doc_id``, or a metadata field). Nothing
is re-embedded but the queries.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.indices.base import BaseIndex
from llama_index.core.schema import NodeWithScore, QueryBundle

from xrerank.mining.sources import Candidate, QueryEncoder, SourceBase, check_k, check_queries, encode_queries
from xrerank.validation import check_query

logger = logging.getLogger(__name__)


class RetrieverSource(SourceBase):
    """A :class:`xrerank.mining.sources.CandidateSource` over a LlamaIndex index or retriever.

    Args:
        index_or_retriever: A ``VectorStoreIndex`` (searched through
            ``as_retriever(similarity_top_k=k)``) or any ``BaseRetriever``. A retriever with a
            ``similarity_top_k`` setting is copied and set to ``k`` (yours is never modified);
            any other retriever returns what it returns and its first ``k`` are used.
        id_key: Which id identifies a node: None for ``node_id``, ``"ref_doc_id"`` for the id
            of the document it came from, or a metadata field name.
        query_encoder: Optional batch query encoder (a SentenceTransformer or callable)
            matching the index's embed model; queries are then embedded in batches and
            passed to the retriever as precomputed embeddings. None lets the retriever
            embed each query itself.
        normalize_queries: L2-normalise vectors from ``query_encoder``.
        batch_size: Queries per encoder forward pass.

    Example:
        >>> from llama_index.core import Document, VectorStoreIndex
        >>> documents = [Document(text="BM25 is a ranking function.", id_="d1"), Document(text="Cats purr.")]
        >>> index = VectorStoreIndex.from_documents(documents, embed_model=embed_model)
        >>> RetrieverSource(index, id_key="ref_doc_id").search("what is BM25?", k=1)
        [Candidate(id='d1', text='BM25 is a ranking function.', score=0.75...)]
    """

    def __init__(
        self,
        index_or_retriever: BaseIndex[Any] | BaseRetriever,
        *,
        id_key: str | None = None,
        query_encoder: QueryEncoder | None = None,
        normalize_queries: bool = True,
        batch_size: int = 64,
    ) -> None:
        if isinstance(index_or_retriever, BaseIndex):
            self._index: BaseIndex[Any] | None = index_or_retriever
            self._retriever: BaseRetriever | None = None
        elif isinstance(index_or_retriever, BaseRetriever):
            self._index, self._retriever = None, index_or_retriever
        else:
            raise TypeError(
                f"RetrieverSource got {type(index_or_retriever).__name__}; expected a LlamaIndex "
                "VectorStoreIndex or BaseRetriever (e.g. index.as_retriever())."
            )
        self._id_key = id_key
        self._encoder = query_encoder
        self._normalize = normalize_queries
        self._batch_size = batch_size
        self._by_k: dict[int, BaseRetriever] = {}
        self._warned_short = False

    def __repr__(self) -> str:
        inner = self._index if self._index is not None else self._retriever
        return f"RetrieverSource({type(inner).__name__}, id_key={self._id_key!r})"

    def search(self, query: str, k: int) -> list[Candidate]:
        """The ``k`` best nodes for ``query``, best first."""
        query = check_query(query, caller="RetrieverSource.search")
        return self.search_batch([query], k)[0]

    def search_batch(self, queries: Sequence[str], k: int) -> list[list[Candidate]]:
        """Retrieve for each query; with a ``query_encoder`` the queries are embedded in one batch."""
        caller = "RetrieverSource.search_batch"
        queries = check_queries(queries, caller=caller)
        k = check_k(k, caller=caller)
        retriever = self._retriever_for(k)
        if self._encoder is not None:
            vectors = encode_queries(
                self._encoder, queries, normalize=self._normalize, batch_size=self._batch_size, caller=caller
            )
            bundles = [
                QueryBundle(query_str=q, embedding=[float(x) for x in v])
                for q, v in zip(queries, vectors, strict=True)
            ]
        else:
            bundles = [QueryBundle(query_str=q) for q in queries]
        return [self._candidates(retriever.retrieve(bundle), k) for bundle in bundles]

    def get_texts(self, ids: Sequence[str]) -> dict[str, str]:
        """Node texts by node id from the index's docstore (unknown ids left out).

        Only an index built with a docstore can look nodes up, and only by ``node_id``.
        """
        if self._index is None or self._id_key is not None:
            return {}
        texts: dict[str, str] = {}
        for node_id in ids:
            node = self._index.docstore.get_node(str(node_id), raise_error=False)
            if node is not None:
                texts[str(node_id)] = node.get_content()
        return texts

    def _retriever_for(self, k: int) -> BaseRetriever:
        if k in self._by_k:
            return self._by_k[k]
        if self._index is not None:
            retriever = self._index.as_retriever(similarity_top_k=k)
        else:
            assert self._retriever is not None
            retriever = self._retriever
            setting = getattr(type(retriever), "similarity_top_k", None)
            if isinstance(setting, property) and setting.fset is not None:
                retriever = copy.copy(retriever)  # set k on a copy: the caller's retriever is untouched
                retriever.similarity_top_k = k  # type: ignore[attr-defined]
        self._by_k[k] = retriever
        return retriever

    def _candidates(self, hits: list[NodeWithScore], k: int) -> list[Candidate]:
        if len(hits) < k and not self._warned_short and self._retriever is not None:
            self._warned_short = True
            logger.warning(
                "%s returned %d nodes where mining asked for %d; build it with a larger top-k so that "
                "mining sees enough candidates.",
                type(self._retriever).__name__,
                len(hits),
                k,
            )
        return [
            Candidate(
                self._id_of(hit), hit.node.get_content(), None if hit.score is None else float(hit.score)
            )
            for hit in hits[:k]
        ]

    def _id_of(self, hit: NodeWithScore) -> str | None:
        node = hit.node
        if self._id_key is None:
            return str(node.node_id)
        if self._id_key == "ref_doc_id":
            return None if node.ref_doc_id is None else str(node.ref_doc_id)
        value = node.metadata.get(self._id_key)
        return None if value is None else str(value)
