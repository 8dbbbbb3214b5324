"""The scoring core: results, ordering, caching, truncation, errors, concurrency."""

from __future__ import annotations

import asyncio
import copy
import logging
import pickle
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xrerank import ModelLoadError, RankedItem, Reranker

QUERY = "how do cross-encoders rerank passages"
TEXTS = [
    "A cross-encoder reads the query and the passage together and outputs one relevance score.",
    "Bananas are rich in potassium.",
    "Bi-encoders embed queries and passages separately so that passages can be indexed ahead of time.",
    "Reranking reorders the candidates of a first-stage retriever.",
    "",
]


def reference_scores(model_dir, pairs, activation="sigmoid"):
    """Scores from plain sentence-transformers CrossEncoder.predict, the ground truth."""
    import torch
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(str(model_dir), device="cpu")
    fn = torch.nn.Sigmoid() if activation == "sigmoid" else torch.nn.Identity()
    return model.predict(pairs, activation_fn=fn, batch_size=3).tolist()


def test_scores_match_plain_cross_encoder(tiny_reranker, tiny_model_dir):
    expected = reference_scores(tiny_model_dir, [(QUERY, text) for text in TEXTS])
    got = tiny_reranker.score(QUERY, TEXTS)
    assert got == pytest.approx(expected, abs=1e-5)
    assert all(type(score) is float for score in got)
    assert all(0.0 <= score <= 1.0 for score in got)


def test_raw_logits_when_activation_is_none(tiny_reranker_factory, tiny_model_dir):
    reranker = tiny_reranker_factory(activation=None)
    expected = reference_scores(tiny_model_dir, [(QUERY, text) for text in TEXTS], activation=None)
    assert reranker.score(QUERY, TEXTS) == pytest.approx(expected, abs=1e-5)


def test_score_pairs_keeps_input_order_across_length_sorted_batches(tiny_reranker_factory):
    # Batches of 2 over pairs of very different lengths: sorting must be undone exactly.
    pairs = [(f"query {i}", "word " * (i * 7 % 40)) for i in range(11)]
    batched = tiny_reranker_factory(batch_size=2).score_pairs(pairs)
    one_by_one = [tiny_reranker_factory(batch_size=1).score_pairs([pair])[0] for pair in pairs]
    assert batched == pytest.approx(one_by_one, abs=1e-5)


def test_rank_orders_best_first_with_original_indices(tiny_reranker):
    ranked = tiny_reranker.rank(QUERY, TEXTS)
    scores = tiny_reranker.score(QUERY, TEXTS)
    assert [item.index for item in ranked] == sorted(range(len(TEXTS)), key=lambda i: -scores[i])
    assert all(isinstance(item, RankedItem) and item.text == TEXTS[item.index] for item in ranked)


def test_rank_is_stable_on_ties(tiny_reranker):
    texts = ["same passage", "other passage", "same passage", "same passage"]
    ranked = tiny_reranker.rank(QUERY, texts)
    tied = [item.index for item in ranked if item.text == "same passage"]
    assert tied == [0, 2, 3]


def test_threshold_is_applied_before_top_k(tiny_reranker):
    scores = sorted(tiny_reranker.score(QUERY, TEXTS), reverse=True)
    threshold = scores[2]  # exactly three items reach it
    ranked = tiny_reranker.rank(QUERY, TEXTS, threshold=threshold, top_k=10)
    assert len(ranked) == 3 and all(item.score >= threshold for item in ranked)
    assert len(tiny_reranker.rank(QUERY, TEXTS, threshold=threshold, top_k=2)) == 2
    assert tiny_reranker.rank(QUERY, TEXTS, threshold=1.01) == []


@settings(max_examples=25, deadline=None)
@given(st.permutations(list(range(len(TEXTS)))))
def test_permuting_inputs_permutes_scores(tiny_reranker_factory, permutation):
    reranker = tiny_reranker_factory(cache_size=0)
    base = reranker.score(QUERY, TEXTS)
    permuted = reranker.score(QUERY, [TEXTS[i] for i in permutation])
    assert permuted == pytest.approx([base[i] for i in permutation], abs=1e-6)


