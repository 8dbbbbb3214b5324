"""LangChain integration for xrerank: a cross-encoder ``BaseDocumentCompressor``.

Importing this package does not import torch; the model loads on first use.

Example:
    >>> from langchain_xrerank import XRerankCompressor
    >>> compressor = XRerankCompressor(model="./my-reranker", top_n=3)
"""

from __future__ import annotations

from langchain_xrerank.compressor import XRerankCompressor
from langchain_xrerank.listwise_llm import LangChainListwiseLLM
from langchain_xrerank.query_cache import SemanticCacheRunnable
from langchain_xrerank.retriever_source import RetrieverSource
from langchain_xrerank.vectorstore_source import VectorStoreSource

__all__ = [
    "LangChainListwiseLLM",
    "RetrieverSource",
    "SemanticCacheRunnable",
    "VectorStoreSource",
    "XRerankCompressor",
]
