"""Training on windows: cut each long positive and negative to its best window under the start model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xrerank.examples import TrainingExample
    from xrerank.scoring.reranker import Reranker


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
        >>> start = Reranker("cold-start-model", max_length=96)  # doctest: +SKIP
        >>> examples = best_window_examples(examples, start)  # doctest: +SKIP
    """
    pairs = [(ex.query, text) for ex in examples for text in (*ex.positives, *ex.negatives)]
    windows = iter(reranker.best_windows(pairs))
    cut = []
    for example in examples:
        positives = [next(windows) for _ in example.positives]
        negatives = [next(windows) for _ in example.negatives]
        cut.append(replace(example, positives=positives, negatives=negatives))
    return cut
