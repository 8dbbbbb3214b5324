"""The names docstring examples use, for ``pytest --doctest-modules`` over the three packages.

A docstring example reads like user code: ``reranker.rank(query, passages)``, ``read_log("log.jsonl")``.
This file gives each doctest the names it reads and does not define itself (pytest's
``doctest_namespace``), built offline on first use: a tiny random-weight cross-encoder (the one
tests/conftest.py uses) and the packaged all-MiniLM-L6-v2 as the embedding model. Each doctest runs in
its own empty working directory, so the files an example writes land in a temporary folder, and the
files it reads (``log.jsonl``, ``train.jsonl``, ``my-reranker/``) are written there when it names them.

It lives at the repository root, not in core/xrerank, so that it never ships in the wheel.
"""

from __future__ import annotations

import ast
import doctest
import gzip
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tiny_models import build_tiny_cross_encoder, minilm_dir

# Examples never reach a model hub: fail fast instead of retrying a download.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# The corpus behind `passages`, `source` and the files: a few retrieval facts and a few distractors,
# two sentences each so that cold start can make a pseudo-query of one of them.
PASSAGES = [
    "Classic search engines score documents by the words they share with the query. "
    "BM25 ranks documents by term frequency and document length.",
    "Dense retrieval needs an embedding model for queries and passages. "
    "It ranks passages by the cosine similarity of their vectors.",
    "A cross-encoder reads the query and the passage together. It outputs one relevance score for the pair.",
    "Hard negatives look relevant to a query but do not answer it. "
    "Training on them teaches a reranker fine distinctions.",
    "Reciprocal rank fusion merges several ranked lists into one. "
    "Each list adds one over its rank plus sixty.",
    "Paris is the capital and most populous city of France. "
    "The city has been a centre of finance and culture for centuries.",
    "The Eiffel Tower was completed in 1889 for the World's Fair. It stands on the Champ de Mars in Paris.",
    "Cats sleep between twelve and sixteen hours a day. Kittens and old cats sleep even longer than that.",
]
IDS = [f"d{i}" for i in range(1, len(PASSAGES) + 1)]

# One search per line: the user clicked `positive_ids` among the `shown` results.
LOG = [
    {"query": "what is BM25?", "positive_ids": ["d1"], "shown": ["d2", "d1", "d3"]},
    {"query": "capital of France", "positive_ids": ["d6"], "shown": ["d7", "d6"]},
    {"query": "how does a cross-encoder score a passage?", "positive_ids": ["d3"], "shown": ["d3", "d2"]},
]

# A passage longer than a short max_length, for the long-passage (best window) examples.
LONG_TEXT = (
    "The treaty was debated for years. Several drafts were rejected by national votes. "
    "The treaty was signed in Lisbon on 13 December 2007. It entered into force two years later. "
    "Its text amends the two earlier treaties rather than replacing them."
)


def _training_examples() -> list[Any]:
    from xrerank.examples import TrainingExample

    by_id = dict(zip(IDS, PASSAGES, strict=True))
    return [
        TrainingExample("what is BM25?", [by_id["d1"]], [by_id["d2"], by_id["d3"]]),
        TrainingExample("capital of France", [by_id["d6"]], [by_id["d7"], by_id["d8"]]),
    ]


# ----------------------------------------------------------------- the models, built once per session


@pytest.fixture(scope="session")
def doctest_cross_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny random-weight cross-encoder of tests/conftest.py, for examples that score."""
    return build_tiny_cross_encoder(tmp_path_factory.mktemp("doctest-cross-encoder"))


@pytest.fixture(scope="session")
def doctest_onnx_dir(doctest_cross_encoder_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny cross-encoder exported to ONNX (fp32), as ``xrerank export`` writes it."""
    from xrerank.models.export import export_model

    return export_model(str(doctest_cross_encoder_dir), tmp_path_factory.mktemp("doctest-onnx") / "model")


@pytest.fixture(scope="session")
def doctest_encoder() -> Any:
    """The packaged all-MiniLM-L6-v2: a real embedding model, so searches return sensible results."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(minilm_dir()), device="cpu")


@pytest.fixture(scope="session")
def doctest_vectors(doctest_encoder: Any) -> Any:
    """The corpus embedded by the encoder: the vectors a user's store already holds."""
    return doctest_encoder.encode(PASSAGES, normalize_embeddings=True, convert_to_numpy=True)


# ----------------------------------------------------------------- what each name is

Builder = Callable[[pytest.FixtureRequest], Any]


def _reranker(request: pytest.FixtureRequest) -> Any:
    from xrerank.scoring.reranker import Reranker

    return Reranker(str(request.getfixturevalue("doctest_cross_encoder_dir")), device="cpu")


def _model(request: pytest.FixtureRequest) -> Any:
    from sentence_transformers import CrossEncoder

    return CrossEncoder(str(request.getfixturevalue("doctest_cross_encoder_dir")), device="cpu")


def _tokenizer(request: pytest.FixtureRequest) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(request.getfixturevalue("doctest_cross_encoder_dir")))


def _langchain_embeddings(request: pytest.FixtureRequest) -> Any:
    from framework_embeddings import MiniLMEmbeddings

    return MiniLMEmbeddings()


def _llamaindex_embed_model(request: pytest.FixtureRequest) -> Any:
    from framework_embeddings import llamaindex_embedding

    return llamaindex_embedding()


