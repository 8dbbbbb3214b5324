"""Retriever logs: schema, formats, merging, skip-above, bad lines, streaming."""

from __future__ import annotations

import copy
import gzip
import json
import logging
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xrerank.errors import LogFormatError
from xrerank.mining.log_reader import read_log
from xrerank.mining.log_records import LogRecord, merge_records, normalize_text

EXAMPLE_LOG = Path(__file__).resolve().parents[1] / "examples" / "data" / "retriever_log.jsonl"


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def test_example_log_reads_cleanly_and_merges_repeated_queries():
    reader = read_log(EXAMPLE_LOG)
    merged = merge_records(reader)
    assert reader.stats.records == 6 and reader.stats.skipped == 0
    assert len(merged) == 5  # the API-key question was searched twice
    rotate = merged[0]
    assert rotate.count == 2 and rotate.positive_ids == ("kb-12",)
    assert len(rotate.impressions) == 2
    assert rotate.skipped_ids == ("kb-40", "kb-7")
    sso = next(r for r in merged if r.query_id == "q4")
    assert sso.positive_ids == ("kb-61", "kb-8") and sso.negative_ids == ("kb-55",)
    no_click = next(r for r in merged if r.query_id == "q5")
    assert not no_click.has_positives and no_click.skipped_ids == ()


def test_skip_above_is_what_was_shown_above_the_lowest_click():
    (record,) = read_log(
        [{"query": "q", "positive_ids": ["c", "e"], "shown": ["a", "b", "c", "d", "e", "f"]}]
    )
    assert record.skipped_ids == ("a", "b", "d")
    assert record.impressions == (("a", "b", "c", "d", "e", "f"),)


def test_ids_are_strings_and_single_values_become_lists():
    (record,) = read_log([{"query": "q", "positive_ids": 7, "shown": [3, 7], "query_id": 12, "clicked": "x"}])
    assert record.positive_ids == ("7", "x")
    assert record.query_id == "12"
    assert record.skipped_ids == ("3",)


def test_field_mapping_reads_your_column_names():
    rows = [{"q": "what is BM25?", "click": ["d1"], "docs": ["d0", "d1"]}]
    (record,) = read_log(rows, fields={"query": "q", "positive_ids": "click", "shown": "docs"})
    assert record.query == "what is BM25?" and record.skipped_ids == ("d0",)
    with pytest.raises(ValueError, match="unknown schema names"):
        read_log(rows, fields={"clicks": "click"})


def test_csv_lists_labels_and_json_cells(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(
        "query,positive_ids,shown,labels,positives\n"
        'what is BM25?,d3,d1|d2|d3,"{""d2"": 0}",\n'
        '"rank, fuse","[""a"", ""b""]",,,"A passage, with a comma."\n',
        encoding="utf-8",
    )
    first, second = read_log(path)
    assert (
        first.positive_ids == ("d3",) and first.skipped_ids == ("d1", "d2") and first.negative_ids == ("d2",)
    )
    assert second.query == "rank, fuse" and second.positive_ids == ("a", "b")
    assert second.positive_texts == ("A passage, with a comma.",)


def test_tsv_and_gzipped_jsonl(tmp_path):
    tsv = tmp_path / "log.tsv"
    tsv.write_text("query\tclicked\nwhat is BM25?\td1|d2\n", encoding="utf-8")
    assert next(iter(read_log(tsv))).positive_ids == ("d1", "d2")
    gz = tmp_path / "log.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"query": "q", "positive_ids": ["d1"]}) + "\n")
    assert next(iter(read_log(gz))).positive_ids == ("d1",)


def test_pandas_dataframe_with_missing_cells():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {"query": ["a", "b"], "positive_ids": [["d1"], None], "query_id": [1.0, float("nan")]}
    )
    before = frame.copy(deep=True)
    first, second = read_log(frame)
    assert first.positive_ids == ("d1",) and first.query_id == "1"
    assert second.positive_ids == () and second.query_id is None
    pd.testing.assert_frame_equal(frame, before)


