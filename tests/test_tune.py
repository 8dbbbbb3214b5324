"""``tune``: the whole recipe through one call and one command, and its guard against a reranker that hurts.

The store here is perfect on purpose: every logged query is a document's own text, so the
packaged MiniLM retrieves the clicked document first (NDCG@10 = 1 on validation). Nothing can
beat that, which is exactly the case the guard is for: the log teaches nothing the retriever
does not already know.
"""

from __future__ import annotations

import importlib
import json
import logging
from pathlib import Path

import pytest
from tiny_models import minilm_dir

from xrerank import Reranker
from xrerank.mining import EmbeddingSource
from xrerank.models.serving_recipe import read_recipe
from xrerank.training.tune import TuneConfig, TuneDidNotHelp, recipe_training_config, tune

pytestmark = pytest.mark.integration

TOPICS = ["pump", "compressor", "valve", "controller", "filter", "bearing", "seal", "motor"]


def _corpus() -> tuple[dict[str, str], dict[str, str]]:
    titles: dict[str, str] = {}
    corpus: dict[str, str] = {}
    for i in range(32):
        topic = TOPICS[i % len(TOPICS)]
        title = f"{topic.title()} note {i}"
        titles[f"d{i}"] = title
        corpus[f"d{i}"] = (
            f"{title} The {topic} of unit {i} needs service every {100 + 10 * i} hours of running. "
            f"Check the {topic} housing for wear at each service interval of model {i}. "
            f"Replace the {topic} gasket when the pressure drops below {i % 7 + 2} bar on unit {i}."
        )
    return corpus, titles


@pytest.fixture(scope="module")
def store(minilm_encoder):
    corpus, _ = _corpus()
    ids, texts = list(corpus), list(corpus.values())
    vectors = minilm_encoder.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    return EmbeddingSource(vectors, texts, ids=ids, query_encoder=minilm_encoder)


def _log(corpus: dict[str, str]) -> list[dict[str, object]]:
    return [{"query": text, "positive_ids": [doc_id]} for doc_id, text in corpus.items()]


def _training(tiny_model_dir: Path, output: Path, **overrides: object):
    options = {
        "base_model": str(tiny_model_dir),
        "max_steps": 2,
        "batch_size": 4,
        "max_length": 64,
        "output_dir": str(output),
        "show_progress": False,
        "device": "cpu",
        **overrides,
    }
    return recipe_training_config(**options)


def test_a_log_that_teaches_nothing_keeps_the_retrievers_order(store, tiny_model_dir, tmp_path, caplog):
    corpus, titles = _corpus()
    config = TuneConfig(candidates=5, validation_share=0.25, cold_start_negatives=2)
    with caplog.at_level(logging.WARNING, logger="xrerank.training.tune"):
        result = tune(
            corpus,
            store,
            _log(corpus),
            config,
            training=_training(tiny_model_dir, tmp_path / "m"),
            titles=titles,
        )

    assert result.validation["retriever"] == pytest.approx(1.0)
    assert result.beats_retriever is False
    assert result.recipe.fusion_weight == 0.0  # serve the retriever's order, not a reranker that hurts
    assert "no reranker setting beat the retriever" in caplog.text
    assert read_recipe(result.model_path) == result.recipe
    card = (result.model_path / "README.md").read_text(encoding="utf-8")
    assert "Serving recipe" in card and "no setting of this reranker beat the retriever" in card
    # Title and last-sentence pseudo-queries for the sampled documents, then the log.
    assert result.counts["cold_start_examples"] > len(corpus)
    assert result.counts["validation_queries"] >= 4
    assert result.counts["training_queries"] + result.counts["validation_queries"] == len(corpus)
    # A cross-encoder start model already ranks: it is scored before training, with no retriever start.
    assert set(result.before or {}) == {"ndcg@10", "mrr@10"}
    assert result.counts["retriever_start_examples"] == 0

    served = Reranker(str(result.model_path), device="cpu")
    assert (served.long_passages, served.fusion_weight, served.load().max_length) == (
        result.recipe.long_passages,
        0.0,
        64,
    )


