"""``xrerank train`` and ``xrerank eval`` as a shell user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xrerank.cli import main
from xrerank.examples import TrainingExample, save_examples


@pytest.fixture
def examples_file(tmp_path: Path) -> Path:
    examples = [
        TrainingExample(
            f"what causes condition {i}?",
            [f"condition {i} is caused by factor {i}."],
            [f"unrelated remark {i}-{j}." for j in range(3)],
        )
        for i in range(6)
    ]
    path = tmp_path / "train.jsonl"
    save_examples(examples, path)
    return path


def test_train_saves_a_model_and_reports_before_after(tmp_path, examples_file, tiny_model_dir, capsys):
    out = tmp_path / "model"
    config = tmp_path / "train.json"
    config.write_text(json.dumps({"loss": "bce", "max_length": 32, "batch_size": 4}))
    code = main(
        [
            "train",
            str(examples_file),
            "--base-model",
            str(tiny_model_dir),
            "--max-steps",
            "2",
            "--output-dir",
            str(out),
            "--eval-examples",
            str(examples_file),
            "--config",
            str(config),
            "--device",
            "cpu",
            "--no-progress",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert f"Saved the fine-tuned reranker to {out}" in printed and "ndcg@10:" in printed
    info = json.loads((out / "xrerank_training.json").read_text())
    assert info["config"]["loss"] == "bce" and info["config"]["max_steps"] == 2  # file + flags merged
    # Running again into the same directory is refused with the fix.
    code = main(
        [
            "train",
            str(examples_file),
            "--base-model",
            str(tiny_model_dir),
            "--max-steps",
            "1",
            "--output-dir",
            str(out),
            "--device",
            "cpu",
            "--no-progress",
        ]
    )
    assert code == 1
    assert "--overwrite" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "missing.jsonl"], "missing.jsonl: no such file"),
        (["train", "{examples}", "--loss", "hinge"], "expected one of bce"),
        (["train", "{examples}", "--config", "{bad_config}"], "unknown options ['lr']"),
        (["train", "{examples}", "--long-passages", "chunks"], "long_passages='chunks'"),
    ],
)
def test_train_errors_are_one_line_messages(argv, message, tmp_path, examples_file, capsys):
    bad_config = tmp_path / "bad.json"
    bad_config.write_text('{"lr": 0.1}')
    argv = [a.format(examples=examples_file, bad_config=bad_config) for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("xrerank train: error:") and message in err


def test_train_on_windows_from_a_fresh_head_says_what_to_add(
    tmp_path, examples_file, tiny_encoder_dir, capsys
):
    out = tmp_path / "model"
    argv = [
        "train",
        str(examples_file),
        "--base-model",
        str(tiny_encoder_dir),
        "--long-passages",
        "max_window",
    ]
    assert main([*argv, "--output-dir", str(out), "--device", "cpu", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("xrerank train: error:") and "`xrerank train --cold-start`" in err
    assert not out.exists()


def write_eval_files(tmp_path: Path) -> dict[str, Path]:
    files = {name: tmp_path / name for name in ("queries.jsonl", "docs.jsonl", "run.trec", "qrels.tsv")}
    files["queries.jsonl"].write_text(
        "\n".join(json.dumps({"_id": q, "text": t}) for q, t in [("1", "what is bm25"), ("2", "pasta sauce")])
        + "\n"
    )
    files["docs.jsonl"].write_text(
        "\n".join(
            json.dumps({"_id": d, "title": "T", "text": t})
            for d, t in [
                ("a", "BM25 ranks documents."),
                ("b", "Tomato sauce for pasta."),
                ("c", "Unrelated."),
            ]
        )
        + "\n"
    )
    files["run.trec"].write_text(
        "".join(
            f"{q} Q0 {d} {r} {s} dense\n"
            for q, d, r, s in [
                ("1", "b", 1, 0.9),
                ("1", "a", 2, 0.8),
                ("1", "c", 3, 0.1),
                ("2", "b", 1, 0.7),
                ("2", "c", 2, 0.6),
            ]
        )
    )
    files["qrels.tsv"].write_text("query-id\tcorpus-id\tscore\n1\ta\t1\n2\tb\t1\n")
    return files


def test_eval_prints_the_table_and_saves_json(tmp_path, tiny_model_dir, capsys):
    f = write_eval_files(tmp_path)
    out = tmp_path / "results.json"
    code = main(
        [
            "eval",
            "--queries",
            str(f["queries.jsonl"]),
            "--documents",
            str(f["docs.jsonl"]),
            "--candidates",
            str(f["run.trec"]),
            "--qrels",
            str(f["qrels.tsv"]),
            "--model",
            f"base={tiny_model_dir}",
            "--model",
            f"tuned={tiny_model_dir}",
            "--top-k",
            "3",
            "--fusion-weight",
            "0.5",
            "--report",
            "--output",
            str(out),
            "--no-progress",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert "2 queries, reranking the retriever's top-3" in printed
    for name in ("retriever", "base", "tuned", "tuned+fusion"):
        assert name in printed
    assert "Overall:" in printed
    saved = json.loads(out.read_text())
    assert saved["metrics"]["retriever"]["mrr@10"] == pytest.approx(0.75)


def test_eval_reports_missing_inputs_clearly(tmp_path, capsys):
    f = write_eval_files(tmp_path)
    assert main(["eval", "--queries", str(f["queries.jsonl"])]) == 1
    assert "--documents is required" in capsys.readouterr().err
    (tmp_path / "bad.trec").write_text("1 Q0 a\n")
    assert (
        main(
            [
                "eval",
                "--queries",
                str(f["queries.jsonl"]),
                "--documents",
                str(f["docs.jsonl"]),
                "--candidates",
                str(tmp_path / "bad.trec"),
                "--qrels",
                str(f["qrels.tsv"]),
            ]
        )
        == 1
    )
    assert "bad.trec:1: expected 'qid Q0 docid rank score tag'" in capsys.readouterr().err


def test_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--help"])
    assert exit_info.value.code == 0
    assert "--loss" in capsys.readouterr().out


def test_eval_topics_without_seen_topics_is_refused_before_the_work(tmp_path, capsys):
    topics = tmp_path / "topics.json"
    topics.write_text('{"q1": "law"}', encoding="utf-8")
    args = ["eval", "--queries", "q", "--documents", "d", "--candidates", "c", "--qrels", "r"]
    code = main([*args, "--model", "no-model", "--report", "--topics", str(topics)])
    assert code != 0
    assert "pass --seen-topics too" in capsys.readouterr().err
