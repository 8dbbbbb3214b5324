"""Scoring: the rerankers and what every one of them shares.

:class:`Reranker` serves a cross-encoder; :class:`LateInteractionReranker` scores by
MaxSim over token vectors. Both rest on one base (validation, batching, score cache,
async and stats), score long passages by windows, and satisfy :class:`RerankerProtocol`,
which is what the adapters, the funnel and the commands accept.
"""

from __future__ import annotations

from xrerank.scoring.cascade import CascadeReranker
from xrerank.scoring.late_interaction import LateInteractionReranker, LateInteractionStats
from xrerank.scoring.micro_batching import MicroBatching
from xrerank.scoring.pairwise import PairwiseReranker
from xrerank.scoring.protocol import RerankerProtocol
from xrerank.scoring.ranking import RankedItem
from xrerank.scoring.reranker import Reranker, RerankerStats
from xrerank.scoring.seq2seq import Seq2SeqModel, Seq2SeqReranker
from xrerank.scoring.window_vectors import SentenceVectorPicker

__all__ = [
    "CascadeReranker",
    "LateInteractionReranker",
    "LateInteractionStats",
    "MicroBatching",
    "PairwiseReranker",
    "RankedItem",
    "Reranker",
    "RerankerProtocol",
    "RerankerStats",
    "SentenceVectorPicker",
    "Seq2SeqModel",
    "Seq2SeqReranker",
]
