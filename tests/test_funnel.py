"""xrerank.serving.Funnel: retriever -> cross-encoder -> listwise LLM, with fallbacks and a report."""

from __future__ import annotations

import asyncio
import json
import logging
import re

import pytest

import xrerank.mining
import xrerank.serving
from xrerank.mining import BM25Source, Candidate
from xrerank.serving import Funnel, FunnelConfig, FunnelReport, RankingParseError, parse_ranking

CORPUS = {
    "bm25": "BM25 ranks documents by term frequency, inverse document frequency and length.",
    "dense": "Dense retrieval embeds queries and documents and ranks documents by cosine similarity.",
    "cross": "A cross-encoder reads the query and the document together and scores relevance.",
    "colbert": "ColBERT keeps token embeddings of documents and scores them with MaxSim.",
    "rrf": "Reciprocal rank fusion merges ranked lists of documents from several retrievers.",
    "faiss": "FAISS searches dense vectors of documents quickly with approximate nearest neighbours.",
    "bread": "Sourdough bread rises thanks to wild yeast.",
    "cats": "Cats sleep for most of the day.",
}
QUERY = "how are documents ranked by relevance"


@pytest.fixture(scope="module")
def bm25() -> BM25Source:
    return BM25Source(list(CORPUS.values()), ids=list(CORPUS))


