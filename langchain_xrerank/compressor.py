"""LangChain document compressor that reranks with an :class:`xrerank.Reranker` (or any reranker)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from xrerank import RankedItem
from xrerank._optional import require
from xrerank.scoring.adapter_options import prepare_adapter_options
from xrerank.scoring.fusion import adapter_evidence
from xrerank.scoring.protocol import RerankerProtocol
from xrerank.validation import check_query, check_texts, check_threshold, check_top_k

try:
    from langchain_core.callbacks import Callbacks
    from langchain_core.documents import BaseDocumentCompressor, Document
    from pydantic import ConfigDict, Field, field_validator, model_validator
except ImportError:  # pragma: no cover - depends on what is installed
    require("langchain_core", purpose="langchain_xrerank")  # raises with the pip install hint
    raise

logger = logging.getLogger(__name__)

_NAME = "XRerankCompressor"


class XRerankCompressor(BaseDocumentCompressor):
    """Reorders retrieved LangChain ``Document``s with a cross-encoder, best first.

    A thin adapter: documents go to :meth:`xrerank.Reranker.rank` (batching, caching and
    async scheduling live there) and come back as new ``Document``s, with ``id`` and
    metadata copied and the relevance score (a plain ``float``) added under ``score_key``.
    The caller's documents are never modified. Pass either a ready ``reranker`` (one
    instance can also serve the LlamaIndex adapter) or a ``model`` name/path to build one;
    the model loads on the first non-empty call. ``reranker`` may also be a
    :class:`xrerank.LateInteractionReranker` (or ``model="late:PATH"``), or any object with
    ``model_name``, ``rank`` and ``arank``: top_n and score_threshold mean the same for all.

    A Document always holds text: one with an empty ``page_content`` is scored like any other,
    as :meth:`xrerank.Reranker.rank` scores an empty string (the LlamaIndex adapter leaves only
    nodes that hold no text at all, such as an ``ImageNode``, unscored). A score that is not
    finite (NaN) is written as is and ranks last (:mod:`xrerank.scoring.ranking`).

    Example:
        >>> from langchain_core.documents import Document
        >>> compressor = XRerankCompressor(model="./my-reranker", top_n=2)  # or a hub name
        >>> docs = [Document(page_content="Paris is the capital of France."), Document(page_content="Figs.")]
        >>> best = compressor.compress_documents(docs, "capital of France")
        >>> 0.0 <= best[0].metadata["relevance_score"] <= 1.0
        True
    """

    reranker: RerankerProtocol = Field(default=None, validate_default=False)  # type: ignore[assignment]
    """The reranker that scores (query, page_content) pairs: an :class:`xrerank.Reranker`, an
    :class:`xrerank.LateInteractionReranker` or any object with ``model_name``, ``rank`` and
    ``arank``. Built from ``model`` when not given; to set device, batch size or activation,
    build it yourself."""
    model: str | None = None
    """Hub name or local directory of a cross-encoder (or a loaded ``CrossEncoder``), or
    ``"late:PATH"`` for a late interaction reranker on the encoder at PATH; used when
    ``reranker`` is not given (default ``cross-encoder/ms-marco-MiniLM-L6-v2``). Holds the
    reranker's spec (``late:`` prefix included) after construction."""
    allow_pickle_weights: bool = False
    """Let the reranker built from ``model`` load pickle weights (``pytorch_model.bin``), which can
    run code when loaded. Off: safetensors only. Holds the reranker's setting after construction."""
    top_n: int | None = 3
    """How many documents to return; None returns all (after ``score_threshold``)."""
    score_threshold: float | None = None
    """Drop documents scoring below this value; applied before ``top_n``. With the default
    sigmoid activation scores lie in [0, 1]."""
    score_key: str = "relevance_score"
    """Metadata key that receives the score on each returned document."""
    include_scores: bool = True
    """Write the score into metadata under ``score_key``. When False the returned documents
    carry only the caller's metadata (still as copies)."""
    fusion: bool = True
    """Fuse the reranker's score with the retriever's evidence when the reranker has a fusion
    weight (a model saved by ``xrerank tune`` records one in its serving recipe). The evidence is
    the score under ``retriever_score_key`` when every document has one, else the order in which
    the documents arrive (retrievers return them best first). The fused score goes under
    ``score_key`` (relative within the query, not a probability) and the reranker's own score
    under ``reranker_score_key``."""
    retriever_score_key: str | None = None
    """Metadata key holding the first stage's score of each document, e.g. from
    ``similarity_search_with_score``; None uses the incoming order."""
    reranker_score_key: str = "reranker_score"
    """Metadata key that receives the reranker's own score when it was fused."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _build_reranker(cls, data: Any) -> Any:
        return prepare_adapter_options(data, caller=_NAME, host="LangChain")

    @field_validator("top_n", mode="before")
    @classmethod
    def _check_top_n(cls, value: Any) -> int | None:
        return check_top_k(value, caller=_NAME, name="top_n")

    @field_validator("score_threshold", mode="before")
    @classmethod
    def _check_score_threshold(cls, value: Any) -> float | None:
        return check_threshold(value, caller=_NAME, name="score_threshold")

    def compress_documents(
        self,
        documents: Sequence[Document],
        query: str,
        callbacks: Callbacks | None = None,
    ) -> Sequence[Document]:
        """Rerank ``documents`` against ``query`` and keep the best ``top_n``.

        Args:
            documents: Retrieved documents; their ``page_content`` is scored.
            query: The user's query.
            callbacks: Accepted for the LangChain interface; unused.

        Returns:
            New documents, best first, with the score in ``metadata[score_key]``.

        Raises:
            TypeError: An item is not a ``Document`` or its ``page_content`` is not a str;
                the message names its index.

        Example:
            >>> best = compressor.compress_documents(docs, "capital of France")
            >>> sorted(best[0].metadata)
            ['relevance_score']
        """
        query = check_query(query, caller=f"{_NAME}.compress_documents")
        docs, texts = self._texts(documents)
        if not docs:
            return []
        ranked = self.reranker.rank(query, texts, **self._rank_options(docs))
        return self._to_documents(docs, ranked)

    async def acompress_documents(
        self,
        documents: Sequence[Document],
        query: str,
        callbacks: Callbacks | None = None,
    ) -> Sequence[Document]:
        """Async :meth:`compress_documents` through the reranker's ``arank``.

        The forward pass runs in the reranker's own executor, off the event loop.

        Example:
            >>> import asyncio
            >>> best = asyncio.run(compressor.acompress_documents(docs, "capital of France"))
        """
        query = check_query(query, caller=f"{_NAME}.acompress_documents")
        docs, texts = self._texts(documents)
        if not docs:
            return []
        ranked = await self.reranker.arank(query, texts, **self._rank_options(docs))
        return self._to_documents(docs, ranked)

    def _rank_options(self, docs: list[Document]) -> dict[str, Any]:
        key = self.retriever_score_key
        scores = [doc.metadata.get(key) if key else None for doc in docs]
        evidence = adapter_evidence(self.reranker, scores, enabled=self.fusion)
        options: dict[str, Any] = {"top_k": self.top_n, "threshold": self.score_threshold}
        if evidence is not None:
            options["retriever_scores"] = evidence
        return options

    def _texts(self, documents: Sequence[Document]) -> tuple[list[Document], list[str]]:
        if isinstance(documents, (str, Document)):
            raise TypeError(
                f"{_NAME} got a single {type(documents).__name__} as documents; expected a list of "
                "Document. Wrap it in a list: [document]."
            )
        docs = list(documents)
        for index, doc in enumerate(docs):
            if not isinstance(doc, Document):
                raise TypeError(
                    f"{_NAME} got a {type(doc).__name__} at documents[{index}]; expected a "
                    "langchain_core Document. Wrap text as Document(page_content=text)."
                )
        texts = check_texts(
            [doc.page_content for doc in docs], caller=_NAME, name="page_content of documents"
        )
        return docs, texts

    def _to_documents(self, docs: list[Document], ranked: list[RankedItem]) -> list[Document]:
        logger.debug("%s kept %d of %d documents", _NAME, len(ranked), len(docs))
        results = []
        for item in ranked:
            original = docs[item.index]
            metadata = dict(original.metadata)
            if self.include_scores:
                metadata[self.score_key] = float(item.score)
                if item.reranker_score is not None:
                    metadata[self.reranker_score_key] = item.reranker_score
            results.append(original.model_copy(update={"metadata": metadata}))
        return results
