"""The counters a :class:`xrerank.Reranker` keeps (:attr:`xrerank.Reranker.stats`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RerankerStats:
    """Counters since the reranker was built (a snapshot; see :attr:`Reranker.stats`).

    Attributes:
        pairs_requested: Pairs passed to any scoring call.
        pairs_scored: Pairs that went through the model (after cache and de-duplication).
        cache_hits: Pairs answered from the score cache.
        cache_misses: Distinct pairs looked up and not found in the cache.
        duplicate_pairs: Repeats of a pair within one call, scored once.
        truncated_pairs: Scored pairs longer than ``max_length`` tokens, cut to fit.
        split_passages: Passages cut into several windows (``long_passages="max_window"``).
        skipped_windows: Windows left unscored by ``max_windows``.
        batches: Forward passes run.
        non_finite_scores: Scores that came out NaN or infinite (they rank last; see
            :mod:`xrerank.scoring.ranking`).
    """

    pairs_requested: int = 0
    pairs_scored: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    duplicate_pairs: int = 0
    truncated_pairs: int = 0
    split_passages: int = 0
    skipped_windows: int = 0
    batches: int = 0
    non_finite_scores: int = 0