def test_a_fresh_head_is_not_scored_before_training(store, tiny_encoder_dir, tmp_path, monkeypatch):
    """A plain encoder gets a fresh head, which ranks at random: tune skips its "before" side."""
    from transformers import TrainerCallback

    # The module, not the ``finetune`` function that xrerank.training exports under the same name.
    finetune_module = importlib.import_module("xrerank.training.finetune")

    class Stages(TrainerCallback):
        def __init__(self) -> None:
            self.events: list[str] = []

        def on_train_begin(self, args, state, control, **kwargs):
            self.events.append("train_begin")

        def on_train_end(self, args, state, control, **kwargs):
            self.events.append("train_end")

    measured: list[bool] = []
    measure = finetune_module._measure

    def counted(model, eval_set, config):
        measured.append(model.training)
        return measure(model, eval_set, config)

    monkeypatch.setattr(finetune_module, "_measure", counted)
    corpus, _ = _corpus()
    stages = Stages()
    config = TuneConfig(
        candidates=5, validation_share=0.25, cold_start="sentences", retriever_start_queries=100
    )
    result = tune(
        corpus,
        store,
        _log(corpus),
        config,
        training=_training(tiny_encoder_dir, tmp_path / "m"),
        callbacks=[stages],
    )

    assert result.before is None
    assert len(measured) == 1  # after training only: the fresh head was never scored
    info = json.loads((result.model_path / "xrerank_training.json").read_text(encoding="utf-8"))
    assert info["metrics_before"] is None and info["metrics_after"]["reranker"]
    card = (result.model_path / "README.md").read_text(encoding="utf-8")
    assert "| reranker before fine-tuning | not measured | not measured |" in card
    # The fresh head first learns the retriever's ranking, on a sample of log and pseudo-queries.
    assert 0 < result.counts["retriever_start_examples"] <= config.retriever_start_queries
    assert info["retriever_start_stage"]["steps"] >= 1 and info["cold_start_stage"]["steps"] >= 1
    assert stages.events == ["train_begin", "train_end"] * 3  # the callbacks saw every stage
    assert not (tmp_path / "m.retriever-start").exists() and not (tmp_path / "m.cold-start").exists()


def test_more_log_epochs_leave_the_start_stages_at_theirs(store, tiny_encoder_dir, tmp_path):
    """--epochs is the log stage's: the retriever start and the cold start keep their own (1 by default)."""
    import math

    corpus, _ = _corpus()
    config = TuneConfig(
        candidates=5, validation_share=0.25, cold_start="sentences", retriever_start_queries=100
    )
    training = _training(tiny_encoder_dir, tmp_path / "m", max_steps=None, epochs=2.0)
    result = tune(corpus, store, _log(corpus), config, training=training)

    info = json.loads((result.model_path / "xrerank_training.json").read_text(encoding="utf-8"))
    for stage in ("retriever_start_stage", "cold_start_stage"):
        assert info[stage]["steps"] == math.ceil(info[stage]["rows"] / training.batch_size), stage
    with pytest.raises(ValueError, match="retriever_start_epochs"):
        TuneConfig(retriever_start_epochs=0)
    with pytest.raises(ValueError, match="retriever_start_depth"):
        TuneConfig(retriever_start_depth=1)


def test_the_cold_start_uses_what_the_corpus_offers() -> None:
    from xrerank.training.tune import _cold_start_kinds

    _, titles = _corpus()
    assert _cold_start_kinds("auto", titles) == ["titles", "sentences"]
    assert _cold_start_kinds("auto", None) == ["sentences"]
    assert _cold_start_kinds("titles", titles) == ["titles"]
    assert _cold_start_kinds("none", titles) == []
    with pytest.raises(ValueError, match="no titles"):
        _cold_start_kinds("both", None)


