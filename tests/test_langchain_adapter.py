"""langchain_xrerank.XRerankCompressor: behaviour on real LangChain objects."""

from __future__ import annotations

import asyncio
import copy
import importlib.util
import sys
from pathlib import Path

import pytest
from langchain_core.documents import Document

import langchain_xrerank
from langchain_xrerank import XRerankCompressor

PASSAGES = [
    "The Eiffel Tower is a wrought-iron lattice tower in Paris.",
    "Photosynthesis turns light, water and carbon dioxide into sugar.",
    "Paris is the capital and largest city of France.",
    "A cross-encoder reads the query and the passage together.",
    "Bananas are rich in potassium.",
    "France borders Spain, Italy, Germany and Belgium.",
]
QUERY = "What is the capital of France?"


def make_docs() -> list[Document]:
    return [
        Document(page_content=text, id=f"doc-{i}", metadata={"source": f"s{i}", "tags": ["t"]})
        for i, text in enumerate(PASSAGES)
    ]


def test_public_api_is_declared() -> None:
    assert "XRerankCompressor" in langchain_xrerank.__all__
    for name in langchain_xrerank.__all__:
        assert getattr(langchain_xrerank, name) is not None


def test_returns_top_n_best_first_matching_reranker_rank(tiny_reranker) -> None:
    compressor = XRerankCompressor(reranker=tiny_reranker, top_n=3)
    result = compressor.compress_documents(make_docs(), QUERY)

    expected = tiny_reranker.rank(QUERY, PASSAGES, top_k=3)
    assert [doc.page_content for doc in result] == [item.text for item in expected]
    assert [doc.id for doc in result] == [f"doc-{item.index}" for item in expected]
    scores = [doc.metadata["relevance_score"] for doc in result]
    assert scores == [item.score for item in expected]
    assert all(type(score) is float for score in scores)
    assert scores == sorted(scores, reverse=True)


def test_copies_documents_and_leaves_the_callers_untouched(tiny_reranker) -> None:
    docs = make_docs()
    before = copy.deepcopy(docs)
    result = XRerankCompressor(reranker=tiny_reranker, top_n=None).compress_documents(docs, QUERY)

    assert docs == before
    assert all("relevance_score" not in doc.metadata for doc in docs)
    assert not any(out is doc for out in result for doc in docs)
    by_id = {doc.id: doc for doc in docs}
    for out in result:
        original = by_id[out.id]
        assert out.metadata.pop("relevance_score") is not None
        assert out.metadata == original.metadata
        assert out.metadata is not original.metadata


def test_top_n_none_keeps_all_and_threshold_applies_before_top_n(tiny_reranker) -> None:
    everything = XRerankCompressor(reranker=tiny_reranker, top_n=None).compress_documents(make_docs(), QUERY)
    assert len(everything) == len(PASSAGES)

    scores = sorted(doc.metadata["relevance_score"] for doc in everything)
    threshold = scores[3]  # three documents score at or above it
    kept = XRerankCompressor(reranker=tiny_reranker, top_n=5, score_threshold=threshold).compress_documents(
        make_docs(), QUERY
    )
    assert [doc.id for doc in kept] == [doc.id for doc in everything[:3]]
    assert all(doc.metadata["relevance_score"] >= threshold for doc in kept)


def test_score_key_and_include_scores(tiny_reranker) -> None:
    custom = XRerankCompressor(reranker=tiny_reranker, score_key="xrerank").compress_documents(
        make_docs(), QUERY
    )
    assert all("xrerank" in doc.metadata and "relevance_score" not in doc.metadata for doc in custom)

    plain = XRerankCompressor(reranker=tiny_reranker, include_scores=False).compress_documents(
        make_docs(), QUERY
    )
    assert [doc.id for doc in plain] == [doc.id for doc in custom]
    assert all(set(doc.metadata) == {"source", "tags"} for doc in plain)


def test_model_path_builds_a_reranker(tiny_model_dir: Path, tiny_reranker) -> None:
    compressor = XRerankCompressor(model=tiny_model_dir, top_n=2)
    assert compressor.model == str(tiny_model_dir)
    result = compressor.compress_documents(make_docs(), QUERY)
    assert [doc.page_content for doc in result] == [
        item.text for item in tiny_reranker.rank(QUERY, PASSAGES, top_k=2)
    ]


def test_model_can_be_a_loaded_cross_encoder(tiny_model_dir: Path, tiny_reranker) -> None:
    from sentence_transformers import CrossEncoder

    compressor = XRerankCompressor(model=CrossEncoder(str(tiny_model_dir), device="cpu"), top_n=2)
    assert isinstance(compressor.model, str)
    result = compressor.compress_documents(make_docs(), QUERY)
    expected = tiny_reranker.rank(QUERY, PASSAGES, top_k=2)
    assert [doc.metadata["relevance_score"] for doc in result] == pytest.approx(
        [item.score for item in expected]
    )


def test_empty_input_returns_empty_without_loading_a_model() -> None:
    compressor = XRerankCompressor(model="nobody/no-such-model")
    assert compressor.compress_documents([], QUERY) == []
    assert asyncio.run(compressor.acompress_documents([], QUERY)) == []


