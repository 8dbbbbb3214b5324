"""LateInteractionReranker: MaxSim scoring, the passage cache, bad input, and use through both adapters."""

from __future__ import annotations

import asyncio
import copy
import logging
import pickle
import string
from pathlib import Path

import numpy as np
import pytest

from xrerank import LateInteractionReranker, ModelLoadError, RankedItem
from xrerank.scoring import RerankerProtocol
from xrerank.scoring.maxsim import maxsim, maxsim_many
from xrerank.scoring.protocol import reranker_from_spec, spec_of
from xrerank.scoring.ranking import select_ranked

PASSAGES = [
    "The Eiffel Tower is a wrought-iron lattice tower in Paris.",
    "Photosynthesis turns light, water and carbon dioxide into sugar.",
    "Paris is the capital and largest city of France.",
    "A cross-encoder reads the query and the passage together.",
    "Bananas are rich in potassium.",
    "France borders Spain, Italy, Germany and Belgium.",
]
QUERY = "What is the capital of France?"


@pytest.fixture(scope="module")
def late(tiny_encoder_dir: Path) -> LateInteractionReranker:
    """One shared instance on the tiny random encoder (tests that count build their own)."""
    return LateInteractionReranker(tiny_encoder_dir, device="cpu")


def fresh(tiny_encoder_dir: Path, **options) -> LateInteractionReranker:
    options.setdefault("device", "cpu")
    return LateInteractionReranker(tiny_encoder_dir, **options)


# --------------------------------------------------------------------------- MaxSim


def test_maxsim_is_the_sum_of_each_query_tokens_best_match() -> None:
    query = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], dtype=np.float32)
    passage = np.array([[0.6, 0.8], [1.0, 0.0]], dtype=np.float16)
    # token 1: max(0.6, 1.0) = 1.0; token 2: max(0.8, 0.0) = 0.8; token 3: max(-0.6, -1.0) = -0.6
    assert maxsim(query, passage) == pytest.approx(1.2, abs=1e-3)
    assert maxsim(query, np.zeros((0, 2), dtype=np.float16)) == 0.0


def test_one_stacked_product_equals_a_product_per_passage() -> None:
    rng = np.random.default_rng(3)
    query = rng.standard_normal((5, 8)).astype(np.float32)
    passages = [rng.standard_normal((n, 8)).astype(np.float16) for n in (3, 0, 1, 7, 0)]
    separate = []
    for passage in passages:
        products = query @ passage.astype(np.float32).T
        separate.append(float(products.max(axis=1).sum()) if len(passage) else 0.0)
    assert maxsim_many(query, passages) == pytest.approx(separate, abs=1e-5)
    assert maxsim_many(query, []) == []


def test_scores_match_a_hand_computation_on_the_encoder(late, tiny_encoder_dir: Path) -> None:
    import torch
    from transformers import AutoTokenizer, BertModel

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_encoder_dir))
    encoder = BertModel.from_pretrained(str(tiny_encoder_dir)).eval()
    punctuation = {tokenizer.convert_tokens_to_ids(symbol) for symbol in string.punctuation}

    def vectors(text: str, drop: set[int]) -> torch.Tensor:
        ids = tokenizer(text, return_tensors="pt")
        with torch.no_grad():
            hidden = encoder(**ids).last_hidden_state[0]
        keep = [i for i, token in enumerate(ids["input_ids"][0].tolist()) if token not in drop]
        return torch.nn.functional.normalize(hidden[keep], dim=-1)

    special = set(tokenizer.all_special_ids)
    query = vectors(QUERY, special)  # the query keeps its punctuation ("?")
    expected = []
    for text in PASSAGES:
        passage = vectors(text, special | punctuation)
        expected.append(float((query @ passage.T).max(dim=1).values.sum()))

    assert late.score(QUERY, PASSAGES) == pytest.approx(expected, abs=5e-3)


def test_a_passage_equal_to_the_query_scores_one_per_query_token(late) -> None:
    query = "alpha beta gamma delta"
    n_tokens = len(late.model.tokenizer(query, add_special_tokens=False)["input_ids"])
    scores = late.score(query, [query, *PASSAGES])
    assert scores[0] == pytest.approx(n_tokens, abs=1e-2)
    assert scores[0] == max(scores)