def _repeating_corpus() -> tuple[dict[str, str], dict[str, str]]:
    """Passages that end on a sentence their neighbours share word for word, as templated manuals do."""
    titles: dict[str, str] = {}
    corpus: dict[str, str] = {}
    for i in range(24):
        topic = TOPICS[i % 4]
        titles[f"d{i}"] = f"Unit {i} {topic} speed"
        corpus[f"d{i}"] = (
            f"Unit {i} {topic} speed. Unit {i} drives its {topic} at {1000 + 37 * i} rpm in normal duty. "
            f"Replace the {topic} gasket whenever the line pressure drops below three bar."
        )
    return corpus, titles


def test_auto_leaves_out_pseudo_queries_whose_words_argue_against_their_labels(minilm_encoder, caplog):
    from xrerank.training.tune import _cold_start_examples

    corpus, titles = _repeating_corpus()
    vectors = minilm_encoder.encode(list(corpus.values()), normalize_embeddings=True, convert_to_numpy=True)
    store = EmbeddingSource(vectors, list(corpus.values()), ids=list(corpus), query_encoder=minilm_encoder)
    training = recipe_training_config(show_progress=False)
    kinds = ["titles", "sentences"]

    # Each last sentence is a negative's own sentence and no longer in its positive: left out.
    examples, kept = _cold_start_examples(corpus, store, titles, kinds, TuneConfig(), training)
    assert examples and {e.query for e in examples} <= set(titles.values())
    assert "sentences left out" in kept and "titles (agreement" in kept

    # Asked for by name, they are kept, with a warning that says what auto would do.
    with caplog.at_level(logging.WARNING, logger="xrerank.training.tune"):
        examples, _ = _cold_start_examples(
            corpus, store, titles, kinds, TuneConfig(cold_start="both"), training
        )
    assert len(examples) == 2 * len(corpus)
    assert "cold_start='auto' would leave them out" in caplog.text


def test_strict_refuses_and_the_model_is_still_saved(store, tiny_model_dir, tmp_path):
    corpus, _ = _corpus()
    # The plain best weight (fusion_standard_errors=0) is still guarded.
    config = TuneConfig(
        candidates=5, validation_share=0.25, cold_start="sentences", strict=True, fusion_standard_errors=0
    )
    output = tmp_path / "strict"
    with pytest.raises(TuneDidNotHelp, match="keeps the retriever's order"):
        tune(corpus, store, _log(corpus), config, training=_training(tiny_model_dir, output))
    assert read_recipe(output).fusion_weight == 0.0


def test_a_negative_fusion_tolerance_is_refused() -> None:
    with pytest.raises(ValueError, match="fusion_standard_errors"):
        TuneConfig(fusion_standard_errors=-1)


def test_too_small_a_log_is_refused_before_any_work(store, tiny_model_dir, tmp_path):
    corpus, _ = _corpus()
    log = _log(corpus)[:3]
    with pytest.raises(ValueError, match="3 queries that have positive ids; expected at least 4"):
        tune(corpus, store, log, training=_training(tiny_model_dir, tmp_path / "x"))
    assert not (tmp_path / "x").exists()


