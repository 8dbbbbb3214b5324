"""The retriever start's examples: the store's own ranking, taught by the retriever's scores."""

from __future__ import annotations

import statistics

import numpy as np
import pytest

from xrerank.mining import EmbeddingSource
from xrerank.mining.retriever_start import retriever_scored_examples
from xrerank.training.rows import to_margin_rows


def _store(scale: float = 1.0) -> EmbeddingSource:
    # Two-dimensional vectors at growing angles, scored by raw inner product (so scale shows):
    # the query [1, 0] ranks d0, d1, ... in order.
    angles = [0.1 * i for i in range(10)]
    vectors = scale * np.array([[np.cos(a), np.sin(a)] for a in angles], dtype="float32")
    texts = [f"passage {i}" for i in range(10)]

    def encode(queries):
        return np.array([[1.0, 0.0]] * len(queries), dtype="float32")

    return EmbeddingSource(
        vectors, texts, ids=[f"d{i}" for i in range(10)], query_encoder=encode, metric="dot"
    )


@pytest.fixture
def source() -> EmbeddingSource:
    return _store()


def test_the_first_candidate_is_the_positive_and_ranks_deeper_are_negatives(source) -> None:
    [example] = retriever_scored_examples(["q"], source, negative_ranks=(2, 4, 8))
    assert example.positive_ids == ["d0"] and example.negative_ids == ["d1", "d3", "d7"]
    teacher = example.positive_scores + example.negative_scores
    assert teacher == sorted(teacher, reverse=True)  # the retriever's order, kept
    assert statistics.fmean(teacher) == pytest.approx(0.0)  # centred per query
    # Margin-MSE reads the teacher's margins: positive minus each negative.
    [row] = to_margin_rows([example], 3, margin=None)
    assert row["label"] == pytest.approx([teacher[0] - t for t in teacher[1:]])


def test_margins_are_in_units_of_the_scores_spread_whatever_the_store_scale(source) -> None:
    [example] = retriever_scored_examples(["q"], source, negative_ranks=(2, 3))
    [same] = retriever_scored_examples(["q"], _store(scale=7.0), negative_ranks=(2, 3))
    assert same.positive_scores + same.negative_scores == pytest.approx(
        example.positive_scores + example.negative_scores, abs=1e-5
    )
    assert statistics.pstdev(example.positive_scores + example.negative_scores) == pytest.approx(1.0)


def test_queries_without_enough_candidates_are_skipped(source) -> None:
    assert retriever_scored_examples(["q"], source, negative_ranks=(2, 11)) == []


@pytest.mark.parametrize("ranks", [(), (1, 2), (2, 0), (2.5,)])
def test_a_negative_rank_must_be_below_the_first(source, ranks) -> None:
    with pytest.raises(ValueError, match="negative_ranks"):
        retriever_scored_examples(["q"], source, negative_ranks=ranks)


def test_pair_depth_draws_a_seeded_pair_of_ranks_within_the_depth_in_the_retrievers_order(source) -> None:
    queries = [f"q{i}" for i in range(40)]
    examples = retriever_scored_examples(queries, source, pair_depth=6, seed=3)
    assert len(examples) == 40 and all(len(e.negatives) == 1 for e in examples)
    ranks = [(int(e.positive_ids[0][1:]), int(e.negative_ids[0][1:])) for e in examples]
    assert all(0 <= higher < lower < 6 for higher, lower in ranks)  # d0..d9 is the store's order
    assert len(set(ranks)) > 5  # pairs beyond the first candidate, not one fixed pair
    assert all(e.positive_scores[0] > e.negative_scores[0] for e in examples)
    again = retriever_scored_examples(queries, source, pair_depth=6, seed=3)
    assert [e.negative_ids for e in again] == [e.negative_ids for e in examples]


@pytest.mark.parametrize("depth", [1, 0, True, 2.5])
def test_a_pair_depth_must_hold_two_candidates(source, depth) -> None:
    with pytest.raises(ValueError, match="pair_depth"):
        retriever_scored_examples(["q"], source, pair_depth=depth)
