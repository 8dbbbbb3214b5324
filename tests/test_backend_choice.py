"""The fastest verified backend: measured, checked against torch fp32, recorded and served."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from xrerank import Reranker
from xrerank.cli.main import main
from xrerank.models.backend_candidates import BackendCandidate
from xrerank.models.backend_choice import choose_backend, export_fastest, ranking_kept
from xrerank.models.serving_recipe import ServingRecipe, backend_options, read_recipe, write_recipe

SAMPLE = [
    ("capital of France", ["Paris is the capital of France.", "Berlin is big.", "Bananas are yellow."]),
    (
        "what is BM25",
        ["BM25 ranks documents by term statistics.", "A cat sat.", "Rerankers reorder results."],
    ),
]
FAST = {"rounds": 1, "batch_sizes": (4,), "sample": SAMPLE}


@pytest.fixture
def served_dir(tiny_model_dir: Path, tmp_path: Path) -> Path:
    path = tmp_path / "tuned"
    shutil.copytree(tiny_model_dir, path)
    write_recipe(path, ServingRecipe(max_length=48, fusion_weight=0.6))
    return path


def test_ranking_kept_allows_swaps_of_near_ties_only() -> None:
    assert ranking_kept([2.0, 1.0, 1.01], [2.0, 1.02, 1.0], [3], tie_tolerance=0.05)
    assert not ranking_kept([2.0, 1.0, 1.01], [0.5, 1.02, 1.0], [3], tie_tolerance=0.05)
    # Groups are compared within themselves only.
    assert ranking_kept([2.0, 1.0, 0.0, 5.0], [2.0, 1.0, 9.0, 10.0], [2, 2], tie_tolerance=0.0)


def test_choice_checks_every_candidate_against_torch(served_dir: Path, tmp_path: Path) -> None:
    candidates = [BackendCandidate("onnx"), BackendCandidate("onnx", "int8")]
    choice, folders = choose_backend(served_dir, work_dir=tmp_path / "work", candidates=candidates, **FAST)
    labels = [r.candidate.label for r in choice.results]
    assert labels == ["torch fp32", "onnx fp32", "onnx int8"]  # torch always runs: it is the reference
    by_label = {r.candidate.label: r for r in choice.results}
    assert by_label["torch fp32"].max_difference == 0.0
    assert by_label["onnx fp32"].max_difference < 1e-4 and by_label["onnx fp32"].passed
    assert by_label["onnx int8"].max_difference > 0  # int8 moves scores
    assert choice.chosen.passed and choice.chosen.pairs_per_second > 0
    assert choice.chosen.pairs_per_second == max(r.pairs_per_second for r in choice.results if r.passed)
    assert set(folders) == {"onnx fp32", "onnx int8"}
    assert choice.batch_size == 4 and choice.threads >= 1

    # With no difference allowed, int8 fails its check and can never be chosen.
    strict, _ = choose_backend(
        served_dir, work_dir=tmp_path / "strict", candidates=candidates, max_difference=0.0, **FAST
    )
    assert not {r.candidate.label: r for r in strict.results}["onnx int8"].passed
    assert strict.chosen.candidate.label != "onnx int8"


def test_export_auto_records_the_choice_and_reranker_serves_it(served_dir: Path, tmp_path: Path) -> None:
    out, choice = export_fastest(served_dir, tmp_path / "fast", candidates=[BackendCandidate("onnx")], **FAST)
    recipe = read_recipe(out)
    assert recipe is not None and recipe.backend is not None
    assert recipe.backend["backend"] == choice.chosen.candidate.backend
    assert set(recipe.backend["measured"]) == {"torch fp32", "onnx fp32"}
    assert (recipe.max_length, recipe.fusion_weight) == (48, 0.6)  # the source's recipe travels along
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left behind

    served = Reranker(str(out), device="cpu", activation=None)
    reference = Reranker(str(served_dir), device="cpu", activation=None)
    assert served.model_kwargs == backend_options(recipe)
    query, texts = SAMPLE[0]
    assert served.score(query, texts) == pytest.approx(reference.score(query, texts), abs=1e-4)
    assert served.load().max_length == 48


def test_backend_record_is_validated_and_maps_to_openvino_options() -> None:
    record = {
        "backend": "openvino",
        "file_name": "openvino/openvino_model.xml",
        "precision": "bf16",
        "threads": 2,
    }
    assert backend_options(ServingRecipe(backend=record)) == {
        "ov_config": {"INFERENCE_PRECISION_HINT": "bf16", "INFERENCE_NUM_THREADS": "2"}
    }
    assert backend_options(ServingRecipe(backend={"backend": "torch"})) == {}
    with pytest.raises(ValueError, match="'backend' is 'torch', 'onnx' or 'openvino'"):
        ServingRecipe(backend={"backend": "tensorrt"})
    with pytest.raises(ValueError, match="precision='fp8'"):
        ServingRecipe(backend={**record, "precision": "fp8"})
    with pytest.raises(ValueError, match="without a 'file_name'"):
        ServingRecipe(backend={"backend": "onnx"})


def test_cli_export_auto(served_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "auto"
    assert main(["export", str(served_dir), str(out), "--backend", "auto"]) == 0
    printed = capsys.readouterr().out
    assert "torch fp32" in printed and "recorded in its serving recipe" in printed
    recipe = read_recipe(out)
    assert recipe is not None and recipe.backend is not None
    assert Reranker(str(out), device="cpu").rank("capital of France", ["Paris.", "Bananas."])

    (tmp_path / "taken").write_text("a file", encoding="utf-8")
    assert main(["export", str(served_dir), str(tmp_path / "taken"), "--backend", "auto"]) == 1
    assert "is a file" in capsys.readouterr().err
    assert (tmp_path / "taken").read_text(encoding="utf-8") == "a file"
    assert main(["export", str(served_dir), str(out), "--backend", "auto", "--quantize", "int8"]) == 1
