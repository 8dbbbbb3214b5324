"""xrerank: cross-encoder reranking for RAG, specialised to your domain.

Importing xrerank is cheap: torch, transformers and sentence-transformers load on
first use of a model, never at import time.

The top level holds the names a user starts with; everything else lives in the
sub-package that owns it, in the order data flows through them:
``mining`` (logs + store -> examples), ``training`` (examples -> model), ``models``
(loading, backends, export), ``scoring`` (the rerankers), ``evaluation``, ``serving``
(funnel, query cache), ``cli`` and ``demo``.

Example:
    >>> from xrerank import Reranker
    >>> reranker = Reranker("./my-reranker")  # or Reranker(): the MS MARCO model from the hub
    >>> len(reranker.rank("what is BM25?", passages, top_k=3))
    3
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

from xrerank.errors import ModelLoadError
from xrerank.examples import TrainingExample
from xrerank.mining import (
    CandidateSource,
    FaissSource,
    LogRecord,
    MiningConfig,
    mine_hard_negatives,
    read_log,
)
from xrerank.models import DEFAULT_MODEL
from xrerank.scoring import (
    CascadeReranker,
    LateInteractionReranker,
    PairwiseReranker,
    RankedItem,
    Reranker,
    SentenceVectorPicker,
    Seq2SeqReranker,
)
from xrerank.scoring.remote import RemoteReranker
from xrerank.training import TrainingConfig, TuneConfig, finetune, tune

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MODEL",
    "CandidateSource",
    "CascadeReranker",
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
]
