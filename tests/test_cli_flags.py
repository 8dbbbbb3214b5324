"""CLI flags generated from the config dataclasses: every field a flag, its help the field's docstring.

The order of precedence is pinned too: a flag on the command line beats the ``--config`` file,
which beats the dataclass default, and a ``--config`` key that names nothing is refused.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import re
from pathlib import Path

import pytest

from xrerank.cli.common import CommandError
from xrerank.cli.config_flags import config_from_args
from xrerank.cli.main import build_parser, main
from xrerank.mining import MiningConfig
from xrerank.training import TrainingConfig

COMMAND_CONFIGS = [("train", TrainingConfig), ("mine", MiningConfig)]
# The arguments each command requires, so that parse_args gets past them.
REQUIRED = {
    "train": ["examples.jsonl"],
    "mine": ["--log", "log.jsonl", "--corpus", "corpus.jsonl", "--encoder", "enc", "-o", "out.jsonl"],
}


def subcommand(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    (commands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices[name]


def flags_by_field(name: str) -> dict[str, argparse.Action]:
    """``{dest: action}`` of a command's flags (the first flag of each dest)."""
    actions: dict[str, argparse.Action] = {}
    for action in subcommand(name)._actions:
        if action.option_strings:
            actions.setdefault(action.dest, action)
    return actions


def documented(config_class: type) -> dict[str, str]:
    """Each field's ``Attributes:`` entry, read straight from the docstrings (the class over its bases)."""
    entries: dict[str, str] = {}
    for cls in reversed(config_class.__mro__):
        doc = inspect.cleandoc(cls.__dict__.get("__doc__") or "")
        section = re.search(r"^Attributes:\n(.*?)(?=^\S|\Z)", doc, flags=re.S | re.M)
        if section:
            entry = r"^    (\w+): (.*?)(?=^    \w+: |\Z)"
            for name, text in re.findall(entry, section[1], flags=re.S | re.M):
                entries[name] = " ".join(text.split())
    return entries


def readable(text: str) -> str:
    """Docstring markup as --help shows it: ``x`` is x and :func:`~a.b.c` is c."""
    text = re.sub(r":[\w:]+:`~[^`]*\.([^`.]+)`", r"\1", text)
    text = re.sub(r":[\w:]+:`([^`]+)`", r"\1", text)
    return " ".join(text.replace("``", "").split())


@pytest.mark.parametrize(("command", "config_class"), COMMAND_CONFIGS)
def test_every_field_is_a_flag_named_after_it(command, config_class):
    actions = flags_by_field(command)
    for field in dataclasses.fields(config_class):
        assert field.name in actions, f"{config_class.__name__}.{field.name}: no flag in `xrerank {command}`"
        assert f"--{field.name.replace('_', '-')}" in actions[field.name].option_strings


@pytest.mark.parametrize(("command", "config_class"), COMMAND_CONFIGS)
def test_the_help_of_each_flag_is_the_fields_docstring_entry(command, config_class):
    entries = documented(config_class)
    actions = flags_by_field(command)
    for field in dataclasses.fields(config_class):
        assert field.name in entries, f"{config_class.__name__}.{field.name} is not documented"
        shown = " ".join((actions[field.name].help or "").replace("%%", "%").split())
        assert shown.startswith(readable(entries[field.name])), field.name
        assert "(default: " in shown


def test_help_texts_read_as_written():
    train = flags_by_field("train")
    learning_rate = readable(documented(TrainingConfig)["learning_rate"])
    assert train["learning_rate"].help == f"{learning_rate} (default: {TrainingConfig().learning_rate})"
    mine = flags_by_field("mine")
    assert mine["num_negatives"].help == "Negatives per query. (default: 5)"
    assert "None means range_min + 10 * num_negatives" in (mine["range_max"].help or "")
    assert "95 %% of the positive's score" in (mine["relative_margin"].help or "")  # argparse-escaped


def test_train_help_renders_and_shows_defaults(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")  # one line per help text: nothing wrapped mid-word
    with pytest.raises(SystemExit) as exited:
        main(["train", "--help"])
    assert exited.value.code == 0
    printed = " ".join(capsys.readouterr().out.split())
    for flag in ("--gradient-accumulation-steps", "--weight-decay", "--margin", "--save-total-limit"):
        assert flag in printed  # fields that only --config reached before
    learning_rate = readable(documented(TrainingConfig)["learning_rate"])
    assert f"{learning_rate} (default: {TrainingConfig().learning_rate})" in printed


def parse(command: str, *argv: str) -> argparse.Namespace:
    return build_parser().parse_args([command, *REQUIRED[command], *argv])


def write_config(tmp_path: Path, options: dict) -> str:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(options))
    return str(path)


def test_train_command_line_beats_config_beats_default(tmp_path):
    config_file = write_config(tmp_path, {"epochs": 2, "batch_size": 16, "resume": "ckpt", "overwrite": True})
    args = parse("train", "--config", config_file, "--epochs", "3", "--no-overwrite", "--no-progress")
    config, command_options = config_from_args(TrainingConfig, args)
    assert config.epochs == 3  # command line over --config
    assert config.overwrite is False  # an explicit --no-x beats the file too
    assert config.batch_size == 16 and config.resume == "ckpt"  # --config over the default
    assert config.learning_rate == TrainingConfig().learning_rate  # the default
    assert config.show_progress is False and command_options == {}


def test_train_typed_flags():
    config, _ = config_from_args(
        TrainingConfig,
        parse("train", "--resume", "--head-learning-rate", "none", "--max-steps", "7", "--device", "cpu"),
    )
    assert config.resume is True and config.head_learning_rate is None
    assert config.max_steps == 7 and config.device == "cpu"
    with pytest.raises(SystemExit):
        parse("train", "--max-steps", "seven")


def test_mine_command_line_beats_config_beats_default(tmp_path):
    config_file = write_config(
        tmp_path, {"num_negatives": 2, "relative_margin": 0.2, "seed": 3, "on_error": "skip"}
    )
    args = parse("mine", "--config", config_file, "--relative-margin", "none", "--no-judged-negatives")
    config, options = config_from_args(
        MiningConfig, args, command_defaults={"on_error": "raise", "teacher": None}
    )
    assert config.relative_margin is None  # an explicit 'none' beats the file's 0.2
    assert config.use_judged_negatives is False
    assert config.num_negatives == 2 and config.seed == 3
    assert config.batch_size == MiningConfig().batch_size
    assert options == {"on_error": "skip", "teacher": None}


@pytest.mark.parametrize(("command", "config_class"), COMMAND_CONFIGS)
def test_an_unknown_config_key_is_refused_with_the_known_ones(command, config_class, tmp_path):
    args = parse(command, "--config", write_config(tmp_path, {"lr": 0.1}))
    with pytest.raises(CommandError, match=r"unknown options \['lr'\]; known: \[.*'seed'.*\]") as refused:
        config_from_args(config_class, args)
    assert "\n" not in str(refused.value)


def test_a_bad_value_is_the_dataclass_message_as_a_command_error():
    with pytest.raises(CommandError, match="MiningConfig got sampling='best'"):
        config_from_args(MiningConfig, parse("mine", "--sampling", "best"))
