"""Packaging promises: cheap imports, a pinned public API, the console script."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import xrerank


def test_import_does_not_load_torch():
    code = "import sys, xrerank; assert 'torch' not in sys.modules, 'torch imported'; print('ok')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


PUBLIC_API = {
    "xrerank": {
        "BM25Source",
        "CacheLookup",
        "Candidate",
        "CandidateSource",
        "DEFAULT_MODEL",
        "DistillationConfig",
        "DistillationReport",
        "EmbeddingSource",
        "FaissSource",
        "Funnel",
        "FunnelConfig",
        "FunnelItem",
        "FunnelReport",
        "FunnelResult",
        "KeyTermGuard",
        "LateInteractionReranker",
        "LateInteractionStats",
        "LogRecord",
        "MicroBatching",
        "MiningConfig",
        "MiningReport",
        "ModelLoadError",
        "QueryCacheConfig",
        "QueryCacheStats",
        "RankedItem",
        "RankingParseError",
        "Reranker",
        "RerankerComparison",
        "RerankerProtocol",
        "RerankerStats",
        "SemanticQueryCache",
        "StageReport",
        "TrainingConfig",
        "TrainingExample",
        "__version__",
        "compare_rerankers",
        "distill_bi_encoder",
        "distillation_report",
        "finetune",
        "merge_records",
        "mine_hard_negatives",
        "parse_ranking",
        "read_log",
    },
    "langchain_xrerank": {
        "LangChainListwiseLLM",
        "RetrieverSource",
        "SemanticCacheRunnable",
        "VectorStoreSource",
        "XRerankCompressor",
    },
    "llamaindex_xrerank": {
        "CachedQueryEngine",
        "LlamaIndexListwiseLLM",
        "RetrieverSource",
        "XRerankPostprocessor",
    },
}


@pytest.mark.parametrize("package", sorted(PUBLIC_API))
def test_public_api_is_pinned(package):
    """Adding or removing a public name is a deliberate change: update this list with it."""
    module = importlib.import_module(package)
    assert set(module.__all__) == PUBLIC_API[package]
    assert len(module.__all__) == len(set(module.__all__))
    for name in module.__all__:
        assert hasattr(module, name), name


def test_default_model_is_the_ms_marco_reranker():
    assert xrerank.DEFAULT_MODEL == "cross-encoder/ms-marco-MiniLM-L6-v2"


def test_console_script_help():
    script = Path(sys.executable).parent / "xrerank"  # installed beside this interpreter
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert "score" in result.stdout