def test_duplicates_are_scored_once_and_cache_hits_are_counted(tiny_reranker):
    texts = ["alpha passage", "beta passage", "alpha passage"]
    first = tiny_reranker.score(QUERY, texts)
    stats = tiny_reranker.stats
    assert first[0] == first[2]
    assert (stats.pairs_requested, stats.pairs_scored, stats.duplicate_pairs) == (3, 2, 1)
    assert (stats.cache_hits, stats.cache_misses) == (0, 2)

    second = tiny_reranker.score(QUERY, texts)
    stats = tiny_reranker.stats
    assert second == first
    assert stats.pairs_scored == 2  # nothing new went through the model
    assert stats.cache_hits == 3


def test_cache_is_bounded_lru(tiny_reranker_factory):
    reranker = tiny_reranker_factory(cache_size=2)
    reranker.score(QUERY, ["a", "b", "c"])
    assert len(reranker._cache) == 2
    reranker.score(QUERY, ["a"])  # evicted: scored again
    assert reranker.stats.pairs_scored == 4


def test_cache_size_zero_disables_cache(tiny_reranker_factory):
    reranker = tiny_reranker_factory(cache_size=0)
    reranker.score(QUERY, ["a"])
    reranker.score(QUERY, ["a"])
    assert reranker.stats.pairs_scored == 2 and reranker.stats.cache_hits == 0


def test_truncation_is_counted_and_warned_once(tiny_reranker_factory, caplog):
    reranker = tiny_reranker_factory(max_length=16)
    long_text = "token " * 50
    with caplog.at_level(logging.WARNING, logger="xrerank"):
        reranker.score(QUERY, [long_text, "short"])
        reranker.score(QUERY, [long_text + "more", long_text + "again"])
    assert reranker.stats.truncated_pairs == 3
    warnings = [r for r in caplog.records if "truncated" in r.getMessage()]
    assert len(warnings) == 1 and "1 of 2" in warnings[0].getMessage()


def test_truncation_asked_for_by_name_is_not_warned(tiny_reranker_factory, caplog):
    reranker = tiny_reranker_factory(max_length=16, long_passages="truncate")
    with caplog.at_level(logging.INFO, logger="xrerank"):
        reranker.score(QUERY, ["token " * 50])
    assert reranker.stats.truncated_pairs == 1
    [record] = [r for r in caplog.records if "truncated" in r.getMessage()]
    assert record.levelno == logging.INFO


def test_empty_input_returns_empty_without_loading():
    reranker = Reranker("nobody/not-a-model")  # would fail to load
    assert reranker.score(QUERY, []) == []
    assert reranker.score_pairs([]) == []
    assert reranker.rank(QUERY, []) == []
    assert asyncio.run(reranker.arank(QUERY, [])) == []
    assert reranker._model is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: r.score(None, ["a"]), "got None as query; expected str"),
        (lambda r: r.score(42, ["a"]), "got a int as query"),
        (lambda r: r.score("  ", ["a"]), "empty query"),
        (lambda r: r.score("q", "one passage"), "single str as texts"),
        (lambda r: r.score("q", ["a", None]), r"None at texts\[1\]"),
        (lambda r: r.score("q", ["a", b"bytes"]), r"a bytes at texts\[1\]"),
        (lambda r: r.score_pairs([("q", "a"), ("q",)]), r"pairs\[1\]; expected a \(query, text\) tuple"),
        (lambda r: r.score_pairs([("q", "a"), ("q", "a", "b")]), r"pairs\[1\]"),
        (lambda r: r.score_pairs([("q", 3)]), r"a int as the text of pairs\[0\]"),
        (lambda r: r.score_pairs("q"), "expected a list of"),
        (lambda r: r.rank("q", ["a"], top_k=0), "top_k=0"),
        (lambda r: r.rank("q", ["a"], threshold=float("nan")), "threshold=nan"),
    ],
)
def test_bad_input_names_the_problem(tiny_reranker, call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call(tiny_reranker)


def test_bad_options_name_the_fix(tiny_model_dir):
    with pytest.raises(ValueError, match="batch_size=0"):
        Reranker(str(tiny_model_dir), batch_size=0)
    with pytest.raises(ValueError, match="activation='softmax'"):
        Reranker(str(tiny_model_dir), activation="softmax")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cache_size"):
        Reranker(str(tiny_model_dir), cache_size=-1)
    with pytest.raises(TypeError, match="expected a hub name"):
        Reranker(3.5)  # type: ignore[arg-type]


def test_unreachable_model_says_how_to_pass_a_local_path():
    reranker = Reranker("no-such-org/no-such-reranker", local_files_only=True)
    with pytest.raises(ModelLoadError, match="pass its path"):
        reranker.score(QUERY, ["a"])


def test_multi_label_model_is_refused(tmp_path, tiny_model_dir):
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    config = BertConfig(
        vocab_size=30522,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        num_labels=3,
    )
    BertForSequenceClassification(config).save_pretrained(tmp_path)
    AutoTokenizer.from_pretrained(str(tiny_model_dir)).save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="3 labels"):
        Reranker(str(tmp_path), device="cpu").load()


