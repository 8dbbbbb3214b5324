"""Evaluation: metrics (checked against ir-measures), fusion with the retriever, reports, comparisons."""

from __future__ import annotations

from xrerank.evaluation.comparison import RerankerComparison, compare_rerankers
from xrerank.evaluation.distillation_report import DistillationReport, distillation_report
from xrerank.evaluation.eval_set import EvalSet
from xrerank.evaluation.fusion import choose_fusion_weight, fuse_runs
from xrerank.evaluation.metrics import evaluate_run
from xrerank.evaluation.reports import compare, per_query_report
from xrerank.evaluation.runs import rerank_run

__all__ = [
    "DistillationReport",
    "EvalSet",
    "RerankerComparison",
    "choose_fusion_weight",
    "compare",
    "compare_rerankers",
    "distillation_report",
    "evaluate_run",
    "fuse_runs",
    "per_query_report",
    "rerank_run",
]
