"""RemoteReranker: the Reranker interface over HTTP, against a real server on 127.0.0.1.

Scores are compared with the in-process Reranker on the same model (1e-6), through the reranker
itself, both adapters, the funnel and ``xrerank eval``. Failures are checked against real sockets:
a closed port, a server that never answers, and the served API's 4xx answers.
"""

from __future__ import annotations

import asyncio
import pickle
import socket
import threading
import time

import pytest
import ray_cluster

from xrerank import RemoteReranker, Reranker
from xrerank.scoring.protocol import reranker_from_spec, spec_of

QUERY = "what is the capital of France?"
TEXTS = [
    "Paris is the capital and most populous city of France.",
    "Bananas are rich in potassium.",
    # Longer than the recipe's 32 tokens: the served model scores its best window.
    "The treaty was debated for years. Several drafts were rejected by national votes. Paris hosted the "
    "final talks. The capital of France welcomed every delegation. The text was signed the next spring.",
    "",
    "Berlin is the capital of Germany.",
]


@pytest.fixture(scope="module")
def served(tiny_model_dir):
    """(in-process Reranker, RemoteReranker) on the same model with its serving recipe."""
    pytest.importorskip("ray")
    model, url = ray_cluster.served_recipe_model(tiny_model_dir)
    return Reranker(str(model), device="cpu"), RemoteReranker(url, timeout=30)


def _close(a, b, tolerance=1e-6):
    return max(abs(x - y) for x, y in zip(a, b, strict=True)) <= tolerance


# Fused scores z-normalise the tiny model's nearly equal scores (std ~1e-3): a 1e-7 difference from
# another batch shape becomes ~1e-4 there. The reranker's own scores are held to 1e-6.
FUSED = 1e-3


# ----------------------------------------------------------------------------- against the server


@pytest.mark.ray
def test_scores_and_rankings_match_the_in_process_reranker(served):
    local, remote = served
    assert _close(remote.score(QUERY, TEXTS), local.score(QUERY, TEXTS))
    pairs = [(QUERY, TEXTS[0]), ("capital of Germany", TEXTS[4]), (QUERY, TEXTS[1])]
    assert _close(remote.score_pairs(pairs), local.score_pairs(pairs))
    for options in ({"top_k": 2}, {"threshold": 0.0}, {"retriever_scores": [0.9, 0.1, 0.5, 0.2, 0.4]}):
        mine, theirs = remote.rank(QUERY, TEXTS, **options), local.rank(QUERY, TEXTS, **options)
        assert [i.index for i in mine] == [i.index for i in theirs], options
        fused = "retriever_scores" in options
        assert _close([i.score for i in mine], [i.score for i in theirs], FUSED if fused else 1e-6)
        if fused:
            assert _close([i.reranker_score for i in mine], [i.reranker_score for i in theirs])
    ranked = asyncio.run(remote.arank(QUERY, TEXTS, top_k=3))
    assert [i.index for i in ranked] == [i.index for i in local.rank(QUERY, TEXTS, top_k=3)]
    assert remote.score(QUERY, []) == []


@pytest.mark.ray
def test_the_servers_recipe_applies_and_its_fusion_weight_reaches_the_client(served):
    local, remote = served
    assert remote.fusion_weight == local.fusion_weight == 0.5
    truncated = Reranker(str(local.model_name), device="cpu", max_length=512, long_passages="truncate")
    assert abs(remote.score(QUERY, TEXTS)[2] - truncated.score(QUERY, TEXTS)[2]) > 1e-6
    health = remote.health()
    assert health["model"] == local.model_name and health["max_documents"] == 50


@pytest.mark.ray
def test_spec_adapters_and_funnel_use_the_served_model(served):
    from langchain_core.documents import Document
    from llama_index.core.schema import NodeWithScore, TextNode

    from langchain_xrerank import XRerankCompressor
    from llamaindex_xrerank import XRerankPostprocessor
    from xrerank.mining.bm25 import BM25Source
    from xrerank.serving.funnel import Funnel

    local, remote = served
    spec = f"remote:{remote.model_name}"
    built = reranker_from_spec(spec)
    assert isinstance(built, RemoteReranker) and spec_of(built) == spec
    assert pickle.loads(pickle.dumps(built)).fusion_weight == 0.5

    docs = [Document(page_content=t, metadata={"score": 1.0 - i / 10}) for i, t in enumerate(TEXTS)]
    remote_docs = XRerankCompressor(model=spec, top_n=3).compress_documents(docs, QUERY)
    local_docs = XRerankCompressor(reranker=local, top_n=3).compress_documents(docs, QUERY)
    assert [d.page_content for d in remote_docs] == [d.page_content for d in local_docs]

    nodes = [NodeWithScore(node=TextNode(text=t), score=1.0 - i / 10) for i, t in enumerate(TEXTS)]
    remote_nodes = XRerankPostprocessor(reranker=remote, top_n=3).postprocess_nodes(nodes, query_str=QUERY)
    local_nodes = XRerankPostprocessor(reranker=local, top_n=3).postprocess_nodes(nodes, query_str=QUERY)
    assert [n.node.get_content() for n in remote_nodes] == [n.node.get_content() for n in local_nodes]
    assert _close([n.score for n in remote_nodes], [n.score for n in local_nodes], FUSED)

    source = BM25Source([t for t in TEXTS if t], ids=[f"d{i}" for i in range(4)])
    assert [i.id for i in Funnel(source, remote).run(QUERY).items] == [
        i.id for i in Funnel(source, local).run(QUERY).items
    ]