def test_accepts_a_loaded_cross_encoder_without_changing_it(tiny_model_dir):
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(str(tiny_model_dir), device="cpu")
    before = model.max_seq_length
    reranker = Reranker(model, max_length=16)
    assert reranker.score(QUERY, ["a passage"]) == pytest.approx(
        Reranker(str(tiny_model_dir), device="cpu", max_length=16).score(QUERY, ["a passage"]), abs=1e-6
    )
    assert model.max_seq_length == before


def test_fingerprint_separates_models_and_truncation(tiny_model_dir, minilm_cross_encoder_dir):
    a = Reranker(str(tiny_model_dir), device="cpu").load()
    b = Reranker(str(tiny_model_dir), device="cpu", max_length=32).load()
    c = Reranker(str(minilm_cross_encoder_dir), device="cpu").load()
    assert len({a._fingerprint, b._fingerprint, c._fingerprint}) == 3


def test_threads_share_one_reranker_safely(tiny_reranker_factory):
    # The HF fast tokenizer raises "Already borrowed" when used from two threads at once.
    reranker = tiny_reranker_factory(cache_size=0, batch_size=4)
    expected = reranker.score(QUERY, TEXTS)
    errors: list[BaseException] = []
    results: list[list[float]] = []

    def worker() -> None:
        try:
            for _ in range(5):
                results.append(reranker.score(QUERY, TEXTS))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 40 and all(r == pytest.approx(expected, abs=1e-6) for r in results)


def test_async_calls_do_not_block_the_event_loop(tiny_reranker_factory):
    reranker = tiny_reranker_factory(cache_size=0)

    async def main() -> tuple[list[list[float]], int]:
        ticks = 0
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                await asyncio.sleep(0)

        tick_task = asyncio.create_task(ticker())
        results = await asyncio.gather(*(reranker.ascore(QUERY, TEXTS * 20) for _ in range(16)))
        stop.set()
        await tick_task
        return list(results), ticks

    results, ticks = asyncio.run(main())
    expected = reranker.score(QUERY, TEXTS * 20)
    assert all(r == pytest.approx(expected, abs=1e-6) for r in results)
    assert ticks > 16  # the loop kept running while the model worked


def test_arank_matches_rank(tiny_reranker):
    sync = tiny_reranker.rank(QUERY, TEXTS, top_k=3)
    assert asyncio.run(tiny_reranker.arank(QUERY, TEXTS, top_k=3)) == sync


def test_pickle_and_deepcopy(tiny_reranker):
    tiny_reranker.score(QUERY, TEXTS)
    assert copy.deepcopy(tiny_reranker) is tiny_reranker  # shared handle, weights not duplicated
    restored = pickle.loads(pickle.dumps(tiny_reranker))
    assert restored._model is None  # reloaded lazily from its path
    assert restored.score(QUERY, TEXTS) == pytest.approx(tiny_reranker.score(QUERY, TEXTS), abs=1e-6)


@pytest.mark.integration
def test_real_minilm_encoder_as_cross_encoder(minilm_cross_encoder_dir):
    """The packaged all-MiniLM-L6-v2 weights with a fresh head, through the whole scoring path."""
    reranker = Reranker(str(minilm_cross_encoder_dir), device="cpu", max_length=64)
    texts = [*TEXTS, "word " * 200]
    scores = reranker.score(QUERY, texts)
    expected = reference_scores(minilm_cross_encoder_dir, [(QUERY, t) for t in texts])
    # reference uses the model's own 512 limit; compare the short ones exactly.
    assert scores[:-1] == pytest.approx(expected[:-1], abs=1e-4)
    assert reranker.stats.truncated_pairs == 1
    assert len(set(scores)) > 1