def _langchain_documents(request: pytest.FixtureRequest) -> Any:
    from langchain_core.documents import Document

    return [Document(page_content=text, id=doc_id) for doc_id, text in zip(IDS, PASSAGES, strict=True)]


def _compressor(request: pytest.FixtureRequest) -> Any:
    from langchain_xrerank import XRerankCompressor

    return XRerankCompressor(reranker=_reranker(request), top_n=2)


def _llamaindex_nodes(request: pytest.FixtureRequest) -> Any:
    from llama_index.core.schema import NodeWithScore, TextNode

    # Retriever scores falling with position, as a retriever hands them over.
    return [
        NodeWithScore(node=TextNode(text=text, id_=doc_id), score=round(1.0 - i / 10, 1))
        for i, (doc_id, text) in enumerate(zip(IDS, PASSAGES, strict=True))
    ]


def _postprocessor(request: pytest.FixtureRequest) -> Any:
    from llamaindex_xrerank import XRerankPostprocessor

    return XRerankPostprocessor(reranker=_reranker(request), top_n=2)


def _llamaindex_index(request: pytest.FixtureRequest) -> Any:
    from llama_index.core import Document, VectorStoreIndex

    documents = [Document(text=text, id_=doc_id) for doc_id, text in zip(IDS, PASSAGES, strict=True)]
    return VectorStoreIndex.from_documents(documents, embed_model=_llamaindex_embed_model(request))


def _source(request: pytest.FixtureRequest) -> Any:
    from xrerank.mining.sources import EmbeddingSource

    vectors, encoder = request.getfixturevalue("doctest_vectors"), request.getfixturevalue("doctest_encoder")
    return EmbeddingSource(vectors, PASSAGES, ids=IDS, query_encoder=encoder)


# Fresh objects per doctest (an example may change them); the models underneath are shared.
NAMES: dict[str, Builder] = {
    "passages": lambda request: list(PASSAGES),
    "texts": lambda request: list(PASSAGES),
    "ids": lambda request: list(IDS),
    "documents": lambda request: dict(zip(IDS, PASSAGES, strict=True)),
    "vectors": lambda request: request.getfixturevalue("doctest_vectors").copy(),
    "encoder": lambda request: request.getfixturevalue("doctest_encoder"),
    "source": _source,
    "reranker": _reranker,
    "model": _model,
    "tokenizer": _tokenizer,
    "long_text": lambda request: LONG_TEXT,
    "examples": lambda request: _training_examples(),
    # The adapters' objects: MiniLM in each framework's embedding interface
    # (tests/framework_embeddings.py), the corpus as documents and nodes, the rerankers on the tiny model.
    "embeddings": _langchain_embeddings,
    "embed_model": _llamaindex_embed_model,
    "docs": _langchain_documents,
    "compressor": _compressor,
    "nodes": _llamaindex_nodes,
    "rerank": _postprocessor,
    "index": _llamaindex_index,
}


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def _write_log_gz(path: Path) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row) + "\n" for row in LOG)


# Files an example may read from its working directory, written when its source names them.
FILES: dict[str, Callable[[pytest.FixtureRequest, Path], object]] = {
    "log.jsonl.gz": lambda request, path: _write_log_gz(path),
    "log.jsonl": lambda request, path: _write_jsonl(path, LOG),
    "train.jsonl": lambda request, path: _write_jsonl(path, [e.to_dict() for e in _training_examples()]),
    "my-reranker": lambda request, path: shutil.copytree(
        request.getfixturevalue("doctest_cross_encoder_dir"), path
    ),
    "reranker-onnx": lambda request, path: shutil.copytree(request.getfixturevalue("doctest_onnx_dir"), path),
}


def names_file(text: str, name: str) -> bool:
    """Whether ``text`` names the file ``name`` itself (not ``name.gz`` or ``other-name``)."""
    return re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-]|\.\w)", text) is not None


def free_names(sources: list[str]) -> set[str]:
    """Names the examples read before any of them assigns them (what the namespace must supply)."""
    assigned: set[str] = set()
    free: set[str] = set()
    for source in sources:
        try:
            names = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)]
        except SyntaxError:  # e.g. top-level `await`: such an example cannot run anyway
            continue
        free.update(n.id for n in names if isinstance(n.ctx, ast.Load) and n.id not in assigned)
        assigned.update(n.id for n in names if isinstance(n.ctx, ast.Store))
    return free


@pytest.fixture(autouse=True)
def _doctest_names(request: pytest.FixtureRequest, doctest_namespace: dict[str, Any]) -> Iterator[None]:
    """Give a doctest the names it reads and an empty working directory; nothing for other tests."""
    if not isinstance(request.node, pytest.DoctestItem):
        yield
        return
    test = request.node.dtest
    sources = [example.source for example in test.examples if not example.options.get(doctest.SKIP)]
    workdir = request.getfixturevalue("tmp_path")
    request.getfixturevalue("monkeypatch").chdir(workdir)
    text = "\n".join(sources)
    for name, write in FILES.items():
        if names_file(text, name):
            write(request, workdir / name)
    # A module's own globals win: the example then uses what the module defines.
    wanted = [name for name in sorted(free_names(sources) & NAMES.keys()) if name not in test.globs]
    for name in wanted:
        doctest_namespace[name] = NAMES[name](request)
    yield
    for name in wanted:
        doctest_namespace.pop(name, None)
