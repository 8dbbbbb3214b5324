"""Fine-tuning on the tiny random BERT: every loss trains, saves a loadable model, resumes."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from xrerank.examples import TrainingExample
from xrerank.mining.cold_start import pseudo_query, pseudo_query_examples, sample_documents, split_sentences
from xrerank.training.config import LOSSES, TrainingConfig
from xrerank.training.finetune import CARD_FILE, INFO_FILE, finetune
from xrerank.training.rows import build_rows
from xrerank.training.trainer import train


def make_examples(n: int = 8, negatives: int = 3, teacher: bool = False) -> list[TrainingExample]:
    return [
        TrainingExample(
            f"what causes condition {i}?",
            [f"condition {i} is caused by factor {i}."],
            [f"an unrelated remark number {i}-{j}." for j in range(negatives)],
            positive_scores=[4.0] if teacher else [],
            negative_scores=[float(-j) for j in range(negatives)] if teacher else [],
            query_id=f"q{i}",
        )
        for i in range(n)
    ]


def config_for(tmp_path: Path, model_dir: Path, **overrides) -> TrainingConfig:
    options = dict(
        base_model=str(model_dir),
        max_steps=2,
        batch_size=4,
        num_negatives=2,
        max_length=32,
        output_dir=str(tmp_path / "model"),
        device="cpu",
        show_progress=False,
        logging_steps=1,
    )
    options.update(overrides)
    return TrainingConfig(**options)


@pytest.mark.parametrize("loss", LOSSES)
def test_each_loss_trains_and_saves_a_loadable_cross_encoder(loss, tmp_path, tiny_model_dir):
    from sentence_transformers import CrossEncoder

    from xrerank import Reranker

    examples = make_examples(teacher=True)
    snapshot = copy.deepcopy(examples)
    result = train(examples, config_for(tmp_path, tiny_model_dir, loss=loss))
    assert result.steps == 2
    assert result.final_loss is not None
    assert examples == snapshot, "train() must not modify the caller's examples"
    assert CrossEncoder(str(result.model_path), device="cpu").num_labels == 1
    scores = Reranker(result.model_path, device="cpu").score("what causes condition 1?", ["a", "b"])
    assert all(type(s) is float for s in scores)
    leftovers = [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name or ".old-" in p.name]
    assert leftovers == [], "atomic save must not leave staging directories behind"


def test_plain_encoder_gets_a_fresh_one_logit_head(tmp_path, tiny_encoder_dir):
    from xrerank import Reranker

    result = train(make_examples(), config_for(tmp_path, tiny_encoder_dir, loss="bce"))
    assert result.fresh_head is True
    assert len(Reranker(result.model_path, device="cpu").score("q", ["p"])) == 1


def test_existing_output_dir_needs_overwrite(tmp_path, tiny_model_dir):
    config = config_for(tmp_path, tiny_model_dir, loss="bce", max_steps=1)
    train(make_examples(), config)
    with pytest.raises(FileExistsError, match="overwrite"):
        train(make_examples(), config)
    overwritten = TrainingConfig(**{**config.to_dict(), "overwrite": True})
    assert train(make_examples(), overwritten).model_path.is_dir()


def test_resume_continues_from_the_latest_checkpoint(tmp_path, tiny_model_dir):
    first = config_for(tmp_path, tiny_model_dir, loss="infonce", max_steps=2, save_steps=1)
    train(make_examples(), first)
    assert (first.checkpoint_dir / "checkpoint-2").is_dir()
    from transformers import TrainerCallback

    class CountSteps(TrainerCallback):
        steps = 0

        def on_step_end(self, args, state, control, **kwargs):
            CountSteps.steps += 1

    resumed = TrainingConfig(**{**first.to_dict(), "max_steps": 3, "resume": True, "overwrite": True})
    result = train(make_examples(), resumed, callbacks=[CountSteps()])
    assert result.steps == 3
    assert CountSteps.steps == 1, "resuming at step 2 of 3 runs one step, not three"


def test_resume_without_checkpoint_says_how_to_get_one(tmp_path, tiny_model_dir):
    config = config_for(tmp_path, tiny_model_dir, resume=True)
    with pytest.raises(FileNotFoundError, match="save_steps"):
        train(make_examples(), config)


def test_row_layouts_per_loss():
    examples = [
        TrainingExample("q", ["p1", "p2"], ["n1", "n2", "n3"]),
        TrainingExample("short", ["p"], ["n"]),
    ]
    rows, skipped = build_rows(examples, TrainingConfig(loss="infonce", num_negatives=2))
    assert skipped == 1
    assert rows == [
        {"query": "q", "positive": p, "negative_1": "n1", "negative_2": "n2"} for p in ("p1", "p2")
    ]
    rows, _ = build_rows(examples, TrainingConfig(loss="margin_mse", num_negatives=2, margin=1.0))
    assert rows[0]["label"] == [1.0, 1.0]
    rows, skipped = build_rows(examples, TrainingConfig(loss="bce", num_negatives=2))
    assert skipped == 0
    assert sum(r["label"] for r in rows) == 3 and len(rows) == 3 + 2 + 1
    rows, _ = build_rows(examples, TrainingConfig(loss="lambda", num_negatives=2))
    assert rows[0]["docs"] == ["p1", "p2", "n1", "n2"] and rows[0]["labels"] == [1.0, 1.0, 0.0, 0.0]
    teacher = [TrainingExample("q", ["p"], ["n1", "n2"], positive_scores=[5.0], negative_scores=[1.0, 2.0])]
    rows, _ = build_rows(teacher, TrainingConfig(loss="margin_mse", num_negatives=2))
    assert rows[0]["label"] == [4.0, 3.0]


def test_mse_without_teacher_scores_names_the_fix():
    with pytest.raises(ValueError, match="teacher"):
        build_rows(make_examples(), TrainingConfig(loss="mse"))


def test_bad_config_and_bad_examples_are_clear():
    with pytest.raises(ValueError, match="bce, infonce"):
        TrainingConfig(loss="hinge")
    with pytest.raises(ValueError, match="batch_size"):
        TrainingConfig(batch_size=0)
    with pytest.raises(ValueError, match=r"unknown options \['lr'\]"):
        TrainingConfig.from_dict({"lr": 1e-5})
    with pytest.raises(TypeError, match=r"examples\[1\]"):
        build_rows([make_examples(1)[0], {"query": "q"}], TrainingConfig())
    with pytest.raises(ValueError, match="no training examples"):
        build_rows([], TrainingConfig())


def test_bf16_mixed_precision_trains_differently_and_saves_fp32_weights(tmp_path, tiny_model_dir):
    from safetensors import safe_open

    from xrerank import Reranker

    probe = [("what causes condition 1?", "condition 1 is caused by factor 1."), ("q", "an unrelated remark")]
    scores = {}
    for precision in ("fp32", "bf16"):
        output = tmp_path / precision
        config = config_for(
            tmp_path, tiny_model_dir, precision=precision, output_dir=str(output), learning_rate=1e-3
        )
        assert config.device_arguments() == {"use_cpu": True, "bf16": precision == "bf16"}
        train(make_examples(), config)
        with safe_open(str(output / "model.safetensors"), "pt") as weights:
            names = weights.keys()  # a safetensors file handle is not iterable itself
            assert {str(weights.get_tensor(name).dtype) for name in names} == {"torch.float32"}
        scores[precision] = Reranker(str(output), device="cpu", activation=None).score_pairs(probe)
    # The same rows and seed: only the precision of the products differs, and it shows.
    assert scores["bf16"] != pytest.approx(scores["fp32"], abs=1e-7)
    assert scores["bf16"] == pytest.approx(scores["fp32"], abs=0.05)


def test_auto_precision_is_bf16_only_where_the_device_computes_it_natively(monkeypatch):
    import torch

    from xrerank.models import backend_candidates
    from xrerank.models.loading import resolve_training_precision

    monkeypatch.setattr(backend_candidates, "cpu_features", lambda: ("avx2", "avx512f"))
    assert resolve_training_precision("auto", device="cpu") == "fp32"
    assert TrainingConfig(device="cpu").device_arguments() == {"use_cpu": True, "bf16": False}
    with TrainingConfig(device="cpu").mixed_precision():
        assert not torch.is_autocast_enabled("cpu")
    monkeypatch.setattr(backend_candidates, "cpu_features", lambda: ("avx2", "avx512f", "avx512_bf16"))
    assert resolve_training_precision("auto", device="cpu") == "bf16"
    with TrainingConfig(device="cpu").mixed_precision():
        assert torch.is_autocast_enabled("cpu")
    assert resolve_training_precision("fp32", device="cpu") == "fp32"
    assert resolve_training_precision("auto", device="mps") == "fp32"
    with pytest.raises(ValueError, match=r"precision='fp16'.*'auto', 'fp32' or 'bf16'"):
        TrainingConfig(precision="fp16")  # type: ignore[arg-type]


def test_finetune_writes_a_model_card_with_before_and_after(tmp_path, tiny_model_dir):
    examples = make_examples(8)
    cold = make_examples(4)
    path = finetune(
        examples, config_for(tmp_path, tiny_model_dir, loss="bce"), eval_set=examples[:3], cold_start=cold
    )
    info = json.loads((path / INFO_FILE).read_text())
    assert info["data"] == {
        "queries": 8,
        "positives": 8,
        "negatives": 24,
        "cold_start_examples": 4,
        "retriever_start_examples": 0,
    }
    assert info["config"]["loss"] == "bce" and info["config"]["base_model"] == str(tiny_model_dir)
    assert set(info["metrics_before"]["reranker"]) == {"ndcg@10", "mrr@10"}
    assert set(info["metrics_after"]["reranker"]) == {"ndcg@10", "mrr@10"}
    assert info["cold_start_stage"]["steps"] >= 1
    card = (path / CARD_FILE).read_text()
    assert "reranker after fine-tuning" in card and "Loss `bce`" in card
    assert not Path(f"{path}.cold-start").exists(), "the cold-start stage is an intermediate, removed after"


def test_each_training_stage_has_a_labelled_progress_bar(tmp_path, tiny_model_dir, capsys):
    finetune(
        make_examples(8),
        config_for(tmp_path, tiny_model_dir, loss="bce", show_progress=True),
        cold_start=make_examples(4),
    )
    bars = capsys.readouterr().err
    assert "training: cold-start stage" in bars and "training: log stage" in bars
    assert bars.index("training: cold-start stage") < bars.index("training: log stage")


@dataclass(frozen=True)
class Hit:
    """What a CandidateSource returns per document (id, text, score)."""

    id: str
    text: str
    score: float


class ListSource:
    """A minimal CandidateSource over an in-memory corpus: word-overlap search."""

    def __init__(self, docs: dict[str, str]) -> None:
        self.docs = docs

    def search_batch(self, queries, k):
        out = []
        for query in queries:
            words = set(query.lower().split())
            ranked = sorted(self.docs, key=lambda d: -len(words & set(self.docs[d].lower().split())))
            out.append([Hit(d, self.docs[d], 1.0) for d in ranked[:k]])
        return out


def test_cold_start_pseudo_queries_leave_the_query_out_of_the_positive():
    assert split_sentences("One two three. Four five six! Seven?") == [
        "One two three.",
        "Four five six!",
        "Seven?",
    ]
    assert pseudo_query("Too short.") is None
    docs = {
        f"d{i}": f"Study {i} measured insulin in mice fed diet {i}. "
        f"Diet {i} raised insulin levels in the mice."
        for i in range(6)
    }
    examples = pseudo_query_examples(docs, ListSource(docs), num_negatives=2, show_progress=False)
    assert len(examples) == 6
    for example in examples:
        assert example.query not in example.positives[0]
        assert example.positive_ids[0] not in example.negative_ids
        assert len(example.negatives) == 2


def test_title_pseudo_queries_show_every_passage_without_its_title():
    titles = {f"d{i}": f"Diet {i} and insulin in mice" for i in range(5)}
    bodies = {f"d{i}": f"Mice fed diet {i} had higher insulin after ten weeks." for i in range(5)}
    indexed = {doc_id: f"{titles[doc_id]}. {bodies[doc_id]}" for doc_id in titles}
    examples = pseudo_query_examples(
        indexed,
        ListSource(indexed),
        num_negatives=2,
        queries=titles,
        texts=bodies,
        show_progress=False,
    )
    assert len(examples) == 5
    for example in examples:
        assert example.query == titles[example.positive_ids[0]]
        # Positive and negatives alike come from ``texts``: no title gives the positive away.
        assert example.positives == [bodies[example.positive_ids[0]]]
        assert example.negatives == [bodies[doc_id] for doc_id in example.negative_ids]
    # A negative the store returns but ``texts`` lacks is skipped, not shown with its title.
    partial = {doc_id: bodies[doc_id] for doc_id in ("d0", "d1", "d2")}
    examples = pseudo_query_examples(
        indexed, ListSource(indexed), num_negatives=2, queries=titles, texts=partial, show_progress=False
    )
    assert {e.positive_ids[0] for e in examples} == {"d0", "d1", "d2"}
    assert all(set(e.negative_ids) <= set(partial) for e in examples)


def test_cold_start_sample_is_reproducible_and_grows_by_extension():
    docs = {f"d{i}": f"text {i}" for i in range(50)}
    small = sample_documents(docs, 10, seed=3)
    large = sample_documents(docs, 30, seed=3)
    # Same pick whatever order the corpus was read in; a larger sample starts with the smaller one.
    assert small == sample_documents(dict(reversed(list(docs.items()))), 10, seed=3)
    assert list(large)[:10] == list(small)
    assert all(docs[doc_id] == text for doc_id, text in large.items())
    assert sample_documents(docs, 10, seed=4) != small
    assert sorted(sample_documents(docs, 0)) == sorted(docs)
    assert len(sample_documents(docs, 500)) == 50
    with pytest.raises(ValueError, match="count=-1"):
        sample_documents(docs, -1)


def test_cli_lists_train_and_eval():
    from xrerank.cli.main import build_parser

    help_text = build_parser().format_help()
    assert "train" in help_text and "eval" in help_text
