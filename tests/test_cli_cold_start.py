"""``xrerank cold-start`` then ``xrerank train --cold-start``: a reranker from a corpus with no log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import minilm_dir
from xrerank.cli import main
from xrerank.examples import load_examples

faiss = pytest.importorskip("faiss")

# Short abstracts: the last sentence of each states its finding, as in reports and papers.
ABSTRACTS = {
    "a1": "Mice were fed a high-fat diet for ten weeks. Insulin resistance rose in every treated animal.",
    "a2": "Patients received the vaccine in two doses. Antibody levels stayed high for at least a year.",
    "a3": "We sequenced soil bacteria from twelve farms. Nitrogen-fixing species dominated the tilled plots.",
    "a4": "Volunteers slept four hours a night for a week. Their reaction times slowed by a third.",
    "a5": "Coral samples were heated in tanks for a month. Bleaching began above thirty degrees Celsius.",
    "a6": "One sentence only, too short to split into a query and a rest.",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, minilm_encoder) -> tuple[Path, Path]:
    """A corpus JSONL and the FAISS index the user already built from it."""
    folder = tmp_path_factory.mktemp("corpus")
    path = folder / "corpus.jsonl"
    path.write_text("".join(json.dumps({"_id": i, "text": t}) + "\n" for i, t in ABSTRACTS.items()))
    vectors = minilm_encoder.encode(list(ABSTRACTS.values()), normalize_embeddings=True)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    faiss.write_index(index, str(folder / "corpus.faiss"))
    return path, folder / "corpus.faiss"


def cold_start(corpus: tuple[Path, Path], output: Path, *extra: str) -> int:
    path, index = corpus
    return main(
        [
            "cold-start",
            "--corpus",
            str(path),
            "--faiss-index",
            str(index),
            "--encoder",
            str(minilm_dir()),
            "-o",
            str(output),
            "--no-progress",
            *extra,
        ]
    )


def test_pseudo_queries_come_from_the_corpus_and_negatives_from_the_index(corpus, tmp_path, capsys):
    output = tmp_path / "cold.jsonl"
    assert cold_start(corpus, output, "--num-negatives", "2", "--count", "0") == 0
    examples = load_examples(output)
    assert len(examples) == 5  # a6 has one sentence: skipped, and said so
    printed = capsys.readouterr().out
    assert "wrote 5 examples" in printed and "from 6 sampled passages (1 skipped" in printed
    for example in examples:
        doc_id = example.positive_ids[0]
        full = ABSTRACTS[doc_id]
        assert example.query_id == f"cold:{doc_id}"
        assert full.endswith(example.query), "the last sentence is the pseudo-query"
        assert example.query not in example.positives[0], "the positive leaves the query sentence out"
        assert len(example.negatives) == 2 and doc_id not in example.negative_ids
        negatives = zip(example.negative_ids, example.negatives, strict=True)
        assert all(ABSTRACTS[doc] == text for doc, text in negatives)


def test_count_samples_passages_reproducibly(corpus, tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert cold_start(corpus, first, "--count", "3", "--num-negatives", "1", "--seed", "7") == 0
    assert cold_start(corpus, second, "--count", "3", "--num-negatives", "1", "--seed", "7") == 0
    assert first.read_text() == second.read_text()
    assert 2 <= len(load_examples(first)) <= 3


def test_bad_options_are_explained(corpus, tmp_path, capsys):
    assert cold_start(corpus, tmp_path / "x.jsonl", "--count", "-1") == 1
    assert "--count -1: expected 0" in capsys.readouterr().err
    # More negatives than the store can give: nothing to write, and the fix is named.
    assert cold_start(corpus, tmp_path / "x.jsonl", "--num-negatives", "9", "--count", "0") == 1
    assert "fewer --num-negatives" in capsys.readouterr().err


def test_titles_become_queries_for_untitled_passages(tmp_path, minilm_encoder, capsys):
    titles = {doc_id: text.split(".")[1].strip() for doc_id, text in ABSTRACTS.items() if doc_id != "a6"}
    path = tmp_path / "titled.jsonl"
    path.write_text(
        "".join(json.dumps({"_id": i, "title": titles[i], "text": ABSTRACTS[i]}) + "\n" for i in titles)
    )
    vectors = minilm_encoder.encode(
        [f"{titles[i]}. {ABSTRACTS[i]}" for i in titles], normalize_embeddings=True
    )
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    faiss.write_index(index, str(tmp_path / "titled.faiss"))
    output = tmp_path / "cold.jsonl"
    args = ("--strategy", "title", "--count", "0", "--num-negatives", "2")
    indexed_as = ("--text-template", "{title}. {text}")
    assert cold_start((path, tmp_path / "titled.faiss"), output, *args, *indexed_as) == 0
    examples = load_examples(output)
    assert len(examples) == len(titles)
    for example in examples:
        assert example.query == titles[example.positive_ids[0]]
        # Every passage is shown as its text field alone, the positive and the negatives.
        assert example.positives == [ABSTRACTS[example.positive_ids[0]]]
        assert example.negatives == [ABSTRACTS[doc_id] for doc_id in example.negative_ids]
    capsys.readouterr()


def test_title_strategy_names_the_missing_field(corpus, tmp_path, capsys):
    assert cold_start(corpus, tmp_path / "x.jsonl", "--strategy", "title") == 1
    assert "--strategy title needs 'title' on every --corpus line" in capsys.readouterr().err


def test_train_uses_the_cold_start_file_first(corpus, tmp_path, tiny_model_dir, capsys):
    cold = tmp_path / "cold.jsonl"
    assert cold_start(corpus, cold, "--num-negatives", "2", "--count", "0") == 0
    logs = tmp_path / "logs.jsonl"
    logs.write_text(cold.read_text().splitlines()[0] + "\n")  # one logged query is enough here
    out = tmp_path / "model"
    code = main(
        [
            "train",
            str(logs),
            "--cold-start",
            str(cold),
            "--base-model",
            str(tiny_model_dir),
            "--max-length",
            "48",
            "--num-negatives",
            "2",
            "--output-dir",
            str(out),
            "--device",
            "cpu",
            "--no-progress",
        ]
    )
    assert code == 0, capsys.readouterr().err
    info = json.loads((out / "xrerank_training.json").read_text())
    assert info["data"]["cold_start_examples"] == 5
    assert info["cold_start_stage"]["steps"] >= 1
