"""One command-line convention: the same flag names everywhere, defaults in --help, quiet stdout."""

from __future__ import annotations

import argparse
import json
import logging

import pytest

from xrerank import __version__
from xrerank.cli.main import COMMANDS, build_parser, main
from xrerank.examples import TrainingExample, save_examples

# Old spellings that must not come back: one name per thing.
RETIRED = {"--out", "--workdir"}


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (commands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(commands.choices)


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"xrerank {__version__}"


@pytest.mark.parametrize("command", COMMANDS)
def test_flag_names_and_defaults_in_help(command) -> None:
    parser = subcommands()[command]
    flags = {flag for action in parser._actions for flag in action.option_strings}
    assert not flags & RETIRED
    if any(flag.startswith("--output") and "dir" not in flag for flag in flags):
        assert "-o" in flags, f"{command}: an output file is --output/-o"
    help_text = " ".join(parser.format_help().split())
    for action in parser._actions:
        shown = action.default not in (None, False, [], argparse.SUPPRESS)
        if action.option_strings and shown and action.help and action.help != argparse.SUPPRESS:
            assert "default" in (action.help % {"default": action.default}).lower() or (
                f"(default: {action.default})" in help_text
            ), f"{command} {action.option_strings[0]}: default {action.default!r} not shown"


def test_score_has_device_batch_size_and_a_progress_bar(tiny_model_dir, capsys) -> None:
    passages = [f"passage number {i} about reranking" for i in range(6)]
    args = [
        "score",
        "reranking",
        "--model",
        str(tiny_model_dir),
        "--device",
        "cpu",
        "--batch-size",
        "2",
        "--json",
    ]
    assert main([*args, *(f"--passage={p}" for p in passages)]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 6
    assert "Reranking" in captured.err  # 3 batches of 2
    assert main([*args, "--no-progress", *(f"--passage={p}" for p in passages)]) == 0
    assert "Reranking" not in capsys.readouterr().err


def test_score_config_sets_options_and_the_command_line_wins(tiny_model_dir, tmp_path, capsys) -> None:
    config = tmp_path / "score.json"
    config.write_text(json.dumps({"model": str(tiny_model_dir), "top_k": 1, "device": "cpu"}))
    argv = [
        "score",
        "q",
        "--passage",
        "a",
        "--passage",
        "b",
        "--config",
        str(config),
        "--json",
        "--no-progress",
    ]
    assert main(argv) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1
    assert main([*argv, "--top-k", "2"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_train_prints_no_raw_dicts_and_labels_its_stages(tiny_model_dir, tmp_path, capsys, caplog) -> None:
    examples = [TrainingExample(f"query {i}", [f"answer {i}"], [f"other {i}"]) for i in range(4)]
    save_examples(examples, tmp_path / "train.jsonl")
    save_examples(examples, tmp_path / "cold.jsonl")
    argv = ["train", str(tmp_path / "train.jsonl"), "--cold-start", str(tmp_path / "cold.jsonl")]
    argv += ["--base-model", str(tiny_model_dir), "--output-dir", str(tmp_path / "model"), "--max-steps", "2"]
    argv += [
        "--logging-steps",
        "1",
        "--batch-size",
        "2",
        "--max-length",
        "32",
        "--device",
        "cpu",
        "--loss",
        "bce",
    ]
    with caplog.at_level(logging.INFO, logger="xrerank.training.trainer"):
        assert main(argv) == 0
    captured = capsys.readouterr()
    assert "{'loss'" not in captured.out + captured.err  # no raw dicts on either stream
    assert any("'loss'" in record.getMessage() for record in caplog.records)  # they go to logging
    assert "stage 1/2: cold start" in captured.err and "stage 2/2: training examples" in captured.err
