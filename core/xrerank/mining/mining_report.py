"""What a mining run did: the funnel of filters and a :class:`MiningReport` that counts each step."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

#: The funnel of filters, in the order the miner applies them; MiningReport.removed uses these keys.
FILTERS = (
    "positive_id",
    "positive_text",
    "duplicate",
    "outside_window",
    "max_score",
    "min_score",
    "absolute_margin",
    "relative_margin",
    "teacher",
)


@dataclass
class MiningReport:
    """What mining did, for logs and for the CLI.

    Attributes:
        queries: Queries read (after merging repeats).
        examples: Training examples produced.
        no_positives: Queries skipped because the log names no positive (or none whose text
            the log or the source has).
        positives_without_text: Positive ids whose text neither the log nor the source had.
        candidates: Documents the source returned, over all queries.
        removed: Per filter (keys of :data:`FILTERS`), candidates it removed.
        positive_not_retrieved: Queries whose positive was not among the source's results;
            with a margin filter on, all of their candidates are removed. Raise range_max.
        negatives: Negatives in the output.
        log_negatives: Of those, taken from the log (judged or skipped).
        random_negatives: Of those, easy negatives drawn from other queries' results.
        short: Queries with fewer than ``num_negatives`` negatives (kept if >= min_negatives).
        dropped: Queries dropped for having fewer than ``min_negatives`` negatives.
        seconds: Wall time.
    """

    queries: int = 0
    examples: int = 0
    no_positives: int = 0
    positives_without_text: int = 0
    candidates: int = 0
    removed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FILTERS, 0))
    positive_not_retrieved: int = 0
    negatives: int = 0
    log_negatives: int = 0
    random_negatives: int = 0
    short: int = 0
    dropped: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    def summary(self) -> str:
        """A few human-readable lines (what the CLI prints).

        Example:
            >>> print(MiningReport(queries=2, examples=2, negatives=10).summary().splitlines()[0])
            2 queries -> 2 examples, 10 negatives (0 from the log, 0 random) in 0.0 s
        """
        lines = [
            f"{self.queries:,} queries -> {self.examples:,} examples, {self.negatives:,} negatives "
            f"({self.log_negatives:,} from the log, {self.random_negatives:,} random) "
            f"in {self.seconds:.1f} s",
            f"candidates retrieved: {self.candidates:,}",
        ]
        lines += [f"  removed by {name}: {count:,}" for name, count in self.removed.items() if count]
        notes = [
            (self.no_positives, "queries without any positive (skipped)"),
            (self.positives_without_text, "positive ids without text in the log or the store"),
            (
                self.positive_not_retrieved,
                "queries whose positive the store did not return in the window "
                "(margin filters then remove every candidate; raise range_max)",
            ),
            (self.short, "queries with fewer negatives than asked"),
            (self.dropped, "queries dropped below min_negatives"),
        ]
        lines += [f"{count:,} {text}" for count, text in notes if count]
        return "\n".join(lines)
