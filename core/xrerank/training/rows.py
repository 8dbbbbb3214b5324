"""The column layout each loss wants, built from :class:`xrerank.examples.TrainingExample` records.

sentence-transformers' losses read datasets by column position: these turn examples into
the rows each loss expects, for fine-tuning a cross-encoder (:func:`build_rows`) and for
distilling one into a bi-encoder (:func:`build_distillation_rows`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from xrerank.examples import TrainingExample

if TYPE_CHECKING:
    from xrerank.training.config import TrainingConfig
    from xrerank.training.distill import DistillationConfig


def check_examples(examples: object, *, caller: str) -> list[TrainingExample]:
    """Return ``examples`` as a new list after checking that it holds at least one TrainingExample.

    Example:
        >>> check_examples([TrainingExample("q", ["p"])], caller="train()")[0].query
        'q'
    """
    if isinstance(examples, (str, bytes, Mapping)) or not isinstance(examples, Iterable):
        raise TypeError(
            f"{caller} got {type(examples).__name__} as examples; expected a list of TrainingExample "
            "(from mine_hard_negatives or xrerank.examples.load_examples)."
        )
    items = list(examples)
    if not items:
        raise ValueError(
            f"{caller} got no training examples; mine some from your retriever log first "
            "(xrerank.mine_hard_negatives or `xrerank mine`)."
        )
    for position, example in enumerate(items):
        if not isinstance(example, TrainingExample):
            raise TypeError(
                f"{caller} got a {type(example).__name__} at examples[{position}]; expected "
                "TrainingExample (see xrerank.examples.load_examples)."
            )
    return items


def trim_negatives(example: TrainingExample, num_negatives: int) -> TrainingExample:
    """A copy of ``example`` with its first ``num_negatives`` negatives (and their ids and scores).

    Example:
        >>> trim_negatives(TrainingExample("q", ["p"], ["n1", "n2"]), 1).negatives
        ['n1']
    """
    n = num_negatives
    return replace(
        example,
        positives=list(example.positives),
        positive_ids=list(example.positive_ids),
        positive_scores=list(example.positive_scores),
        negatives=list(example.negatives[:n]),
        negative_ids=list(example.negative_ids[:n]),
        negative_scores=list(example.negative_scores[:n]),
    )


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


def to_margin_rows(
    examples: Iterable[TrainingExample], num_negatives: int, *, margin: float | None = None
) -> list[dict[str, Any]]:
    """(query, positive, negative_1..n, label=[margins]) rows for MarginMSE, one per positive.

    Each label holds one margin per negative: the teacher's (positive score minus negative
    score; every example needs teacher scores) or, given ``margin``, that constant. Examples
    with fewer than ``num_negatives`` negatives are skipped, as in :func:`to_ntuples`.
    Columns: ``query``, ``positive``, ``negative_1`` ... ``negative_n``, ``label``.
    """
    rows: list[dict[str, Any]] = []
    for example in examples:
        if len(example.negatives) < num_negatives:
            continue
        negatives = range(num_negatives)
        for p, positive in enumerate(example.positives):
            row: dict[str, Any] = {"query": example.query, "positive": positive}
            row.update({f"negative_{i + 1}": example.negatives[i] for i in negatives})
            if margin is None:
                row["label"] = [
                    float(example.positive_scores[p] - example.negative_scores[i]) for i in negatives
                ]
            else:
                row["label"] = [float(margin)] * num_negatives
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


def build_rows(
    examples: Iterable[TrainingExample], config: TrainingConfig
) -> tuple[list[dict[str, Any]], int]:
    """The dataset rows ``config.loss`` reads, and how many examples were skipped.

    * ``bce``: (query, passage, label) for every positive and up to ``num_negatives`` negatives.
    * ``infonce``: (query, positive, negative_1..n); examples with fewer negatives are skipped.
    * ``margin_mse``: (query, positive, negative_1..n, label=[margins]); teacher margins
      when every example has teacher scores, else ``margin``.
    * ``mse``: (query, passage, teacher score); needs teacher scores.
    * ``lambda``: (query, [docs], [labels]) with the positives and up to ``num_negatives`` negatives.

    Example:
        >>> from xrerank.training.config import TrainingConfig
        >>> ex = TrainingExample("q", ["p"], ["n1", "n2"])
        >>> build_rows([ex], TrainingConfig(loss="infonce", num_negatives=2))[0]
        [{'query': 'q', 'positive': 'p', 'negative_1': 'n1', 'negative_2': 'n2'}]
    """
    n = config.num_negatives
    trimmed = [trim_negatives(e, n) for e in check_examples(examples, caller="train()")]
    if config.loss == "bce":
        return to_bce_pairs(trimmed), 0
    if config.loss == "mse":
        return to_scored_pairs(trimmed), 0
    if config.loss == "lambda":
        return to_listwise([e for e in trimmed if e.negatives]), sum(not e.negatives for e in trimmed)
    full = [e for e in trimmed if len(e.negatives) >= n]
    skipped = len(trimmed) - len(full)
    if config.loss == "infonce":
        return to_ntuples(full, n), skipped
    teacher = all(e.has_teacher_scores for e in full)
    return to_margin_rows(full, n, margin=None if teacher else config.margin), skipped


def build_distillation_rows(
    examples: Iterable[TrainingExample], config: DistillationConfig
) -> tuple[list[dict[str, Any]], int]:
    """The dataset rows the distillation loss reads, and how many examples were skipped.

    Every example must carry teacher scores
    (see :func:`~xrerank.training.distill.teacher_scored`).

    * ``margin_mse``: (query, positive, negative_1..n, label=[teacher margins]), one row per
      positive; examples with fewer than ``num_negatives`` negatives are skipped.
    * ``cosent`` / ``cosine``: (query, passage, label=teacher score) for every positive and negative.

    Example:
        >>> from xrerank.training.distill import DistillationConfig
        >>> ex = TrainingExample("q", ["p"], ["n"], positive_scores=[0.75], negative_scores=[0.25])
        >>> build_distillation_rows([ex], DistillationConfig(num_negatives=1))[0]
        [{'query': 'q', 'positive': 'p', 'negative_1': 'n', 'label': [0.5]}]
    """
    n = config.num_negatives
    trimmed = [trim_negatives(e, n) for e in examples]
    for example in trimmed:
        if not example.has_teacher_scores:
            raise ValueError(
                f"The example for query {example.query!r} has no teacher scores; score it with "
                "teacher_scored(...) first."
            )
    if config.loss != "margin_mse":
        return to_scored_pairs(trimmed), 0
    full = [e for e in trimmed if len(e.negatives) >= n]
    return to_margin_rows(full, n), len(trimmed) - len(full)
