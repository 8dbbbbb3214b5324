"""A smaller cross-encoder cut from the teacher's layers and trained on the teacher's scores."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from xrerank import Reranker
from xrerank.cli.main import main
from xrerank.examples import TrainingExample
from xrerank.models.serving_recipe import ServingRecipe, read_recipe, write_recipe
from xrerank.training.distill_reranker import (
    RerankerDistillationConfig,
    distill_reranker,
    kept_layers,
    student_from,
)

EXAMPLES = [
    TrainingExample(
        f"question {i} about topic {i % 3}",
        [f"the answer to question {i} on topic {i % 3}"],
        [f"unrelated text number {i + j} about cooking" for j in range(4)],
    )
    for i in range(8)
]


@pytest.fixture
def teacher_dir(tiny_model_dir: Path, tmp_path: Path) -> Path:
    path = tmp_path / "teacher"
    shutil.copytree(tiny_model_dir, path)
    write_recipe(path, ServingRecipe(max_length=48, fusion_weight=0.4, retriever="FaissSource"))
    return path


def config(tmp_path: Path, **options: object) -> RerankerDistillationConfig:
    base = {"layers": 1, "output_dir": str(tmp_path / "student"), "max_length": 48, "show_progress": False}
    return RerankerDistillationConfig(device="cpu", **{**base, **options})  # type: ignore[arg-type]


def test_kept_layers_are_evenly_spaced_from_first_to_last() -> None:
    assert kept_layers(6, 3) == [0, 2, 5]
    assert kept_layers(12, 4) == [0, 4, 7, 11]
    assert kept_layers(6, 1) == [0]


def test_the_student_starts_from_the_teachers_weights_and_leaves_it_alone(tiny_model_dir: Path) -> None:
    from sentence_transformers import CrossEncoder

    teacher = CrossEncoder(str(tiny_model_dir), device="cpu")
    before = {name: p.clone() for name, p in teacher.model.named_parameters()}
    student, kept, total = student_from(teacher, 1)
    assert (kept, total, len(teacher.model.bert.encoder.layer)) == ([0], 2, 2)
    assert student.model.config.num_hidden_layers == 1 and teacher.model.config.num_hidden_layers == 2
    teacher_layer = dict(teacher.model.bert.encoder.layer[0].named_parameters())
    for name, value in student.model.bert.encoder.layer[0].named_parameters():
        assert value.data_ptr() != teacher_layer[name].data_ptr()  # a copy, not shared
        assert value.equal(teacher_layer[name])
    assert all(p.equal(before[name]) for name, p in teacher.model.named_parameters())
    with pytest.raises(ValueError, match="layers=2, but the teacher has 2"):
        student_from(teacher, 2)


@pytest.fixture
def deep_teacher_dir(tiny_model_dir: Path, tmp_path: Path) -> Path:
    """The tiny cross-encoder with a strong last layer: cutting it changes the scores."""
    import torch
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(str(tiny_model_dir), device="cpu")
    torch.manual_seed(1)
    with torch.no_grad():
        layer = model.model.bert.encoder.layer[1]
        layer.output.dense.weight.normal_(0, 0.5)
    path = tmp_path / "deep-teacher"
    model.save(str(path))
    write_recipe(path, ServingRecipe(max_length=48))
    return path


def test_distilling_moves_the_student_toward_the_teacher(deep_teacher_dir: Path, tmp_path: Path) -> None:
    teacher_dir = deep_teacher_dir
    pairs = [(e.query, t) for e in EXAMPLES for t in [*e.positives, *e.negatives]]
    teacher = Reranker(str(teacher_dir), device="cpu", activation=None).score_pairs(pairs)
    settings = config(tmp_path, loss="mse", max_steps=25, learning_rate=3e-5, batch_size=8, num_negatives=4)
    result = distill_reranker(EXAMPLES, teacher_dir, settings)
    assert result.kept_layers == [0] and result.teacher_layers == 2 and result.steps == 25
    assert result.teacher_pairs == len(pairs)

    from sentence_transformers import CrossEncoder

    untrained, _, _ = student_from(CrossEncoder(str(teacher_dir), device="cpu"), 1)
    start = Reranker(untrained, device="cpu", activation=None, max_length=48).score_pairs(pairs)
    trained = Reranker(str(result.model_path), device="cpu", activation=None).score_pairs(pairs)

    def error(scores: list[float]) -> float:
        return sum((a - b) ** 2 for a, b in zip(scores, teacher, strict=True)) / len(pairs)

    assert error(trained) < error(start)


def test_the_student_is_saved_with_the_teachers_recipe(teacher_dir: Path, tmp_path: Path) -> None:
    result = distill_reranker(EXAMPLES, teacher_dir, config(tmp_path, max_steps=1))
    recipe = read_recipe(result.model_path)
    assert recipe is not None
    assert (recipe.max_length, recipe.fusion_weight, recipe.retriever) == (48, 0.4, "FaissSource")
    assert recipe.validation is not None and recipe.validation["kept_layers"] == [0]
    saved = json.loads((result.model_path / "config.json").read_text(encoding="utf-8"))
    assert saved["num_hidden_layers"] == 1
    assert Reranker(str(result.model_path), device="cpu").fusion_weight == 0.4

    with pytest.raises(FileExistsError, match="already exists"):
        distill_reranker(EXAMPLES, teacher_dir, config(tmp_path, max_steps=1))
    with pytest.raises(ValueError, match="layers=3, but the teacher has 2"):
        distill_reranker(EXAMPLES, teacher_dir, config(tmp_path, layers=3, output_dir=str(tmp_path / "x")))
    assert not (tmp_path / "x").exists()
    with pytest.raises(ValueError, match="loss='bce'"):
        RerankerDistillationConfig(loss="bce")
    with pytest.raises(ValueError, match="activation=None"):
        distill_reranker(
            EXAMPLES, Reranker(str(teacher_dir)), config(tmp_path, output_dir=str(tmp_path / "y"))
        )


def test_a_student_may_read_first_tokens_in_front_of_a_teacher_served_by_windows(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    teacher = tmp_path / "windows-teacher"
    shutil.copytree(tiny_model_dir, teacher)
    write_recipe(teacher, ServingRecipe(max_length=48, long_passages="max_window", fusion_weight=0.4))
    inherited = distill_reranker(EXAMPLES, teacher, config(tmp_path, max_steps=1))
    first_tokens = distill_reranker(
        EXAMPLES,
        teacher,
        config(tmp_path, max_steps=1, long_passages="truncate", output_dir=str(tmp_path / "first")),
    )
    kept = read_recipe(inherited.model_path)
    cheap = read_recipe(first_tokens.model_path)
    assert kept is not None and cheap is not None
    assert (kept.long_passages, cheap.long_passages) == ("max_window", "truncate")
    assert (
        cheap.validation is not None
        and cheap.validation["note"] == "fusion weight inherited from the teacher"
    )
    assert Reranker(str(first_tokens.model_path), device="cpu").long_passages == "truncate"
    with pytest.raises(ValueError, match="long_passages='first'; expected 'teacher', 'truncate'"):
        RerankerDistillationConfig(long_passages="first")  # type: ignore[arg-type]


def test_cli_distill_reranker(teacher_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    examples = tmp_path / "train.jsonl"
    examples.write_text("".join(json.dumps(e.to_dict()) + "\n" for e in EXAMPLES), encoding="utf-8")
    out = tmp_path / "cli-student"
    argv = ["distill-reranker", str(teacher_dir), str(examples), "--output-dir", str(out), "--layers", "1"]
    assert main([*argv, "--max-steps", "1", "--no-progress", "--device", "cpu"]) == 0
    assert "1-layer student" in capsys.readouterr().out
    assert read_recipe(out) is not None
    first_tokens = tmp_path / "cli-first-tokens"
    assert (
        main(
            [
                *argv[:3],
                "--output-dir",
                str(first_tokens),
                "--layers",
                "1",
                "--long-passages",
                "truncate",
                "--max-steps",
                "1",
                "--no-progress",
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    assert read_recipe(first_tokens).long_passages == "truncate"  # type: ignore[union-attr]
    assert main([*argv[:-1], "5", "--output-dir", str(tmp_path / "other"), "--device", "cpu"]) == 1
    assert "layers=5, but the teacher has 2" in capsys.readouterr().err
