"""Both adapters against the core and each other: same order, same scores, same model directory."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.documents import Document
from llama_index.core.schema import NodeWithScore, TextNode

from langchain_xrerank import XRerankCompressor
from llamaindex_xrerank import XRerankPostprocessor

WORDS = [
    "paris",
    "france",
    "capital",
    "river",
    "tower",
    "bread",
    "yeast",
    "flour",
    "water",
    "sun",
    "the",
    "of",
]
QUERIES = [
    "capital of France",
    "how to bake bread",
    "river through Paris",
    "yeast and flour",
    "sunny weather",
    "tallest tower",
    "water the garden",
    "French bread",
]
PASSAGES = [
    "Paris is the capital of France.",
    "The Seine is the river that runs through Paris.",
    "Bread rises because yeast ferments the flour.",
    "The Eiffel Tower was the tallest structure in the world until 1930.",
    "Water your garden early in the morning.",
    "A baguette is a long, thin loaf of French bread.",
    "The sun is a star at the centre of the solar system.",
    "Flour, water, salt and yeast are all a basic bread needs.",
]


@pytest.fixture(scope="module")
def shared_reranker(tiny_reranker_factory):
    """One reranker serving both adapters, as in an application that uses both frameworks."""
    return tiny_reranker_factory()


def as_documents(texts: list[str]) -> list[Document]:
    return [Document(page_content=text, id=str(i)) for i, text in enumerate(texts)]


def as_nodes(texts: list[str]) -> list[NodeWithScore]:
    return [NodeWithScore(node=TextNode(text=text, id_=str(i)), score=None) for i, text in enumerate(texts)]


def via_langchain(compressor: XRerankCompressor, query: str, texts: list[str]) -> list[tuple[str, float]]:
    docs = compressor.compress_documents(as_documents(texts), query)
    return [(doc.id, doc.metadata["relevance_score"]) for doc in docs]


def via_llamaindex(
    postprocessor: XRerankPostprocessor, query: str, texts: list[str]
) -> list[tuple[str, float]]:
    nodes = postprocessor.postprocess_nodes(as_nodes(texts), query_str=query)
    return [(item.node.node_id, item.score) for item in nodes]


text_lists = st.lists(
    st.lists(st.sampled_from(WORDS), min_size=0, max_size=8).map(" ".join), min_size=1, max_size=10
)


@settings(max_examples=30, deadline=None)
@given(
    query=st.sampled_from(QUERIES),
    texts=text_lists,
    top_n=st.one_of(st.none(), st.integers(min_value=1, max_value=12)),
    threshold=st.one_of(st.none(), st.floats(min_value=0.0, max_value=1.0)),
)
def test_both_adapters_give_the_order_and_scores_of_reranker_rank(
    shared_reranker, query: str, texts: list[str], top_n: int | None, threshold: float | None
) -> None:
    # Duplicate texts included: ties must keep input order everywhere.
    expected = [
        (str(item.index), item.score)
        for item in shared_reranker.rank(query, texts, top_k=top_n, threshold=threshold)
    ]
    compressor = XRerankCompressor(reranker=shared_reranker, top_n=top_n, score_threshold=threshold)
    postprocessor = XRerankPostprocessor(reranker=shared_reranker, top_n=top_n, score_threshold=threshold)

    assert via_langchain(compressor, query, texts) == expected
    assert via_llamaindex(postprocessor, query, texts) == expected


async def _gather_langchain(compressor: XRerankCompressor) -> list[list[tuple[str, float]]]:
    calls = [
        compressor.acompress_documents(as_documents(PASSAGES), QUERIES[i % len(QUERIES)]) for i in range(32)
    ]
    results = await asyncio.gather(*calls)
    return [[(doc.id, doc.metadata["relevance_score"]) for doc in docs] for docs in results]


async def _gather_llamaindex(postprocessor: XRerankPostprocessor) -> list[list[tuple[str, float]]]:
    calls = [
        postprocessor.apostprocess_nodes(as_nodes(PASSAGES), query_str=QUERIES[i % len(QUERIES)])
        for i in range(32)
    ]
    results = await asyncio.gather(*calls)
    return [[(item.node.node_id, item.score) for item in nodes] for nodes in results]


def test_32_concurrent_async_calls_equal_sequential_results(tiny_reranker_factory) -> None:
    # Fresh rerankers without a cache: every concurrent call really goes through the model.
    reranker = tiny_reranker_factory(cache_size=0)
    compressor = XRerankCompressor(reranker=reranker, top_n=4)
    postprocessor = XRerankPostprocessor(reranker=reranker, top_n=4)
    sequential = [via_langchain(compressor, QUERIES[i % len(QUERIES)], PASSAGES) for i in range(32)]

    async def both() -> tuple[list, list]:
        return await asyncio.gather(_gather_langchain(compressor), _gather_llamaindex(postprocessor))

    langchain_results, llamaindex_results = asyncio.run(both())
    # Concurrent calls may share a padded forward pass (micro-batching): same order, scores to float32 noise.
    for results in (langchain_results, llamaindex_results):
        assert len(results) == 32
        for got, want in zip(results, sequential, strict=True):
            assert [doc_id for doc_id, _ in got] == [doc_id for doc_id, _ in want]
            assert [score for _, score in got] == pytest.approx([score for _, score in want], abs=1e-6)


def test_both_adapters_accept_a_saved_model_directory_by_path(tiny_model_dir: Path, tmp_path: Path) -> None:
    from sentence_transformers import CrossEncoder

    saved = tmp_path / "saved-reranker"
    CrossEncoder(str(tiny_model_dir), device="cpu").save(str(saved))
    compressor = XRerankCompressor(model=saved, top_n=3)
    postprocessor = XRerankPostprocessor(model=str(saved), top_n=3)
    assert compressor.model == postprocessor.model == str(saved)
    assert via_langchain(compressor, QUERIES[0], PASSAGES) == via_llamaindex(
        postprocessor, QUERIES[0], PASSAGES
    )


@pytest.mark.integration
def test_a_saved_model_directory_also_loads_in_the_frameworks_own_rerankers(
    minilm_cross_encoder_dir: Path,
) -> None:
    """Interoperability, not lock-in: the frameworks' own cross-encoder rerankers read the same folder."""
    path = str(minilm_cross_encoder_dir)
    query = QUERIES[0]
    ours = via_langchain(XRerankCompressor(model=path, top_n=3), query, PASSAGES)
    assert ours == via_llamaindex(XRerankPostprocessor(model=path, top_n=3), query, PASSAGES)

    from llama_index.core.postprocessor import SentenceTransformerRerank

    sbert = SentenceTransformerRerank(model=path, top_n=3, device="cpu")
    theirs = [
        (item.node.node_id, float(item.score))
        for item in sbert.postprocess_nodes(as_nodes(PASSAGES), query_str=query)
    ]
    assert [doc_id for doc_id, _ in theirs] == [doc_id for doc_id, _ in ours]
    assert [score for _, score in theirs] == pytest.approx([score for _, score in ours], abs=1e-5)

    community = pytest.importorskip("langchain_community.cross_encoders")
    from langchain_classic.retrievers.document_compressors import CrossEncoderReranker

    langchain_reranker = CrossEncoderReranker(
        model=community.HuggingFaceCrossEncoder(model_name=path, model_kwargs={"device": "cpu"}), top_n=3
    )
    docs = langchain_reranker.compress_documents(as_documents(PASSAGES), query)
    assert [doc.id for doc in docs] == [doc_id for doc_id, _ in ours]


def _run_python(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120, env=env
    )


def test_importing_the_adapters_does_not_import_torch() -> None:
    result = _run_python(
        """
        import sys
        import langchain_xrerank, llamaindex_xrerank
        from langchain_xrerank import XRerankCompressor
        from llamaindex_xrerank import XRerankPostprocessor
        XRerankCompressor(model="some/model")
        XRerankPostprocessor(model="some/model")
        heavy = sorted(m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules)
        print("HEAVY", heavy)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout


@pytest.mark.parametrize(
    ("package", "blocked", "extra"),
    [
        ("langchain_xrerank", "langchain_core", "langchain"),
        ("llamaindex_xrerank", "llama_index", "llamaindex"),
    ],
)
def test_a_missing_framework_names_the_extra_to_install(package: str, blocked: str, extra: str) -> None:
    result = _run_python(
        f"""
        import sys
        sys.modules[{blocked!r}] = None  # as if the framework were not installed
        import {package}
        """
    )
    assert result.returncode != 0
    assert f'pip install "xrerank[{extra}]"' in result.stderr
