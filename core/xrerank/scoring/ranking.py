"""The ranking API every xrerank reranker shares: ``score``, ``rank`` and their async twins.

:class:`RankingMethods` checks the input, calls the reranker's own scoring and sorts
with :func:`select_ranked`, so :class:`xrerank.Reranker` and
:class:`xrerank.LateInteractionReranker` accept, refuse and order exactly alike.
A reranker supplies two methods: ``_final_scores(pairs)`` and its async twin.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from xrerank.validation import check_pairs, check_query, check_texts, check_threshold, check_top_k


@dataclass(frozen=True, slots=True)
class RankedItem:
    """One ranked passage: its position in the caller's input, its score, its text."""

    index: int
    score: float
    text: str


def select_ranked(
    texts: Sequence[str],
    scores: Sequence[float],
    *,
    top_k: int | None,
    threshold: float | None,
) -> list[RankedItem]:
    """Sort by score (best first, ties in input order), then apply ``threshold`` and ``top_k``.

    Example:
        >>> [item.index for item in select_ranked(["a", "b", "c"], [0.1, 0.9, 0.9], top_k=2, threshold=None)]
        [1, 2]
    """
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    ranked = [RankedItem(index=i, score=float(scores[i]), text=texts[i]) for i in order]
    if threshold is not None:
        ranked = [item for item in ranked if item.score >= threshold]
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

    def _final_scores(self, pairs: list[tuple[str, str]]) -> list[float]:
        raise NotImplementedError

    async def _final_scores_later(self, pairs: list[tuple[str, str]]) -> list[float]:
        raise NotImplementedError

    def _caller(self, method: str) -> str:
        return f"{type(self).__name__}.{method}"

    def score(self, query: str, texts: Sequence[str]) -> list[float]:
        """Score each text against ``query``; scores come back in input order.

        Example:
            >>> reranker.score("capital of France", ["Paris is the capital.", "Bananas."])  # doctest: +SKIP
            [0.998..., 0.0001...]
        """
        query = check_query(query, caller=self._caller("score"))
        items = check_texts(texts, caller=self._caller("score"))
        return self._final_scores([(query, text) for text in items])

    def score_pairs(self, pairs: Iterable[tuple[str, str]]) -> list[float]:
        """Score arbitrary ``(query, text)`` pairs; scores come back in input order.

        Example:
            >>> reranker.score_pairs([("q1", "text a"), ("q2", "text b")])  # doctest: +SKIP
            [0.71..., 0.02...]
        """
        return self._final_scores(check_pairs(pairs, caller=self._caller("score_pairs")))

    def rank(
        self,
        query: str,
        texts: Sequence[str],
        *,
        top_k: int | None = None,
        threshold: float | None = None,
    ) -> list[RankedItem]:
        """Order ``texts`` by relevance to ``query``, best first.

        Ties keep input order. ``threshold`` drops items scoring below it and is
        applied before ``top_k``.

        Example:
            >>> [item.index for item in reranker.rank("capital of France", texts, top_k=2)]  # doctest: +SKIP
            [1, 0]
        """
        top_k = check_top_k(top_k, caller=self._caller("rank"))
        threshold = check_threshold(threshold, caller=self._caller("rank"))
        items = check_texts(texts, caller=self._caller("rank"))
        scores = self.score(query, items)
        return select_ranked(items, scores, top_k=top_k, threshold=threshold)

    async def ascore(self, query: str, texts: Sequence[str]) -> list[float]:
        """Async :meth:`score`: the model runs off the event loop."""
        query = check_query(query, caller=self._caller("ascore"))
        items = check_texts(texts, caller=self._caller("ascore"))
        return await self._final_scores_later([(query, text) for text in items])

    async def ascore_pairs(self, pairs: Iterable[tuple[str, str]]) -> list[float]:
        """Async :meth:`score_pairs`."""
        return await self._final_scores_later(check_pairs(pairs, caller=self._caller("ascore_pairs")))

    async def arank(
        self,
        query: str,
        texts: Sequence[str],
        *,
        top_k: int | None = None,
        threshold: float | None = None,
    ) -> list[RankedItem]:
        """Async :meth:`rank`: the model runs off the event loop.

        Example:
            >>> items = await reranker.arank("capital of France", texts, top_k=3)  # doctest: +SKIP
        """
        top_k = check_top_k(top_k, caller=self._caller("arank"))
        threshold = check_threshold(threshold, caller=self._caller("arank"))
        query = check_query(query, caller=self._caller("arank"))
        items = check_texts(texts, caller=self._caller("arank"))
        scores = await self._final_scores_later([(query, text) for text in items])
        return select_ranked(items, scores, top_k=top_k, threshold=threshold)
