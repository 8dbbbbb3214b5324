"""Training on windows: cut each long positive and negative to its best window under the start model.

Used with ``long_passages="max_window"``; the start model must already rank
(:func:`require_a_ranking_start`), since a fresh head picks arbitrary windows.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sentence_transformers import CrossEncoder

    from xrerank.examples import TrainingExample
    from xrerank.scoring.reranker import Reranker
    from xrerank.training.config import TrainingConfig

logger = logging.getLogger(__name__)


def require_a_ranking_start(config: TrainingConfig, fresh_head: bool) -> None:
    """Refuse ``long_passages="max_window"`` from a start model whose head is fresh (random).

    Example:
        >>> from xrerank.training.config import TrainingConfig
        >>> config = TrainingConfig(base_model="minilm", long_passages="max_window")
        >>> require_a_ranking_start(config, fresh_head=False)  # a start model that ranks: allowed
        >>> require_a_ranking_start(config, fresh_head=True)
        Traceback (most recent call last):
        ...
        ValueError: long_passages='max_window' picks each long passage's best window with the start model, ...
    """
    if config.long_passages == "max_window" and fresh_head:
        raise ValueError(
            f"long_passages='max_window' picks each long passage's best window with the start model, but "
            f"{config.base_model} has no classification head yet, and a fresh head picks arbitrary windows. "
            "Start from a cross-encoder, add a cold-start stage (finetune(..., cold_start=...), "
            "`xrerank train --cold-start`), or use long_passages='truncate'."
        )


def best_window_examples(examples: Sequence[TrainingExample], reranker: Reranker) -> list[TrainingExample]:
    """The examples with every long positive and negative cut down to its best window.

    A model served with ``long_passages="max_window"`` scores windows, but trained
    on whole passages it only ever learnt from their first ``max_length`` tokens.
    Training on windows matches the two: each positive becomes the window where
    ``reranker`` finds the evidence, and each negative its most query-like window
    (a harder negative than its opening). ``reranker`` should already rank well,
    e.g. the cold-start model (:func:`xrerank.training.finetune` uses the model it starts
    from); windows picked by an untrained head are arbitrary. Passages that fit are
    kept as they are, and ids, teacher scores and order are unchanged.

    Example:
        >>> from xrerank import Reranker, TrainingExample
        >>> start = Reranker("./my-reranker", max_length=32)  # e.g. the cold-start model
        >>> [cut] = best_window_examples([TrainingExample("when was it signed?", [long_text])], start)
        >>> cut.positives
        ['The treaty was debated for years. ... The treaty was signed in Lisbon on 13 December 2007.']
    """
    pairs = [(ex.query, text) for ex in examples for text in (*ex.positives, *ex.negatives)]
    windows = iter(reranker.best_windows(pairs))
    cut = []
    for example in examples:
        positives = [next(windows) for _ in example.positives]
        negatives = [next(windows) for _ in example.negatives]
        cut.append(replace(example, positives=positives, negatives=negatives))
    return cut


def cut_to_best_windows(
    examples: Sequence[TrainingExample], model: CrossEncoder, config: TrainingConfig
) -> list[TrainingExample]:
    """The examples with each long passage cut to its best window under ``model``; logs how many were cut.

    Example:
        >>> from xrerank import TrainingExample
        >>> from xrerank.training.config import TrainingConfig
        >>> config = TrainingConfig(max_length=32, long_passages="max_window")
        >>> [cut] = cut_to_best_windows([TrainingExample("when was it signed?", [long_text])], model, config)
        >>> cut.positives
        ['The treaty was debated for years. ... The treaty was signed in Lisbon on 13 December 2007.']
    """
    from xrerank.scoring.reranker import Reranker

    scorer = Reranker(
        model,
        max_length=config.max_length,
        activation=None,
        cache_size=0,
        micro_batching=None,
        show_progress_bar=config.show_progress,
        long_passages="max_window",  # what the windows serve; best_windows cuts in either mode
    )
    with config.mixed_precision():
        cut = best_window_examples(examples, scorer)
    passages = sum(len(example.positives) + len(example.negatives) for example in examples)
    logger.info(
        "long_passages='max_window': %d of %d training passages cut to their best window.",
        scorer.stats.split_passages,
        passages,
    )
    return cut
