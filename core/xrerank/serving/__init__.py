"""Serving around the reranker: the multi-stage funnel and the semantic query cache."""

from __future__ import annotations

from xrerank.errors import RankingParseError
from xrerank.serving.funnel import Funnel
from xrerank.serving.funnel_config import FunnelConfig
from xrerank.serving.funnel_result import FunnelItem, FunnelReport, FunnelResult, StageReport
from xrerank.serving.key_terms import KeyTermGuard
from xrerank.serving.listwise_prompt import parse_ranking
from xrerank.serving.query_cache import SemanticQueryCache
from xrerank.serving.query_cache_types import CacheLookup, QueryCacheConfig, QueryCacheStats

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
