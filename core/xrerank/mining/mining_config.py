"""How the miner chooses negatives: the rank window, sampling, easy negatives and the filters.

:class:`MiningConfig`'s defaults follow NV-Retriever's TopK-PercPos: the top of a rank window of
the store's results, minus anything scoring above 95 % of the positive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from xrerank.validation import check_int, check_number

_CALLER = "MiningConfig"


@dataclass
class MiningConfig:
    """How negatives are chosen. Defaults follow NV-Retriever's TopK-PercPos (95 %).

    Attributes:
        num_negatives: Negatives per query.
        range_min: Skip this many of the best-ranked candidates (ranks count the source's
            results after known positives and duplicates are removed).
        range_max: Consider candidates up to this rank (exclusive). None means
            ``range_min + 10 * num_negatives``.
        sampling: ``"top"`` takes the best-ranked candidates that pass the filters;
            ``"random"`` samples among them (seeded by ``seed`` and the query).
        seed: Seed of ``random`` sampling and of easy negatives.
        random_share: Share of ``num_negatives`` filled with easy negatives: documents
            the source returned for *other* queries. 0 disables them.
        relative_margin: Drop candidates scoring above
            ``positive - |positive| * relative_margin`` (0.05 keeps negatives below 95 % of
            the positive's score). A positive the source did not return is taken to score
            below every candidate, so all are dropped (see ``MiningReport.positive_not_retrieved``).
        absolute_margin: Drop candidates scoring above ``positive - absolute_margin``.
        max_score: Drop candidates scoring above this.
        min_score: Drop candidates scoring below this (too easy).
        teacher_margin: With a teacher, drop candidates whose teacher score is at least
            ``lowest positive teacher score - teacher_margin``.
        use_judged_negatives: Put documents the log labels not relevant first among the negatives.
        use_skipped: Put skip-above documents (shown above a used one, not used) first
            among the negatives. Off by default: users skip relevant results too.
        min_negatives: Queries left with fewer negatives are dropped from the output
            (and counted in the report). 0 keeps queries with positives only.
        batch_size: Queries sent to the source per ``search_batch`` call.

    Example:
        >>> MiningConfig(num_negatives=3, sampling="random", seed=7).range_max
        30
    """

    num_negatives: int = 5
    range_min: int = 0
    range_max: int | None = None
    sampling: Literal["top", "random"] = "top"
    seed: int = 0
    random_share: float = 0.0
    relative_margin: float | None = 0.05
    absolute_margin: float | None = None
    max_score: float | None = None
    min_score: float | None = None
    teacher_margin: float = 0.0
    use_judged_negatives: bool = True
    use_skipped: bool = False
    min_negatives: int = 1
    batch_size: int = 64

    def __post_init__(self) -> None:
        check_int(self.num_negatives, caller=_CALLER, name="num_negatives")
        check_int(self.range_min, caller=_CALLER, name="range_min", minimum=0)
        check_int(self.seed, caller=_CALLER, name="seed", minimum=None)
        check_int(self.batch_size, caller=_CALLER, name="batch_size")
        check_int(self.min_negatives, caller=_CALLER, name="min_negatives", minimum=0)
        if self.range_max is None:
            self.range_max = self.range_min + 10 * self.num_negatives
        check_int(self.range_max, caller=_CALLER, name="range_max", minimum=self.range_min + 1)
        if self.sampling not in ("top", "random"):
            raise ValueError(f"MiningConfig got sampling={self.sampling!r}; expected 'top' or 'random'.")
        check_number(self.random_share, caller=_CALLER, name="random_share", minimum=0, maximum=1)
        check_number(self.teacher_margin, caller=_CALLER, name="teacher_margin")
        # Margins are distances below the positive: negative ones would keep candidates above it.
        for name in ("relative_margin", "absolute_margin"):
            check_number(getattr(self, name), caller=_CALLER, name=name, minimum=0, optional=True)
        for name in ("max_score", "min_score"):
            check_number(getattr(self, name), caller=_CALLER, name=name, optional=True)
        if self.min_negatives > self.num_negatives:
            raise ValueError(
                f"MiningConfig got min_negatives={self.min_negatives} above num_negatives="
                f"{self.num_negatives}; lower min_negatives."
            )
        if self.num_hard > self.range_max - self.range_min:
            raise ValueError(
                f"MiningConfig cannot mine {self.num_hard} hard negatives from a rank window of "
                f"{self.range_max - self.range_min} (range_min={self.range_min}, "
                f"range_max={self.range_max}); raise range_max or lower num_negatives."
            )

    @property
    def num_random(self) -> int:
        """Easy negatives per query (``round(num_negatives * random_share)``)."""
        return round(self.num_negatives * self.random_share)

    @property
    def num_hard(self) -> int:
        """Hard negatives per query (the rest of ``num_negatives``)."""
        return self.num_negatives - self.num_random

    @property
    def uses_scores(self) -> bool:
        """True when a filter needs the source's scores."""
        return any(
            v is not None
            for v in (self.relative_margin, self.absolute_margin, self.max_score, self.min_score)
        )