def test_rank_shares_the_cross_encoders_sorting_and_cut_rules(late) -> None:
    scores = late.score(QUERY, PASSAGES)
    threshold = sorted(scores)[2]  # keeps four; top_k then keeps two
    ranked = late.rank(QUERY, PASSAGES, top_k=2, threshold=threshold)
    assert ranked == select_ranked(PASSAGES, scores, top_k=2, threshold=threshold)
    assert all(isinstance(item, RankedItem) and type(item.score) is float for item in ranked)
    assert late.rank(QUERY, []) == []


def test_async_matches_sync_and_pairs_match_score(late) -> None:
    assert asyncio.run(late.arank(QUERY, PASSAGES, top_k=3)) == late.rank(QUERY, PASSAGES, top_k=3)
    assert asyncio.run(late.ascore(QUERY, PASSAGES)) == late.score(QUERY, PASSAGES)
    pairs = [(QUERY, PASSAGES[0]), ("bananas", PASSAGES[4]), (QUERY, PASSAGES[2])]
    expected = [late.score(q, [t])[0] for q, t in pairs]
    # Queries encoded together are padded to one length, which moves floats in the last digits.
    assert late.score_pairs(pairs) == pytest.approx(expected, abs=1e-4)
    assert asyncio.run(late.ascore_pairs(pairs)) == late.score_pairs(pairs)


def test_threads_and_coroutines_sharing_one_instance_get_sequential_results(tiny_encoder_dir: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    queries = [f"{QUERY} variant {i}" for i in range(8)]
    expected = [fresh(tiny_encoder_dir).score(q, PASSAGES) for q in queries]
    shared = fresh(tiny_encoder_dir, cache_mb=1)

    async def all_async() -> list[list[float]]:
        return list(await asyncio.gather(*(shared.ascore(q, PASSAGES) for q in queries)))

    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(lambda q: shared.score(q, PASSAGES), queries))
    for got in (threaded, asyncio.run(all_async())):
        for scores, want in zip(got, expected, strict=True):
            assert scores == pytest.approx(want, abs=1e-5)


# --------------------------------------------------------------------------- cache


def test_passages_are_encoded_once_and_then_served_from_the_cache(tiny_encoder_dir: Path) -> None:
    late = fresh(tiny_encoder_dir)
    first = late.score(QUERY, [*PASSAGES, PASSAGES[0]])  # a repeat within a call is encoded once
    assert late.stats.passages_encoded == len(PASSAGES)
    second = late.score("another question about bananas", PASSAGES)
    stats = late.stats
    assert stats.passages_encoded == len(PASSAGES), "cached passages must not be encoded again"
    assert stats.cache_hits == len(PASSAGES)
    assert stats.queries_encoded == 2
    assert late.score(QUERY, PASSAGES) == first[:-1]  # cached vectors give the same scores
    assert second != first[:-1]


def test_index_encodes_ahead_so_queries_only_encode_themselves(tiny_encoder_dir: Path) -> None:
    late = fresh(tiny_encoder_dir)
    assert late.index(PASSAGES) == len(PASSAGES)
    assert late.index(PASSAGES[:2]) == 0
    assert late.cached_passages == len(PASSAGES)
    late.rank(QUERY, PASSAGES, top_k=2)
    assert late.stats.passages_encoded == len(PASSAGES)

    late.clear_cache()
    assert late.cached_passages == 0 and late.cache_bytes == 0
    late.rank(QUERY, PASSAGES)
    assert late.stats.passages_encoded == 2 * len(PASSAGES)


def test_the_cache_stays_within_its_memory_bound(tiny_encoder_dir: Path, caplog) -> None:
    bound_mb = 0.004  # ~4 kB: a few passages of the 32-wide encoder, not all of them
    late = fresh(tiny_encoder_dir, cache_mb=bound_mb)
    texts = [f"passage number {i} about topic {i % 7} and more words" for i in range(40)]
    with caplog.at_level(logging.WARNING, logger="xrerank.scoring.late_interaction"):
        late.index(texts)
    assert 0 < late.cached_passages < len(texts)
    assert late.cache_bytes <= bound_mb * 2**20
    assert late.stats.evictions == len(texts) - late.cached_passages
    assert "Raise cache_mb" in caplog.text


def test_cache_off_still_scores_but_refuses_to_index(tiny_encoder_dir: Path) -> None:
    late = fresh(tiny_encoder_dir, cache_mb=0)
    assert len(late.score(QUERY, PASSAGES)) == len(PASSAGES)
    assert late.cached_passages == 0
    with pytest.raises(ValueError, match="cache_mb=0 keeps none"):
        late.index(PASSAGES)


