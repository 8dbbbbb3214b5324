"""The README's main job, end to end, on a tiny training budget (the real run trains longer)."""

from __future__ import annotations

import json

import pytest

from xrerank.demo.run import DemoOptions, run_demo
from xrerank.models.serving_recipe import read_recipe


@pytest.mark.integration
def test_demo_runs_end_to_end(tmp_path):
    lines: list[str] = []
    result = run_demo(
        DemoOptions(
            workdir=tmp_path,
            max_steps=2,
            candidates=10,
            cold_start_documents=8,
            show_progress=False,
            seed=7,
        ),
        say=lines.append,
    )
    output = "\n".join(lines)
    for step in range(1, 7):
        assert f"[{step}/6]" in output
    assert "seed 7)" in output  # the seed a user would pass to repeat the run
    # The before/after table names every system and the report is saved as JSON.
    report = json.loads((tmp_path / "report.json").read_text())
    systems = list(report["metrics"])
    assert systems[0] == "dense retriever (MiniLM)"
    assert systems[1].startswith("hybrid: BM25 + dense, no training (w=")
    assert systems[2].startswith("reranker alone (")
    assert systems[3].startswith("reranker as served (recipe: + dense, w=")
    assert all(0.0 <= m["ndcg@10"] <= 1.0 for m in report["metrics"].values())
    # The saved model is a plain CrossEncoder directory with a card and its serving recipe, used by
    # both adapters.
    assert (result.model_path / "README.md").is_file()
    recipe = read_recipe(result.model_path)
    assert recipe is not None and recipe.fusion_weight == result.fusion_weight
    assert result.langchain_answer and result.langchain_answer != "(no passage)"
    assert result.llamaindex_answer and result.llamaindex_answer != "(no passage)"
    # tune's cold start: the title of each of the 8 sampled passages. Their last sentences are left
    # out: this knowledge base repeats its sentences across passages, so their labels argue against
    # their own words.
    info = json.loads((result.model_path / "xrerank_training.json").read_text())
    assert info["config"]["seed"] == 7  # the demo's seed is the recipe's
    assert info["data"]["cold_start_examples"] == 8 and info["cold_start_stage"]["steps"] >= 1
    assert "8 cold-start pseudo-queries" in output
    # The fresh head first learns to rank like the store, on the log's training queries and the titles.
    assert info["data"]["retriever_start_examples"] > 8 and info["retriever_start_stage"]["steps"] >= 1
