"""``xrerank compare`` and what it is built from: agreement measures and the comparison report."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from xrerank.cli import main
from xrerank.evaluation.agreement import kendall_tau, run_agreement, top_k_overlap
from xrerank.evaluation.comparison import TimedRun

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

QUERIES = {
    "q1": "what is the capital of France?",
    "q2": "how do plants make sugar?",
    "q3": "which fruit is rich in potassium?",
}
DOCUMENTS = {
    "d1": "Paris is the capital and largest city of France.",
    "d2": "Photosynthesis turns light, water and carbon dioxide into sugar.",
    "d3": "Bananas are rich in potassium.",
    "d4": "The Eiffel Tower is a wrought-iron lattice tower in Paris.",
    "d5": "France borders Spain, Italy, Germany and Belgium.",
    "d6": "A cross-encoder reads the query and the passage together.",
}
RELEVANT = {"q1": "d1", "q2": "d2", "q3": "d3"}


# --------------------------------------------------------------------------- agreement


def test_kendall_tau_matches_scipy_with_ties() -> None:
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = random.Random(7)
    for _ in range(100):
        n = rng.randint(2, 12)
        a = [rng.choice([0.0, 1.0, 2.0, 3.5]) for _ in range(n)]
        b = [rng.choice([0.0, 1.0, 2.0, 5.0]) for _ in range(n)]
        expected = scipy_stats.kendalltau(a, b).statistic
        ours = kendall_tau(a, b)
        if expected != expected:  # nan: undefined
            assert ours is None
        else:
            assert ours == pytest.approx(expected, abs=1e-12)


def test_kendall_tau_and_overlap_by_hand() -> None:
    assert kendall_tau([1.0, 2.0, 3.0], [10.0, 20.0, 30.0]) == 1.0
    assert kendall_tau([1.0, 2.0, 3.0], [3.0, 2.0, 1.0]) == -1.0
    assert kendall_tau([5.0], [1.0]) is None
    assert top_k_overlap([4.0, 3.0, 2.0, 1.0], [1.0, 3.0, 2.0, 4.0], k=2) == 0.5
    assert top_k_overlap([1.0, 2.0], [2.0, 1.0], k=5) == 1.0  # fewer than k items: all of them
    with pytest.raises(ValueError, match="expected one per item"):
        kendall_tau([1.0], [1.0, 2.0])


def test_run_agreement_refuses_different_candidates() -> None:
    assert run_agreement({"q": {"a": 1.0, "b": 0.0}}, {"q": {"a": 5.0, "b": 1.0}}) == {
        "kendall_tau": 1.0,
        "top5_overlap": 1.0,
    }
    with pytest.raises(ValueError, match="different candidates"):
        run_agreement({"q": {"a": 1.0, "b": 0.0}}, {"q": {"a": 1.0, "c": 0.0}})


def test_latency_percentiles_use_the_nearest_rank() -> None:
    timing = TimedRun(run={}, latencies_ms=[float(v) for v in range(1, 101)], pairs=400)
    assert (timing.percentile_ms(50), timing.percentile_ms(95), timing.percentile_ms(99)) == (
        50.0,
        95.0,
        99.0,
    )
    assert timing.pairs_per_second == pytest.approx(400 / (5050 / 1000))


# --------------------------------------------------------------------------- the command


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def eval_files(tmp_path: Path) -> dict[str, Path]:
    """queries, documents, candidates (every document for every query) and qrels, as `xrerank eval` takes."""
    candidates = [
        {"query_id": q, "doc_id": d, "score": 1.0 / (rank + 1)}
        for q in QUERIES
        for rank, d in enumerate(DOCUMENTS)
    ]
    qrels = tmp_path / "qrels.tsv"
    qrels.write_text("query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t1\n" for q, d in RELEVANT.items()))
    return {
        "queries": write_jsonl(
            tmp_path / "queries.jsonl", [{"id": q, "text": t} for q, t in QUERIES.items()]
        ),
        "documents": write_jsonl(
            tmp_path / "documents.jsonl", [{"_id": d, "text": t} for d, t in DOCUMENTS.items()]
        ),
        "candidates": write_jsonl(tmp_path / "candidates.jsonl", candidates),
        "qrels": qrels,
    }


def file_args(files: dict[str, Path], *names: str) -> list[str]:
    args: list[str] = []
    for name in names or ("queries", "documents", "candidates", "qrels"):
        args += [f"--{name}", str(files[name])]
    return args


def test_compare_prints_one_table_and_saves_json_and_png(
    eval_files, tiny_model_dir: Path, tiny_encoder_dir: Path, tmp_path: Path, capsys
) -> None:
    output, plot = tmp_path / "out" / "compare.json", tmp_path / "compare.png"
    output.parent.mkdir()  # the CLI checks output folders before the work instead of creating them
    argv = ["compare", f"cross={tiny_model_dir}", f"again={tiny_model_dir}", f"late=late:{tiny_encoder_dir}"]
    argv += [*file_args(eval_files), "--device", "cpu", "--no-progress"]
    code = main([*argv, "--output", str(output), "--plot", str(plot)])
    printed = capsys.readouterr().out
    assert code == 0

    header, rule, *rows = printed.splitlines()
    for column in ("pairs/s", "ms/query", "tau vs ref", "top-5 overlap", "NDCG@10"):
        assert column in header
    assert set(rule) == {"-"}
    names = [row.split()[0] for row in rows[:3]]
    assert names == ["cross", "again", "late"]
    assert rows[0].split()[4:6] == ["ref", "ref"]
    assert "3 queries, 18 pairs per model" in printed
    assert "retriever's order: NDCG@10" in printed

    report = json.loads(output.read_text())
    assert report["reference"] == "cross" and report["queries"] == 3 and report["pairs"] == 18
    cross, again, late = report["models"]
    # The same deterministic model twice agrees with itself exactly.
    assert again["kendall_tau"] == pytest.approx(1.0) and again["top5_overlap"] == 1.0
    assert again["ndcg@10"] == pytest.approx(cross["ndcg@10"])
    assert -1.0 <= late["kendall_tau"] <= 1.0 and 0.0 <= late["ndcg@10"] <= 1.0
    for model in report["models"]:
        assert len(model["latencies_ms"]) == 3 and model["pairs_per_second"] > 0
        assert model["p50_latency_ms"] <= model["p95_latency_ms"] <= model["p99_latency_ms"]

    data = plot.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    from matplotlib.image import imread

    height, width, _ = imread(str(plot)).shape
    assert height > 100 and width > 100


def test_without_labels_there_is_no_ndcg_column(eval_files, tiny_model_dir: Path, tmp_path, capsys) -> None:
    plot = tmp_path / "tau.png"
    argv = ["compare", f"a={tiny_model_dir}", f"b={tiny_model_dir}", *file_args(eval_files, "queries")]
    argv += [*file_args(eval_files, "documents", "candidates"), "--plot", str(plot), "--top-k", "4"]
    assert main([*argv, "--device", "cpu", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "NDCG@10" not in printed and "12 pairs per model" in printed
    assert plot.read_bytes().startswith(PNG_SIGNATURE)


def test_beir_folder_gets_bm25_candidates(tmp_path: Path, tiny_model_dir: Path, capsys) -> None:
    pytest.importorskip("bm25s")
    folder = tmp_path / "beir"
    (folder / "qrels").mkdir(parents=True)
    write_jsonl(folder / "corpus.jsonl", [{"_id": d, "title": "", "text": t} for d, t in DOCUMENTS.items()])
    write_jsonl(folder / "queries.jsonl", [{"_id": q, "text": t} for q, t in QUERIES.items()])
    (folder / "qrels" / "dev.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t1\n" for q, d in RELEVANT.items())
    )
    argv = ["compare", str(tiny_model_dir), "--beir", str(folder), "--split", "dev", "--max-queries", "2"]
    assert main([*argv, "--top-k", "3", "--device", "cpu", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "2 queries" in printed and "NDCG@10" in printed

    assert main(["compare", str(tiny_model_dir), "--beir", str(folder), "--split", "test"]) == 1
    assert "splits in this folder: dev" in capsys.readouterr().err


def _edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text().replace(old, new))


@pytest.mark.parametrize(
    ("break_inputs", "message"),
    [
        (lambda f: _edit(f["candidates"], '"q3"', '"q9"'), "query 'q9', which is not in --queries"),
        (lambda f: _edit(f["candidates"], '"d6"', '"d60"'), "document 'd60' for query 'q1'"),
        (lambda f: _edit(f["qrels"], "q", "x"), "no query of --candidates has judgments"),
        (lambda f: f["candidates"].write_text(""), "no candidates in it"),
    ],
)
def test_mismatched_inputs_are_named(
    eval_files, tiny_model_dir: Path, break_inputs, message: str, capsys
) -> None:
    break_inputs(eval_files)
    code = main(["compare", str(tiny_model_dir), *file_args(eval_files), "--device", "cpu", "--no-progress"])
    assert code == 1
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("models", "extra", "message"),
    [
        (["{missing}"], [], "Could not load"),
        (["late:{missing}"], [], "no such directory"),
        (["late:"], [], "names no model"),
        (["x={model}", "x=late:{model}"], [], "two models are named 'x'"),
        (["{model}"], ["--beir", "{missing}"], "not both"),
        (["{model}"], ["--top-k", "0"], "--top-k 0"),
    ],
)
def test_bad_models_and_options_fail_with_the_fix(
    eval_files, tiny_model_dir: Path, tmp_path: Path, models, extra, message: str, capsys
) -> None:
    values = {"model": str(tiny_model_dir), "missing": str(tmp_path / "no-such-model")}
    argv = ["compare", *(m.format(**values) for m in models), *file_args(eval_files)]
    code = main([*argv, *(e.format(**values) for e in extra), "--device", "cpu", "--no-progress"])
    assert code == 1
    assert message in capsys.readouterr().err


def test_pickle_weights_need_the_flag(eval_files, tiny_model_dir: Path, tmp_path: Path, capsys) -> None:
    from test_weights_safety import pickle_only_copy

    pickled = pickle_only_copy(tiny_model_dir, tmp_path / "pickled")
    argv = ["compare", str(pickled), f"late:{pickled}", *file_args(eval_files), "--no-progress"]
    assert main(argv) == 1
    assert "allow_pickle_weights" in capsys.readouterr().err
    assert main([*argv, "--allow-pickle-weights"]) == 0


def test_the_files_are_required_without_a_beir_folder(tiny_model_dir: Path, capsys) -> None:
    assert main(["compare", str(tiny_model_dir)]) == 1
    assert "--queries is required (or use --beir DIR)" in capsys.readouterr().err