def test_async_matches_sync(tiny_reranker) -> None:
    compressor = XRerankCompressor(reranker=tiny_reranker, top_n=4)
    sync = compressor.compress_documents(make_docs(), QUERY)
    result = asyncio.run(compressor.acompress_documents(make_docs(), QUERY))
    assert result == sync


def test_document_without_text_is_named_by_index(tiny_reranker) -> None:
    docs = make_docs()
    docs[2] = Document.model_construct(page_content=None, metadata={})
    with pytest.raises(TypeError, match=r"XRerankCompressor got None at page_content of documents\[2\]"):
        XRerankCompressor(reranker=tiny_reranker).compress_documents(docs, QUERY)


def test_non_documents_are_rejected_with_the_fix(tiny_reranker) -> None:
    compressor = XRerankCompressor(reranker=tiny_reranker)
    with pytest.raises(TypeError, match=r"str at documents\[1\].*Document\(page_content=text\)"):
        compressor.compress_documents([make_docs()[0], "raw text"], QUERY)  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"Wrap it in a list"):
        compressor.compress_documents(make_docs()[0], QUERY)  # type: ignore[arg-type]


@pytest.mark.parametrize("query", ["", "   ", None])
def test_bad_query_is_rejected_even_for_empty_input(tiny_reranker, query) -> None:
    compressor = XRerankCompressor(reranker=tiny_reranker)
    with pytest.raises((TypeError, ValueError), match=r"XRerankCompressor\.compress_documents got"):
        compressor.compress_documents([], query)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"top_n": 0}, "top_n=0; expected a positive int"),
        ({"top_n": True}, "top_n=True; expected a positive int"),
        ({"score_threshold": float("nan")}, "score_threshold=nan; expected a finite number"),
        ({"top_k": 5}, "call it top_n"),
        ({"model": "other/model"}, "got both reranker="),
    ],
)
def test_bad_options_fail_at_construction_with_the_fix(tiny_reranker, options, message) -> None:
    with pytest.raises(ValueError, match=message):
        XRerankCompressor(reranker=tiny_reranker, **options)


def test_reranker_must_be_an_xrerank_reranker() -> None:
    with pytest.raises(TypeError, match=r"expected an xrerank.Reranker.*model=\.\.\."):
        XRerankCompressor(reranker="cross-encoder/ms-marco-MiniLM-L6-v2")


def test_deepcopy_shares_the_model_handle(tiny_reranker) -> None:
    compressor = XRerankCompressor(reranker=tiny_reranker, top_n=2)
    clone = copy.deepcopy(compressor)
    assert clone.reranker is compressor.reranker
    assert clone.compress_documents(make_docs(), QUERY) == compressor.compress_documents(make_docs(), QUERY)


# --------------------------------------------------------------- integration (MiniLM)


@pytest.fixture(scope="module")
def minilm_store():
    from framework_embeddings import MiniLMEmbeddings
    from langchain_core.vectorstores import InMemoryVectorStore

    store = InMemoryVectorStore(MiniLMEmbeddings())
    store.add_documents(make_docs())
    return store


@pytest.mark.integration
def test_inside_contextual_compression_retriever(minilm_store, tiny_reranker) -> None:
    from langchain_classic.retrievers import ContextualCompressionRetriever

    base = minilm_store.as_retriever(search_kwargs={"k": 5})
    retriever = ContextualCompressionRetriever(
        base_compressor=XRerankCompressor(reranker=tiny_reranker, top_n=2), base_retriever=base
    )
    first_stage = base.invoke(QUERY)
    result = retriever.invoke(QUERY)

    expected = tiny_reranker.rank(QUERY, [doc.page_content for doc in first_stage], top_k=2)
    assert [doc.page_content for doc in result] == [item.text for item in expected]
    assert [doc.metadata["relevance_score"] for doc in result] == [item.score for item in expected]
    assert asyncio.run(retriever.ainvoke(QUERY)) == result


@pytest.mark.integration
def test_composed_in_an_lcel_chain(minilm_store, tiny_reranker) -> None:
    from langchain_core.runnables import RunnableLambda, RunnablePassthrough

    compressor = XRerankCompressor(reranker=tiny_reranker, top_n=3)
    retriever = minilm_store.as_retriever(search_kwargs={"k": 6})

    async def arerank(inputs: dict) -> list[Document]:
        return list(await compressor.acompress_documents(inputs["docs"], inputs["question"]))

    rerank = RunnableLambda(
        lambda inputs: list(compressor.compress_documents(inputs["docs"], inputs["question"])), afunc=arerank
    )
    chain = {"docs": retriever, "question": RunnablePassthrough()} | rerank
    result = chain.invoke(QUERY)

    assert [doc.page_content for doc in result] == [
        item.text for item in tiny_reranker.rank(QUERY, PASSAGES, top_k=3)
    ]
    assert asyncio.run(chain.ainvoke(QUERY)) == result


def _load_example(name: str):
    path = Path(__file__).resolve().parents[1] / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.integration
def test_langchain_example_runs() -> None:
    example = _load_example("langchain_rerank")
    results = example.main()
    assert set(results) == {"retriever", "chain"}
    for docs in results.values():
        assert len(docs) == example.TOP_N
        scores = [doc.metadata["relevance_score"] for doc in docs]
        assert all(type(score) is float for score in scores)
        assert scores == sorted(scores, reverse=True)
    assert [doc.id for doc in results["retriever"]] == [doc.id for doc in results["chain"]]