def test_the_command_runs_the_recipe_and_strict_exits_1(tiny_model_dir, tmp_path, capsys):
    from xrerank.cli import main

    corpus, titles = _corpus()
    corpus_file = tmp_path / "corpus.jsonl"
    corpus_file.write_text(
        "".join(
            json.dumps({"_id": d, "title": titles[d], "text": text[len(titles[d]) + 1 :]}) + "\n"
            for d, text in corpus.items()
        ),
        encoding="utf-8",
    )
    log_file = tmp_path / "log.jsonl"
    log_file.write_text("".join(json.dumps(r) + "\n" for r in _log(corpus)), encoding="utf-8")
    args = [
        "tune",
        "--log", str(log_file),
        "--corpus", str(corpus_file),
        "--text-template", "{title} {text}",
        "--encoder", str(minilm_dir()),
        "--base-model", str(tiny_model_dir),
        "--max-steps", "2",
        "--batch-size", "4",
        "--max-length", "64",
        "--candidates", "5",
        "--validation-share", "0.25",
        "--device", "cpu",
        "--no-progress",
    ]  # fmt: skip

    assert main([*args, "--output-dir", str(tmp_path / "cli")]) == 0
    printed = capsys.readouterr().out
    assert f"Saved the tuned reranker to {tmp_path / 'cli'}" in printed
    assert "Seed 42 (--seed) drew the validation split" in printed
    assert "nothing beat the retriever on validation" in printed
    assert read_recipe(tmp_path / "cli").long_passages in ("truncate", "max_window")

    assert main([*args, "--output-dir", str(tmp_path / "strict"), "--strict"]) == 1
    error = capsys.readouterr().err.strip().splitlines()
    assert error[-1].startswith("xrerank tune: error: --strict: on ")
    assert "Traceback" not in "\n".join(error)


def test_the_trained_mode_is_served_unless_another_is_clearly_better() -> None:
    from xrerank.training.serving_choice import _clearly_best_mode

    qrels = {f"q{i}": {"good": 1.0} for i in range(20)}
    first = {q: {"good": 2.0, "bad": 1.0} for q in qrels}  # relevant document first: NDCG 1
    second = {q: {"good": 1.0, "bad": 2.0} for q in qrels}  # relevant document second
    near_tie = {q: (first if i % 2 else second)[q] for i, q in enumerate(qrels)}
    trained_worse = {"max_window": (0.5, second), "truncate": (0.5, first)}
    assert _clearly_best_mode(trained_worse, qrels, preferred="max_window") == "truncate"
    tie = {"max_window": (0.5, near_tie), "truncate": (0.5, {q: dict(first[q]) for q in qrels})}
    mixed = {"max_window": (0.5, near_tie), "truncate": (0.5, near_tie)}
    assert _clearly_best_mode(mixed, qrels, preferred="max_window") == "max_window"
    # Better on half the queries and never worse is still "clearly better" (all differences >= 0).
    assert _clearly_best_mode(tie, qrels, preferred="max_window") == "truncate"


def test_a_cold_start_as_large_as_the_retriever_start_replaces_it(store) -> None:
    from xrerank.examples import TrainingExample
    from xrerank.training.tune import _retriever_start_examples

    cold = [TrainingExample(f"pseudo-query {i}", positives=["p"], negatives=["n"]) for i in range(4)]
    training = recipe_training_config(show_progress=False)
    assert _retriever_start_examples([], cold, store, TuneConfig(retriever_start_queries=4), training) == []
    assert _retriever_start_examples([], cold, store, TuneConfig(retriever_start_queries=0), training) == []
    started = _retriever_start_examples([], cold, store, TuneConfig(retriever_start_queries=5), training)
    assert sorted(e.query for e in started) == sorted(e.query for e in cold)


def test_a_retriever_start_depth_teaches_pairs_drawn_within_it(store) -> None:
    from xrerank.examples import TrainingExample
    from xrerank.training.tune import _retriever_start_examples

    cold = [TrainingExample(f"pseudo-query {i}", positives=["p"], negatives=["n"]) for i in range(30)]
    training = recipe_training_config(show_progress=False)
    ranked = {
        e.query: [c.id for c in hits]
        for e, hits in zip(cold, store.search_batch([e.query for e in cold], 3), strict=True)
    }
    config = TuneConfig(retriever_start_queries=31, retriever_start_depth=3)
    started = _retriever_start_examples([], cold, store, config, training)
    pairs = {
        (ranked[e.query].index(e.positive_ids[0]), ranked[e.query].index(e.negative_ids[0])) for e in started
    }
    assert pairs <= {(0, 1), (0, 2), (1, 2)} and len(pairs) > 1
