"""Every command against a careless user's files: one line ``xrerank CMD: error:`` naming the file.

The matrix runs each command in-process with one fault at a time (missing, empty, not UTF-8,
malformed JSON/YAML, wrong shape, duplicate ids, an option out of range, a misspelt --config key,
an output path that is a directory, has no folder, or is a file where a model directory goes).
The fault tests for outputs make a writing command fail after its work started, with
yesterday's good output in place, and check that it is byte-identical and no temporary file is left.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from xrerank.cli import main
from xrerank.examples import TrainingExample, save_examples

faiss = pytest.importorskip("faiss")

# Two sentences of 5+ words each, so that cold start can make a pseudo-query of one of them.
DOCS = {
    "d1": "Classic search engines score documents by shared words. BM25 ranks documents by term frequency.",
    "d2": "Dense retrieval needs an embedding model for queries. It ranks passages by the cosine of vectors.",
    "d3": "A cross-encoder reads the query and the passage together. It outputs one relevance score.",
    "d4": "Paris is the capital and largest city of France. The city is a centre of finance and culture.",
    "d5": "The Eiffel Tower was completed in the year 1889. It stands on the Champ de Mars in Paris.",
    "d6": "Cats sleep between twelve and sixteen hours a day. Kittens and old cats sleep even longer.",
}
LOG = [
    {"query": "what is BM25?", "positive_ids": ["d1"], "shown": ["d2", "d1"]},
    {"query": "capital of France", "positive_ids": ["d4"], "shown": ["d5", "d4"]},
    {"query": "how does a cross-encoder score?", "positive_ids": ["d3"], "shown": ["d3", "d2"]},
]
NOT_UTF8 = b'{"_id": "d1", "text": "caf\xe9 au lait"}\n'


def jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory, tiny_encoder_dir) -> dict[str, Path]:
    """Good input files for every command; each fault replaces one of them."""
    folder = tmp_path_factory.mktemp("inputs")
    f = {
        "corpus": jsonl(
            folder / "corpus.jsonl", [{"_id": i, "title": i, "text": t} for i, t in DOCS.items()]
        ),
        "log": jsonl(folder / "log.jsonl", LOG),
        "queries": jsonl(folder / "queries.jsonl", [{"id": "1", "text": "what is BM25?"}]),
        "documents": jsonl(folder / "documents.jsonl", [{"id": i, "text": t} for i, t in DOCS.items()]),
        "run": folder / "run.trec",
        "qrels": folder / "qrels.tsv",
        "passages": folder / "passages.txt",
        "examples": folder / "train.jsonl",
    }
    f["run"].write_text("".join(f"1 Q0 d{i} {i} {1 / i} dense\n" for i in range(1, 4)))
    f["qrels"].write_text("query-id\tcorpus-id\tscore\n1\td1\t1\n")
    f["passages"].write_text("BM25 ranks documents.\nCats sleep a lot.\n")
    save_examples(
        [TrainingExample(q["query"], [DOCS[q["positive_ids"][0]]], [DOCS["d6"]]) for q in LOG], f["examples"]
    )
    # A FAISS index whose row i is line i of the corpus, as the user built it.
    from sentence_transformers import SentenceTransformer

    vectors = SentenceTransformer(str(tiny_encoder_dir), device="cpu").encode(list(DOCS.values()))
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    faiss.write_index(index, str(folder / "corpus.faiss"))
    f["faiss"] = folder / "corpus.faiss"
    return f


@dataclass(frozen=True)
class Fault:
    """One command with one bad input; ``names`` must all appear in the error line."""

    command: str
    args: Callable[[dict[str, Path], Path], list[str]]
    names: Callable[[dict[str, Path], Path], list[str]]


def base_args(command: str, f: dict[str, Path], tmp: Path, models: dict[str, Path]) -> list[str]:
    """A complete command line that would run, before a fault replaces one of its parts."""
    store = ["--corpus", str(f["corpus"]), "--encoder", str(models["encoder"]), "--no-progress"]
    eval_files = ["--queries", str(f["queries"]), "--documents", str(f["documents"])]
    eval_files += ["--candidates", str(f["run"]), "--qrels", str(f["qrels"])]
    return {
        "score": [
            "score",
            "what is BM25?",
            "--model",
            str(models["model"]),
            "--passages-file",
            str(f["passages"]),
        ],
        "eval": ["eval", *eval_files, "--model", str(models["model"]), "--no-progress"],
        "compare": ["compare", str(models["model"]), *eval_files, "--device", "cpu", "--no-progress"],
        "mine": ["mine", "--log", str(f["log"]), *store, "-o", str(tmp / "out.jsonl")],
        "cold-start": ["cold-start", *store, "-o", str(tmp / "out.jsonl")],
        "train": ["train", str(f["examples"]), "--base-model", str(models["model"]), "--no-progress"],
        "tune": ["tune", "--log", str(f["log"]), *store, "--base-model", str(models["model"])],
        "export": ["export", str(models["model"]), str(tmp / "export")],
        "demo": ["demo", "--no-progress"],
        "distill-reranker": ["distill-reranker", str(models["model"]), str(f["examples"]), "--no-progress"],
        "serve": ["serve", str(models["model"]), "--port", "0"],
    }[command]


def swap(argv: list[str], flag: str, value: str) -> list[str]:
    """``argv`` with the value after ``flag`` replaced (or the flag and value added)."""
    if flag in argv:
        position = argv.index(flag) + 1
        return [*argv[:position], value, *argv[position + 1 :]]
    return [*argv, flag, value]


def bad_file(tmp: Path, name: str, content: bytes) -> str:
    path = tmp / name
    path.write_bytes(content)
    return str(path)


# (command, fault, flag, file name, content): the file given to `flag` holds `content`.
FILE_FAULTS = [
    ("score", "missing", "--passages-file", None, None),
    ("score", "empty", "--passages-file", "passages.txt", b"\n\n"),
    ("score", "not-utf8", "--passages-file", "passages.txt", b"ok\ncaf\xe9\n"),
    ("eval", "missing", "--queries", None, None),
    ("eval", "empty", "--queries", "queries.jsonl", b""),
    ("eval", "not-utf8", "--qrels", "qrels.tsv", b"query-id\tcorpus-id\tscore\n1\td\xe91\t1\n"),
    ("eval", "malformed", "--documents", "docs.jsonl", b'{"id": "d1", "text": "x"}\n{"id": \n'),
    ("eval", "wrong-shape", "--queries", "queries.jsonl", b'{"id": {"nested": 1}, "text": "q"}\n'),
    ("eval", "wrong-shape", "--candidates", "run.trec", b"1 Q0 d1 1\n"),
    (
        "eval",
        "duplicate-ids",
        "--documents",
        "docs.jsonl",
        b'{"id": "d1", "text": "a"}\n{"id": "d1", "text": "b"}\n',
    ),
    ("compare", "missing", "--candidates", None, None),
    ("compare", "empty", "--candidates", "run.jsonl", b""),
    ("compare", "not-utf8", "--documents", "docs.jsonl", NOT_UTF8),
    (
        "compare",
        "duplicate-ids",
        "--queries",
        "q.jsonl",
        b'{"id": "1", "text": "a"}\n{"id": "1", "text": "b"}\n',
    ),
    ("mine", "missing", "--log", None, None),
    ("mine", "empty", "--log", "log.jsonl", b""),
    ("mine", "not-utf8", "--log", "log.jsonl", b'{"query": "caf\xe9", "positive_ids": ["d1"]}\n'),
    ("mine", "malformed", "--log", "log.jsonl", b'{"query": "what is BM25?", "positive_ids": ["d1"]\n'),
    ("mine", "wrong-shape", "--log", "log.jsonl", b'[{"query": "what is BM25?"}]\n'),
    ("mine", "wrong-shape", "--log", "log.jsonl", b'{"query": "q", "positive_ids": [{"id": "d1"}]}\n'),
    ("mine", "not-utf8", "--corpus", "corpus.jsonl", NOT_UTF8),
    (
        "mine",
        "duplicate-ids",
        "--corpus",
        "corpus.jsonl",
        b'{"_id": "d1", "text": "a"}\n\n{"_id": "d1", "text": "b"}\n',
    ),
    ("cold-start", "missing", "--corpus", None, None),
    ("cold-start", "empty", "--corpus", "corpus.jsonl", b""),
    ("cold-start", "not-utf8", "--corpus", "corpus.jsonl", NOT_UTF8),
    ("cold-start", "wrong-shape", "--corpus", "corpus.jsonl", b'["d1", "text"]\n'),
    (
        "cold-start",
        "duplicate-ids",
        "--corpus",
        "corpus.jsonl",
        b'{"_id": 7, "text": "a"}\n{"_id": "7", "text": "b"}\n',
    ),
    ("train", "not-utf8", "--eval-examples", "eval.jsonl", b'{"query": "caf\xe9", "positives": ["p"]}\n'),
    ("train", "wrong-shape", "--cold-start", "cold.jsonl", b'{"query": "q", "positives": "one passage"}\n'),
    ("tune", "missing", "--log", None, None),
    ("tune", "not-utf8", "--corpus", "corpus.jsonl", NOT_UTF8),
    (
        "tune",
        "duplicate-ids",
        "--corpus",
        "corpus.jsonl",
        b'{"_id": "d1", "text": "a"}\n{"_id": "d1", "text": "b"}\n',
    ),
]
# Faults whose error must name the line too.
NAMES_LINE = {"not-utf8", "malformed", "duplicate-ids"}

# Every command with a --config file.
CONFIG_COMMANDS = [
    "score",
    "eval",
    "compare",
    "mine",
    "cold-start",
    "train",
    "tune",
    "distill-reranker",
    "serve",
]
CONFIG_FAULTS = {
    "missing": (None, None),
    "empty-yaml": ("config.yaml", b""),
    "not-utf8": ("config.json", b'{"top_k": "caf\xe9"}'),
    "malformed-json": ("config.json", b'{"seed": 1,\n "top_k": }'),
    "malformed-yaml": ("config.yaml", b"seed: [1, 2\nother: 3\n"),
    "wrong-shape": ("config.json", b'[{"seed": 1}]'),
    "unknown-key": ("config.json", b'{"mdoel": "typo"}'),
}

# (command, flag, value): an option out of range, refused before any work.
OUT_OF_RANGE = [
    ("score", "--max-length", "0"),
    ("score", "--top-k", "0"),
    ("score", "--batch-size", "0"),
    ("eval", "--top-k", "0"),
    ("eval", "--max-length", "0"),
    ("eval", "--fusion-weight", "1.5"),
    ("compare", "--top-k", "0"),
    ("compare", "--max-queries", "0"),
    ("mine", "--num-negatives", "0"),
    ("mine", "--max-line-bytes", "0"),
    ("cold-start", "--count", "-1"),
    ("cold-start", "--num-negatives", "0"),
    ("train", "--batch-size", "0"),
    ("tune", "--max-length", "0"),
    ("export", "--max-length", "0"),
    ("demo", "--max-steps", "0"),
    ("demo", "--seed", "-1"),
    ("distill-reranker", "--layers", "0"),
    ("distill-reranker", "--batch-size", "0"),
    ("serve", "--replicas", "0"),
    ("serve", "--max-batch-size", "0"),
    ("serve", "--port", "70000"),
]

# (command, flag): an output file; each is given a directory and a path in a missing folder.
OUTPUT_FILES = [
    ("mine", "-o"),
    ("mine", "--report-json"),
    ("cold-start", "-o"),
    ("eval", "--output"),
    ("compare", "--output"),
    ("compare", "--plot"),
]
# (command, flag): a model directory; a file there is refused, even with --overwrite.
OUTPUT_DIRS = [
    ("train", "--output-dir"),
    ("tune", "--output-dir"),
    ("export", None),
    ("demo", "--output-dir"),
    ("distill-reranker", "--output-dir"),
]


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def assert_one_line_error(code: int, err: str, command: str, names: list[str]) -> str:
    assert code in (1, 2), err
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == 1, err
    line = lines[0]
    assert line.startswith(f"xrerank {command}: error: "), err
    for name in names:
        assert name in line, f"{name!r} not named in: {line}"
    return line


@pytest.fixture(scope="module")
def models(tiny_model_dir, tiny_encoder_dir) -> dict[str, Path]:
    return {"model": tiny_model_dir, "encoder": tiny_encoder_dir}


@pytest.mark.parametrize(
    ("command", "fault", "flag", "name", "content"),
    FILE_FAULTS,
    ids=[f"{c}-{f}-{g}" for c, f, g, *_ in FILE_FAULTS],
)
def test_a_bad_input_file_gets_one_line_naming_it(
    files, models, tmp_path, capsys, command, fault, flag, name, content
) -> None:
    path = str(tmp_path / "does-not-exist.jsonl") if name is None else bad_file(tmp_path, name, content)
    argv = swap(base_args(command, files, tmp_path, models), flag, path)
    line = assert_one_line_error(*run_cli(argv, capsys), command, [path])
    if fault in NAMES_LINE:
        assert f"{path}:" in line, f"no line number in: {line}"


POSITIONAL_EXAMPLES = {  # the examples file is the first positional argument of train, the second here
    "train": lambda bad, models: ["train", bad, "--base-model", str(models["model"]), "--no-progress"],
    "distill-reranker": lambda bad, models: ["distill-reranker", str(models["model"]), bad, "--no-progress"],
}


@pytest.mark.parametrize("command", list(POSITIONAL_EXAMPLES))
@pytest.mark.parametrize(
    ("fault", "content", "names"),
    [
        ("not-utf8", b'{"query": "q", "positives": ["p"]}\n{"query": "caf\xe9"}\n', [":2", "UTF-8"]),
        ("wrong-shape", b'{"query": "q", "positives": "one passage"}\n', [":1"]),
        ("missing", None, []),
    ],
)
def test_a_bad_positional_examples_file_gets_one_line_naming_it(
    files, models, tmp_path, capsys, command, fault, content, names
) -> None:
    bad = str(tmp_path / "none.jsonl") if content is None else bad_file(tmp_path, "train.jsonl", content)
    argv = POSITIONAL_EXAMPLES[command](bad, models)
    assert_one_line_error(
        *run_cli(argv, capsys), command, [bad, *(bad + n if n.startswith(":") else n for n in names)]
    )


def test_serve_refuses_a_missing_model_directory_before_starting_ray(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setattr("xrerank.distributed.serve_app.serve_reranker", fail_if_called)
    missing = str(tmp_path / "no-such-model")
    assert_one_line_error(*run_cli(["serve", missing], capsys), "serve", [missing])


@pytest.mark.parametrize("fault", list(CONFIG_FAULTS))
@pytest.mark.parametrize("command", CONFIG_COMMANDS)
def test_a_bad_config_file_gets_one_line_naming_it(files, models, tmp_path, capsys, command, fault) -> None:
    name, content = CONFIG_FAULTS[fault]
    path = str(tmp_path / "missing.json") if name is None else bad_file(tmp_path, name, content)
    argv = [*base_args(command, files, tmp_path, models), "--config", path]
    line = assert_one_line_error(*run_cli(argv, capsys), command, ["--config", path])
    if fault.startswith("malformed") or fault == "not-utf8":
        assert f"{path}:" in line, f"no line number in: {line}"
    if fault == "unknown-key":
        assert "'mdoel'" in line and "known" in line


@pytest.mark.parametrize(
    ("command", "flag", "value"), OUT_OF_RANGE, ids=[f"{c}{f}={v}" for c, f, v in OUT_OF_RANGE]
)
def test_an_option_out_of_range_is_refused_not_replaced(
    files, models, tmp_path, capsys, command, flag, value
):
    argv = [*base_args(command, files, tmp_path, models), flag, value]
    assert_one_line_error(*run_cli(argv, capsys), command, [])
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize("where", ["directory", "no-folder"])
@pytest.mark.parametrize(("command", "flag"), OUTPUT_FILES, ids=[f"{c}{f}" for c, f in OUTPUT_FILES])
def test_an_unwritable_output_is_refused_before_the_work(
    files, models, tmp_path, capsys, monkeypatch, command, flag, where
) -> None:
    target = str(tmp_path) if where == "directory" else str(tmp_path / "missing" / "out.json")
    # Refused before any model loads or the corpus is embedded: a failure there would mean work ran first.
    for module in ("xrerank.cli.mine", "xrerank.cli.cold_start"):
        monkeypatch.setattr(f"{module}.build_source", fail_if_called)
    monkeypatch.setattr("xrerank.Reranker.__init__", fail_if_called)
    argv = swap(base_args(command, files, tmp_path, models), flag, target)
    line = assert_one_line_error(*run_cli(argv, capsys), command, [target])
    assert ("is a directory" if where == "directory" else "does not exist") in line


def fail_if_called(*args, **kwargs):
    raise AssertionError("the work started before the output path was checked")


@pytest.mark.parametrize(("command", "flag"), OUTPUT_DIRS, ids=[c for c, _ in OUTPUT_DIRS])
def test_a_model_directory_never_replaces_a_file(files, models, tmp_path, capsys, command, flag) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"the user's notes")
    argv = base_args(command, files, tmp_path, models)
    argv = [*argv[:2], str(notes), *argv[3:]] if flag is None else swap(argv, flag, str(notes))
    if command in ("train", "export"):
        argv.append("--overwrite")
    line = assert_one_line_error(*run_cli(argv, capsys), command, [str(notes)])
    assert "is a file" in line
    assert notes.read_bytes() == b"the user's notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_duplicate_corpus_ids_are_refused_with_a_faiss_index_too(files, models, tmp_path, capsys) -> None:
    rows = [{"_id": i, "text": t} for i, t in DOCS.items()]
    rows[4]["_id"] = "d2"  # the index still has one row per line: only the id repeats
    corpus = jsonl(tmp_path / "corpus.jsonl", rows)
    argv = swap(base_args("mine", files, tmp_path, models), "--corpus", str(corpus))
    argv += ["--faiss-index", str(files["faiss"])]
    line = assert_one_line_error(*run_cli(argv, capsys), "mine", [f"{corpus}:5", "'d2'", "line 2"])
    assert "own id" in line


# ---------------------------------------------------------------- outputs survive failed runs

PREVIOUS = b'{"query": "yesterday", "positives": ["a good example"]}\n'


def with_previous(path: Path) -> Path:
    path.write_bytes(PREVIOUS)
    return path


def assert_untouched(path: Path) -> None:
    assert path.read_bytes() == PREVIOUS
    strays = [p.name for p in path.parent.iterdir() if p.name.startswith(".")]
    assert strays == [], f"temporary files left: {strays}"


def interrupt_on_second_example(monkeypatch) -> None:
    """Ctrl-C after the first example is written: the work has started, the output is half done."""
    original = TrainingExample.to_dict
    calls = []

    def to_dict(self):
        calls.append(self)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self)

    monkeypatch.setattr(TrainingExample, "to_dict", to_dict)


def test_mine_keeps_the_previous_output_when_nothing_is_mined(files, models, tmp_path, capsys) -> None:
    output, report = with_previous(tmp_path / "out.jsonl"), with_previous(tmp_path / "report.json")
    log = jsonl(tmp_path / "log.jsonl", [{"query": "what is BM25?", "positive_ids": ["not-in-corpus"]}])
    argv = swap(base_args("mine", files, tmp_path, models), "--log", str(log))
    line = assert_one_line_error(
        *run_cli([*argv, "--report-json", str(report)], capsys), "mine", [str(output)]
    )
    assert "no training examples" in line
    assert_untouched(output)
    assert_untouched(report)


def test_mine_keeps_the_previous_output_on_a_bad_log_line_half_way(files, models, tmp_path, capsys) -> None:
    output = with_previous(tmp_path / "out.jsonl")
    log = tmp_path / "log.jsonl"
    log.write_text(
        json.dumps(LOG[0]) + "\n" + json.dumps(LOG[1]) + "\n" + '{"query": 42}\n' + json.dumps(LOG[2])
    )
    argv = [*swap(base_args("mine", files, tmp_path, models), "--log", str(log)), "--no-merge"]
    assert_one_line_error(*run_cli(argv, capsys), "mine", [f"{log}:3"])
    assert_untouched(output)


@pytest.mark.parametrize("command", ["mine", "cold-start"])
def test_an_interrupted_run_keeps_the_previous_output(files, models, tmp_path, capsys, monkeypatch, command):
    output = with_previous(tmp_path / "out.jsonl")
    interrupt_on_second_example(monkeypatch)
    # A random-weight encoder retrieves at random: without the margin filter every query yields an example.
    margin = ["--relative-margin", "none"] if command == "mine" else []
    code, err = run_cli([*base_args(command, files, tmp_path, models), *margin], capsys)
    assert code == 130 and "interrupted" in err, err
    assert_untouched(output)


def test_cold_start_keeps_the_previous_output_when_no_passage_is_usable(
    files, models, tmp_path, capsys
) -> None:
    output = with_previous(tmp_path / "out.jsonl")
    corpus = jsonl(tmp_path / "corpus.jsonl", [{"_id": i, "text": "One short sentence."} for i in "abcde"])
    argv = swap(base_args("cold-start", files, tmp_path, models), "--corpus", str(corpus))
    line = assert_one_line_error(*run_cli(argv, capsys), "cold-start", [str(output)])
    assert "no examples" in line
    assert_untouched(output)


def fail_at_fsync(monkeypatch) -> None:
    """The disk fails while the finished output is flushed: the last moment a write can fail."""

    def fsync(descriptor: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", fsync)


@pytest.mark.parametrize(
    ("command", "flag"), [("eval", "--output"), ("compare", "--output"), ("compare", "--plot")]
)
def test_eval_and_compare_outputs_survive_a_failed_save(
    files, models, tmp_path, capsys, monkeypatch, command, flag
):
    if flag == "--plot":
        pytest.importorskip("matplotlib")
    output = with_previous(tmp_path / "result.out")
    fail_at_fsync(monkeypatch)
    code, err = run_cli([*base_args(command, files, tmp_path, models), flag, str(output)], capsys)
    assert code == 130, err
    assert_untouched(output)


def test_train_file_faults_leave_no_staging_folder(files, models, tmp_path, capsys) -> None:
    model_dir = tmp_path / "model"
    argv = [*base_args("train", files, tmp_path, models), "--output-dir", str(model_dir), "--max-steps", "1"]
    bad = bad_file(tmp_path, "eval.jsonl", b'{"query": "q", "positives": ["p"]}\n[1, 2]\n')
    assert_one_line_error(*run_cli([*argv, "--eval-examples", bad], capsys), "train", [f"{bad}:2"])
    assert not model_dir.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eval.jsonl"]


def test_the_console_script_prints_one_line_and_no_traceback(tmp_path) -> None:
    """The same rule through a real process (``python -m xrerank``), exit code included."""
    config = tmp_path / "score.yaml"
    config.write_text("model: [unclosed\n")
    result = subprocess.run(
        [sys.executable, "-m", "xrerank", "score", "q", "--passage", "p", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith(f"xrerank score: error: --config {config}:")
