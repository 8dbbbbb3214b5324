"""What a :class:`~xrerank.serving.funnel.Funnel` run returns: the final documents and a report per stage.

Example:
    >>> report = FunnelReport("q", (StageReport("retrieve", None, 3, 0.002),), "skipped", None, None, 0.002)
    >>> FunnelResult([], report).report.stage("retrieve").candidates_out
    3
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LLMStatus = Literal["skipped", "ok", "fallback"]


@dataclass(frozen=True, slots=True)
class FunnelItem:
    """One document that made it through the funnel.

    Attributes:
        id: The document id from the retriever (None when the retriever has none).
        text: The document text.
        retriever_score: Stage-1 similarity (None when the retriever reports none).
        rerank_score: Stage-2 cross-encoder score (a plain float).
        stage1_rank: 1-based position in the retriever's list.
        stage2_rank: 1-based position after the cross-encoder.
        llm_rank: 1-based position in the LLM's ranking; None without an accepted LLM ranking.
    """

    id: str | None
    text: str
    retriever_score: float | None
    rerank_score: float
    stage1_rank: int
    stage2_rank: int
    llm_rank: int | None = None


@dataclass(frozen=True, slots=True)
class StageReport:
    """Counts and time of one stage.

    Attributes:
        name: ``"retrieve"``, ``"rerank"`` or ``"llm"``.
        candidates_in: Candidates the stage received (None for the retriever: the corpus).
        candidates_out: Candidates the stage passed on.
        seconds: Wall-clock time of the stage.
    """

    name: str
    candidates_in: int | None
    candidates_out: int
    seconds: float


@dataclass(frozen=True, slots=True)
class FunnelReport:
    """What each stage did for one query.

    Attributes:
        query: The query.
        stages: One :class:`StageReport` per stage that ran, in order.
        llm_status: ``"skipped"`` (no LLM, or fewer than two candidates), ``"ok"`` (the LLM's
            ranking was used) or ``"fallback"`` (its answer was unusable; stage-2 order kept).
        llm_error: Why the LLM's answer was rejected, on fallback.
        llm_output: The LLM's raw answer (for debugging), when it answered.
        total_seconds: Wall-clock time of the whole run.
    """

    query: str
    stages: tuple[StageReport, ...]
    llm_status: LLMStatus
    llm_error: str | None
    llm_output: str | None
    total_seconds: float

    def stage(self, name: str) -> StageReport | None:
        """The report of the stage called ``name``, or None if it did not run."""
        return next((stage for stage in self.stages if stage.name == name), None)

    def summary(self) -> str:
        """A one-line account, e.g. ``retrieve 50 (3.1 ms) -> rerank 10 (41.0 ms) -> llm 5 (812 ms, ok)``.

        Example:
            >>> FunnelReport("q", (StageReport("retrieve", None, 3, 0.002),), "skipped", None, None,
            ...              0.002).summary()
            'retrieve 3 (2.0 ms); total 2.0 ms'
        """
        parts = []
        for stage in self.stages:
            extra = f", {self.llm_status}" if stage.name == "llm" else ""
            parts.append(f"{stage.name} {stage.candidates_out} ({1000 * stage.seconds:.1f} ms{extra})")
        text = " -> ".join(parts) + f"; total {1000 * self.total_seconds:.1f} ms"
        if self.llm_status == "fallback":
            text += f"; LLM fell back to the cross-encoder order: {self.llm_error}"
        return text


@dataclass(frozen=True, slots=True)
class FunnelResult:
    """The funnel's answer: the final documents, best first, and how they were chosen."""

    items: list[FunnelItem]
    report: FunnelReport

    @property
    def texts(self) -> list[str]:
        """The final documents' texts, best first."""
        return [item.text for item in self.items]
