"""Serving around the reranker: the multi-stage funnel and the semantic query cache."""

from __future__ import annotations

from xrerank.errors import RankingParseError
from xrerank.serving.funnel import (
    Funnel,
    FunnelConfig,
    FunnelItem,
    FunnelReport,
    FunnelResult,
    StageReport,
    parse_ranking,
)
from xrerank.serving.query_cache import (
    CacheLookup,
    KeyTermGuard,
    QueryCacheConfig,
    QueryCacheStats,
    SemanticQueryCache,
)

__all__ = [
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
]
