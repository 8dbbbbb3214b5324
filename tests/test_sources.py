"""Candidate sources over real stores: FAISS, numpy, LangChain, LlamaIndex (packaged MiniLM)."""

from __future__ import annotations

import numpy as np
import pytest

from xrerank.mining.sources import Candidate, CandidateSource, EmbeddingSource, FaissSource, SourceBase

faiss = pytest.importorskip("faiss")

QUERIES = ["how do search engines score documents with term frequency?", "what is the capital of France?"]


@pytest.fixture(scope="module")
def flat_index(mining_corpus_vectors):
    _, _, vectors = mining_corpus_vectors
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    return index


@pytest.fixture(scope="module")
def faiss_source(flat_index, mining_corpus_vectors, minilm_encoder):
    ids, texts, _ = mining_corpus_vectors
    return FaissSource(flat_index, texts=texts, ids=ids, query_encoder=minilm_encoder)


def exact_top(query_vector, vectors, ids, k):
    scores = vectors @ query_vector
    order = np.argsort(-scores)[:k]
    return ranked([(ids[i], float(scores[i])) for i in order]), [float(scores[i]) for i in order]


def ranked(hits):
    """Ids best first, ties (p03/p04 embed identically) broken by id so implementations compare."""
    pairs = [(h.id, h.score) if isinstance(h, Candidate) else h for h in hits]
    return [doc_id for doc_id, score in sorted(pairs, key=lambda p: (-round(p[1], 4), p[0]))]


def test_faiss_source_returns_the_exact_nearest_documents(
    faiss_source, mining_corpus_vectors, minilm_encoder
):
    ids, texts, vectors = mining_corpus_vectors
    hits = faiss_source.search(QUERIES[0], k=4)
    query_vector = minilm_encoder.encode(QUERIES[0], normalize_embeddings=True)
    expected_ids, expected_scores = exact_top(query_vector, vectors, ids, 4)
    assert ranked(hits) == expected_ids
    assert [h.score for h in hits] == pytest.approx(expected_scores, abs=1e-5)
    assert hits[0].id == "p01"
    assert all(h.text == texts[ids.index(h.id)] for h in hits)
    assert all(type(h.score) is float for h in hits)
    assert isinstance(faiss_source, CandidateSource)


def test_batch_search_equals_one_by_one(faiss_source):
    batch = faiss_source.search_batch(QUERIES, k=3)
    single = [faiss_source.search(q, k=3) for q in QUERIES]
    assert [ranked(r) for r in batch] == [ranked(r) for r in single]
    assert batch[1][0].id == "p08"


def test_k_larger_than_the_index_returns_everything(faiss_source):
    assert len(faiss_source.search(QUERIES[1], k=100)) == 16