def test_hf_dataset():
    datasets = pytest.importorskip("datasets")
    data = datasets.Dataset.from_dict(
        {"query": ["a"], "positive_ids": [["d1", "d2"]], "shown": [["d0", "d2"]]}
    )
    (record,) = read_log(data)
    assert record.positive_ids == ("d1", "d2") and record.skipped_ids == ("d0",)


def test_records_are_never_mutated():
    rows = [{"query": "q", "positive_ids": ["d1"], "labels": {"d2": 0}, "shown": ["d2", "d1"]}]
    before = copy.deepcopy(rows)
    list(read_log(rows))
    assert rows == before


def test_merge_positive_wins_over_skipped_and_labels_keep_the_best_grade():
    merged = merge_records(
        [
            LogRecord("Q", positive_ids=("a",), skipped_ids=("b",), labels={"a": 1.0}),
            LogRecord("  q ", positive_ids=("b",), negative_ids=("c",), labels={"a": 2.0}, query_id="q9"),
            LogRecord("other"),
        ]
    )
    assert len(merged) == 2
    assert merged[0].positive_ids == ("a", "b") and merged[0].skipped_ids == ()
    assert merged[0].negative_ids == ("c",) and merged[0].labels == {"a": 2.0}
    assert merged[0].query == "Q" and merged[0].query_id == "q9" and merged[0].count == 2


def test_bad_line_error_names_file_line_and_field(tmp_path):
    path = write_jsonl(tmp_path / "log.jsonl", [{"query": "ok"}, "", {"query": 5}, {"query": "ok"}])
    with pytest.raises(LogFormatError) as info:
        list(read_log(path))
    message = str(info.value)
    assert f"{path}:3" in message and "'query'" in message and "expected str, got int" in message
    assert info.value.error.field == "query"


@pytest.mark.parametrize(
    ("line", "field", "fragment"),
    [
        ("{not json", None, "not valid JSON"),
        ("[1, 2]", None, "JSON object"),
        ('{"positive_ids": ["d1"]}', "query", "missing"),
        ('{"query": "  "}', "query", "empty"),
        ('{"query": "q", "positive_ids": [["nested"]]}', "positive_ids", "item 0"),
        ('{"query": "q", "positives": [""]}', "positives", "empty"),
        ('{"query": "q", "labels": {"d1": "high"}}', "labels", "finite number"),
        ('{"query": "q", "labels": [1]}', "labels", "mapping"),
        ('{"query": "q", "positive_ids": ["d1"], "negative_ids": ["d1"]}', "negative_ids", "also positives"),
    ],
)
def test_each_kind_of_bad_record_is_explained(tmp_path, line, field, fragment):
    path = write_jsonl(tmp_path / "log.jsonl", [line])
    with pytest.raises(LogFormatError) as info:
        list(read_log(path))
    assert info.value.error.field == field
    assert fragment in str(info.value)
    assert f"{path}:1" in str(info.value)


def test_skip_counts_and_reports_bad_lines(tmp_path, caplog):
    path = write_jsonl(tmp_path / "log.jsonl", [{"query": "a"}, "garbage", {"query": 1}, {"query": "b"}])
    reader = read_log(path, on_error="skip")
    with caplog.at_level(logging.WARNING, logger="xrerank.mining.log_reader"):
        records = list(reader)
    assert [r.query for r in records] == ["a", "b"]
    assert reader.stats.records == 2 and reader.stats.skipped == 2
    assert [e.location for e in reader.stats.errors] == [f"{path}:2", f"{path}:3"]
    assert "2 bad records skipped" in reader.stats.summary()
    assert "skipped 2 bad records" in caplog.text


def test_overlong_line_is_a_bad_record_and_reading_goes_on(tmp_path):
    long_query = "x" * 50_000
    path = write_jsonl(tmp_path / "log.jsonl", [{"query": long_query}, {"query": "short"}, {"query": "also"}])
    reader = read_log(path, on_error="skip", max_line_bytes=1_000)
    assert [r.query for r in reader] == ["short", "also"]
    assert reader.stats.skipped == 1 and "max_line_bytes" in str(reader.stats.errors[0])
    with pytest.raises(LogFormatError, match=r"log\.jsonl:1"):
        list(read_log(path, max_line_bytes=1_000))


