"""xrerank.serving.SemanticQueryCache and its LangChain / LlamaIndex wrappers."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

import xrerank.serving
from xrerank.serving import CacheLookup, KeyTermGuard, QueryCacheConfig, SemanticQueryCache
from xrerank.serving.key_terms import normalize_query
from xrerank.serving.query_cache_types import DEFAULT_MIN_SIMILARITY


def bag_of_words(queries: list[str]) -> np.ndarray:
    """A deterministic hashing bag-of-words encoder: shared words make vectors similar."""
    vectors = np.zeros((len(queries), 256), dtype=np.float32)
    for row, query in enumerate(queries):
        for word in re.findall(r"\w+", query.lower()):
            vectors[row, zlib.crc32(word.encode()) % 256] += 1.0
    return vectors


def same_vector(queries: list[str]) -> np.ndarray:
    """Every query embeds to the same point: only the guard and verifier can say no."""
    return np.ones((len(queries), 8), dtype=np.float32)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def config(**options) -> QueryCacheConfig:
    options.setdefault("min_similarity", 0.8)
    return QueryCacheConfig(**options)


# ------------------------------------------------------------------------------------------ lookups


def test_exact_match_ignores_case_spacing_and_trailing_punctuation() -> None:
    cache = SemanticQueryCache(None)
    calls: list[str] = []
    pipeline = lambda q: calls.append(q) or f"answer:{q}"  # noqa: E731

    assert (
        cache.get_or_compute("How do I reset my password?", pipeline) == "answer:How do I reset my password?"
    )
    again = cache.lookup("  how do I reset  my PASSWORD ")
    assert again.hit and again.stage == "exact" and again.similarity == 1.0
    assert again.value == "answer:How do I reset my password?"
    assert cache.get_or_compute("how do i reset my password!", pipeline) == again.value
    assert calls == ["How do I reset my password?"]
    assert normalize_query("Ｈow  do I?") == "how do i"  # NFKC folds full-width letters


def test_semantic_hit_returns_the_closest_entry_and_its_similarity() -> None:
    cache = SemanticQueryCache(bag_of_words, config=config(min_similarity=0.7))
    cache.put("how do i reset my password", "password answer")
    cache.put("how do i export my data", "export answer")

    found = cache.lookup("how can i reset my password")
    assert found.hit and found.stage == "semantic"
    assert found.value == "password answer"
    assert found.matched_query == "how do i reset my password"
    assert type(found.similarity) is float and 0.7 <= found.similarity < 1.0
    assert not cache.lookup("what is the weather in the mountains").hit


def test_below_min_similarity_is_a_miss() -> None:
    cache = SemanticQueryCache(bag_of_words, config=config(min_similarity=0.99))
    cache.put("how do i reset my password", 1)
    found = cache.lookup("how can i reset my password")
    assert not found.hit and found.value is None
    assert found.similarity is not None and found.similarity < 0.99


@pytest.mark.parametrize(
    ("cached", "query"),
    [
        ("How do I reset the XR-40 controller?", "How do I reset the XR-60 controller?"),
        ("Can I get a refund within 30 days?", "Can I get a refund within 90 days?"),
        ("How do I connect Slack to my workspace?", "How do I connect Teams to my workspace?"),
        ("How do I enable two-factor authentication?", "How do I disable two-factor authentication?"),
        ("How do I reset my password?", "Why can't I reset my password?"),
        ("How do I log in on mobile?", "How do I log out on mobile?"),
        ("How do I export my data?", "How do I import my data?"),
        ("Is the Pro plan billed monthly?", "Is the Pro plan billed annually?"),
        ("Does the API support pagination?", "Doesn't the API support pagination?"),
    ],
)
def test_guard_keeps_near_misses_apart_even_when_embeddings_cannot(cached: str, query: str) -> None:
    cache = SemanticQueryCache(same_vector, config=config())
    cache.put(cached, "cached answer")

    found = cache.lookup(query)
    assert not found.hit
    assert found.rejected_by_guard == 1
    assert found.similarity == pytest.approx(1.0)
    assert cache.stats.guard_rejections == 1
    # Without the guard the embedding alone would have served the wrong answer.
    unguarded = SemanticQueryCache(same_vector, config=config(), guard=None)
    unguarded.put(cached, "cached answer")
    assert unguarded.lookup(query).hit


def test_guard_looks_past_rejected_candidates_to_the_true_match() -> None:
    cache = SemanticQueryCache(same_vector, config=config(prefilter_k=2))
    for model in ("XR-40", "XR-41", "XR-42", "XR-43", "XR-44"):
        cache.put(f"How do I reset the {model}?", model)
    cache.put("How can I reset my XR-60?", "XR-60")

    found = cache.lookup("How do I reset the XR-60?")
    assert found.hit and found.value == "XR-60"
    assert found.rejected_by_guard == 5


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("How do I reset the XR-40?", "how can I reset my xr-40"),
        ("How do I connect Slack?", "Slack: how do I connect it?"),
        ("I forgot my password, how do I reset it?", "How do I reset my password?"),
        ("Does the app work without internet?", "Will the app work with no internet?"),
        ("How do I sign in?", "How can I log in?"),
    ],
)
def test_guard_lets_paraphrases_through(a: str, b: str) -> None:
    assert KeyTermGuard()(a, b), KeyTermGuard().conflicts(a, b)


def test_guard_checks_can_be_switched_off_and_extended() -> None:
    assert KeyTermGuard(check_numbers=False)("refund in 30 days", "refund in 90 days")
    assert KeyTermGuard(check_names=False)("connect Slack", "connect Teams")
    assert KeyTermGuard(check_negation=False)("can I pay", "can't I pay")
    assert KeyTermGuard()("pay by card on mobile", "pay by card on desktop")
    assert not KeyTermGuard(opposites=(("mobile", "desktop"),))(
        "pay by card on mobile", "pay by card on desktop"
    )
    assert not KeyTermGuard(extra_negations=frozenset({"offline"}))("use it offline", "use it")


# ---------------------------------------------------------------------------- size, TTL, counters


def test_lru_eviction_keeps_the_recently_used_entries() -> None:
    cache = SemanticQueryCache(bag_of_words, config=config(max_size=2))
    cache.put("alpha question one", "a")
    cache.put("beta question two", "b")
    assert cache.lookup("alpha question one").hit  # alpha is now the most recently used
    cache.put("gamma question three", "c")

    assert cache.queries() == ["alpha question one", "gamma question three"]
    assert not cache.lookup("beta question two").hit
    assert cache.stats.evictions == 1 and len(cache) == 2


def test_many_evictions_reuse_embedding_rows_and_stay_searchable() -> None:
    cache = SemanticQueryCache(bag_of_words, config=config(max_size=3, min_similarity=0.99))
    for i in range(50):
        cache.put(f"question number {i} about topic {i}", i)
    assert len(cache) == 3
    assert cache.lookup("question number 48 about topic 48").value == 48
    assert cache.lookup("Question number 49 about topic 49?").value == 49
    assert not cache.lookup("question number 3 about topic 3").hit


def test_ttl_expires_entries_on_an_injected_clock() -> None:
    clock = FakeClock()
    cache = SemanticQueryCache(bag_of_words, config=config(ttl_s=60), clock=clock)
    cache.put("how do i reset my password", "fresh")
    clock.now += 59
    assert cache.lookup("how do i reset my password").hit
    assert cache.lookup("how can i reset my password").hit
    clock.now += 2
    assert not cache.lookup("how can i reset my password").hit
    assert not cache.lookup("how do i reset my password").hit
    assert len(cache) == 0 and cache.stats.expirations == 1


def test_purge_expired_drops_only_stale_entries() -> None:
    clock = FakeClock()
    cache = SemanticQueryCache(None, config=config(ttl_s=10), clock=clock)
    cache.put("old one", 1)
    clock.now += 5
    cache.put("new one", 2)
    clock.now += 6
    assert cache.purge_expired() == 1
    assert cache.queries() == ["new one"]


def test_stats_count_every_outcome() -> None:
    cache = SemanticQueryCache(bag_of_words, config=config(min_similarity=0.7))
    cache.put("how do i reset my password", 1)
    cache.lookup("how do i reset my password")
    cache.lookup("how can i reset my password")
    cache.lookup("completely unrelated words here")

    stats = cache.stats
    assert (stats.lookups, stats.hits, stats.exact_hits, stats.semantic_hits, stats.misses) == (3, 2, 1, 1, 1)
    assert stats.size == 1 and stats.hit_rate == pytest.approx(2 / 3)
    assert type(stats.hit_rate) is float


def test_put_replaces_and_invalidate_and_clear_forget() -> None:
    cache = SemanticQueryCache(bag_of_words, config=config())
    cache.put("What is BM25?", 1)
    cache.put("what is bm25", 2)
    assert len(cache) == 1 and cache.lookup("What is BM25?").value == 2
    assert cache.invalidate("WHAT IS BM25") and not cache.invalidate("WHAT IS BM25")
    cache.put("What is BM25?", 3)
    cache.clear()
    assert len(cache) == 0 and not cache.lookup("What is BM25?").hit


# ------------------------------------------------------------------------------ verifier (stage 4)


def test_prefilter_bounds_the_cross_encoder_calls(tiny_reranker_factory) -> None:
    verifier = tiny_reranker_factory(cache_size=0)
    cache = SemanticQueryCache(
        same_vector, config=config(prefilter_k=3, verifier_threshold=0.0), verifier=verifier
    )
    for i in range(40):
        cache.put(f"how do I configure option {chr(97 + i // 26)}{chr(97 + i % 26)} please", i)

    found = cache.lookup("how do I configure the option please")
    assert found.hit and found.stage == "semantic"
    assert verifier.stats.pairs_requested == 3  # not 40
    assert type(found.verifier_score) is float
    assert cache.stats.verifier_calls == 1


def test_verifier_threshold_decides_and_matches_the_verifier_score(tiny_reranker_factory) -> None:
    verifier = tiny_reranker_factory()
    cached, query = "how do I reset my password", "how can I reset my password"
    expected = verifier.score(query, [cached])[0]

    strict = SemanticQueryCache(
        same_vector, config=config(verifier_threshold=expected + 1e-6), verifier=verifier
    )
    strict.put(cached, "answer")
    rejected = strict.lookup(query)
    assert not rejected.hit and rejected.verifier_score == pytest.approx(expected)
    assert strict.stats.verifier_rejections == 1

    lenient = SemanticQueryCache(same_vector, config=config(verifier_threshold=expected), verifier=verifier)
    lenient.put(cached, "answer")
    accepted = lenient.lookup(query)
    assert accepted.hit and accepted.value == "answer"
    assert accepted.verifier_score == pytest.approx(expected)


def test_exact_matches_never_call_the_verifier(tiny_reranker_factory) -> None:
    verifier = tiny_reranker_factory()
    cache = SemanticQueryCache(same_vector, config=config(verifier_threshold=0.5), verifier=verifier)
    cache.put("What is BM25?", 1)
    assert cache.lookup("what is bm25").stage == "exact"
    assert verifier.stats.pairs_requested == 0


# ------------------------------------------------------------------------------- compute, threads


def test_concurrent_identical_queries_compute_once() -> None:
    cache = SemanticQueryCache(bag_of_words, config=config())
    calls: list[str] = []
    gate = threading.Event()

    def slow_pipeline(query: str) -> str:
        calls.append(query)
        gate.wait(5)
        return "result"

    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get_or_compute("What is BM25?", slow_pipeline)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    gate.set()
    for thread in threads:
        thread.join(5)
    assert results == ["result"] * 4
    assert len(calls) == 1


def test_a_failing_pipeline_is_not_cached_and_waiters_see_the_error() -> None:
    cache = SemanticQueryCache(None)

    def broken(query: str) -> str:
        raise RuntimeError("backend down")

    with pytest.raises(RuntimeError, match="backend down"):
        cache.get_or_compute("What is BM25?", broken)
    assert len(cache) == 0
    assert cache.get_or_compute("What is BM25?", lambda q: "ok") == "ok"


def test_threads_hammering_the_cache_keep_it_consistent() -> None:
    cache = SemanticQueryCache(bag_of_words, config=config(max_size=16, min_similarity=0.95))
    errors: list[BaseException] = []

    def worker(seed: int) -> None:
        try:
            for i in range(200):
                query = f"question {(seed * 7 + i) % 40} about things"
                value = cache.get_or_compute(query, lambda q: q.upper())
                assert value == query.upper() or cache.lookup(query).hit
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert len(cache) <= 16
    stats = cache.stats
    assert stats.hits + stats.misses == stats.lookups


def test_async_get_or_compute() -> None:
    cache = SemanticQueryCache(bag_of_words, config=config())
    calls: list[str] = []

    async def pipeline(query: str) -> str:
        calls.append(query)
        return f"answer:{query}"

    async def main() -> tuple[str, str]:
        first = await cache.aget_or_compute("What is BM25?", pipeline)
        second = await cache.aget_or_compute("what is bm25", pipeline)
        return first, second

    assert asyncio.run(main()) == ("answer:What is BM25?", "answer:What is BM25?")
    assert calls == ["What is BM25?"]


# ------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_size": 0}, "max_size=0"),
        ({"ttl_s": 0}, "ttl_s=0"),
        ({"min_similarity": 1.5}, r"min_similarity=1\.5"),
        ({"prefilter_k": 0}, "prefilter_k=0"),
        ({"verifier_threshold": float("nan")}, "verifier_threshold=nan"),
    ],
)
def test_bad_config_names_the_field(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        QueryCacheConfig(**options)


def test_a_verifier_needs_a_threshold_and_a_score_method(tiny_reranker) -> None:
    with pytest.raises(ValueError, match="verifier_threshold"):
        SemanticQueryCache(same_vector, verifier=tiny_reranker)
    with pytest.raises(TypeError, match="score"):
        SemanticQueryCache(same_vector, verifier=object(), config=config(verifier_threshold=0.5))  # type: ignore[arg-type]


def test_bad_queries_are_rejected() -> None:
    cache = SemanticQueryCache(None)
    with pytest.raises(ValueError, match="empty query"):
        cache.lookup("   ")
    with pytest.raises(TypeError, match="expected str"):
        cache.put(None, 1)  # type: ignore[arg-type]


def test_public_api() -> None:
    for name in ("SemanticQueryCache", "QueryCacheConfig", "QueryCacheStats", "KeyTermGuard", "CacheLookup"):
        assert name in xrerank.serving.__all__
    assert CacheLookup(False).value is None


# ------------------------------------------------------------- the project's own test set, real MiniLM


def eval_rows() -> list[dict]:
    text = (Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "query_cache_eval.jsonl").read_text(
        encoding="utf-8"
    )
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_eval_set_shape() -> None:
    rows = eval_rows()
    assert len(rows) == 50
    assert len({row["topic"] for row in rows}) == 12
    seen: set[str] = set()
    for row in rows:  # each topic's first query comes first
        if row["topic"] not in seen:
            assert row["kind"] == "seed", row
            seen.add(row["topic"])
    assert {row["split"] for row in rows} == {"calibration", "heldout"}


@pytest.mark.integration
def test_default_cache_has_full_hit_precision_on_the_calibration_split(minilm_encoder) -> None:
    rows = [row for row in eval_rows() if row["split"] == "calibration"]
    cache = SemanticQueryCache(minilm_encoder)
    assert cache.config.min_similarity == DEFAULT_MIN_SIMILARITY
    wrong, paraphrase_hits = [], 0
    for row in rows:
        found = cache.lookup(row["query"])
        if found.hit:
            if (
                row["kind"] != "paraphrase"
                or found.value["topic"] != row["topic"]
                or found.value["kind"] == "near_miss"
            ):
                wrong.append((row["query"], found.matched_query))
            else:
                paraphrase_hits += 1
        else:
            cache.put(row["query"], row)
    assert wrong == []
    assert paraphrase_hits >= 10  # it does save work (14 of 17 at the time of writing)


# ------------------------------------------------------------------------------------- adapters


@pytest.fixture(scope="module")
def langchain_retriever():
    from framework_embeddings import MiniLMEmbeddings
    from langchain_core.vectorstores import InMemoryVectorStore

    store = InMemoryVectorStore(MiniLMEmbeddings())
    store.add_texts(
        [
            "To reset your password, open Settings > Security and choose Reset password.",
            "Export your data from Settings > Data > Export as CSV.",
            "Cancel your subscription under Billing > Plan > Cancel.",
        ],
        ids=["reset", "export", "cancel"],
    )
    return store.as_retriever(search_kwargs={"k": 2})


@pytest.mark.integration
def test_langchain_runnable_serves_paraphrases_and_returns_copies(
    langchain_retriever, minilm_encoder
) -> None:
    from langchain_xrerank import SemanticCacheRunnable

    cache = SemanticQueryCache(minilm_encoder)
    cached = SemanticCacheRunnable(langchain_retriever, cache)

    first = cached.invoke("How do I reset my password?")
    assert first[0].id == "reset"
    first[0].metadata["changed"] = True
    second = cached.invoke("How can I reset my password?")
    assert [doc.id for doc in second] == [doc.id for doc in first]
    assert "changed" not in second[0].metadata  # the cache holds its own copy
    assert cache.stats.semantic_hits == 1 and cache.stats.misses == 1
    assert langchain_retriever.search_kwargs == {"k": 2}

    third = asyncio.run(cached.ainvoke("How do I export my data?"))
    assert third[0].id == "export" and cache.stats.misses == 2


def test_langchain_runnable_reads_dict_inputs_and_names_the_fix() -> None:
    from langchain_core.runnables import RunnableLambda

    from langchain_xrerank import SemanticCacheRunnable

    calls: list[dict] = []
    chain = RunnableLambda(lambda inputs: calls.append(inputs) or f"answer to {inputs['question']}")
    cached = SemanticCacheRunnable(chain, SemanticQueryCache(None), query_key="question")
    assert cached.invoke({"question": "What is BM25?"}) == "answer to What is BM25?"
    assert cached.invoke({"question": "what is bm25"}) == "answer to What is BM25?"
    assert len(calls) == 1
    with pytest.raises(TypeError, match="key 'question'"):
        cached.invoke({"q": "What is BM25?"})
    with pytest.raises(TypeError, match="query_key="):
        SemanticCacheRunnable(chain, SemanticQueryCache(None)).invoke({"question": "x"})
    with pytest.raises(TypeError, match="Runnable"):
        SemanticCacheRunnable(lambda x: x, SemanticQueryCache(None))  # type: ignore[arg-type]


@pytest.mark.integration
def test_llamaindex_query_engine_serves_paraphrases(minilm_encoder) -> None:
    from framework_embeddings import llamaindex_embedding
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.core.llms import MockLLM

    from llamaindex_xrerank import CachedQueryEngine

    index = VectorStoreIndex.from_documents(
        [
            Document(text="To reset your password, open Settings > Security.", id_="reset"),
            Document(text="Cancel your subscription under Billing > Plan.", id_="cancel"),
        ],
        embed_model=llamaindex_embedding(),
    )
    cache = SemanticQueryCache(minilm_encoder)
    engine = CachedQueryEngine(index.as_query_engine(llm=MockLLM(), similarity_top_k=1), cache)

    first = engine.query("How do I cancel my subscription?")
    first.metadata = {"changed": True}
    second = engine.query("What are the steps to cancel my subscription?")
    assert str(second) == str(first)
    assert second.metadata != {"changed": True}
    assert [n.node.ref_doc_id for n in second.source_nodes] == ["cancel"]
    assert cache.stats.semantic_hits == 1 and cache.stats.misses == 1

    third = asyncio.run(engine.aquery("How do I reset my password?"))
    assert third.source_nodes[0].node.ref_doc_id == "reset" and cache.stats.misses == 2

    streaming = CachedQueryEngine(
        index.as_query_engine(llm=MockLLM(), streaming=True, similarity_top_k=1), SemanticQueryCache(None)
    )
    with pytest.raises(TypeError, match="streaming=False"):
        streaming.query("How do I reset my password?")
