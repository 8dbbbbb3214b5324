"""The column layout each loss wants, built from :class:`xrerank.examples.TrainingExample` records.

sentence-transformers' cross-encoder losses read datasets by column position: these turn
examples into the rows each loss expects.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from xrerank.examples import TrainingExample


def to_bce_pairs(examples: Iterable[TrainingExample]) -> list[dict[str, Any]]:
    """Labelled pairs for pointwise BCE: every positive (1.0) and negative (0.0).

    Columns: ``query``, ``passage``, ``label``.
    """
    rows: list[dict[str, Any]] = []
    for example in examples:
        rows.extend({"query": example.query, "passage": text, "label": 1.0} for text in example.positives)
        rows.extend({"query": example.query, "passage": text, "label": 0.0} for text in example.negatives)
    return rows


def to_ntuples(examples: Iterable[TrainingExample], num_negatives: int) -> list[dict[str, Any]]:
    """(query, positive, negative_1..n) rows for InfoNCE, one per positive.

    Examples with fewer than ``num_negatives`` negatives are skipped (every row of a
    loss batch must have the same width).
    Columns: ``query``, ``positive``, ``negative_1`` ... ``negative_n``.
    """
    rows: list[dict[str, Any]] = []
    for example in examples:
        if len(example.negatives) < num_negatives:
            continue
        for positive in example.positives:
            row = {"query": example.query, "positive": positive}
            row.update({f"negative_{i + 1}": example.negatives[i] for i in range(num_negatives)})
            rows.append(row)
    return rows


def to_scored_pairs(examples: Iterable[TrainingExample]) -> list[dict[str, Any]]:
    """(query, passage, teacher score) rows for MSE distillation.

    Raises:
        ValueError: An example has no teacher scores (score them with a teacher first).
    Columns: ``query``, ``passage``, ``label``.
    """
    rows: list[dict[str, Any]] = []
    for example in examples:
        if not example.has_teacher_scores:
            raise ValueError(
                f"MSE distillation needs teacher scores, but the example for query {example.query!r} has "
                "none. Mine with a teacher (mine_hard_negatives(..., teacher=...)) or use loss='bce'."
            )
        rows.extend(
            {"query": example.query, "passage": t, "label": float(s)}
            for t, s in zip(example.positives, example.positive_scores, strict=True)
        )
        rows.extend(
            {"query": example.query, "passage": t, "label": float(s)}
            for t, s in zip(example.negatives, example.negative_scores, strict=True)
        )
    return rows


def to_listwise(examples: Iterable[TrainingExample]) -> list[dict[str, Any]]:
    """(query, [docs], [labels]) rows for listwise losses such as LambdaLoss.

    Labels are the teacher scores when present, else 1.0 for positives and 0.0
    for negatives. Columns: ``query``, ``docs``, ``labels``.
    """
    rows: list[dict[str, Any]] = []
    for example in examples:
        docs = [*example.positives, *example.negatives]
        if example.has_teacher_scores:
            labels = [*example.positive_scores, *example.negative_scores]
        else:
            labels = [1.0] * len(example.positives) + [0.0] * len(example.negatives)
        rows.append({"query": example.query, "docs": docs, "labels": [float(x) for x in labels]})
    return rows
