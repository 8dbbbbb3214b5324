"""Packaging promises: cheap imports, a pinned public API, the console script, the license metadata."""

from __future__ import annotations

import importlib
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest

import xrerank

REPO = Path(__file__).resolve().parents[1]


def test_import_does_not_load_torch():
    code = "import sys, xrerank; assert 'torch' not in sys.modules, 'torch imported'; print('ok')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


PUBLIC_API = {
    "xrerank": {
        "CandidateSource",
        "CascadeReranker",
        "DEFAULT_MODEL",
        "FaissSource",
        "LateInteractionReranker",
        "LogRecord",
        "MiningConfig",
        "ModelLoadError",
        "PairwiseReranker",
        "RankedItem",
        "RemoteReranker",
        "Reranker",
        "SentenceVectorPicker",
        "Seq2SeqReranker",
        "TrainingConfig",
        "TrainingExample",
        "TuneConfig",
        "__version__",
        "finetune",
        "mine_hard_negatives",
        "read_log",
        "tune",
    },
    "xrerank.scoring": {
        "CascadeReranker",
        "LateInteractionReranker",
        "LateInteractionStats",
        "MicroBatching",
        "PairwiseReranker",
        "RankedItem",
        "Reranker",
        "RerankerProtocol",
        "RerankerStats",
        "Seq2SeqModel",
        "SentenceVectorPicker",
        "Seq2SeqReranker",
    },
    "xrerank.models": {
        "DEFAULT_MODEL",
        "ModelLoadError",
        "PickleWeightsError",
        "choose_backend",
        "export_fastest",
        "export_model",
    },
    "xrerank.mining": {
        "BM25Source",
        "Candidate",
        "CandidateSource",
        "EmbeddingSource",
        "FaissSource",
        "LogReader",
        "LogRecord",
        "MiningConfig",
        "MiningReport",
        "iter_hard_negatives",
        "merge_records",
        "mine_hard_negatives",
        "pseudo_query_examples",
        "read_log",
        "retriever_scored_examples",
        "sample_documents",
        "split_by_positives",
    },
    "xrerank.training": {
        "DistillationConfig",
        "DistillationResult",
        "RerankerDistillationConfig",
        "RerankerDistillationResult",
        "TrainResult",
        "TrainingConfig",
        "distill_bi_encoder",
        "distill_reranker",
        "finetune",
        "recipe_training_config",
        "train",
        "TuneConfig",
        "TuneDidNotHelp",
        "TuneResult",
        "tune",
    },
    "xrerank.evaluation": {
        "DistillationReport",
        "EvalSet",
        "RerankerComparison",
        "ShortlistChoice",
        "choose_fusion_weight",
        "choose_shortlist",
        "compare",
        "compare_rerankers",
        "distillation_report",
        "evaluate_run",
        "fuse_runs",
        "html_report",
        "per_query_report",
        "rerank_run",
        "write_html_report",
    },
    "xrerank.serving": {
        "CacheLookup",
        "Funnel",
        "FunnelConfig",
        "FunnelItem",
        "FunnelReport",
        "FunnelResult",
        "KeyTermGuard",
        "QueryCacheConfig",
        "QueryCacheStats",
        "RankingParseError",
        "SemanticQueryCache",
        "StageReport",
        "parse_ranking",
    },
    "xrerank.distributed": {
        "ServeConfig",
        "mine_on_ray",
        "rerank_app",
        "rerank_run_on_ray",
        "score_pairs_on_ray",
        "serve_reranker",
    },
    "xrerank.demo": {"DemoOptions", "DemoResult", "run_demo"},
    "xrerank.cli": {"main"},
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


def _installed_distribution() -> metadata.Distribution:
    """xrerank as pip installed it here; a checkout's xrerank.egg-info in the cwd would shadow it."""
    site_packages = list(dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")]))
    (distribution,) = metadata.distributions(name="xrerank", path=site_packages)
    return distribution


def test_distribution_declares_the_spdx_license_and_ships_it():
    distribution = _installed_distribution()
    assert distribution.metadata["License-Expression"] == "Apache-2.0"
    assert distribution.metadata["License"] is None  # the deprecated free-text field
    assert distribution.metadata.get_all("License-File") == ["LICENSE"]
    shipped = [path for path in distribution.files or [] if path.name == "LICENSE"]
    assert len(shipped) == 1, f"no LICENSE among {distribution.files}"
    assert shipped[0].read_text(encoding="utf-8") == (REPO / "LICENSE").read_text(encoding="utf-8")
