"""One table of bad inputs across the public entry points.

Every row must fail with a clear error that names the problem (matched below), or
follow a documented behaviour (asserted below). Nothing the caller passed is modified.
"""

from __future__ import annotations

import copy
import math

import pytest

from xrerank import Reranker, mine_hard_negatives, read_log
from xrerank.cli import main as cli_main
from xrerank.errors import LogFormatError
from xrerank.examples import TrainingExample
from xrerank.mining import EmbeddingSource
from xrerank.training.config import TrainingConfig


def _source():
    vectors = [[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]]
    return EmbeddingSource(
        vectors,
        ["alpha doc", "beta doc", "gamma doc"],
        ids=["a", "b", "c"],
        query_encoder=lambda queries: [[1.0, 0.2] for _ in queries],
    )


CORE_CASES = [
    ("score: None query", lambda r: r.score(None, ["x"]), TypeError, "got None as query"),
    ("score: bytes text", lambda r: r.score("q", [b"x"]), TypeError, r"bytes at texts\[0\]"),
    ("score: dict instead of list", lambda r: r.score("q", {"a": "x"}), TypeError, "got a dict as texts"),
    ("score: set instead of list", lambda r: r.score("q", {"x"}), TypeError, "a set has no order"),
    ("score: whitespace query", lambda r: r.score("\t ", ["x"]), ValueError, "empty query"),
    ("rank: negative top_k", lambda r: r.rank("q", ["x"], top_k=-1), ValueError, "top_k=-1"),
    ("rank: bool top_k", lambda r: r.rank("q", ["x"], top_k=True), ValueError, "top_k=True"),
    ("rank: inf threshold", lambda r: r.rank("q", ["x"], threshold=math.inf), ValueError, "threshold=inf"),
    ("score_pairs: 3-tuple", lambda r: r.score_pairs([("q", "a", "b")]), TypeError, r"pairs\[0\]"),
    ("score_pairs: None pair", lambda r: r.score_pairs([None]), TypeError, r"None at pairs\[0\]"),
]


@pytest.mark.parametrize(("name", "call", "error", "message"), CORE_CASES, ids=[c[0] for c in CORE_CASES])
def test_reranker_bad_input(tiny_reranker, name, call, error, message):
    with pytest.raises(error, match=message):
        call(tiny_reranker)


def test_reranker_documented_edge_cases(tiny_reranker):
    assert tiny_reranker.score("q", []) == []  # empty list: empty result
    scores = tiny_reranker.score("q", ["", "word " * 20_000])  # empty and huge texts are scored
    assert len(scores) == 2 and all(math.isfinite(s) for s in scores)
    assert tiny_reranker.stats.truncated_pairs >= 1  # the huge one was truncated, and counted


def test_reranker_does_not_change_the_callers_list(tiny_reranker):
    texts = ["b passage", "a passage", "b passage"]
    before = copy.deepcopy(texts)
    tiny_reranker.rank("q", texts, top_k=1)
    assert texts == before


LOG_CASES = [
    ("no query", [{"clicked": ["a"]}], "query"),
    ("query not a string", [{"query": 5, "clicked": ["a"]}], "query"),
    ("ids not ids", [{"query": "q", "clicked": [{"id": 1}]}], "clicked|positive_ids"),
    ("NaN label", [{"query": "q", "labels": {"a": float("nan")}}], "labels"),
]


@pytest.mark.parametrize(("name", "records", "message"), LOG_CASES, ids=[c[0] for c in LOG_CASES])
def test_log_reader_bad_records(name, records, message):
    with pytest.raises(LogFormatError, match=message):
        list(read_log(records))


def test_log_reader_reads_a_single_id_as_a_list_of_one():
    (record,) = read_log([{"query": "q", "clicked": 7}])
    assert record.positive_ids == ("7",)


def test_log_reader_skip_counts_bad_records():
    reader = read_log([{"query": "ok", "clicked": ["a"]}, {"clicked": ["a"]}], on_error="skip")
    assert [r.query for r in reader] == ["ok"]
    assert reader.stats.skipped == 1


def test_log_reader_non_utf8_file(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_bytes(b'{"query": "ok", "clicked": ["a"]}\n{"query": "\xff\xfe", "clicked": ["a"]}\n')
    with pytest.raises(LogFormatError, match=r"log.jsonl.*2"):
        list(read_log(path))


def test_miner_never_returns_a_positive_and_tolerates_unknown_ids():
    records = [{"query": "alpha?", "clicked": ["a", "zzz-unknown"]}]
    examples, _ = mine_hard_negatives(records, _source(), show_progress=False)
    negatives = {i for e in examples for i in e.negative_ids}
    assert "a" not in negatives and "zzz-unknown" not in negatives


def test_miner_query_without_positives_is_reported_not_mined():
    examples, report = mine_hard_negatives([{"query": "alpha?"}], _source(), show_progress=False)
    assert examples == []
    assert "positive" in report.summary().lower()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"loss": "hinge"}, "loss='hinge'"),
        ({"batch_size": 0}, "batch_size=0"),
        ({"learning_rate": float("nan")}, "learning_rate=nan"),
        ({"max_length": 4}, "max_length=4"),
        ({"epochs": -1}, "epochs=-1"),
    ],
)
def test_training_config_bad_options(options, message):
    with pytest.raises(ValueError, match=message):
        TrainingConfig(**options)


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"query": "", "positives": ["p"]}, ValueError, "non-empty"),
        ({"query": "q", "positives": []}, ValueError, "no positives"),
        ({"query": "q", "positives": [None]}, TypeError, r"positives\[0\]"),
        ({"query": "q", "positives": ["p"], "positive_scores": [math.nan]}, ValueError, "NaN"),
        ({"query": "q", "positives": ["p"], "negative_ids": ["x"]}, ValueError, "negative_ids"),
    ],
)
def test_training_example_bad_fields(fields, error, message):
    with pytest.raises(error, match=message):
        TrainingExample(**fields)


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["score", "q"], 1),  # no passages
        (["score", "q", "--passage", "x", "--config", "/no/such/file.json"], 1),
        (["mine"], 2),  # argparse usage error
        (["no-such-command"], 2),
    ],
)
def test_cli_exit_codes(argv, code, capsys):
    try:
        result = cli_main(argv)
    except SystemExit as exc:  # argparse exits on usage errors
        result = exc.code
    assert result == code
    err = capsys.readouterr().err
    assert "error" in err.lower()


def test_reranker_bad_model_argument():
    with pytest.raises(TypeError, match="expected a hub name"):
        Reranker(["not", "a", "model"])  # type: ignore[arg-type]
