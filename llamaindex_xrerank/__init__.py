"""LlamaIndex integration for xrerank: a cross-encoder ``BaseNodePostprocessor``.

Importing this package does not import torch; the model loads on first use.

Example:
    >>> from llamaindex_xrerank import XRerankPostprocessor
    >>> rerank = XRerankPostprocessor(model="./my-reranker", top_n=3)
"""

from __future__ import annotations

from llamaindex_xrerank.listwise_llm import LlamaIndexListwiseLLM
from llamaindex_xrerank.postprocessor import XRerankPostprocessor
from llamaindex_xrerank.query_cache import CachedQueryEngine
from llamaindex_xrerank.retriever_source import RetrieverSource

__all__ = [
    "CachedQueryEngine",
    "LlamaIndexListwiseLLM",
    "RetrieverSource",
    "XRerankPostprocessor",
]