def test_empty_and_punctuation_only_passages_score(late) -> None:
    empty, marks = late.score(QUERY, ["", "?!"])
    assert empty == 0.0
    assert marks != 0.0  # punctuation-only passages keep their punctuation tokens


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda r: r.score(None, PASSAGES), TypeError, "got None as query; expected str"),
        (lambda r: r.score("  ", PASSAGES), ValueError, "empty query"),
        (lambda r: r.score(QUERY, "one passage"), TypeError, "Wrap it in a list"),
        (lambda r: r.rank(QUERY, ["a", None]), TypeError, r"None at texts\[1\]"),
        (lambda r: r.rank(QUERY, PASSAGES, top_k=0), ValueError, "top_k=0; expected a positive int"),
        (lambda r: r.rank(QUERY, PASSAGES, threshold=float("nan")), ValueError, "threshold=nan"),
        (lambda r: r.score_pairs([(QUERY,)]), TypeError, r"pairs\[0\]"),
        (lambda r: r.index({"a": "text"}), TypeError, "list\\(mapping.values\\(\\)\\)"),
    ],
)
def test_bad_calls_name_the_problem(late, call, error, message) -> None:
    with pytest.raises(error, match=message):
        call(late)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"batch_size": 0}, "batch_size=0"),
        ({"max_length": 2}, "max_length=2"),
        ({"cache_mb": -1}, "cache_mb=-1"),
        ({"cache_mb": float("nan")}, "cache_mb=nan"),
    ],
)
def test_bad_options_fail_at_construction(tiny_encoder_dir: Path, options, message) -> None:
    with pytest.raises(ValueError, match=message):
        LateInteractionReranker(tiny_encoder_dir, **options)


def test_bad_models_are_refused_with_the_fix(tiny_model_dir: Path, tmp_path: Path) -> None:
    from sentence_transformers import CrossEncoder

    with pytest.raises(TypeError, match="got a int as model"):
        LateInteractionReranker(123)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"use xrerank\.Reranker for it"):
        LateInteractionReranker(CrossEncoder(str(tiny_model_dir), device="cpu"))  # type: ignore[arg-type]
    with pytest.raises(ModelLoadError, match="no such directory"):
        LateInteractionReranker(str(tmp_path / "no-such-model")).load()
    with pytest.raises(ModelLoadError, match="could not be downloaded"):
        LateInteractionReranker("nobody/no-such-encoder", local_files_only=True).load()
    with pytest.raises(ValueError, match="names no model"):
        reranker_from_spec("late:")


def test_pickle_and_deepcopy(late) -> None:
    assert copy.deepcopy(late) is late
    restored = pickle.loads(pickle.dumps(late))
    assert restored.cached_passages == 0
    assert restored.score(QUERY, PASSAGES) == late.score(QUERY, PASSAGES)


# --------------------------------------------------------------------------- adapters


def test_is_a_reranker_and_has_a_late_spec(late, tiny_encoder_dir: Path) -> None:
    assert isinstance(late, RerankerProtocol)
    assert spec_of(late) == f"late:{tiny_encoder_dir}"
    rebuilt = reranker_from_spec(spec_of(late), device="cpu")
    assert isinstance(rebuilt, LateInteractionReranker)
    assert rebuilt.score(QUERY, PASSAGES) == late.score(QUERY, PASSAGES)


def test_langchain_compressor_in_a_contextual_compression_retriever(late) -> None:
    from langchain_classic.retrievers import ContextualCompressionRetriever
    from langchain_core.documents import Document
    from langchain_core.embeddings import DeterministicFakeEmbedding
    from langchain_core.vectorstores import InMemoryVectorStore

    from langchain_xrerank import XRerankCompressor

    store = InMemoryVectorStore(DeterministicFakeEmbedding(size=16))
    store.add_documents([Document(page_content=text, id=f"doc-{i}") for i, text in enumerate(PASSAGES)])
    base = store.as_retriever(search_kwargs={"k": 5})
    compressor = XRerankCompressor(reranker=late, top_n=2)
    retriever = ContextualCompressionRetriever(base_compressor=compressor, base_retriever=base)

    first_stage = base.invoke(QUERY)
    result = retriever.invoke(QUERY)
    expected = late.rank(QUERY, [doc.page_content for doc in first_stage], top_k=2)
    assert [doc.page_content for doc in result] == [item.text for item in expected]
    assert [doc.metadata["relevance_score"] for doc in result] == [item.score for item in expected]
    assert asyncio.run(retriever.ainvoke(QUERY)) == result
    assert compressor.model == spec_of(late)


