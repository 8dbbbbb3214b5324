"""xrerank: cross-encoder reranking for RAG, specialised to your domain.

Importing xrerank is cheap: torch, transformers and sentence-transformers load on
first use of a model, never at import time.

Example:
    >>> from xrerank import Reranker
    >>> reranker = Reranker()  # doctest: +SKIP
    >>> reranker.rank("what is BM25?", passages, top_k=3)  # doctest: +SKIP
"""

from __future__ import annotations

import os as _os
import sys as _sys

if "torch" not in _sys.modules:
    # torch's OpenMP threads spin between parallel regions by default. When scoring
    # hands work between threads (async calls, micro-batching) the spinning threads
    # starve the hand-off: on 2 cores a 4-pair call took ~450 ms instead of ~20 ms.
    # Passive waiting removes that and costs nothing measurable on direct calls.
    # Set OMP_WAIT_POLICY yourself (before importing torch) to override.
    _os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from xrerank.bm25 import BM25Source
from xrerank.distill import DistillationConfig, distill_bi_encoder
from xrerank.distill_report import DistillationReport, distillation_report
from xrerank.finetune import finetune
from xrerank.funnel import (
    Funnel,
    FunnelConfig,
    FunnelItem,
    FunnelReport,
    FunnelResult,
    RankingParseError,
    StageReport,
    parse_ranking,
)
from xrerank.late_interaction import LateInteractionReranker, LateInteractionStats
from xrerank.loading import DEFAULT_MODEL, ModelLoadError
from xrerank.logs import LogRecord, merge_records, read_log
from xrerank.mining import MiningConfig, MiningReport, mine_hard_negatives
from xrerank.protocol import RerankerProtocol
from xrerank.query_cache import (
    CacheLookup,
    KeyTermGuard,
    QueryCacheConfig,
    QueryCacheStats,
    SemanticQueryCache,
)
from xrerank.reranker import MicroBatching, RankedItem, Reranker, RerankerStats
from xrerank.reranker_comparison import RerankerComparison, compare_rerankers
from xrerank.sources import Candidate, CandidateSource, EmbeddingSource, FaissSource
from xrerank.training import TrainingConfig
from xrerank.training_data import TrainingExample

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MODEL",
    "BM25Source",
    "CacheLookup",
    "Candidate",
    "CandidateSource",
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
]
