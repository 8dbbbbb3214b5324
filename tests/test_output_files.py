"""Output files are replaced in one step: a failed or interrupted write never costs the previous file.

:mod:`xrerank.output_files` is the one home of that rule; every command and public function that
writes a user-visible file goes through it (tests/test_cli_faults.py checks the commands).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from xrerank.examples import TrainingExample, load_examples, save_examples
from xrerank.output_files import (
    atomic_output,
    atomic_write_bytes,
    atomic_write_text,
    check_output_dir,
    check_output_path,
)

PREVIOUS = b'{"query": "yesterday\'s good file", "positives": ["p"]}\n'


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    path = tmp_path / "out.jsonl"
    path.write_bytes(PREVIOUS)
    return path


@pytest.mark.parametrize("failure", [RuntimeError("disk full"), KeyboardInterrupt()], ids=["error", "ctrl-c"])
def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temporary(previous, failure) -> None:
    with pytest.raises(type(failure)), atomic_output(previous) as handle:
        handle.write("half a line")
        raise failure
    assert previous.read_bytes() == PREVIOUS
    assert names(previous.parent) == ["out.jsonl"]


def test_a_failure_in_fsync_keeps_the_previous_file(previous, monkeypatch) -> None:
    def fail(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError, match="No space"):
        atomic_write_text(previous, "new content")
    assert previous.read_bytes() == PREVIOUS
    assert names(previous.parent) == ["out.jsonl"]


def test_a_successful_write_replaces_the_file(previous) -> None:
    assert atomic_write_text(previous, "new\n") == previous
    assert previous.read_text() == "new\n"
    assert atomic_write_bytes(previous, b"\x89PNG") == previous
    assert previous.read_bytes() == b"\x89PNG"
    assert names(previous.parent) == ["out.jsonl"]


@pytest.mark.parametrize(("umask", "expected"), [(0o022, 0o644), (0o027, 0o640)])
def test_a_new_file_gets_what_the_umask_gives_any_file(tmp_path, umask, expected) -> None:
    old = os.umask(umask)
    try:
        atomic_write_text(tmp_path / "new.json", "{}")
    finally:
        os.umask(old)
    assert mode(tmp_path / "new.json") == expected


@pytest.mark.parametrize("bits", [0o600, 0o664])
def test_a_replaced_file_keeps_its_permission_bits(previous, bits) -> None:
    previous.chmod(bits)
    atomic_write_text(previous, "new")
    assert mode(previous) == bits


def test_save_examples_keeps_the_previous_file_when_the_examples_fail_half_way(previous) -> None:
    def examples() -> Iterator[TrainingExample]:
        yield TrainingExample("first query", ["a passage"])
        raise ValueError("bad log line 2")

    with pytest.raises(ValueError, match="bad log line"):
        save_examples(examples(), previous)
    assert previous.read_bytes() == PREVIOUS
    assert names(previous.parent) == ["out.jsonl"]
    assert save_examples([TrainingExample("q", ["p"], ["n"])], previous) == 1
    assert [e.query for e in load_examples(previous)] == ["q"]


def test_check_output_path_refuses_what_cannot_be_written(tmp_path) -> None:
    assert check_output_path(tmp_path / "new.json", what="--output") == tmp_path / "new.json"
    with pytest.raises(ValueError, match=r"^--output .* is a directory; give a file name"):
        check_output_path(tmp_path, what="--output")
    with pytest.raises(
        ValueError, match=r"^--report-json .*missing/r.json: the folder .*missing does not exist"
    ):
        check_output_path(tmp_path / "missing" / "r.json", what="--report-json")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_check_output_path_refuses_a_read_only_folder_and_file(tmp_path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    (folder / "kept.json").write_text("{}")
    folder.chmod(0o555)
    try:
        with pytest.raises(ValueError, match="is not writable"):
            check_output_path(folder / "new.json", what="--output")
    finally:
        folder.chmod(0o755)
    (folder / "kept.json").chmod(0o444)
    with pytest.raises(ValueError, match="is read-only"):
        check_output_path(folder / "kept.json", what="--output")


def test_check_output_dir_refuses_a_file(tmp_path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    with pytest.raises(ValueError, match="is a file, not a directory"):
        check_output_dir(notes, what="--output-dir")
    assert check_output_dir(tmp_path / "model", what="--output-dir") == tmp_path / "model"
    assert notes.read_text() == "mine"


def test_atomic_output_refuses_a_directory(tmp_path) -> None:
    with pytest.raises(IsADirectoryError), atomic_output(tmp_path):
        pass
    assert names(tmp_path) == []
