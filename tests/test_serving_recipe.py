"""The serving recipe travels with the model: written, read, applied, overridden; fusion in both adapters."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from xrerank import Reranker
from xrerank.models.serving_recipe import RECIPE_FILE, ServingRecipe, read_recipe, write_recipe
from xrerank.scoring.fusion import fuse_scores, rank_evidence

QUERY = "how do cross-encoders rank passages"
TEXTS = [
    "A cross-encoder reads the query and the passage together.",
    "Paris is the capital of France.",
    "Dense retrieval ranks passages by cosine similarity of vectors.",
    "Sourdough rises thanks to wild yeast.",
    "Rerankers reorder the top results of a first-stage retriever.",
]
RETRIEVER = [0.9, 0.1, 0.7, 0.05, 0.6]


@pytest.fixture
def tuned_dir(tiny_model_dir: Path, tmp_path: Path) -> Path:
    """The tiny cross-encoder with a recipe beside it, as `tune` leaves a model."""
    path = tmp_path / "tuned"
    shutil.copytree(tiny_model_dir, path)
    write_recipe(path, ServingRecipe(max_length=64, long_passages="max_window", fusion_weight=0.6))
    return path


def test_the_recipe_round_trips_and_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    recipe = ServingRecipe(max_length=96, long_passages="max_window", activation=None, fusion_weight=0.25)
    write_recipe(tmp_path, recipe)
    assert read_recipe(tmp_path) == recipe
    assert [p.name for p in tmp_path.iterdir()] == [RECIPE_FILE]  # no temporary file left
    assert read_recipe(tmp_path / "elsewhere") is None

    (tmp_path / RECIPE_FILE).write_text(json.dumps({"version": 1, "max_lenght": 96}), encoding="utf-8")
    with pytest.raises(ValueError, match="unknown serving recipe keys \\['max_lenght'\\]"):
        read_recipe(tmp_path)
    (tmp_path / RECIPE_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match="not a valid serving recipe"):
        read_recipe(tmp_path)
    (tmp_path / RECIPE_FILE).write_text(json.dumps({"version": 99}), encoding="utf-8")
    with pytest.raises(ValueError, match="version 99"):
        read_recipe(tmp_path)
    with pytest.raises(ValueError, match=r"fusion_weight=1\.5"):
        ServingRecipe(fusion_weight=1.5)


def test_reranker_serves_a_model_by_its_recipe_and_explicit_arguments_win(tuned_dir: Path) -> None:
    served = Reranker(str(tuned_dir), device="cpu")
    assert served.recipe == read_recipe(tuned_dir)
    assert (served.long_passages, served.fusion_weight, served.activation) == ("max_window", 0.6, "sigmoid")
    assert served.load().max_length == 64

    plain = Reranker(
        str(tuned_dir), device="cpu", long_passages="truncate", fusion_weight=None, max_length=128
    )
    assert (plain.long_passages, plain.fusion_weight) == ("truncate", None)
    assert plain.load().max_length == 128


def test_without_a_recipe_the_built_in_defaults_apply(tiny_model_dir: Path) -> None:
    reranker = Reranker(str(tiny_model_dir), device="cpu")
    assert reranker.recipe is None
    assert (reranker.long_passages, reranker.fusion_weight, reranker.activation) == (
        "truncate",
        None,
        "sigmoid",
    )


def test_rank_fuses_with_retriever_scores_as_the_recipe_says(tuned_dir: Path) -> None:
    reranker = Reranker(str(tuned_dir), device="cpu")
    own = reranker.score(QUERY, TEXTS)
    fused = fuse_scores(own, RETRIEVER, 0.6)
    ranked = reranker.rank(QUERY, TEXTS, retriever_scores=RETRIEVER)
    assert [item.index for item in ranked] == sorted(range(len(TEXTS)), key=lambda i: (-fused[i], i))
    assert [item.score for item in ranked] == pytest.approx(sorted(fused, reverse=True))
    assert [item.reranker_score for item in ranked] == pytest.approx([own[item.index] for item in ranked])
    assert all(type(item.score) is float and type(item.reranker_score) is float for item in ranked)
    # Without the retriever's evidence the reranker ranks alone.
    assert all(item.reranker_score is None for item in reranker.rank(QUERY, TEXTS))
    with pytest.raises(ValueError, match="got 2 retriever_scores for 5 texts"):
        reranker.rank(QUERY, TEXTS, retriever_scores=[0.1, 0.2])


def test_weight_zero_keeps_the_retrievers_order(tuned_dir: Path) -> None:
    write_recipe(tuned_dir, ServingRecipe(max_length=64, fusion_weight=0.0))
    reranker = Reranker(str(tuned_dir), device="cpu")
    ranked = reranker.rank(QUERY, TEXTS, retriever_scores=RETRIEVER)
    assert [item.index for item in ranked] == sorted(range(len(TEXTS)), key=lambda i: -RETRIEVER[i])


def test_langchain_applies_the_recipes_fusion_like_the_core(tuned_dir: Path) -> None:
    from langchain_core.documents import Document

    from langchain_xrerank import XRerankCompressor

    reranker = Reranker(str(tuned_dir), device="cpu")
    docs = [
        Document(page_content=t, metadata={"score": s, "n": i})
        for i, (t, s) in enumerate(zip(TEXTS, RETRIEVER, strict=True))
    ]

    by_order = XRerankCompressor(reranker=reranker, top_n=None).compress_documents(docs, QUERY)
    core = reranker.rank(QUERY, TEXTS, retriever_scores=rank_evidence(len(TEXTS)))
    assert [d.metadata["n"] for d in by_order] == [item.index for item in core]
    assert [d.metadata["relevance_score"] for d in by_order] == [item.score for item in core]
    assert [d.metadata["reranker_score"] for d in by_order] == [item.reranker_score for item in core]

    by_score = XRerankCompressor(reranker=reranker, top_n=None, retriever_score_key="score")
    core = reranker.rank(QUERY, TEXTS, retriever_scores=RETRIEVER)
    assert [d.metadata["n"] for d in by_score.compress_documents(docs, QUERY)] == [i.index for i in core]

    alone = XRerankCompressor(reranker=reranker, top_n=None, fusion=False).compress_documents(docs, QUERY)
    assert [d.metadata["n"] for d in alone] == [item.index for item in reranker.rank(QUERY, TEXTS)]
    assert "reranker_score" not in alone[0].metadata
    assert all("relevance_score" not in d.metadata for d in docs)  # the caller's documents are untouched


def test_llamaindex_applies_the_recipes_fusion_like_the_core(tuned_dir: Path) -> None:
    from llama_index.core.schema import NodeWithScore, TextNode

    from llamaindex_xrerank import XRerankPostprocessor

    reranker = Reranker(str(tuned_dir), device="cpu")
    nodes = [
        NodeWithScore(node=TextNode(text=t, id_=f"n{i}"), score=s)
        for i, (t, s) in enumerate(zip(TEXTS, RETRIEVER, strict=True))
    ]
    post = XRerankPostprocessor(reranker=reranker, top_n=3, metadata_mode="none")
    out = post.postprocess_nodes(nodes, query_str=QUERY)
    core = reranker.rank(QUERY, TEXTS, retriever_scores=RETRIEVER, top_k=3)
    assert [n.node.node_id for n in out] == [f"n{item.index}" for item in core]
    assert [n.score for n in out] == [item.score for item in core]
    assert [n.node.metadata["reranker_score"] for n in out] == [item.reranker_score for item in core]
    assert "reranker_score" in out[0].node.excluded_llm_metadata_keys
    assert "reranker_score" not in nodes[0].node.metadata

    # A node without a retriever score: the incoming order is the evidence.
    nodes[2] = NodeWithScore(node=nodes[2].node, score=None)
    out = post.postprocess_nodes(nodes, query_str=QUERY)
    core = reranker.rank(QUERY, TEXTS, retriever_scores=rank_evidence(len(TEXTS)), top_k=3)
    assert [n.node.node_id for n in out] == [f"n{item.index}" for item in core]


def test_plain_loaders_still_load_a_model_with_a_recipe(tuned_dir: Path) -> None:
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(str(tuned_dir), device="cpu")
    assert len(model.predict([(QUERY, TEXTS[0])])) == 1
