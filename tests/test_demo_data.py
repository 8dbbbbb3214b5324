"""Integrity of the packaged demo domain (xrerank/demo/data): ids, references, sizes, the split.

These checks read the shipped files through :mod:`xrerank.demo.domain` exactly as ``xrerank demo``
does; no model is loaded, except by the integration test that rebuilds the files with the generator.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from xrerank.demo.domain import (
    DEMO_UNSEEN_TOPICS,
    DemoPassage,
    load_demo_eval,
    load_demo_log_path,
    load_demo_passages,
)

REPO = Path(__file__).resolve().parents[1]
GENERATOR = REPO / "tools" / "generate_demo_data.py"
SHIPPED = REPO / "core" / "xrerank" / "demo" / "data"


def _norm(query: str) -> str:
    return " ".join(query.lower().replace("?", "").split())


@pytest.fixture(scope="module")
def passages() -> list[DemoPassage]:
    return load_demo_passages()


@pytest.fixture(scope="module")
def ids(passages: list[DemoPassage]) -> set[str]:
    return {p.id for p in passages}


@pytest.fixture(scope="module")
def log() -> list[dict[str, Any]]:
    with open(load_demo_log_path(), encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def held_out() -> list[dict[str, Any]]:
    return [dict(q) for q in load_demo_eval()]


# ------------------------------------------------------------------------------------------ passages


def test_passages_have_unique_ids_and_all_fields(passages: list[DemoPassage]) -> None:
    assert 250 <= len(passages) <= 350
    counts = Counter(p.id for p in passages)
    assert [i for i, n in counts.items() if n > 1] == []
    for p in passages:
        assert p.id and p.title.strip() and p.text.strip() and p.topic.strip(), p
        assert p.text == " ".join(p.text.split()), f"{p.id}: stray whitespace in text"


def test_passage_lengths_are_within_bounds(passages: list[DemoPassage]) -> None:
    lengths = {p.id: len(p.text.split()) for p in passages}
    outside = {i: n for i, n in lengths.items() if not 40 <= n <= 120}
    assert outside == {}


def test_topics_are_a_manageable_set_each_with_several_passages(passages: list[DemoPassage]) -> None:
    topics = Counter(p.topic for p in passages)
    assert 12 <= len(topics) <= 21
    assert min(topics.values()) >= 6, topics
    assert set(DEMO_UNSEEN_TOPICS) <= set(topics)


def test_fault_codes_come_with_hard_distractors(passages: list[DemoPassage]) -> None:
    # The point of the domain: many passages about the same code that differ in model or condition.
    by_code = Counter(p.title.split()[0] for p in passages if p.id.startswith("FN-") and "-" in p.title)
    codes_with_siblings = [code for code, n in by_code.items() if n >= 3]
    assert len(codes_with_siblings) >= 10, by_code


# ------------------------------------------------------------------------------------------ log


def test_log_records_reference_existing_passages(log: list[dict[str, Any]], ids: set[str]) -> None:
    assert 250 <= len(log) <= 450
    for n, record in enumerate(log, start=1):
        assert isinstance(record["query"], str) and record["query"].strip(), n
        clicked, shown = record["positive_ids"], record["shown"]
        assert clicked, f"line {n}: no positive"
        assert set(clicked) <= ids, f"line {n}: unknown positive {set(clicked) - ids}"
        assert set(shown) <= ids, f"line {n}: unknown shown id {set(shown) - ids}"
        assert set(clicked) <= set(shown), f"line {n}: a positive that was never shown"
        assert 5 <= len(shown) <= 10 and len(set(shown)) == len(shown), n
        assert isinstance(record["session"], str) and isinstance(record["timestamp"], str), n


def test_log_has_skip_above_signal(log: list[dict[str, Any]]) -> None:
    # Some results the technician skipped sit above the one opened: what a generic retriever gets wrong.
    below_top = [r for r in log if r["shown"].index(r["positive_ids"][-1]) > 0]
    assert len(below_top) >= 0.15 * len(log)


def test_log_is_readable_by_xrerank_read_log(log: list[dict[str, Any]]) -> None:
    from xrerank import read_log

    reader = read_log(load_demo_log_path())
    records = list(reader)
    assert len(records) == len(log)
    assert all(r.positive_ids for r in records)


def test_unseen_topics_never_appear_in_the_log(
    log: list[dict[str, Any]], passages: list[DemoPassage]
) -> None:
    topic_of = {p.id: p.topic for p in passages}
    logged_topics = {topic_of[i] for r in log for i in r["positive_ids"]}
    assert logged_topics.isdisjoint(DEMO_UNSEEN_TOPICS)


# ------------------------------------------------------------------------------------------ eval


def test_eval_queries_are_well_formed(held_out: list[dict[str, Any]], ids: set[str]) -> None:
    assert 60 <= len(held_out) <= 100
    assert len({q["query_id"] for q in held_out}) == len(held_out)
    for q in held_out:
        assert sorted(q) == ["query", "query_id", "relevant", "topic"]
        assert set(q["relevant"]) <= ids, q["query_id"]
        assert set(q["relevant"].values()) <= {1, 2}, q["query_id"]
        assert 2 in q["relevant"].values(), f"{q['query_id']} has no passage that answers it"


def test_eval_topic_matches_its_answer(held_out: list[dict[str, Any]], passages: list[DemoPassage]) -> None:
    topic_of = {p.id: p.topic for p in passages}
    for q in held_out:
        answers = [d for d, g in q["relevant"].items() if g == 2]
        assert q["topic"] in {topic_of[d] for d in answers}, q["query_id"]


def test_eval_and_log_queries_are_disjoint(held_out: list[dict[str, Any]], log: list[dict[str, Any]]) -> None:
    logged = {_norm(r["query"]) for r in log}
    assert [q["query"] for q in held_out if _norm(q["query"]) in logged] == []


def test_eval_covers_seen_and_unseen_topics(
    held_out: list[dict[str, Any]], log: list[dict[str, Any]], passages: list[DemoPassage]
) -> None:
    topic_of = {p.id: p.topic for p in passages}
    logged_topics = {topic_of[i] for r in log for i in r["positive_ids"]}
    eval_topics = Counter(q["topic"] for q in held_out)
    assert len(eval_topics) >= 12
    unseen = sum(n for t, n in eval_topics.items() if t not in logged_topics)
    assert unseen >= 15
    assert len(held_out) - unseen >= 45
    # Within seen topics, some answers were never clicked in the log: generalisation, not recall.
    clicked = {i for r in log for i in r["positive_ids"]}
    fresh = [q for q in held_out if q["topic"] in logged_topics and not set(q["relevant"]) & clicked]
    assert len(fresh) >= 10


# ------------------------------------------------------------------------------------------ generator


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo data as tools/generate_demo_data.py writes it today (one build for all three files)."""
    spec = importlib.util.spec_from_file_location("_xrerank_demo_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file executes
    try:
        spec.loader.exec_module(module)
        out = tmp_path_factory.mktemp("demo-data")
        module.build(out)
    finally:
        sys.modules.pop(spec.name, None)
    return out


@pytest.mark.integration
@pytest.mark.skipif(not GENERATOR.is_file(), reason="generator not shipped with this install")
@pytest.mark.parametrize("name", ["passages.jsonl", "log.jsonl", "eval.jsonl"])
def test_generator_rebuilds_the_shipped_files_byte_for_byte(built: Path, name: str) -> None:
    # The log's "shown" lists come from the packaged MiniLM's ranking, so this also pins that model.
    assert (built / name).read_bytes() == (SHIPPED / name).read_bytes()