def test_llamaindex_postprocessor_on_an_index_retriever(late, tiny_encoder_dir: Path) -> None:
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.core.embeddings import MockEmbedding
    from llama_index.core.schema import MetadataMode

    from llamaindex_xrerank import XRerankPostprocessor

    documents = [Document(text=text, id_=f"doc-{i}") for i, text in enumerate(PASSAGES)]
    index = VectorStoreIndex.from_documents(documents, embed_model=MockEmbedding(embed_dim=8))
    first_stage = index.as_retriever(similarity_top_k=5).retrieve(QUERY)
    rerank = XRerankPostprocessor(reranker=late, top_n=2, score_threshold=-1e9)

    result = rerank.postprocess_nodes(first_stage, query_str=QUERY)
    texts = [item.node.get_content(metadata_mode=MetadataMode.EMBED) for item in first_stage]
    expected = late.rank(QUERY, texts, top_k=2)
    assert [item.node.node_id for item in result] == [first_stage[e.index].node.node_id for e in expected]
    assert [item.score for item in result] == [e.score for e in expected]
    assert asyncio.run(rerank.apostprocess_nodes(first_stage, query_str=QUERY)) == result

    # Serialised as its spec, the postprocessor rebuilds a late interaction reranker, not a cross-encoder.
    rebuilt = XRerankPostprocessor.from_json(rerank.to_json())
    assert rerank.to_dict()["model"] == f"late:{tiny_encoder_dir}"
    assert isinstance(rebuilt.reranker, LateInteractionReranker)
    assert [item.score for item in rebuilt.postprocess_nodes(first_stage, query_str=QUERY)] == [
        e.score for e in expected
    ]


def test_adapters_build_it_from_a_late_model_spec_and_refuse_non_rerankers(tiny_encoder_dir: Path) -> None:
    from langchain_xrerank import XRerankCompressor
    from llamaindex_xrerank import XRerankPostprocessor

    compressor = XRerankCompressor(model=f"late:{tiny_encoder_dir}")
    assert isinstance(compressor.reranker, LateInteractionReranker)
    with pytest.raises(ValueError, match="names no model"):
        XRerankPostprocessor(model="late:")

    class RankOnly:  # no arank, so the async paths could not work
        model_name = "rank-only"

        def rank(self, query, texts, *, top_k=None, threshold=None):
            return []

    for adapter in (XRerankCompressor, XRerankPostprocessor):
        with pytest.raises(TypeError, match=r"model_name, rank\(\) and arank\(\)"):
            adapter(reranker=RankOnly())


def test_any_object_with_the_protocol_serves_both_adapters() -> None:
    from langchain_core.documents import Document
    from llama_index.core.schema import NodeWithScore, TextNode

    from langchain_xrerank import XRerankCompressor
    from llamaindex_xrerank import XRerankPostprocessor

    class LengthReranker:
        """Longer text first: a reranker written by a user, with no xrerank base class."""

        model_name = "by-length"

        def rank(self, query, texts, *, top_k=None, threshold=None):
            return select_ranked(texts, [float(len(t)) for t in texts], top_k=top_k, threshold=threshold)

        async def arank(self, query, texts, *, top_k=None, threshold=None):
            return self.rank(query, texts, top_k=top_k, threshold=threshold)

    by_length = LengthReranker()
    longest = sorted(PASSAGES, key=len, reverse=True)[:2]
    docs = XRerankCompressor(reranker=by_length, top_n=2).compress_documents(
        [Document(page_content=text) for text in PASSAGES], QUERY
    )
    nodes = XRerankPostprocessor(reranker=by_length, top_n=2).postprocess_nodes(
        [NodeWithScore(node=TextNode(text=text)) for text in PASSAGES], query_str=QUERY
    )
    assert [doc.page_content for doc in docs] == longest
    assert [item.node.get_content() for item in nodes] == longest


# --------------------------------------------------------------------------- integration (MiniLM)


@pytest.mark.integration
def test_minilm_token_vectors_put_the_answer_first(minilm_encoder) -> None:
    late = LateInteractionReranker(minilm_encoder)
    assert late.max_length == 256
    ranked = late.rank(QUERY, PASSAGES, top_k=2)
    assert ranked[0].text == "Paris is the capital and largest city of France."
