"""Sequence-to-sequence rerankers: monoT5 pointwise (Seq2SeqReranker), duoT5 pairwise (PairwiseReranker).

Every test runs on a tiny random-weight T5 with a word-level tokenizer (tests/tiny_models.py),
offline, and checks the rerankers against a hand computation on the raw transformers model.
"""

from __future__ import annotations

import asyncio
import math
import pickle
from pathlib import Path

import pytest
import torch
from tiny_models import build_tiny_t5

from xrerank import (
    ModelLoadError,
    PairwiseReranker,
    Seq2SeqReranker,
    TrainingConfig,
    TrainingExample,
    finetune,
)
from xrerank.scoring.pairwise import MAX_PAIRWISE_K, symmetric_sums
from xrerank.scoring.protocol import reranker_from_spec, spec_of
from xrerank.scoring.seq2seq import Seq2SeqModel

QUERY = "what is the capital of France?"
TEXTS = [
    "Berlin is big.",
    "Paris is the capital of France.",
    "Cats sleep all day.",
    "The Eiffel tower in Paris was built 1889.",
    "BM25 ranks documents by term frequency.",
]
# About 90 words: longer than one window of a 48-token prompt (windows hold at least 32 words).
LONG_TEXT = (
    "The treaty was signed in Lisbon 2007. It entered into force two years later. "
    "Several drafts were rejected by votes in three countries before the final text was agreed. "
    "Cats sleep all day and the city river runs by the old tower. Berlin is big. "
    "BM25 ranks documents by term frequency. Dense retrieval ranks passage vectors for a query. "
    "Paris is the capital of France. The Eiffel tower in Paris was built 1889. "
    "Sourdough bread rises with wild yeast. Several drafts were rejected. It entered into force."
)


@pytest.fixture(scope="module")
def t5_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_t5(tmp_path_factory.mktemp("tiny-t5"))


@pytest.fixture(scope="module")
def raw(t5_dir: Path):
    """The tiny T5 loaded with plain transformers: the hand computation's model."""
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    return AutoModelForSeq2SeqLM.from_pretrained(t5_dir).eval(), AutoTokenizer.from_pretrained(t5_dir)


def hand_difference(raw, prompt: str) -> float:
    """logit('true') - logit('false') at the first decoder step, computed directly."""
    model, tokenizer = raw
    encoded = tokenizer([prompt], return_tensors="pt")
    start = torch.full((1, 1), model.config.decoder_start_token_id)
    with torch.no_grad():
        logits = model(**encoded, decoder_input_ids=start).logits[0, 0]
    true_id, false_id = tokenizer.convert_tokens_to_ids(["true", "false"])
    return float(logits[true_id] - logits[false_id])


def sigmoid(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))


def mono(t5_dir: Path, **options) -> Seq2SeqReranker:
    options.setdefault("device", "cpu")
    return Seq2SeqReranker(str(t5_dir), **options)


def test_pointwise_scores_are_the_true_minus_false_logits(t5_dir, raw) -> None:
    expected = [hand_difference(raw, f"Query: {QUERY} Document: {text} Relevant:") for text in TEXTS]
    assert mono(t5_dir, activation=None).score(QUERY, TEXTS) == pytest.approx(expected, abs=1e-5)
    # sigmoid of the difference = the softmax over the two answer words
    assert mono(t5_dir).score(QUERY, TEXTS) == pytest.approx([sigmoid(v) for v in expected], abs=1e-6)
    assert len({round(value, 6) for value in expected}) == len(expected)  # the check can tell texts apart


def test_pointwise_batches_cache_and_async_agree(t5_dir) -> None:
    reranker = mono(t5_dir, batch_size=2)
    first = reranker.score(QUERY, [*TEXTS, TEXTS[0]])
    again = asyncio.run(reranker.ascore(QUERY, TEXTS))
    assert again == pytest.approx(first[:-1]) and first[-1] == first[0]
    stats = reranker.stats
    assert (stats.pairs_scored, stats.duplicate_pairs, stats.cache_hits) == (5, 1, 5)
    ranked = reranker.rank(QUERY, TEXTS, top_k=3)
    assert [item.index for item in ranked] == sorted(range(5), key=lambda i: -first[i])[:3]
    assert [i.index for i in asyncio.run(reranker.arank(QUERY, TEXTS, top_k=3))] == [i.index for i in ranked]


def test_a_loaded_model_object_scores_like_its_directory(t5_dir, raw) -> None:
    model, tokenizer = raw
    from_object = Seq2SeqReranker(Seq2SeqModel(model, tokenizer), activation=None)
    assert from_object.score(QUERY, TEXTS) == pytest.approx(mono(t5_dir, activation=None).score(QUERY, TEXTS))
    with pytest.raises(TypeError, match=r"xrerank\.scoring\.seq2seq\.Seq2SeqModel.*Seq2SeqModel\(model, tok"):
        Seq2SeqReranker(model)  # a bare transformers model: no tokenizer


