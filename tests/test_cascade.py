"""The cascade: a cheap stage over every candidate, the full model over a shortlist, one final order."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from langchain_core.documents import Document
from llama_index.core.schema import NodeWithScore, TextNode

from langchain_xrerank import XRerankCompressor
from llamaindex_xrerank import XRerankPostprocessor
from xrerank import CascadeReranker, LateInteractionReranker, Reranker
from xrerank.evaluation.eval_set import EvalSet
from xrerank.evaluation.shortlist_choice import choose_shortlist, loss_bound
from xrerank.models.serving_recipe import ServingRecipe, write_recipe
from xrerank.scoring.cascade import combine_stages
from xrerank.scoring.fusion import fuse_scores
from xrerank.scoring.protocol import reranker_from_spec, spec_of

QUERY = "how do cross-encoders rank passages"
TEXTS = [
    "A cross-encoder reads the query and the passage together.",
    "Paris is the capital of France.",
    "Dense retrieval ranks passages by cosine similarity of vectors.",
    "Sourdough rises thanks to wild yeast.",
    "Rerankers reorder the top results of a first-stage retriever.",
    "The treaty was signed in Lisbon in 2007.",
    "BM25 scores documents by term frequency and document length.",
]


def by_score(scores: list[float]) -> list[int]:
    return sorted(range(len(scores)), key=lambda i: (-scores[i], i))


@pytest.fixture
def stages(tiny_model_dir: Path, tiny_encoder_dir: Path) -> tuple[Reranker, LateInteractionReranker]:
    return Reranker(str(tiny_model_dir), device="cpu"), LateInteractionReranker(
        str(tiny_encoder_dir), device="cpu"
    )


def test_shortlist_comes_first_in_the_full_models_order_then_the_rest_in_the_cheap_order(stages) -> None:
    full, cheap = stages
    cheap_scores = cheap.score(QUERY, TEXTS)
    full_scores = full.score(QUERY, TEXTS)
    cascade = CascadeReranker(Reranker(full.model_name, device="cpu"), cheap, shortlist=3)
    ranked = cascade.rank(QUERY, TEXTS)

    shortlisted = set(by_score(cheap_scores)[:3])
    order = [item.index for item in ranked]
    assert set(order[:3]) == shortlisted
    assert order[:3] == sorted(shortlisted, key=lambda i: (-full_scores[i], i))
    assert order[3:] == [i for i in by_score(cheap_scores) if i not in shortlisted]
    assert [item.score for item in ranked[:3]] == pytest.approx([full_scores[i] for i in order[:3]])
    assert cascade.full.stats.pairs_scored == 3  # the full model read the shortlist only
    assert asyncio.run(cascade.arank(QUERY, TEXTS)) == ranked
    assert cascade.rank(QUERY, TEXTS, top_k=2) == ranked[:2]


def test_score_pairs_shortlists_each_query_on_its_own(stages) -> None:
    full, cheap = stages
    cascade = CascadeReranker(full, cheap, shortlist=2)
    pairs = [(QUERY, t) for t in TEXTS[:4]] + [("capital of France", t) for t in TEXTS[:4]]
    mixed = cascade.score_pairs(pairs)
    assert mixed[:4] == cascade.score(QUERY, TEXTS[:4])
    assert mixed[4:] == cascade.score("capital of France", TEXTS[:4])


def test_fusion_reorders_the_shortlist_only(stages, tiny_model_dir: Path, tmp_path: Path) -> None:
    _, cheap = stages
    fused_dir = tmp_path / "fused"
    shutil.copytree(tiny_model_dir, fused_dir)
    write_recipe(fused_dir, ServingRecipe(fusion_weight=0.5))
    full = Reranker(str(fused_dir), device="cpu")
    cascade = CascadeReranker(full, cheap, shortlist=4)
    assert cascade.fusion_weight == 0.5
    retriever = [0.9, 0.1, 0.8, 0.2, 0.7, 0.3, 0.6]
    ranked = cascade.rank(QUERY, TEXTS, retriever_scores=retriever)
    short = by_score(cheap.score(QUERY, TEXTS))[:4]
    own = full.score(QUERY, TEXTS)
    fused = fuse_scores([own[i] for i in short], [retriever[i] for i in short], 0.5)
    expected = [short[i] for i in by_score(fused)]
    assert [item.index for item in ranked[:4]] == expected
    assert [item.reranker_score for item in ranked[:4]] == pytest.approx([own[i] for i in expected])
    assert {item.index for item in ranked[4:]} == set(range(len(TEXTS))) - set(short)
    assert asyncio.run(cascade.arank(QUERY, TEXTS, retriever_scores=retriever)) == ranked

    # A cheap stage served fused (its recipe has a weight) draws the shortlist from its fused order.
    served_cheap = Reranker(str(fused_dir), device="cpu", max_length=16)
    both = CascadeReranker(full, served_cheap, shortlist=3)
    cheap_fused = fuse_scores(served_cheap.score(QUERY, TEXTS), retriever, 0.5)
    ranked = both.rank(QUERY, TEXTS, retriever_scores=retriever)
    assert {item.index for item in ranked[:3]} == set(by_score(cheap_fused)[:3])
    assert [item.index for item in ranked[3:]] == by_score(cheap_fused)[3:]
    with pytest.raises(ValueError, match="got 2 retriever_scores for 7 texts"):
        both.rank(QUERY, TEXTS, retriever_scores=[0.1, 0.2])


def test_the_recipe_names_the_cascade_and_a_spec_builds_it(
    tiny_model_dir: Path, tiny_encoder_dir: Path, tmp_path: Path
) -> None:
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    shutil.copytree(tiny_encoder_dir, model / "encoder")
    write_recipe(model, ServingRecipe(cascade={"cheap": "late:encoder", "shortlist": 2}))
    cascade = reranker_from_spec(f"cascade:{model}", device="cpu")
    assert isinstance(cascade, CascadeReranker)
    assert cascade.shortlist == 2 and cascade.cheap.model_name == str(model / "encoder")
    assert spec_of(cascade) == f"cascade:{model}"
    assert len(cascade.rank(QUERY, TEXTS)) == len(TEXTS)

    with pytest.raises(ValueError, match="has no cascade in its serving recipe; pass cheap="):
        CascadeReranker(str(tiny_model_dir))
    with pytest.raises(ValueError, match="shortlist=0"):
        CascadeReranker(str(tiny_model_dir), f"late:{tiny_encoder_dir}", shortlist=0)
    with pytest.raises(ValueError, match="cascade got shortlist=None"):
        ServingRecipe(cascade={"cheap": "student"})


def test_both_adapters_take_a_cascade(stages) -> None:
    full, cheap = stages
    cascade = CascadeReranker(full, cheap, shortlist=3)
    expected = [TEXTS[item.index] for item in cascade.rank(QUERY, TEXTS, top_k=2)]
    docs = [Document(page_content=t) for t in TEXTS]
    compressed = XRerankCompressor(reranker=cascade, top_n=2).compress_documents(docs, QUERY)
    assert [d.page_content for d in compressed] == expected
    nodes = [NodeWithScore(node=TextNode(text=t), score=None) for t in TEXTS]
    post = XRerankPostprocessor(reranker=cascade, top_n=2).postprocess_nodes(nodes, query_str=QUERY)
    assert [n.node.get_content() for n in post] == expected


def test_combine_stages_puts_the_rest_below_the_shortlist() -> None:
    scores = combine_stages([0.9, 0.1, 0.5, 0.7], {0: 0.2, 3: 0.8})
    assert by_score(scores) == [3, 0, 2, 1]
    assert max(scores[1], scores[2]) < 0.2


def test_shortlist_is_the_smallest_within_tolerance_on_validation(stages) -> None:
    full, cheap = stages
    documents = {f"d{i}": t for i, t in enumerate(TEXTS)}
    queries = {"q1": QUERY, "q2": "capital of France", "q3": "how is bread made"}
    candidates = {q: {d: 0.0 for d in documents} for q in queries}
    qrels = {"q1": {"d0": 1, "d4": 1}, "q2": {"d1": 1}, "q3": {"d3": 1}}
    eval_set = EvalSet(queries, documents, candidates, qrels, has_retriever_scores=False)
    by_mean = choose_shortlist(full, cheap, eval_set, tolerance=0.0, standard_errors=0.0)
    assert by_mean.by_size[by_mean.shortlist] >= by_mean.full
    assert all(value < by_mean.full for size, value in by_mean.by_size.items() if size < by_mean.shortlist)
    assert list(by_mean.by_size) == sorted(by_mean.by_size) and by_mean.queries == 3
    assert by_mean.record("student")["shortlist"] == by_mean.shortlist

    # With the default doubt, a size must hold at the mean loss plus two standard errors: never smaller.
    choice = choose_shortlist(full, cheap, eval_set, tolerance=0.0)
    assert choice.shortlist >= by_mean.shortlist and choice.standard_errors == 2.0
    assert choice.record("student")["validation"]["standard_errors"] == 2.0

    same = choose_shortlist(full, Reranker(full.model_name, device="cpu"), eval_set, tolerance=0.0)
    assert same.shortlist == 1  # a cheap stage that ranks like the full model needs no shortlist
    with pytest.raises(ValueError, match="without candidates or relevant documents"):
        choose_shortlist(full, cheap, EvalSet({}, {}, {}, {}))
    with pytest.raises(ValueError, match="standard_errors"):
        choose_shortlist(full, cheap, eval_set, standard_errors=-1.0)


def test_a_shortlist_whose_gains_and_losses_cancel_is_not_within_tolerance() -> None:
    full = [1.0, 1.0, 0.0, 0.0, 0.5, 0.5]
    lucky = [0.0, 1.0, 1.0, 0.0, 0.5, 0.5]  # one answer lost, one found: the same mean
    assert loss_bound(full, lucky, 0.0) == pytest.approx(0.0)
    assert loss_bound(full, lucky, 2.0) > 0.5
    assert loss_bound(full, full, 2.0) == 0.0