class ScriptedLLM:
    """A deterministic stand-in for an LLM: returns its answers in turn and records the prompts."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        return self.answers[min(len(self.prompts) - 1, len(self.answers) - 1)]


def reverse_ranker(prompt: str) -> str:
    """A deterministic 'LLM' that reads the candidate ids from the prompt and ranks them backwards."""
    ids = [int(i) for i in re.findall(r"^\[(\d+)\] ", prompt, flags=re.MULTILINE)]
    return json.dumps({"ranking": ids[::-1]})


def funnel(bm25, reranker, llm=None, **options) -> Funnel:
    options.setdefault("stage1_k", 6)
    options.setdefault("stage2_k", 4)
    return Funnel(bm25, reranker, llm=llm, config=FunnelConfig(**options))


# ------------------------------------------------------------------------------- stages 1 and 2


def test_without_an_llm_the_cross_encoder_order_is_final(bm25, tiny_reranker) -> None:
    result = funnel(bm25, tiny_reranker).run(QUERY)

    stage1 = bm25.search(QUERY, 6)
    expected = tiny_reranker.rank(QUERY, [c.text for c in stage1], top_k=4)
    assert [item.text for item in result.items] == [r.text for r in expected]
    assert [item.id for item in result.items] == [stage1[r.index].id for r in expected]
    assert [item.rerank_score for item in result.items] == [r.score for r in expected]
    assert all(
        type(item.rerank_score) is float and type(item.retriever_score) is float for item in result.items
    )
    assert [item.stage2_rank for item in result.items] == [1, 2, 3, 4]
    assert [item.stage1_rank for item in result.items] == [r.index + 1 for r in expected]
    assert all(item.llm_rank is None for item in result.items)

    report = result.report
    assert [s.name for s in report.stages] == ["retrieve", "rerank"]
    assert (report.stages[0].candidates_in, report.stages[0].candidates_out) == (None, 6)
    assert (report.stages[1].candidates_in, report.stages[1].candidates_out) == (6, 4)
    assert report.llm_status == "skipped" and report.llm_error is None
    assert all(s.seconds >= 0 for s in report.stages) and report.total_seconds >= report.stages[1].seconds
    assert result.texts == [item.text for item in result.items]


def test_bm25_source_ranks_lexically_and_drops_documents_without_shared_terms(bm25) -> None:
    found = bm25.search("sourdough yeast", 5)
    assert [c.id for c in found] == ["bread"]
    assert type(found[0].score) is float and found[0].score > 0
    assert bm25.get_texts(["cats", "nope"]) == {"cats": CORPUS["cats"]}
    assert bm25.search_batch(["cats sleep", "zebra"], 3)[1] == []


def test_bm25_score_ids_rescores_given_candidates_like_search(bm25) -> None:
    ids = list(CORPUS)
    scores = bm25.score_ids("sourdough yeast", ids)
    assert list(scores) == ids  # the caller's order, every id scored
    assert scores["bread"] == pytest.approx(bm25.search("sourdough yeast", 1)[0].score)
    assert all(v == 0.0 for k, v in scores.items() if k != "bread")
    assert bm25.score_ids("zebra", ["cats"]) == {"cats": 0.0}  # no known term
    with pytest.raises(KeyError, match="'nope' is not in the index"):
        bm25.score_ids("cats", ["nope"])
    run = {"q1": {"cats": 0.9, "bread": 0.1}}
    assert bm25.score_run({"q1": "sourdough yeast"}, run) == {
        "q1": bm25.score_ids("sourdough yeast", ["cats", "bread"])
    }


def test_an_empty_first_stage_gives_an_empty_result(bm25, tiny_reranker) -> None:
    llm = ScriptedLLM('{"ranking": []}')
    result = funnel(bm25, tiny_reranker, llm).run("zebra giraffe")
    assert result.items == []
    assert result.report.stage("rerank").candidates_out == 0
    assert result.report.llm_status == "skipped" and llm.prompts == []
    assert tiny_reranker.stats.pairs_requested == 0


def test_repeated_ids_from_the_retriever_are_scored_once(tiny_reranker) -> None:
    class Chunks:
        def search(self, query: str, k: int) -> list[Candidate]:
            return [Candidate("a", "chunk one of a", 0.9), Candidate("a", "chunk two of a", 0.8),
                    Candidate("b", "b text", 0.7)][:k]  # fmt: skip

    result = Funnel(Chunks(), tiny_reranker, config=FunnelConfig(stage1_k=3, stage2_k=3)).run("q")
    assert sorted(item.id for item in result.items) == ["a", "b"]
    assert result.report.stage("retrieve").candidates_out == 2


# ------------------------------------------------------------------------------------- stage 3


def test_a_valid_llm_ranking_reorders_and_stage3_k_cuts(bm25, tiny_reranker) -> None:
    base = funnel(bm25, tiny_reranker).run(QUERY).items
    result = funnel(bm25, tiny_reranker, reverse_ranker, stage3_k=3).run(QUERY)

    assert [item.id for item in result.items] == [item.id for item in base[::-1][:3]]
    assert [item.llm_rank for item in result.items] == [1, 2, 3]
    assert [item.stage2_rank for item in result.items] == [4, 3, 2]
    report = result.report
    assert report.llm_status == "ok" and report.llm_error is None
    assert (report.stage("llm").candidates_in, report.stage("llm").candidates_out) == (4, 3)
    assert json.loads(report.llm_output) == {"ranking": [4, 3, 2, 1]}
    assert "llm 3" in report.summary()


def test_the_prompt_shows_the_query_and_every_candidate_once(bm25, tiny_reranker) -> None:
    llm = ScriptedLLM('{"ranking": [1, 2, 3, 4]}')
    result = funnel(bm25, tiny_reranker, llm, llm_max_chars=40).run(QUERY)
    (prompt,) = llm.prompts
    assert QUERY in prompt
    for position, item in enumerate(result.items, start=1):
        assert f"[{position}] {item.text[:20]}" in prompt
    assert max(len(line) for line in prompt.splitlines() if line.startswith("[")) <= len("[1] ") + 40


MALFORMED = [
    ("I think document 2 is the best one.", "no JSON object"),
    ('{"ranking": [1, 2, 3, 9]}', r"unknown ids \[9\]"),
    ('{"ranking": [1, 2, 2, 3]}', r"repeats ids \[2\] and misses ids \[4\]"),
    ('{"ranking": [2, 1]}', r"misses ids \[3, 4\]"),
    ('{"ranking": [1, 2, 3, 4, 4]}', r"repeats ids \[4\]"),
    ('{"ranking": ["first", 2, 3, 4]}', "expected integer ids"),
    ('{"ranking": [true, 2, 3, 4]}', "expected integer ids"),
    ('{"order": [1, 2, 3, 4]}', '"ranking"'),
    ('{"ranking": "4, 3, 2, 1"}', "expected a list"),
    ('First {"ranking": [1, 2, 3, 4]} or maybe {"ranking": [4, 3, 2, 1]}', "2 different rankings"),
    ('{"ranking": [4, 3, 2, 1]', "no JSON object"),  # truncated answer
    ("", "no JSON object"),
]


@pytest.mark.parametrize(("answer", "reason"), MALFORMED)
def test_malformed_llm_output_falls_back_to_the_cross_encoder_order(
    bm25, tiny_reranker, caplog, answer: str, reason: str
) -> None:
    base = funnel(bm25, tiny_reranker).run(QUERY).items
    with caplog.at_level(logging.WARNING, logger="xrerank.serving.funnel"):
        result = funnel(bm25, tiny_reranker, ScriptedLLM(answer), stage3_k=3).run(QUERY)

    assert [item.id for item in result.items] == [item.id for item in base[:3]]
    assert all(item.llm_rank is None for item in result.items)
    report = result.report
    assert report.llm_status == "fallback"
    assert re.search(reason, report.llm_error), report.llm_error
    assert report.llm_output == answer
    assert report.stage("llm").candidates_out == 3
    assert "fell back" in report.summary()
    assert any("keeping the cross-encoder order" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "answer",
    [
        'Here is my ranking:\n```json\n{"ranking": [4, 3, 2, 1]}\n```\nHope this helps!',
        'Sure. {"ranking": [4, 3, 2, 1]} (most relevant first)',
        '{"ranking": ["4", "3", "2", "1"]}',
        "[4, 3, 2, 1]",
        '{"ranking": [4, 3, 2, 1]} and again {"ranking": [4, 3, 2, 1]}',
    ],
)
def test_usable_answers_wrapped_in_prose_or_fences_are_accepted(bm25, tiny_reranker, answer: str) -> None:
    base = funnel(bm25, tiny_reranker).run(QUERY).items
    result = funnel(bm25, tiny_reranker, ScriptedLLM(answer)).run(QUERY)
    assert result.report.llm_status == "ok", result.report.llm_error
    assert [item.id for item in result.items] == [item.id for item in base[::-1]]


def test_an_llm_exception_falls_back_unless_told_to_raise(bm25, tiny_reranker) -> None:
    def offline(prompt: str) -> str:
        raise ConnectionError("LLM endpoint unreachable")

    result = funnel(bm25, tiny_reranker, offline).run(QUERY)
    assert result.report.llm_status == "fallback"
    assert "ConnectionError: LLM endpoint unreachable" in result.report.llm_error
    assert result.report.llm_output is None
    with pytest.raises(ConnectionError):
        funnel(bm25, tiny_reranker, offline, raise_llm_errors=True).run(QUERY)


def test_run_with_an_async_llm_says_to_use_arun(bm25, tiny_reranker) -> None:
    async def async_llm(prompt: str) -> str:
        return reverse_ranker(prompt)

    result = funnel(bm25, tiny_reranker, async_llm).run(QUERY)
    assert result.report.llm_status == "fallback" and "arun" in result.report.llm_error


@pytest.mark.parametrize("kind", ["sync", "async", "acall"])
def test_arun_matches_run(bm25, tiny_reranker, kind: str) -> None:
    async def async_llm(prompt: str) -> str:
        return reverse_ranker(prompt)

    class WithAcall:
        def __call__(self, prompt: str) -> str:
            raise AssertionError("arun should prefer acall")

        async def acall(self, prompt: str) -> str:
            return reverse_ranker(prompt)

    llm = {"sync": reverse_ranker, "async": async_llm, "acall": WithAcall()}[kind]
    expected = funnel(bm25, tiny_reranker, reverse_ranker).run(QUERY)
    result = asyncio.run(funnel(bm25, tiny_reranker, llm).arun(QUERY))
    assert result.items == expected.items
    assert result.report.llm_status == "ok"


# -------------------------------------------------------------------------------- parse_ranking


def test_parse_ranking_returns_the_permutation() -> None:
    assert parse_ranking('{"ranking": [3, 1, 2]}', 3) == [3, 1, 2]
    assert parse_ranking('```\n{"ranking": [2, 1]}\n```', 2) == [2, 1]
    with pytest.raises(RankingParseError, match=r"unknown ids \[0\]"):
        parse_ranking('{"ranking": [0, 1]}', 2)
    with pytest.raises(RankingParseError, match="expected text"):
        parse_ranking(None, 2)  # type: ignore[arg-type]


def test_the_candidate_markers_of_an_echoed_prompt_are_not_a_ranking(bm25, tiny_reranker) -> None:
    echo = lambda prompt: prompt  # noqa: E731 - what LlamaIndex's MockLLM does
    result = funnel(bm25, tiny_reranker, echo, stage1_k=2, stage2_k=2).run(QUERY)
    assert result.report.llm_status == "fallback"


# ------------------------------------------------------------------------------------- config, errors


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"stage1_k": 0}, "stage1_k=0"),
        ({"stage1_k": 5, "stage2_k": 10}, "stage2_k=10 > stage1_k=5"),
        ({"stage2_k": 3, "stage3_k": 5}, "stage3_k=5 > stage2_k=3"),
        ({"stage3_k": 0}, "stage3_k=0"),
        ({"prompt_template": "rank these: {query}"}, "{candidates}"),
    ],
)
def test_bad_config_names_the_field_and_the_fix(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        FunnelConfig(**options)


def test_wrong_components_are_named(bm25, tiny_reranker) -> None:
    from langchain_core.retrievers import BaseRetriever

    class LangChainLike(BaseRetriever):
        def _get_relevant_documents(self, query, *, run_manager):
            return []

    with pytest.raises(TypeError, match=r"langchain_xrerank\.RetrieverSource"):
        Funnel(LangChainLike(), tiny_reranker)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"xrerank\.Reranker"):
        Funnel(bm25, object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="callable prompt -> text"):
        Funnel(bm25, tiny_reranker, llm="gpt")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="empty query"):
        Funnel(bm25, tiny_reranker).run(" ")


def test_public_api() -> None:
    for name in ("Funnel", "FunnelConfig", "FunnelReport", "FunnelResult", "parse_ranking"):
        assert name in xrerank.serving.__all__
    assert "BM25Source" in xrerank.mining.__all__
    assert FunnelReport("q", (), "skipped", None, None, 0.0).stage("llm") is None


# ------------------------------------------------------------------- LangChain and LlamaIndex pieces


def test_langchain_chat_model_as_stage_three(bm25, tiny_reranker) -> None:
    from langchain_core.language_models import FakeListChatModel

    from langchain_xrerank import LangChainListwiseLLM

    chat = FakeListChatModel(responses=['{"ranking": [4, 3, 2, 1]}', "Sorry, I cannot rank these."])
    pipeline = funnel(bm25, tiny_reranker, LangChainListwiseLLM(chat))
    base = funnel(bm25, tiny_reranker).run(QUERY).items

    first = pipeline.run(QUERY)
    assert first.report.llm_status == "ok"
    assert [item.id for item in first.items] == [item.id for item in base[::-1]]
    second = pipeline.run(QUERY)
    assert second.report.llm_status == "fallback"
    assert [item.id for item in second.items] == [item.id for item in base]

    async_chat = FakeListChatModel(responses=['{"ranking": [4, 3, 2, 1]}'])
    result = asyncio.run(funnel(bm25, tiny_reranker, LangChainListwiseLLM(async_chat)).arun(QUERY))
    assert result.items == first.items


def test_langchain_retriever_as_stage_one(tiny_reranker) -> None:
    from langchain_core.embeddings import DeterministicFakeEmbedding
    from langchain_core.vectorstores import InMemoryVectorStore

    from langchain_xrerank import RetrieverSource

    store = InMemoryVectorStore(DeterministicFakeEmbedding(size=16))
    store.add_texts(list(CORPUS.values()), ids=list(CORPUS))
    retriever = store.as_retriever(search_kwargs={"k": 2})
    result = Funnel(
        RetrieverSource(retriever), tiny_reranker, config=FunnelConfig(stage1_k=6, stage2_k=3)
    ).run(QUERY)
    assert result.report.stage("retrieve").candidates_out == 6  # k set on a copy of the retriever
    assert retriever.search_kwargs == {"k": 2}  # the user's retriever is untouched
    assert all(item.id in CORPUS for item in result.items)


def test_llamaindex_mock_llm_echo_falls_back_and_a_retriever_feeds_stage_one(tiny_reranker) -> None:
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.core.embeddings import MockEmbedding
    from llama_index.core.llms import MockLLM

    from llamaindex_xrerank import LlamaIndexListwiseLLM, RetrieverSource

    index = VectorStoreIndex.from_documents(
        [Document(text=text, id_=doc_id) for doc_id, text in CORPUS.items()],
        embed_model=MockEmbedding(embed_dim=8),
    )
    source = RetrieverSource(index, id_key="ref_doc_id")
    pipeline = Funnel(
        source,
        tiny_reranker,
        llm=LlamaIndexListwiseLLM(MockLLM()),
        config=FunnelConfig(stage1_k=5, stage2_k=3),
    )
    result = pipeline.run(QUERY)
    assert result.report.stage("retrieve").candidates_out == 5
    assert result.report.llm_status == "fallback"  # MockLLM echoes the prompt: no ranking in it
    assert len(result.items) == 3 and all(item.id in CORPUS for item in result.items)
    assert asyncio.run(pipeline.arun(QUERY)).report.llm_status == "fallback"
