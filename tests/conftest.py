"""Shared fixtures: a tiny random-weight cross-encoder (unit tests) and the packaged MiniLM."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tiny_models import build_tiny_cross_encoder, build_tiny_encoder, minilm_dir

# Tests never reach a model hub: fail fast instead of retrying a download.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 32-wide BERT cross-encoder with random weights and MiniLM's tokenizer.

    Seeded, so scores are deterministic across runs; small enough to score in milliseconds.
    """
    return build_tiny_cross_encoder(tmp_path_factory.mktemp("tiny-cross-encoder"))


@pytest.fixture(scope="session")
def tiny_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plain 2-layer, 32-wide BERT encoder (no classification head), random weights, MiniLM's tokenizer."""
    return build_tiny_encoder(tmp_path_factory.mktemp("tiny-encoder"))


@pytest.fixture(scope="session")
def tiny_reranker_factory(tiny_model_dir: Path):
    """Build Rerankers on the tiny model (new instance per call, fresh cache and counters)."""
    from xrerank import Reranker

    def build(**options):
        options.setdefault("device", "cpu")
        return Reranker(str(tiny_model_dir), **options)

    return build


@pytest.fixture
def tiny_reranker(tiny_reranker_factory):
    return tiny_reranker_factory()


@pytest.fixture(scope="session")
def minilm_cross_encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """all-MiniLM-L6-v2's real encoder with a fresh one-logit head, saved as a CrossEncoder."""
    from sentence_transformers import CrossEncoder

    path = tmp_path_factory.mktemp("minilm-cross-encoder")
    model = CrossEncoder(str(minilm_dir()), num_labels=1, device="cpu")
    model.save(str(path))
    return path


# --------------------------------------------------------------------------- mining (logs, sources)

# A tiny knowledge base for mining tests. p03/p04 are the same passage under two ids (spacing and
# case differ), so excluding a positive by id alone would leak its twin as a "negative".
MINING_CORPUS = {
    "p01": "BM25 is a bag-of-words ranking function that scores documents by term frequency and length.",
    "p02": "Dense retrieval embeds queries and passages as vectors and ranks them by cosine similarity.",
    "p03": "A cross-encoder reads the query and the passage together and outputs one relevance score.",
    "p04": "A  cross-encoder reads the query and the passage together and outputs one RELEVANCE score.",
    "p05": "Hard negatives are passages that look relevant to a query but do not answer it.",
    "p06": "Reciprocal rank fusion merges several ranked lists by summing one over rank plus sixty.",
    "p07": "FAISS is a library for efficient similarity search over dense vectors.",
    "p08": "Paris is the capital and most populous city of France.",
    "p09": "The Eiffel Tower was completed in 1889 for the World's Fair in Paris.",
    "p10": "Cats sleep between twelve and sixteen hours a day.",
    "p11": "Sourdough bread rises thanks to wild yeast and lactic acid bacteria.",
    "p12": "The mitochondrion is the site of cellular respiration in eukaryotic cells.",
    "p13": "Learning rate warm-up increases the step size gradually at the start of training.",
    "p14": "A vector database stores embeddings and answers nearest-neighbour queries.",
    "p15": "Query expansion adds related terms to a search query to improve recall.",
    "p16": "Rerankers reorder the top results of a first-stage retriever with a stronger model.",
}


@pytest.fixture(scope="session")
def minilm_encoder():
    """The packaged all-MiniLM-L6-v2 as a SentenceTransformer (loaded once)."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(minilm_dir()), device="cpu")


@pytest.fixture(scope="session")
def mining_corpus_vectors(minilm_encoder):
    """(ids, texts, normalised MiniLM vectors) of MINING_CORPUS: the user's existing embeddings."""
    ids, texts = list(MINING_CORPUS), list(MINING_CORPUS.values())
    vectors = minilm_encoder.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    return ids, texts, vectors
