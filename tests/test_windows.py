"""Long passages scored by their best window (``Reranker(long_passages="max_window")``)."""

from __future__ import annotations

import asyncio
import re

import pytest

from conftest import minilm_dir
from xrerank import Reranker
from xrerank.scoring.windows import MIN_WINDOW_TOKENS, WindowPlan, plan_windows

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


def test_every_window_keeps_a_short_heading_line(tokenizer):
    heading = "Fault code E-112: low suction pressure"
    plan = plan_windows(tokenizer, [(QUERY, f"{heading}\n{LONG}")], max_length=64)
    windows = [text for _, text in plan.pairs]
    assert len(windows) > 2
    assert all(window.startswith(f"{heading}\nSentence number") for window in windows)
    assert all(pair_length(tokenizer, QUERY, window) <= 64 for window in windows)
    bodies = [window[len(heading) + 1 :] for window in windows]
    assert [w for body in bodies for w in words(body)] == words(LONG)  # the body once, in order


def test_a_long_first_line_is_content_not_a_heading(tokenizer):
    first_line = " ".join(SENTENCES[:3])  # more than a third of a window
    text = first_line + "\n" + " ".join(SENTENCES[3:])
    plan = plan_windows(tokenizer, [(QUERY, text)], max_length=64)
    windows = [text for _, text in plan.pairs]
    assert [w for window in windows for w in words(window)] == words(text)  # nothing repeated
    assert not windows[1].startswith("Sentence number 0")


def test_a_very_long_query_still_gets_a_minimum_window(tokenizer):
    long_query = "query word " * 40
    plan = plan_windows(tokenizer, [(long_query, LONG)], max_length=64)
    for _, window in plan.pairs:
        assert len(tokenizer(window, add_special_tokens=False)["input_ids"]) <= MIN_WINDOW_TOKENS


def test_truncation_warning_with_windows_blames_the_long_query(tiny_reranker_factory, caplog):
    reranker = tiny_reranker_factory(max_length=64, long_passages="max_window")
    with caplog.at_level("WARNING", logger="xrerank.scoring.reranker"):
        reranker.score("query word " * 40, [LONG])
    assert reranker.stats.truncated_pairs > 0
    assert f"queries leave fewer than {MIN_WINDOW_TOKENS} tokens" in caplog.text
    assert "Pass long_passages='max_window'" not in caplog.text  # it is on already


def test_best_scores_takes_each_passage_s_maximum():
    plan = WindowPlan([("q", "a"), ("q", "b"), ("q", "c")], owners=[0, 0, 1])
    assert plan.best_scores([1.0, 3.0, -2.0], 2) == [3.0, -2.0]
    assert plan.best_windows([1.0, 3.0, -2.0], 2) == ["b", "c"]
    assert plan.best_windows([float("nan"), float("nan"), 0.0], 2) == ["a", "c"]  # never an empty window


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


def test_empty_input_returns_empty_without_loading():
    reranker = Reranker("nobody/not-a-model", long_passages="max_window")  # would fail to load
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


def test_best_windows_returns_the_window_behind_the_max_window_score(tiny_reranker_factory, tokenizer):
    plain = tiny_reranker_factory(max_length=64, activation=None)  # truncate mode: best_windows still cuts
    windowed = tiny_reranker_factory(max_length=64, long_passages="max_window", activation=None)
    other = LONG.replace("topic 7", "DNA repair enzymes")
    best = plain.best_windows([(QUERY, LONG), (QUERY, "A short passage."), ("another query", other)])
    windows = [text for _, text in plan_windows(tokenizer, [(QUERY, LONG)], 64).pairs]
    assert best[0] in windows and best[1] == "A short passage."
    assert plain.score(QUERY, [best[0]]) == pytest.approx(windowed.score(QUERY, [LONG]), abs=1e-5)
    assert plain.score("another query", [best[2]]) == pytest.approx(
        windowed.score("another query", [other]), abs=1e-5
    )
    with pytest.raises(TypeError, match=r"Reranker.best_windows got None as the text of pairs\[0\]"):
        plain.best_windows([(QUERY, None)])  # type: ignore[list-item]


def test_best_window_examples_cut_long_passages_and_keep_everything_else(tiny_reranker_factory):
    from xrerank.examples import TrainingExample
    from xrerank.training.window_cut import best_window_examples

    reranker = tiny_reranker_factory(max_length=64, activation=None)
    example = TrainingExample(
        QUERY,
        [LONG, "Short positive."],
        [LONG.replace("topic", "theme"), "Short negative."],
        positive_ids=["p1", "p2"],
        negative_ids=["n1", "n2"],
        positive_scores=[3.0, 2.0],
        negative_scores=[1.0, 0.0],
        query_id="q1",
    )
    (cut,) = best_window_examples([example], reranker)
    passages = [*example.positives, *example.negatives]
    assert [*cut.positives, *cut.negatives] == reranker.best_windows([(QUERY, p) for p in passages])
    assert cut.positives[0] != LONG and cut.positives[0] in LONG and cut.negatives[0] in example.negatives[0]
    assert cut.positives[1] == "Short positive." and cut.negatives[1] == "Short negative."
    assert (cut.positive_ids, cut.negative_ids, cut.query_id) == (["p1", "p2"], ["n1", "n2"], "q1")
    assert (cut.positive_scores, cut.negative_scores) == ([3.0, 2.0], [1.0, 0.0])
    assert example.positives[0] == LONG  # the caller's examples are not modified


