"""xrerank: cross-encoder reranking for RAG, specialised to your domain.

Importing xrerank is cheap: torch, transformers and sentence-transformers load on
first use of a model, never at import time.

Example:
    >>> from xrerank import Reranker
    >>> reranker = Reranker()  # doctest: +SKIP
    >>> reranker.rank("what is BM25?", passages, top_k=3)  # doctest: +SKIP
"""

from __future__ import annotations

from xrerank.bm25 import BM25Source
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
from xrerank.loading import DEFAULT_MODEL, ModelLoadError
from xrerank.logs import LogRecord, merge_records, read_log
from xrerank.mining import MiningConfig, MiningReport, mine_hard_negatives
from xrerank.query_cache import (
    CacheLookup,
    KeyTermGuard,
    QueryCacheConfig,
    QueryCacheStats,
    SemanticQueryCache,
)
from xrerank.reranker import MicroBatching, RankedItem, Reranker, RerankerStats
from xrerank.sources import Candidate, CandidateSource, EmbeddingSource, FaissSource

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MODEL",
    "BM25Source",
    "CacheLookup",
    "Candidate",
    "CandidateSource",
    "EmbeddingSource",
    "FaissSource",
    "Funnel",
    "FunnelConfig",
    "FunnelItem",
    "FunnelReport",
    "FunnelResult",
    "KeyTermGuard",
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
    "RerankerStats",
    "SemanticQueryCache",
    "StageReport",
    "__version__",
    "merge_records",
    "mine_hard_negatives",
    "parse_ranking",
    "read_log",
]