def test_l2_index_scores_are_negated_distances_with_the_same_ranking(
    faiss_source, mining_corpus_vectors, minilm_encoder
):
    ids, texts, vectors = mining_corpus_vectors
    l2 = faiss.IndexFlatL2(vectors.shape[1])
    l2.add(vectors)
    source = FaissSource(l2, texts=texts, ids=ids, query_encoder=minilm_encoder)
    hits = source.search(QUERIES[0], k=5)
    assert ranked(hits)[:2] == ranked(faiss_source.search(QUERIES[0], k=5))[:2]
    assert all(h.score <= 0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_id_map_index_with_a_text_mapping_and_a_lookup_callable(mining_corpus_vectors, minilm_encoder):
    ids, texts, vectors = mining_corpus_vectors
    index = faiss.IndexIDMap(faiss.IndexFlatIP(vectors.shape[1]))
    labels = np.arange(1000, 1016, dtype=np.int64)
    index.add_with_ids(vectors, labels)
    by_label = {int(label): doc_id for label, doc_id in zip(labels, ids, strict=True)}
    by_id = dict(zip(ids, texts, strict=True))
    mapped = FaissSource(index, texts=by_id, ids=by_label, query_encoder=minilm_encoder)
    fetched: list[list[str]] = []

    def fetch(wanted):
        fetched.append(list(wanted))
        return [by_id.get(doc_id) for doc_id in wanted]

    looked_up = FaissSource(index, texts=fetch, ids=by_label, query_encoder=minilm_encoder)
    assert mapped.search(QUERIES[1], k=2)[0] == Candidate("p08", by_id["p08"], pytest.approx(1.0, abs=0.6))
    assert [c.id for c in looked_up.search(QUERIES[1], k=2)] == [c.id for c in mapped.search(QUERIES[1], k=2)]
    assert fetched  # texts came through the callable, in one batch per query row
    assert mapped.get_texts(["p10", "nope"]) == {"p10": by_id["p10"]}


def test_faiss_source_get_texts(faiss_source, mining_corpus_vectors):
    ids, texts, _ = mining_corpus_vectors
    assert faiss_source.get_texts(["p12", "missing"]) == {"p12": texts[ids.index("p12")]}


def test_faiss_source_errors_name_the_fix(flat_index, mining_corpus_vectors, minilm_encoder):
    ids, texts, _ = mining_corpus_vectors
    with pytest.raises(ValueError, match="15 ids for an index of 16"):
        FaissSource(flat_index, texts=texts, ids=ids[:-1], query_encoder=minilm_encoder)
    with pytest.raises(ValueError, match="3 texts for an index of 16"):
        FaissSource(flat_index, texts=texts[:3], ids=ids, query_encoder=minilm_encoder)
    with pytest.raises(TypeError, match=r"expected a faiss\.Index"):
        FaissSource(object(), texts=texts, query_encoder=minilm_encoder)
    wrong_dim = FaissSource(flat_index, texts=texts, query_encoder=lambda qs: np.ones((len(qs), 8)))
    with pytest.raises(ValueError, match="8-dim vectors but the index holds 384-dim"):
        wrong_dim.search("q", k=1)
    source = FaissSource(flat_index, texts=texts, query_encoder=minilm_encoder)
    with pytest.raises(ValueError, match="k=0"):
        source.search("q", k=0)
    with pytest.raises(ValueError, match=r"empty query at queries\[1\]"):
        source.search_batch(["q", " "], k=1)


def test_embedding_source_matches_the_flat_faiss_index(faiss_source, mining_corpus_vectors, minilm_encoder):
    ids, texts, vectors = mining_corpus_vectors
    before = vectors.copy()
    source = EmbeddingSource(vectors, texts, ids=ids, query_encoder=minilm_encoder)
    for ours, theirs in zip(
        source.search_batch(QUERIES, k=5), faiss_source.search_batch(QUERIES, k=5), strict=True
    ):
        assert ranked(ours) == ranked(theirs)
        assert [c.score for c in ours] == pytest.approx([c.score for c in theirs], abs=1e-5)
    np.testing.assert_array_equal(vectors, before)  # the caller's array is never touched
    assert source.get_texts(["p02"]) == {"p02": texts[1]}


def test_embedding_source_with_a_callable_encoder_and_dot_metric():
    source = EmbeddingSource(
        [[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
        ["x axis", "y axis", "diagonal"],
        query_encoder=lambda qs: [[1.0, 0.0] for _ in qs],
        metric="dot",
    )
    assert [(c.id, c.score) for c in source.search("east", k=2)] == [("0", 2.0), ("2", 1.0)]
    with pytest.raises(ValueError, match="duplicate ids"):
        EmbeddingSource([[1.0], [2.0]], ["a", "b"], ids=["x", "x"], query_encoder=lambda qs: [[1.0]])
    with pytest.raises(ValueError, match="2 texts for 3 embeddings"):
        EmbeddingSource(np.ones((3, 2)), ["a", "b"], query_encoder=lambda qs: [[1.0, 0.0]])
    with pytest.raises(ValueError, match="one vector per query"):
        EmbeddingSource([[1.0]], ["a"], query_encoder=lambda qs: [[1.0], [2.0]]).search("q", k=1)


def test_source_base_gives_batch_search_to_a_custom_source():
    class KeywordSource(SourceBase):
        def search(self, query, k):
            return [Candidate("d1", f"about {query}", 1.0)][:k]

    source = KeywordSource()
    assert isinstance(source, CandidateSource)
    assert source.search_batch(["a", "b"], 1) == [
        [Candidate("d1", "about a", 1.0)],
        [Candidate("d1", "about b", 1.0)],
    ]
    assert source.get_texts(["d1"]) == {}


# --------------------------------------------------------------------------- LangChain


@pytest.fixture(scope="module")
def langchain_store(mining_corpus_vectors):
    from framework_embeddings import MiniLMEmbeddings
    from langchain_core.vectorstores import InMemoryVectorStore

    ids, texts, _ = mining_corpus_vectors
    store = InMemoryVectorStore(MiniLMEmbeddings())
    store.add_texts(texts, ids=ids, metadatas=[{"doc": f"kb-{i}"} for i in ids])
    return store


def test_vectorstore_source_uses_scored_search_and_document_ids(langchain_store, faiss_source):
    from langchain_xrerank import VectorStoreSource

    before = dict(langchain_store.store)
    source = VectorStoreSource(langchain_store)
    hits = source.search_batch(QUERIES, k=4)
    expected = faiss_source.search_batch(QUERIES, k=4)
    for ours, theirs in zip(hits, expected, strict=True):
        assert ranked(ours) == ranked(theirs)
        assert [c.score for c in ours] == pytest.approx([c.score for c in theirs], abs=1e-4)
    assert source.get_texts(["p08", "missing"]) == {
        "p08": langchain_store.get_by_ids(["p08"])[0].page_content
    }
    assert dict(langchain_store.store) == before


def test_vectorstore_source_batches_queries_through_a_query_encoder(langchain_store, minilm_encoder):
    from langchain_xrerank import VectorStoreSource

    batched = VectorStoreSource(langchain_store, query_encoder=minilm_encoder).search_batch(QUERIES, k=3)
    plain = VectorStoreSource(langchain_store).search_batch(QUERIES, k=3)
    assert [ranked(r) for r in batched] == [ranked(r) for r in plain]


def test_vectorstore_source_reads_ids_from_metadata(langchain_store):
    from langchain_xrerank import VectorStoreSource

    source = VectorStoreSource(langchain_store, id_key="doc")
    assert source.search(QUERIES[1], k=1)[0].id == "kb-p08"
    assert source.get_texts(["kb-p08"]) == {}  # metadata ids cannot be looked up in the store


def test_vectorstore_source_turns_distances_into_similarities(mining_corpus_vectors, faiss_source):
    pytest.importorskip("langchain_community")
    import warnings

    from framework_embeddings import MiniLMEmbeddings

    from langchain_xrerank import VectorStoreSource

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from langchain_community.vectorstores import FAISS

    ids, texts, _ = mining_corpus_vectors
    store = FAISS.from_texts(texts, MiniLMEmbeddings(), ids=ids)  # scores are L2 distances, lower = better
    source = VectorStoreSource(store)
    hits = source.search(QUERIES[0], k=5)
    assert set(ranked(hits)) == set(ranked(faiss_source.search(QUERIES[0], k=5)))
    assert [c.score for c in hits] == sorted((c.score for c in hits), reverse=True)
    assert all(c.score <= 0 for c in hits)
    relevance = VectorStoreSource(store, score="relevance").search(QUERIES[0], k=5)
    assert set(ranked(relevance)) == set(ranked(hits))


def test_vectorstore_source_rejects_what_is_not_a_store():
    from langchain_xrerank import VectorStoreSource

    with pytest.raises(TypeError, match="expected a langchain_core VectorStore"):
        VectorStoreSource(object())  # type: ignore[arg-type]


# --------------------------------------------------------------------------- LlamaIndex


@pytest.fixture(scope="module")
def llama_index(mining_corpus_vectors):
    from framework_embeddings import llamaindex_embedding
    from llama_index.core import Document, VectorStoreIndex

    ids, texts, _ = mining_corpus_vectors
    documents = [
        Document(text=t, id_=i, metadata={"doc": f"kb-{i}"}, excluded_embed_metadata_keys=["doc"])
        for i, t in zip(ids, texts, strict=True)
    ]
    return VectorStoreIndex.from_documents(documents, embed_model=llamaindex_embedding())


def test_retriever_source_over_an_index(llama_index, faiss_source):
    from llamaindex_xrerank import RetrieverSource

    source = RetrieverSource(llama_index, id_key="ref_doc_id")
    hits = source.search_batch(QUERIES, k=4)
    expected = faiss_source.search_batch(QUERIES, k=4)
    for ours, theirs in zip(hits, expected, strict=True):
        assert ranked(ours) == ranked(theirs)
        assert [c.score for c in ours] == pytest.approx([c.score for c in theirs], abs=1e-4)
    assert RetrieverSource(llama_index, id_key="doc").search(QUERIES[1], k=1)[0].id == "kb-p08"


def test_retriever_source_node_ids_and_docstore_lookup(llama_index):
    from llamaindex_xrerank import RetrieverSource

    source = RetrieverSource(llama_index)
    top = source.search(QUERIES[1], k=1)[0]
    assert top.id not in (None, "p08")  # a node id, not the document id
    assert source.get_texts([top.id, "missing"]) == {top.id: top.text}


def test_retriever_source_copies_a_retriever_to_set_k(llama_index, minilm_encoder):
    from llamaindex_xrerank import RetrieverSource

    retriever = llama_index.as_retriever(similarity_top_k=2)
    source = RetrieverSource(retriever, id_key="ref_doc_id")
    assert len(source.search(QUERIES[0], k=6)) == 6
    assert retriever.similarity_top_k == 2  # the caller's retriever is untouched
    batched = RetrieverSource(retriever, id_key="ref_doc_id", query_encoder=minilm_encoder)
    assert ranked(batched.search(QUERIES[0], k=6)) == ranked(source.search(QUERIES[0], k=6))


def test_retriever_source_rejects_what_is_not_an_index():
    from llamaindex_xrerank import RetrieverSource

    with pytest.raises(TypeError, match="VectorStoreIndex or BaseRetriever"):
        RetrieverSource("index")  # type: ignore[arg-type]