def long_examples(n: int = 6) -> list:
    from xrerank.examples import TrainingExample

    def passage(i: int, fact: str) -> str:  # the fact sits in the middle of a passage of ~5 windows
        return " ".join([*SENTENCES[:5], fact, *SENTENCES[5:]])

    return [
        TrainingExample(
            f"which enzyme repairs lesion {i}",
            [passage(i, f"Enzyme {i} repairs lesion {i}.")],
            [passage(i, f"Lesion {i + 50} is left unrepaired."), passage(i, f"Topic {i} is unrelated.")],
            query_id=f"q{i}",
        )
        for i in range(n)
    ]


def window_config(tmp_path, model_dir, name: str, **overrides):
    from xrerank.training.config import TrainingConfig

    options = dict(
        base_model=str(model_dir),
        loss="infonce",
        max_steps=2,
        batch_size=3,
        num_negatives=2,
        max_length=64,
        output_dir=str(tmp_path / name),
        device="cpu",
        show_progress=False,
        learning_rate=1e-3,  # two steps must move the tiny model measurably
    )
    return TrainingConfig(**{**options, **overrides})


def test_training_on_windows_is_training_on_the_start_models_best_windows(tmp_path, tiny_model_dir):
    from xrerank.training.trainer import train
    from xrerank.training.window_cut import best_window_examples

    examples = long_examples()
    config = window_config(tmp_path, tiny_model_dir, "windows", long_passages="max_window")
    windowed = train(examples, config)
    start = Reranker(str(tiny_model_dir), device="cpu", max_length=64, activation=None)
    with config.mixed_precision():  # the run picks windows in its own precision (bf16 where native)
        cut = best_window_examples(examples, start)
    assert all(len(p) < len(examples[0].positives[0]) for ex in cut for p in (*ex.positives, *ex.negatives))
    by_hand = train(cut, window_config(tmp_path, tiny_model_dir, "by-hand"))
    probe = [(examples[0].query, window) for window in (cut[0].positives[0], cut[0].negatives[0], "Fits.")]
    got = Reranker(str(windowed.model_path), device="cpu", activation=None).score_pairs(probe)
    want = Reranker(str(by_hand.model_path), device="cpu", activation=None).score_pairs(probe)
    assert got == pytest.approx(want, abs=1e-5)
    truncated = train(examples, window_config(tmp_path, tiny_model_dir, "truncated"))
    other = Reranker(str(truncated.model_path), device="cpu", activation=None).score_pairs(probe)
    assert other != pytest.approx(want, abs=1e-3)  # the two modes train different models
    assert examples == long_examples()  # the caller's examples are not cut


def test_windows_from_a_fresh_head_are_refused_before_any_work(tmp_path, tiny_encoder_dir):
    from xrerank.training import TrainingConfig, train
    from xrerank.training.finetune import finetune

    config = window_config(tmp_path, tiny_encoder_dir, "fresh", long_passages="max_window")
    for run in (lambda: train(long_examples(), config), lambda: finetune(long_examples(), config)):
        with pytest.raises(ValueError, match=r"no classification head.*cold-start stage.*'truncate'"):
            run()
    assert not (tmp_path / "fresh").exists()
    with pytest.raises(ValueError, match=r"long_passages='chunks'.*'truncate'.*'max_window'"):
        TrainingConfig(long_passages="chunks")  # type: ignore[arg-type]


def test_finetune_windows_after_a_cold_start_and_says_how_to_serve(tmp_path, tiny_encoder_dir):
    import json

    from xrerank.training.finetune import CARD_FILE, INFO_FILE, finetune

    examples = long_examples()
    config = window_config(tmp_path, tiny_encoder_dir, "model", long_passages="max_window")
    # Stage 1 starts from a fresh head and trains on truncated pairs; the log stage on windows.
    path = finetune(examples, config, eval_set=examples[:3], cold_start=long_examples(4))
    info = json.loads((path / INFO_FILE).read_text())
    assert info["config"]["long_passages"] == "max_window"
    assert info["metrics_after"]["reranker"]["ndcg@10"] > 0
    card = (path / CARD_FILE).read_text()
    assert 'Reranker(path, max_length=64, long_passages="max_window")' in card