def test_truncation_keeps_the_closing_prompt_words(t5_dir, raw) -> None:
    reranker = mono(t5_dir, max_length=16, activation=None)
    [ids] = reranker.prompt_ids([(QUERY, LONG_TEXT)])
    tokenizer = raw[1]
    assert len(ids) == 16
    assert tokenizer.convert_ids_to_tokens(ids[-2:]) == ["Relevant:", "</s>"]
    kept_words = 16 - 4 - 6  # minus Query: Document: Relevant: </s> and the 6 query words
    kept = " ".join(LONG_TEXT.split()[:kept_words])
    [score] = reranker.score(QUERY, [LONG_TEXT])
    assert score == pytest.approx(
        hand_difference(raw, f"Query: {QUERY} Document: {kept} Relevant:"), abs=1e-5
    )
    assert reranker.stats.truncated_pairs == 1


def test_max_window_scores_a_long_passage_by_its_best_window(t5_dir, raw) -> None:
    reranker = mono(t5_dir, max_length=48, long_passages="max_window", activation=None)
    [score] = reranker.score(QUERY, [LONG_TEXT])
    assert reranker.stats.split_passages == 1 and reranker.stats.truncated_pairs == 0
    plan = reranker._window_plan([(QUERY, LONG_TEXT)])
    windows = [text for _, text in plan.pairs]
    assert len(windows) > 1 and " ".join(windows) == LONG_TEXT
    by_hand = [hand_difference(raw, f"Query: {QUERY} Document: {window} Relevant:") for window in windows]
    assert score == pytest.approx(max(by_hand), abs=1e-5)
    assert reranker.best_windows([(QUERY, LONG_TEXT)]) == [windows[by_hand.index(max(by_hand))]]


def test_answer_words_must_be_single_tokens(t5_dir) -> None:
    with pytest.raises(ValueError, match=r"true_token='yes indeed'.*one token of its vocabulary"):
        mono(t5_dir, true_token="yes indeed").load()
    with pytest.raises(ValueError, match="two words"):
        mono(t5_dir, true_token="false")


def test_an_unreachable_hub_name_gives_the_clear_load_error() -> None:
    reranker = Seq2SeqReranker("castorini/monot5-base-msmarco", device="cpu")
    with pytest.raises(
        ModelLoadError, match=r"could not be downloaded from the Hugging Face Hub.*Pass the path"
    ):
        reranker.load()


def test_pickling_keeps_the_options(t5_dir) -> None:
    reranker = mono(t5_dir, true_token="true", false_token="false", activation=None)
    clone = pickle.loads(pickle.dumps(reranker))
    assert (clone.true_token, clone.activation) == ("true", None)
    assert clone.score(QUERY, TEXTS[:2]) == pytest.approx(reranker.score(QUERY, TEXTS[:2]))


# ------------------------------------------------------------------------------------- pairwise


def test_pairwise_aggregation_matches_a_hand_computation(t5_dir, raw) -> None:
    k = 3
    duo = PairwiseReranker(str(t5_dir), first_stage=mono(t5_dir), k=k, device="cpu")
    scores = duo.score(QUERY, TEXTS)

    first = [hand_difference(raw, f"Query: {QUERY} Document: {text} Relevant:") for text in TEXTS]
    order = sorted(range(len(TEXTS)), key=lambda i: -first[i])
    top, rest = order[:k], order[k:]

    def prefer(a: int, b: int) -> float:
        prompt = f"Query: {QUERY} Document0: {TEXTS[a]} Document1: {TEXTS[b]} Relevant:"
        return sigmoid(hand_difference(raw, prompt))

    sums = {i: sum(prefer(i, j) + 1 - prefer(j, i) for j in top if j != i) for i in top}
    for i in top:
        assert scores[i] == pytest.approx(1 + sums[i] / (2 * (k - 1)), abs=1e-5)
    assert all(scores[i] < 1 for i in rest)
    expected = sorted(top, key=lambda i: -sums[i]) + rest
    assert [item.index for item in duo.rank(QUERY, TEXTS)] == expected
    assert duo.pairwise.stats.pairs_scored == k * (k - 1)
    assert symmetric_sums([[0, 0.75], [0.5, 0]]) == [1.25, 0.75]


def test_pairwise_async_and_score_pairs_agree_with_rank(t5_dir) -> None:
    duo = PairwiseReranker(str(t5_dir), first_stage=mono(t5_dir), k=4, device="cpu")
    scores = duo.score(QUERY, TEXTS)
    assert asyncio.run(duo.ascore(QUERY, TEXTS)) == pytest.approx(scores)
    other = "what is BM25?"
    mixed = duo.score_pairs([(QUERY, t) for t in TEXTS] + [(other, t) for t in TEXTS[:2]])
    assert mixed[:5] == pytest.approx(scores)
    assert mixed[5:] == pytest.approx(duo.score(other, TEXTS[:2]))


