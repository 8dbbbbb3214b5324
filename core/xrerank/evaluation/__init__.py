"""Evaluation: metrics (checked against ir-measures), fusion with the retriever, reports, comparisons."""

from __future__ import annotations

from xrerank.evaluation.comparison import RerankerComparison, compare_rerankers
from xrerank.evaluation.distillation_report import DistillationReport, distillation_report
from xrerank.evaluation.eval_set import EvalSet
from xrerank.evaluation.fusion import choose_fusion_weight, fuse_runs
from xrerank.evaluation.html_report import html_report, write_html_report
from xrerank.evaluation.metrics import evaluate_run
from xrerank.evaluation.reports import compare, per_query_report
from xrerank.evaluation.runs import rerank_run
from xrerank.evaluation.shortlist_choice import ShortlistChoice, choose_shortlist

__all__ = [
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
]
