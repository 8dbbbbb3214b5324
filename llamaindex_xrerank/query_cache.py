"""Put an :class:`xrerank.serving.SemanticQueryCache` in front of any LlamaIndex query engine."""

from __future__ import annotations

import copy
import logging
from typing import Any

from xrerank._optional import require
from xrerank.serving.query_cache import SemanticQueryCache

try:
    from llama_index.core.base.base_query_engine import BaseQueryEngine
    from llama_index.core.base.response.schema import RESPONSE_TYPE
    from llama_index.core.callbacks import CallbackManager
    from llama_index.core.schema import QueryBundle
except ImportError:  # pragma: no cover - depends on what is installed
    require("llama_index.core", purpose="llamaindex_xrerank")  # raises with the pip install hint
    raise

logger = logging.getLogger(__name__)

_NAME = "CachedQueryEngine"


class CachedQueryEngine(BaseQueryEngine):
    """A query engine that answers repeated or paraphrased questions from a semantic cache.

    A thin adapter: the query string goes to :meth:`xrerank.serving.SemanticQueryCache.get_or_compute`
    (exact match, embedding prefilter, key-term guard, optional cross-encoder check live there);
    on a miss the wrapped engine answers and its ``Response`` is stored. Responses are
    deep-copied on the way out, so editing a returned response never changes the cache.
    Streaming responses cannot be replayed and are refused with an error.

    Only the query string decides a hit (not the query bundle's embedding or custom strings).

    Args:
        query_engine: The engine to cache (any ``BaseQueryEngine``; never modified).
        cache: The :class:`xrerank.serving.SemanticQueryCache` to use.
        callback_manager: LlamaIndex callbacks; None uses the wrapped engine's.

    Example:
        >>> from llama_index.core import Document, VectorStoreIndex
        >>> from llama_index.core.llms import MockLLM
        >>> from xrerank.serving import SemanticQueryCache
        >>> documents = [Document(text=text, id_=doc_id) for doc_id, text in zip(ids, passages)]
        >>> index = VectorStoreIndex.from_documents(documents, embed_model=embed_model)
        >>> query_engine = index.as_query_engine(llm=MockLLM(), similarity_top_k=1)  # your LLM here
        >>> cache = SemanticQueryCache(encoder)  # e.g. all-MiniLM-L6-v2
        >>> engine = CachedQueryEngine(query_engine, cache)
        >>> engine.query("How do I rank documents with BM25?").source_nodes[0].node.ref_doc_id  # runs it
        'd1'
        >>> engine.query("How can I rank documents with BM25?").source_nodes[0].node.ref_doc_id  # cached
        'd1'
        >>> cache.stats.hits
        1
    """

    def __init__(
        self,
        query_engine: BaseQueryEngine,
        cache: SemanticQueryCache[Any],
        *,
        callback_manager: CallbackManager | None = None,
    ) -> None:
        if not isinstance(query_engine, BaseQueryEngine):
            raise TypeError(
                f"{_NAME} got {type(query_engine).__name__}; expected a LlamaIndex BaseQueryEngine "
                "(e.g. index.as_query_engine())."
            )
        if not isinstance(cache, SemanticQueryCache):
            raise TypeError(
                f"{_NAME} got {type(cache).__name__} as cache; expected xrerank.serving.SemanticQueryCache."
            )
        self._engine = query_engine
        self.cache = cache
        super().__init__(callback_manager=callback_manager or query_engine.callback_manager)

    def __repr__(self) -> str:
        return f"{_NAME}({type(self._engine).__name__})"

    def _get_prompt_modules(self) -> dict[str, Any]:
        return {"query_engine": self._engine}

    def _query(self, query_bundle: QueryBundle) -> RESPONSE_TYPE:
        response = self.cache.get_or_compute(
            query_bundle.query_str, lambda _: _replayable(self._engine.query(query_bundle))
        )
        return copy.deepcopy(response)

    async def _aquery(self, query_bundle: QueryBundle) -> RESPONSE_TYPE:
        async def compute(_: str) -> RESPONSE_TYPE:
            return _replayable(await self._engine.aquery(query_bundle))

        response = await self.cache.aget_or_compute(query_bundle.query_str, compute)
        return copy.deepcopy(response)


def _replayable(response: RESPONSE_TYPE) -> RESPONSE_TYPE:
    if hasattr(response, "response_gen") or hasattr(response, "async_response_gen"):
        raise TypeError(
            f"{_NAME} cannot cache a streaming response ({type(response).__name__}); build the wrapped "
            "engine with streaming=False."
        )
    return response
