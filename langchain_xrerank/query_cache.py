"""Put an :class:`xrerank.serving.SemanticQueryCache` in front of any LangChain retriever or chain."""

from __future__ import annotations

import copy
import logging
from typing import Any

from xrerank._optional import require
from xrerank.serving.query_cache import SemanticQueryCache
from xrerank.validation import check_query

try:
    from langchain_core.runnables import Runnable, RunnableConfig
except ImportError:  # pragma: no cover - depends on what is installed
    require("langchain_core", purpose="langchain_xrerank")  # raises with the pip install hint
    raise

logger = logging.getLogger(__name__)

_NAME = "SemanticCacheRunnable"


class SemanticCacheRunnable(Runnable[Any, Any]):
    """Serves a retriever's or chain's earlier output when a new query asks the same thing.

    A thin adapter: the query text goes to :meth:`xrerank.serving.SemanticQueryCache.get_or_compute`
    (exact match, embedding prefilter, key-term guard, optional cross-encoder check live there);
    on a miss the wrapped runnable runs and its output is stored. Outputs are deep-copied on
    the way out, so changing a returned ``Document`` never changes the cache.

    Only the query text decides a hit. Do not wrap a chain whose output depends on other inputs
    (chat history, user id, filters) with one shared cache: give each such context its own cache.

    Args:
        runnable: The retriever, chain or any ``Runnable`` to cache (never modified).
        cache: The :class:`xrerank.serving.SemanticQueryCache` to use; may be shared with other wrappers
            only when they compute the same thing.
        query_key: For dict inputs, the key holding the query text (e.g. ``"question"``). None
            expects a plain string input.

    Example:
        >>> from langchain_core.vectorstores import InMemoryVectorStore
        >>> from xrerank.serving import SemanticQueryCache
        >>> vectorstore = InMemoryVectorStore.from_texts(passages, embeddings, ids=ids)
        >>> cache = SemanticQueryCache(encoder=encoder)  # e.g. all-MiniLM-L6-v2
        >>> cached = SemanticCacheRunnable(vectorstore.as_retriever(search_kwargs={"k": 1}), cache)
        >>> cached.invoke("How do I rank documents with BM25?")[0].id  # runs the retriever
        'd1'
        >>> cached.invoke("How can I rank documents with BM25?")[0].id  # served from the cache
        'd1'
        >>> cache.stats.hits
        1
    """

    def __init__(
        self, runnable: Runnable[Any, Any], cache: SemanticQueryCache[Any], *, query_key: str | None = None
    ) -> None:
        if not isinstance(runnable, Runnable):
            raise TypeError(
                f"{_NAME} got {type(runnable).__name__}; expected a LangChain Runnable (a retriever, "
                "chain or chat model)."
            )
        if not isinstance(cache, SemanticQueryCache):
            raise TypeError(
                f"{_NAME} got {type(cache).__name__} as cache; expected xrerank.serving.SemanticQueryCache."
            )
        self.runnable = runnable
        self.cache = cache
        self.query_key = query_key

    def __repr__(self) -> str:
        return f"{_NAME}({self.runnable!r}, query_key={self.query_key!r})"

    def invoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """Return the cached output for the query in ``input``, or run the wrapped runnable."""
        query = self._query_of(input)
        output = self.cache.get_or_compute(query, lambda _: self.runnable.invoke(input, config, **kwargs))
        return copy.deepcopy(output)

    async def ainvoke(self, input: Any, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        """Async :meth:`invoke`: the wrapped runnable's ``ainvoke`` runs on a miss."""
        query = self._query_of(input)
        output = await self.cache.aget_or_compute(
            query, lambda _: self.runnable.ainvoke(input, config, **kwargs)
        )
        return copy.deepcopy(output)

    def _query_of(self, input: Any) -> str:
        if self.query_key is None:
            if not isinstance(input, str):
                raise TypeError(
                    f"{_NAME} got a {type(input).__name__} input; expected the query string. For dict "
                    f"inputs pass query_key=..., e.g. {_NAME}(chain, cache, query_key='question')."
                )
            return check_query(input, caller=_NAME)
        if not isinstance(input, dict) or self.query_key not in input:
            got = sorted(input) if isinstance(input, dict) else type(input).__name__
            raise TypeError(
                f"{_NAME} expected a dict input with key {self.query_key!r} holding the query; got {got}."
            )
        return check_query(input[self.query_key], caller=_NAME)
