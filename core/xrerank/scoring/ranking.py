"""The ranking API every xrerank reranker shares: ``score``, ``rank`` and their async twins.

:class:`RankingMethods` checks the input, calls the reranker's own scoring and sorts
with :func:`select_ranked`, so :class:`xrerank.Reranker` and
:class:`xrerank.LateInteractionReranker` accept, refuse and order exactly alike.
A reranker supplies two methods: ``_final_scores(pairs)`` and its async twin.

A score that is not finite (NaN or infinite: half precision overflowing on a GPU is the
usual cause) never scrambles a ranking: ``score`` hands it back as is, so callers see it,
while ``rank`` puts it after every finite score, in input order, and no threshold keeps it.
Each call that meets one logs a warning and adds to the reranker's
``stats.non_finite_scores``. With fusion, the finite scores are fused among themselves.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from xrerank.scoring.fusion import fuse_scores
from xrerank.validation import check_pairs, check_query, check_texts, check_threshold, check_top_k

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RankedItem:
    """One ranked passage: its position in the caller's input, its score, its text.

    ``score`` is what the ranking sorted by. When the reranker's score was fused with the
    retriever's (:mod:`xrerank.scoring.fusion`), ``score`` is the fused value (relative within
    the query, not a probability) and ``reranker_score`` keeps the reranker's own score;
    otherwise ``reranker_score`` is None.
    """

    index: int
    score: float
    text: str
    reranker_score: float | None = None


def select_ranked(
    texts: Sequence[str],
    scores: Sequence[float],
    *,
    top_k: int | None,
    threshold: float | None,
    reranker_scores: Sequence[float] | None = None,
) -> list[RankedItem]:
    """Sort by score (best first, ties in input order), then apply ``threshold`` and ``top_k``.

    With ``reranker_scores`` (``scores`` are then fused), items keep the reranker's own score
    beside the fused one, and ``threshold`` applies to the reranker's own score, whose range the
    caller knows. An item whose score is not finite (NaN, infinite) ranks after every finite
    one, in input order, and never passes a threshold.

    Example:
        >>> [item.index for item in select_ranked(["a", "b", "c"], [0.1, 0.9, 0.9], top_k=2, threshold=None)]
        [1, 2]
        >>> [item.index for item in select_ranked(["a", "b", "c"], [float("nan"), 0.2, 0.7], top_k=None,
        ...     threshold=None)]
        [2, 1, 0]
    """
    own = scores if reranker_scores is None else reranker_scores
    finite = [math.isfinite(scores[i]) and math.isfinite(own[i]) for i in range(len(scores))]
    # NaN compares false with everything, so it must never reach the sort key.
    order = sorted(range(len(scores)), key=lambda i: (0, -scores[i], i) if finite[i] else (1, 0.0, i))
    if threshold is not None:
        order = [i for i in order if finite[i] and own[i] >= threshold]
    ranked = [
        RankedItem(
            index=i,
            score=float(scores[i]),
            text=texts[i],
            reranker_score=None if reranker_scores is None else float(reranker_scores[i]),
        )
        for i in order
    ]
    return ranked if top_k is None else ranked[:top_k]


class RankingMethods:
    """``score``, ``score_pairs``, ``rank`` and async twins over a reranker's own scoring.

    Subclasses implement ``_final_scores(pairs)`` (scores as handed to users, in input
    order) and ``async _final_scores_later(pairs)`` (the same off the event loop).
    Error messages name the subclass, e.g. ``Reranker.score got None at texts[3]``.

    Example:
        >>> class ByLength(RankingMethods):
        ...     def _final_scores(self, pairs):
        ...         return [float(len(text)) for _, text in pairs]
        >>> [item.text for item in ByLength().rank("q", ["ab", "abc", "a"], top_k=2)]
        ['abc', 'ab']
    """

    # Set by rerankers that serve a recipe (see xrerank.Reranker); None ranks by the reranker alone.
    fusion_weight: float | None = None
    _warned_unfused = False

    def _final_scores(self, pairs: list[tuple[str, str]]) -> list[float]:
        raise NotImplementedError

    async def _final_scores_later(self, pairs: list[tuple[str, str]]) -> list[float]:
        raise NotImplementedError

    def _count_non_finite(self, count: int) -> None:
        """Add ``count`` to the reranker's ``non_finite_scores`` counter, where it keeps counters."""

    def _caller(self, method: str) -> str:
        return f"{type(self).__name__}.{method}"

    def _watched(self, scores: list[float], method: str) -> list[float]:
        """``scores`` as they are, after warning about (and counting) any that is not finite."""
        bad = [position for position, value in enumerate(scores) if not math.isfinite(value)]
        if bad:
            self._count_non_finite(len(bad))
            logger.warning(
                "%s: %d of %d scores are not finite (NaN or infinite; first at position %d); rankings put "
                "them last, in input order. Half precision overflowing on a GPU is the usual cause: load the "
                "model in fp32 (Reranker(..., dtype='fp32')). Running total in stats.non_finite_scores.",
                self._caller(method),
                len(bad),
                len(scores),
                bad[0],
            )
        return scores

    def score(self, query: str, texts: Sequence[str]) -> list[float]:
        """Score each text against ``query``; scores come back in input order.

        Empty texts are scored like any other (stores do hold empty chunks). A score that is
        not finite comes back as is, with a warning (see the module notes).

        Example:
            >>> scores = reranker.score("capital of France", ["Paris is the capital.", "Bananas."])
            >>> len(scores), all(0.0 <= s <= 1.0 for s in scores)  # sigmoid scores, input order
            (2, True)
        """
        query = check_query(query, caller=self._caller("score"))
        items = check_texts(texts, caller=self._caller("score"))
        return self._watched(self._final_scores([(query, text) for text in items]), "score")

    def score_pairs(self, pairs: Iterable[tuple[str, str]]) -> list[float]:
        """Score arbitrary ``(query, text)`` pairs; scores come back in input order.

        Example:
            >>> len(reranker.score_pairs([("q1", "text a"), ("q2", "text b")]))
            2
        """
        scores = self._final_scores(check_pairs(pairs, caller=self._caller("score_pairs")))
        return self._watched(scores, "score_pairs")

    def rank(
        self,
        query: str,
        texts: Sequence[str],
        *,
        top_k: int | None = None,
        threshold: float | None = None,
        retriever_scores: Sequence[float] | None = None,
    ) -> list[RankedItem]:
        """Order ``texts`` by relevance to ``query``, best first.

        Ties keep input order. ``threshold`` drops items whose reranker score is below it and
        is applied before ``top_k``. A score that is not finite ranks last (see the module notes).
        ``retriever_scores`` (one per text: the first stage's scores, or
        :func:`~xrerank.scoring.fusion.rank_evidence` for texts that arrived ranked) are fused
        with the reranker's scores when the reranker has a ``fusion_weight`` (from its serving
        recipe); each item then keeps its own score in ``reranker_score``.

        Example:
            >>> ranked = reranker.rank("capital of France", texts, top_k=2)
            >>> len(ranked), ranked[0].score >= ranked[1].score
            (2, True)
        """
        top_k = check_top_k(top_k, caller=self._caller("rank"))
        threshold = check_threshold(threshold, caller=self._caller("rank"))
        query = check_query(query, caller=self._caller("rank"))
        items = check_texts(texts, caller=self._caller("rank"))
        scores = self._watched(self._final_scores([(query, text) for text in items]), "rank")
        return self._ranked(items, scores, top_k, threshold, retriever_scores, "rank")

    async def ascore(self, query: str, texts: Sequence[str]) -> list[float]:
        """Async :meth:`score`: the model runs off the event loop."""
        query = check_query(query, caller=self._caller("ascore"))
        items = check_texts(texts, caller=self._caller("ascore"))
        return self._watched(await self._final_scores_later([(query, text) for text in items]), "ascore")

    async def ascore_pairs(self, pairs: Iterable[tuple[str, str]]) -> list[float]:
        """Async :meth:`score_pairs`."""
        scores = await self._final_scores_later(check_pairs(pairs, caller=self._caller("ascore_pairs")))
        return self._watched(scores, "ascore_pairs")

    async def arank(
        self,
        query: str,
        texts: Sequence[str],
        *,
        top_k: int | None = None,
        threshold: float | None = None,
        retriever_scores: Sequence[float] | None = None,
    ) -> list[RankedItem]:
        """Async :meth:`rank`: the model runs off the event loop.

        Example:
            >>> import asyncio
            >>> len(asyncio.run(reranker.arank("capital of France", texts, top_k=3)))
            3
        """
        top_k = check_top_k(top_k, caller=self._caller("arank"))
        threshold = check_threshold(threshold, caller=self._caller("arank"))
        query = check_query(query, caller=self._caller("arank"))
        items = check_texts(texts, caller=self._caller("arank"))
        scores = self._watched(await self._final_scores_later([(query, text) for text in items]), "arank")
        return self._ranked(items, scores, top_k, threshold, retriever_scores, "arank")

    def _ranked(
        self,
        items: list[str],
        scores: list[float],
        top_k: int | None,
        threshold: float | None,
        retriever_scores: Sequence[float] | None,
        method: str,
    ) -> list[RankedItem]:
        weight = self.fusion_weight
        if retriever_scores is None or weight is None:
            if weight == 0.0 and not self._warned_unfused:
                self._warned_unfused = True
                logger.warning(
                    "%s: this model's serving recipe keeps the retriever's order (fusion weight 0: on "
                    "validation it did not beat the retriever), but rank() got no retriever_scores, so "
                    "it ranks by the reranker alone. Pass retriever_scores=.",
                    self._caller(method),
                )
            return select_ranked(items, scores, top_k=top_k, threshold=threshold)
        if len(retriever_scores) != len(items):
            raise ValueError(
                f"{self._caller(method)} got {len(retriever_scores)} retriever_scores for {len(items)} "
                "texts; expected one per text."
            )
        fused = fuse_scores(scores, retriever_scores, weight)  # non-finite scores stay NaN, ranked last
        return select_ranked(items, fused, top_k=top_k, threshold=threshold, reranker_scores=scores)