def test_reading_is_streaming(tmp_path):
    # The first record comes out before the bad third line is ever parsed.
    path = write_jsonl(tmp_path / "log.jsonl", [{"query": "first"}, {"query": "second"}, "broken"])
    iterator = iter(read_log(path))
    assert next(iterator).query == "first"
    assert next(iterator).query == "second"
    with pytest.raises(LogFormatError):
        next(iterator)


def test_source_errors_name_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such log file"):
        read_log(tmp_path / "missing.jsonl")
    odd = tmp_path / "log.txt"
    odd.write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match="format="):
        list(read_log(odd))
    with pytest.raises(TypeError, match="wrap one record in a list"):
        read_log({"query": "q"}).__iter__().__next__()
    with pytest.raises(ValueError, match="on_error"):
        read_log([], on_error="ignore")  # type: ignore[arg-type]


def test_normalize_text():
    assert normalize_text("  Ｆull\u00a0WIDTH\n text ") == "full width text"


# A fuzz-ish property: whatever bytes a log holds, skipping never crashes and accounts for every line.
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
_records = st.fixed_dictionaries(
    {},
    optional={
        "query": _json_values | st.text(min_size=1, max_size=10),
        "positive_ids": _json_values,
        "positives": _json_values,
        "shown": _json_values,
        "labels": _json_values,
        "query_id": _json_values,
    },
)
_lines = st.one_of(
    _records.map(json.dumps),
    st.binary(max_size=40).map(lambda b: b.replace(b"\n", b" ").decode("latin-1")),
    _json_values.map(json.dumps),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_lines, max_size=12))
def test_fuzzed_logs_never_crash_and_every_line_is_accounted_for(tmp_path, lines):
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes("".join(line + "\n" for line in lines).encode("utf-8", errors="replace"))
    reader = read_log(path, on_error="skip")
    records = list(reader)
    non_blank = sum(1 for line in path.read_bytes().split(b"\n") if line.strip())
    assert reader.stats.records + reader.stats.skipped == non_blank
    for record in records:
        assert isinstance(record.query, str) and record.query.strip()
        for ids in (record.positive_ids, record.skipped_ids, record.negative_ids):
            assert all(isinstance(i, str) and i for i in ids)
        assert not set(record.skipped_ids) & set(record.positive_ids)
    try:
        list(read_log(path))
    except LogFormatError as exc:
        assert str(path) in str(exc)


def test_split_by_positives_keeps_clicked_passages_on_one_side():
    from xrerank.mining.log_records import LogRecord, split_by_positives

    # 20 passages clicked by 3 queries each; one query clicked both d0 and d1, tying their groups.
    records = [LogRecord(f"q{i}", positive_ids=(f"d{i // 3}",)) for i in range(60)]
    records += [LogRecord("bridge", positive_ids=("d0", "d1")), LogRecord("no click")]
    train, val = split_by_positives(records, 0.2, seed=3)
    assert sorted(r.query for r in train + val) == sorted(r.query for r in records)  # nothing lost
    assert {d for r in train for d in r.positive_ids}.isdisjoint({d for r in val for d in r.positive_ids})
    assert 10 <= len(val) <= 16 and "no click" in {r.query for r in train}
    side_of = {r.query: "val" for r in val} | {r.query: "train" for r in train}
    assert len({side_of[q] for q in ("q0", "q1", "q2", "q3", "q4", "q5", "bridge")}) == 1
    assert split_by_positives(records, 0.2, seed=3) == (train, val)  # seeded


def test_split_by_positives_rejects_a_share_outside_0_1():
    from xrerank.mining.log_records import LogRecord, split_by_positives

    with pytest.raises(ValueError, match=r"share=1\.5"):
        split_by_positives([LogRecord("q", positive_ids=("d",))], 1.5)
