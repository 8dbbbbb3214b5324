"""Mining: retriever logs and the user's store in, training examples with hard negatives out.

Logs become :class:`LogRecord` s; a :class:`CandidateSource` (FAISS, in-memory embeddings,
BM25, or the LangChain/LlamaIndex sources in the adapters) answers ``search(query, k)``;
the miner picks negatives from a rank window and writes :class:`xrerank.examples.TrainingExample` s.
Cold start makes pseudo-queries from the corpus itself when there is no log yet; the retriever
start turns the store's own ranking into examples that teach a fresh head to rank like it.
"""

from __future__ import annotations

from xrerank.mining.bm25 import BM25Source
from xrerank.mining.cold_start import pseudo_query_examples, sample_documents
from xrerank.mining.log_reader import LogReader, read_log
from xrerank.mining.log_records import LogRecord, merge_records, split_by_positives
from xrerank.mining.miner import iter_hard_negatives, mine_hard_negatives
from xrerank.mining.mining_config import MiningConfig
from xrerank.mining.mining_report import MiningReport
from xrerank.mining.retriever_start import retriever_scored_examples
from xrerank.mining.sources import Candidate, CandidateSource, EmbeddingSource, FaissSource

__all__ = [
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
]
