"""Scoring fewer windows of a long passage (``max_windows``), and choosing how many on validation."""

from __future__ import annotations

import shutil

import pytest

from xrerank import Reranker
from xrerank.evaluation import EvalSet
from xrerank.evaluation.window_choice import choose_max_windows
from xrerank.models.serving_recipe import ServingRecipe, read_recipe, write_recipe
from xrerank.scoring.window_shortlist import shortlist_windows
from xrerank.scoring.windows import WindowPlan, plan_windows

QUERY = "which enzyme repairs DNA"
FILLER = [f"Sentence number {i} talks about topic {i} in some detail." for i in range(12)]
# The evidence sits in the middle of a long passage, several windows from its start.
LONG = " ".join([*FILLER[:6], "The enzyme ligase repairs broken DNA strands.", *FILLER[6:]])


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny_model_dir))


def test_the_window_sharing_the_rarest_query_words_is_kept(tokenizer):
    plan = plan_windows(tokenizer, [(QUERY, LONG), (QUERY, "A short passage.")], max_length=64)
    assert plan.owners.count(0) > 2
    kept = shortlist_windows(plan, 1)
    assert kept.owners == [0, 1]  # one window per passage, in passage order
    assert "ligase repairs broken DNA" in kept.pairs[0][1]
    assert kept.pairs[1] == (QUERY, "A short passage.")  # a passage that fits is untouched


def test_stop_words_do_not_pick_a_window_and_ties_keep_the_earlier_one():
    plan = WindowPlan(
        [("the pump and the valve", "the the and the"), ("the pump and the valve", "A valve.")],
        [0, 0],
    )
    assert shortlist_windows(plan, 1).pairs == [("the pump and the valve", "A valve.")]
    tie = WindowPlan([("pump", "First pump."), ("pump", "Second pump.")], [0, 0])
    assert shortlist_windows(tie, 1).pairs == [("pump", "First pump.")]


def test_a_plan_within_the_limit_comes_back_unchanged(tokenizer):
    plan = plan_windows(tokenizer, [(QUERY, LONG)], max_length=64)
    assert shortlist_windows(plan, len(plan.pairs)) is plan


def test_max_windows_scores_fewer_windows_and_keeps_the_best_of_them(tiny_reranker_factory, tokenizer):
    every = tiny_reranker_factory(max_length=64, long_passages="max_window", activation=None)
    one = tiny_reranker_factory(max_length=64, long_passages="max_window", activation=None, max_windows=1)
    window = shortlist_windows(plan_windows(tokenizer, [(QUERY, LONG)], 64), 1).pairs[0][1]
    assert one.score(QUERY, [LONG])[0] == pytest.approx(every.score(QUERY, [window])[0], abs=1e-5)
    every.score(QUERY, [LONG])
    assert one.stats.pairs_requested == 1
    assert one.stats.skipped_windows == every.stats.pairs_requested - 2  # all its windows but one
    assert every.stats.skipped_windows == 0


def test_the_recipe_carries_max_windows_and_an_argument_overrides_it(tiny_model_dir, tmp_path):
    path = tmp_path / "tuned"
    shutil.copytree(tiny_model_dir, path)
    write_recipe(path, ServingRecipe(max_length=64, long_passages="max_window", max_windows=2))
    assert read_recipe(path).max_windows == 2
    assert Reranker(str(path), device="cpu").max_windows == 2
    assert Reranker(str(path), device="cpu", max_windows=None).max_windows is None
    with pytest.raises(ValueError, match=r"max_windows=0"):
        Reranker(str(path), device="cpu", max_windows=0)
    with pytest.raises(ValueError, match=r"max_windows=0"):
        ServingRecipe(max_windows=0)


def _eval_set() -> EvalSet:
    distractor = LONG.replace("The enzyme ligase repairs broken DNA strands.", "Nothing to see here.")
    documents = {"hit": LONG, "miss": distractor, "short": "Enzymes are proteins."}
    queries = {f"q{i}": QUERY for i in range(3)}
    run = {qid: {"hit": 0.5, "miss": 0.6, "short": 0.4} for qid in queries}
    return EvalSet(queries, documents, run, {qid: {"hit": 1.0} for qid in queries})


def test_the_choice_keeps_the_fewest_windows_that_lose_nothing(tiny_reranker_factory):
    reranker = tiny_reranker_factory(max_length=64, long_passages="max_window", fusion_weight=0.5)
    choice = choose_max_windows(reranker, _eval_set(), tolerance=1.0)  # anything passes: the fewest
    assert choice.max_windows == 1 and list(choice.by_count) == [1]
    assert 0 < choice.windows_scored < 1 and choice.queries == 3
    assert reranker.max_windows is None and reranker.stats.pairs_requested == 0  # the caller's is untouched
    assert choice.record()["max_windows"] == 1


def test_the_choice_refuses_a_reranker_that_truncates(tiny_reranker_factory):
    with pytest.raises(ValueError, match="long_passages='max_window'"):
        choose_max_windows(tiny_reranker_factory(max_length=64), _eval_set())