def test_k_above_the_bound_is_refused(t5_dir) -> None:
    calls = (MAX_PAIRWISE_K + 1) * MAX_PAIRWISE_K
    with pytest.raises(
        ValueError, match=rf"k={MAX_PAIRWISE_K + 1}.*= {calls} model calls.*k <= {MAX_PAIRWISE_K}"
    ):
        PairwiseReranker(str(t5_dir), first_stage=mono(t5_dir), k=MAX_PAIRWISE_K + 1)
    with pytest.raises(ValueError, match="k=1"):
        PairwiseReranker(str(t5_dir), first_stage=mono(t5_dir), k=1)


def test_specs_name_both_kinds_and_round_trip(t5_dir) -> None:
    pointwise = reranker_from_spec(f"monot5:{t5_dir}", device="cpu")
    assert type(pointwise) is Seq2SeqReranker and spec_of(pointwise) == f"monot5:{t5_dir}"
    duo = reranker_from_spec(f"duot5:{t5_dir},monot5:{t5_dir}", device="cpu")
    assert type(duo) is PairwiseReranker and type(duo.first_stage) is Seq2SeqReranker
    assert spec_of(duo) == f"duot5:{t5_dir},monot5:{t5_dir}"
    again = reranker_from_spec(spec_of(duo), device="cpu")
    assert again.score(QUERY, TEXTS) == pytest.approx(duo.score(QUERY, TEXTS))
    with pytest.raises(ValueError, match="duot5:castorini/duot5-base-msmarco,monot5:"):
        reranker_from_spec("duot5:")


# ------------------------------------------------------------------------------ adapters, funnel


def test_adapters_return_the_core_order(t5_dir) -> None:
    from langchain_core.documents import Document
    from llama_index.core.schema import NodeWithScore, TextNode

    from langchain_xrerank import XRerankCompressor
    from llamaindex_xrerank import XRerankPostprocessor

    for spec in (f"monot5:{t5_dir}", f"duot5:{t5_dir},monot5:{t5_dir}"):
        core = reranker_from_spec(spec, device="cpu")
        expected = [item.text for item in core.rank(QUERY, TEXTS, top_k=4)]
        for compressor in (XRerankCompressor(model=spec, top_n=4), XRerankCompressor(reranker=core, top_n=4)):
            docs = compressor.compress_documents([Document(page_content=t) for t in TEXTS], QUERY)
            assert [doc.page_content for doc in docs] == expected
        nodes = [NodeWithScore(node=TextNode(text=t), score=1.0) for t in TEXTS]
        for post in (XRerankPostprocessor(model=spec, top_n=4), XRerankPostprocessor(reranker=core, top_n=4)):
            assert [n.node.get_content() for n in post.postprocess_nodes(nodes, query_str=QUERY)] == expected


def test_the_funnel_takes_them_by_object_and_by_spec(t5_dir) -> None:
    from xrerank.mining.sources import Candidate
    from xrerank.serving.funnel import Funnel
    from xrerank.serving.funnel_config import FunnelConfig

    class Store:  # any CandidateSource: every text, in input order
        def search(self, query: str, k: int) -> list[Candidate]:
            return [Candidate(str(i), text, None) for i, text in enumerate(TEXTS)][:k]

    config = FunnelConfig(stage1_k=5, stage2_k=3)
    spec = f"duot5:{t5_dir},monot5:{t5_dir}"
    by_spec = Funnel(Store(), spec, config=config).run(QUERY)
    by_object = Funnel(Store(), reranker_from_spec(spec, device="cpu"), config=config).run(QUERY)
    assert [item.text for item in by_spec.items] == [item.text for item in by_object.items]
    assert len(by_spec.items) == 3


# ------------------------------------------------------------------------------------ fine-tuning


def test_finetune_one_step_trains_the_answer_words(t5_dir, tmp_path) -> None:
    examples = [
        TrainingExample(QUERY, [TEXTS[1]], [TEXTS[0], TEXTS[2]]),
        TrainingExample("what is BM25?", [TEXTS[4]], [TEXTS[2], TEXTS[3]]),
    ]
    config = TrainingConfig(
        base_model=str(t5_dir),
        loss="bce",
        max_steps=1,
        batch_size=6,
        learning_rate=1e-2,
        warmup=0,
        max_length=32,
        output_dir=str(tmp_path / "tuned"),
        device="cpu",
        show_progress=False,
    )
    before = mono(t5_dir, max_length=32).score(QUERY, TEXTS)
    path = finetune(examples, config)
    tuned = Seq2SeqReranker(str(path), device="cpu")
    assert tuned.max_length == 32 and tuned.recipe is not None  # served as trained
    after = tuned.score(QUERY, TEXTS)
    assert max(abs(a - b) for a, b in zip(after, before, strict=True)) > 1e-3

    with pytest.raises(ValueError, match=r"loss='bce'; got loss='infonce'"):
        finetune(examples, TrainingConfig(base_model=str(t5_dir), output_dir=str(tmp_path / "x")))
