"""Mining and batch scoring on Ray Data (a local 2-CPU instance) give the single-process results.

Each Ray Data run starts actors that import torch, so the runs are few: ``xrerank mine`` and
``xrerank eval`` each once per engine, and ``score_pairs_on_ray`` once. What needs no actors
(refusals, the actor's own error handling) is checked without Ray Data.
"""

from __future__ import annotations

import json
import pickle

import pytest
import ray_cluster

from xrerank.cli import main
from xrerank.distributed import mine_on_ray, score_pairs_on_ray
from xrerank.distributed.ray_runtime import ChunkWorker
from xrerank.mining import MiningConfig

faiss = pytest.importorskip("faiss")
pytest.importorskip("ray")

LOG = [
    {"query": "how does a cross-encoder score a passage?", "positive_ids": ["p03"]},
    {"query": "capital of France", "clicked": ["p08"], "shown": ["p09", "p08"]},
    {"query": "term frequency scoring", "positive_ids": ["p01"]},
    {"query": "vector similarity search library", "positive_ids": ["p07"]},
    {"query": "why do rerankers help retrieval?", "positive_ids": ["p16"]},
    {"query": "what are hard negatives?", "positive_ids": ["p05"]},
    {"query": "how does bread rise?", "positive_ids": ["p11"]},
]


@pytest.fixture(scope="module")
def store(tmp_path_factory, tiny_encoder_dir):
    """A corpus JSONL, its FAISS index (tiny encoder, so actors load fast) and a log, on disk."""
    from sentence_transformers import SentenceTransformer

    from conftest import MINING_CORPUS

    ray_cluster.start_ray()
    folder = tmp_path_factory.mktemp("ray-store")
    ids, texts = list(MINING_CORPUS), list(MINING_CORPUS.values())
    (folder / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": i, "text": t}) + "\n" for i, t in zip(ids, texts, strict=True))
    )
    encoder = SentenceTransformer(str(tiny_encoder_dir), device="cpu")
    vectors = encoder.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    faiss.write_index(index, str(folder / "corpus.faiss"))
    (folder / "log.jsonl").write_text("".join(json.dumps(row) + "\n" for row in LOG))
    return folder


@pytest.mark.ray
def test_xrerank_mine_on_ray_writes_the_single_process_examples(
    store, tiny_encoder_dir, tiny_model_dir, tmp_path, capsys
):
    outputs = {}
    for engine in ("local", "ray"):
        outputs[engine] = tmp_path / f"{engine}.jsonl"
        argv = ["mine", "--log", str(store / "log.jsonl"), "--corpus", str(store / "corpus.jsonl")]
        argv += ["--faiss-index", str(store / "corpus.faiss"), "--encoder", str(tiny_encoder_dir)]
        # Two queries a batch: four batches over two actors, a teacher rescoring in each.
        argv += ["--teacher", str(tiny_model_dir), "--batch-size", "2", "--num-negatives", "3"]
        argv += ["--relative-margin", "none", "--sampling", "random", "--no-progress"]
        argv += ["--engine", engine, "-o", str(outputs[engine]), "--report-json", str(tmp_path / engine)]
        assert main(argv) == 0, capsys.readouterr().err
    local, ray = (outputs[e].read_text().splitlines() for e in ("local", "ray"))
    assert len(local) == 7 and ray == local  # same examples, teacher scores and order
    reports = [json.loads((tmp_path / e).read_text()) for e in ("local", "ray")]
    for report in reports:
        report.pop("seconds")
    assert reports[0] == reports[1]


@pytest.mark.ray
def test_score_pairs_on_ray_matches_one_process(tiny_reranker_factory):
    ray_cluster.start_ray()
    reranker = tiny_reranker_factory()
    texts = ["Paris is in France.", "Bananas.", "A cross-encoder reads both texts. " * 5, ""]
    pairs = [(f"query {i % 3}", texts[i % 4] + " more" * (i % 7)) for i in range(60)]
    scores = score_pairs_on_ray(reranker, pairs, pairs_per_task=16, num_cpus=0.5, show_progress=False)
    expected = reranker.score_pairs(pairs)
    assert len(scores) == 60
    assert max(abs(a - b) for a, b in zip(scores, expected, strict=True)) <= 1e-6


@pytest.mark.ray
def test_xrerank_eval_on_ray_reports_the_single_process_metrics(tiny_model_dir, tmp_path, capsys):
    ray_cluster.start_ray()
    (tmp_path / "q.jsonl").write_text(
        "".join(json.dumps({"id": f"q{i}", "text": f"question number {i}"}) + "\n" for i in range(20))
    )
    (tmp_path / "d.jsonl").write_text(
        "".join(json.dumps({"id": f"d{i}", "text": f"passage {i} " * (1 + i % 5)}) + "\n" for i in range(30))
    )
    run = [f"q{q} Q0 d{(q + r) % 30} {r + 1} {10 - r} bm25\n" for q in range(20) for r in range(8)]
    (tmp_path / "run.trec").write_text("".join(run))
    (tmp_path / "qrels.tsv").write_text("".join(f"q{q}\td{(q + 3) % 30}\t1\n" for q in range(20)))
    metrics = {}
    for engine in ("local", "ray"):
        out = tmp_path / f"{engine}.json"
        argv = ["eval", "--queries", str(tmp_path / "q.jsonl"), "--documents", str(tmp_path / "d.jsonl")]
        argv += ["--candidates", str(tmp_path / "run.trec"), "--qrels", str(tmp_path / "qrels.tsv")]
        argv += ["--model", f"tiny={tiny_model_dir}", "--top-k", "8", "--engine", engine]
        argv += ["--output", str(out), "--no-progress"]
        assert main(argv) == 0, capsys.readouterr().err
        metrics[engine] = json.loads(out.read_text())["metrics"]
    assert metrics["ray"]["tiny"] == pytest.approx(metrics["local"]["tiny"], abs=1e-9)


# ----------------------------------------------------------------- what needs no Ray Data run


def test_easy_negatives_are_refused_with_the_reason():
    with pytest.raises(ValueError, match=r"random_share=0.4.*grows through the whole log"):
        mine_on_ray(LOG, lambda: None, MiningConfig(random_share=0.4))


@pytest.mark.ray
def test_a_source_that_does_not_pickle_is_refused_with_the_fix():
    import threading

    from xrerank.mining.sources import SourceBase

    class Connected(SourceBase):  # stands in for a client holding a connection
        def __init__(self):
            self.connection = threading.Lock()

    ray_cluster.start_ray()
    with pytest.raises(TypeError, match=r"cannot send its work to Ray actors.*source=lambda: MySource"):
        mine_on_ray(LOG, Connected(), show_progress=False)


def test_the_actor_hands_back_the_jobs_own_error():
    class Fails:
        def run(self, chunk):
            raise KeyError(f"no text for {chunk}")

    class Doubles:
        def run(self, chunk):
            return [2 * x for x in chunk]

    import numpy as np

    batch = {"position": np.array([0]), "chunk": np.array([pickle.dumps([1, 2])], dtype=object)}
    assert pickle.loads(ChunkWorker(Doubles())(batch)["result"][0]) == (True, [2, 4])
    done, error = pickle.loads(ChunkWorker(Fails())(batch)["result"][0])
    assert not done and isinstance(error, KeyError) and "no text for [1, 2]" in str(error)
