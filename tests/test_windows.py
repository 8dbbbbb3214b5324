"""Long passages scored by their best window (``Reranker(long_passages="max_window")``)."""

from __future__ import annotations

import asyncio
import re

import pytest
from conftest import minilm_dir

from xrerank import Reranker
from xrerank.windows import MIN_WINDOW_TOKENS, WindowPlan, plan_windows

QUERY = "which enzyme repairs DNA"
SENTENCES = [f"Sentence number {i} talks about topic {i} in some detail." for i in range(12)]
LONG = " ".join(SENTENCES)


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny_model_dir))


def pair_length(tokenizer, query: str, text: str) -> int:
    return len(tokenizer(query, text)["input_ids"])


def words(text: str) -> list[str]:
    return re.findall(r"\S+", text)


def test_a_passage_that_fits_is_its_own_window(tokenizer):
    plan = plan_windows(tokenizer, [(QUERY, "Short passage. Two sentences.")], max_length=64)
    assert plan.pairs == [(QUERY, "Short passage. Two sentences.")]
    assert plan.owners == [0] and plan.split_passages == 0


def test_long_passage_windows_fit_keep_every_word_and_whole_sentences(tokenizer):
    plan = plan_windows(tokenizer, [(QUERY, LONG), (QUERY, "Fits.")], max_length=64)
    windows = [text for _, text in plan.pairs[:-1]]
    assert len(windows) > 2 and plan.owners == [0] * len(windows) + [1] and plan.split_passages == 1
    assert all(pair_length(tokenizer, QUERY, window) <= 64 for window in windows)
    assert [w for window in windows for w in words(window)] == words(LONG)  # nothing lost, in order
    assert all(window.startswith("Sentence number") and window.endswith("detail.") for window in windows)


def test_a_sentence_longer_than_a_window_is_cut_between_words(tokenizer):
    run_on = "the polymerase " * 60 + "stops here."
    plan = plan_windows(tokenizer, [(QUERY, run_on)], max_length=48)
    windows = [text for _, text in plan.pairs]
    assert len(windows) >= 3
    assert all(pair_length(tokenizer, QUERY, window) <= 48 for window in windows)
    assert [w for window in windows for w in words(window)] == words(run_on)


def test_a_very_long_query_still_gets_a_minimum_window(tokenizer):
    long_query = "query word " * 40
    plan = plan_windows(tokenizer, [(long_query, LONG)], max_length=64)
    for _, window in plan.pairs:
        assert len(tokenizer(window, add_special_tokens=False)["input_ids"]) <= MIN_WINDOW_TOKENS


def test_best_scores_takes_each_passage_s_maximum():
    plan = WindowPlan([("q", "a"), ("q", "b"), ("q", "c")], owners=[0, 0, 1])
    assert plan.best_scores([1.0, 3.0, -2.0], 2) == [3.0, -2.0]


def test_a_slow_tokenizer_is_refused_with_the_fix():
    from transformers import BertTokenizerLegacy  # the pure-Python tokenizer of transformers 5

    slow = BertTokenizerLegacy.from_pretrained(str(minilm_dir()))  # needs vocab.txt
    with pytest.raises(ValueError, match=r"fast .*tokenizer.*long_passages='truncate'"):
        plan_windows(slow, [(QUERY, LONG)], max_length=64)


def test_reranker_scores_a_long_passage_as_its_best_window(tiny_reranker_factory, tokenizer):
    windowed = tiny_reranker_factory(max_length=64, long_passages="max_window", activation=None)
    plain = tiny_reranker_factory(max_length=64, activation=None)
    windows = [text for _, text in plan_windows(tokenizer, [(QUERY, LONG)], 64).pairs]
    got = windowed.score(QUERY, [LONG, "A short passage."])
    assert got[0] == pytest.approx(max(plain.score(QUERY, windows)), abs=1e-5)
    assert got[1] == pytest.approx(plain.score(QUERY, ["A short passage."])[0], abs=1e-5)
    assert windowed.stats.split_passages == 1 and windowed.stats.truncated_pairs == 0


def test_windows_rank_and_ascore_agree_with_score(tiny_reranker_factory):
    reranker = tiny_reranker_factory(max_length=64, long_passages="max_window")
    texts = [LONG, "A short passage.", LONG.replace("topic 3", "DNA repair")]
    scores = reranker.score(QUERY, texts)
    assert asyncio.run(reranker.ascore(QUERY, texts)) == pytest.approx(scores, abs=1e-6)
    ranked = reranker.rank(QUERY, texts)
    assert [item.index for item in ranked] == sorted(range(3), key=lambda i: -scores[i])
    assert all(0.0 <= s <= 1.0 for s in scores)  # sigmoid is applied after the maximum


def test_windows_survive_pickling(tiny_reranker_factory):
    import pickle

    reranker = tiny_reranker_factory(max_length=64, long_passages="max_window")
    copy = pickle.loads(pickle.dumps(reranker))
    assert copy.long_passages == "max_window"
    assert copy.score(QUERY, [LONG]) == pytest.approx(reranker.score(QUERY, [LONG]), abs=1e-6)


def test_empty_input_returns_empty_without_loading(tmp_path):
    reranker = Reranker(str(tmp_path / "not-a-model"), long_passages="max_window")  # would fail to load
    assert reranker.score(QUERY, []) == []
    assert asyncio.run(reranker.ascore(QUERY, [])) == []


def test_unknown_long_passages_mode_names_the_choices(tiny_model_dir):
    with pytest.raises(ValueError, match=r"long_passages='chunk'.*'truncate'.*'max_window'"):
        Reranker(str(tiny_model_dir), long_passages="chunk")  # type: ignore[arg-type]


def test_cli_score_and_config_file_pass_the_mode_through(tmp_path, tiny_model_dir, capsys):
    import json

    from xrerank.cli import main

    expected = Reranker(str(tiny_model_dir), max_length=64, long_passages="max_window").score(QUERY, [LONG])
    config = tmp_path / "score.json"
    config.write_text(json.dumps({"long_passages": "max_window"}))
    base = ["score", QUERY, "--model", str(tiny_model_dir), "--max-length", "64", "--passage", LONG, "--json"]
    for extra in (["--long-passages", "max_window"], ["--config", str(config)]):
        assert main([*base, *extra]) == 0
        printed = json.loads(capsys.readouterr().out.splitlines()[0])
        assert printed["score"] == pytest.approx(expected[0], abs=1e-6)
    with pytest.raises(SystemExit) as exited:
        main([*base, "--long-passages", "chunks"])
    assert exited.value.code == 2 and "choose from 'truncate', 'max_window'" in capsys.readouterr().err