@pytest.mark.ray
def test_xrerank_eval_takes_a_remote_spec(served, tmp_path, capsys):
    import json

    from xrerank.cli import main

    local, remote = served
    (tmp_path / "q.jsonl").write_text(json.dumps({"id": "q1", "text": QUERY}) + "\n")
    (tmp_path / "d.jsonl").write_text(
        "".join(json.dumps({"id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(TEXTS))
    )
    (tmp_path / "run.trec").write_text("".join(f"q1 Q0 d{i} {i + 1} {5 - i} bm25\n" for i in range(5)))
    (tmp_path / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td0\t1\n")
    results = {}
    for name, spec in (("local", str(local.model_name)), ("remote", f"remote:{remote.model_name}")):
        out = tmp_path / f"{name}.json"
        argv = ["eval", "--queries", str(tmp_path / "q.jsonl"), "--documents", str(tmp_path / "d.jsonl")]
        argv += ["--candidates", str(tmp_path / "run.trec"), "--qrels", str(tmp_path / "qrels.tsv")]
        argv += ["--model", f"m={spec}", "--top-k", "5", "--output", str(out), "--no-progress"]
        assert main(argv) == 0, capsys.readouterr().err
        results[name] = json.loads(out.read_text())["metrics"]
    assert set(results["remote"]) == set(results["local"]) == {"retriever", "m", "m as served"}
    for system, metrics in results["local"].items():
        assert results["remote"][system] == pytest.approx(metrics, abs=1e-6), system


@pytest.mark.ray
def test_a_4xx_answer_raises_at_once_with_the_servers_message(served):
    _, remote = served
    started = time.perf_counter()
    with pytest.raises(ValueError, match=r"answered 422: POST /rerank got 51 documents.*at most 50"):
        RemoteReranker(remote.model_name, retries=5, backoff=1.0).score(QUERY, ["text"] * 51)
    assert time.perf_counter() - started < 5  # never retried


# ----------------------------------------------------------------------------- failures, no server


def test_a_closed_port_fails_after_the_retries_naming_the_url():
    url = f"http://127.0.0.1:{ray_cluster.free_port()}"
    remote = RemoteReranker(url, timeout=2, retries=2, backoff=0.05)
    started = time.perf_counter()
    with pytest.raises(ConnectionError, match=rf"{url}/rerank failed after 3 attempts"):
        remote.score(QUERY, TEXTS)
    with pytest.raises(ConnectionError, match=r"failed after 3 attempts"):
        asyncio.run(remote.arank(QUERY, TEXTS))
    assert time.perf_counter() - started < 10


def test_a_server_that_never_answers_times_out_instead_of_hanging():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:  # takes connections and never answers
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        started = time.perf_counter()
        with pytest.raises(ConnectionError, match=r"failed after 2 attempts.*timed out"):
            RemoteReranker(url, timeout=0.5, retries=1, backoff=0.05).score(QUERY, TEXTS)
        assert time.perf_counter() - started < 5
        assert len(accepted) == 2  # the request was sent twice
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"url": "127.0.0.1:8000"}, "expected http://HOST:PORT"),
        ({"timeout": 0}, "timeout=0"),
        ({"retries": -1}, "retries=-1"),
        ({"allow_pickle_weights": True}, "xrerank serve MODEL --allow-pickle-weights"),
        ({"fusion_weight": 2.0}, "fusion_weight=2.0"),
    ],
)
def test_bad_options_are_refused_with_the_fix(options, message):
    arguments = {"url": "http://127.0.0.1:8000", **options}
    with pytest.raises(ValueError, match=message):
        RemoteReranker(arguments.pop("url"), **arguments)


def test_bad_input_is_refused_before_any_request():
    remote = RemoteReranker(f"http://127.0.0.1:{ray_cluster.free_port()}", retries=0)
    with pytest.raises(TypeError, match=r"RemoteReranker.score got None at texts\[1\]"):
        remote.score(QUERY, ["a", None])
    with pytest.raises(ValueError, match="top_k=0"):
        remote.rank(QUERY, ["a"], top_k=0)
