"""Score fewer windows of a long passage: the ones that share the query's rarer words.

A reranker served by windows (``long_passages="max_window"``) pays one forward pass per window,
and a SciFact abstract is four or five 96-token windows. The window that decides a passage's
score is nearly always one that shares the query's words, so a lexical pass that costs no
forward pass can pick it (a cheap stage choosing the passages of a long document for the
expensive one, as in Hofstätter et al.'s intra-document cascade, SIGIR 2021).
``Reranker(max_windows=m)`` keeps each long passage's ``m`` best windows by this lexical score
and the model scores only those; the passage's score is still its best window's.

The lexical score of a window is the sum of the inverse document frequencies of the distinct
query words it contains (English stop words left out, as BM25 indexes usually do), the
frequencies counted over every window of the query's candidates in the call: a word in every
window weighs almost nothing, a word in few windows weighs most. Equal scores keep the earlier
window.

Example:
    >>> plan = WindowPlan(
    ...     [("valve torque", "Intro text."), ("valve torque", "Tighten the valve to 40 Nm torque."),
    ...      ("valve torque", "Short passage.")],
    ...     [0, 0, 1],
    ... )
    >>> shortlist_windows(plan, 1).pairs
    [('valve torque', 'Tighten the valve to 40 Nm torque.'), ('valve torque', 'Short passage.')]
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Protocol

from xrerank.scoring.windows import WindowPlan

_WORD = re.compile(r"\w+")
# Lucene's English stop words (also bm25s's "en" list, what BM25Source drops by default).
_STOP_WORDS = frozenset(
    (  # noqa: SIM905  (one string reads better than 33 quoted words)
        "a an and are as at be but by for if in into is it no not of on or such that the their then there "
        "these they this to was will with"
    ).split()
)


class WindowPicker(Protocol):
    """What ranks the windows of long passages for :func:`shortlist_windows` (higher: keep first)."""

    def window_scores(self, plan: WindowPlan, passages: Sequence[str]) -> list[float]: ...


def shortlist_windows(
    plan: WindowPlan,
    max_windows: int | None,
    picker: WindowPicker | None = None,
    passages: Sequence[str] = (),
) -> WindowPlan:
    """``plan`` with at most ``max_windows`` windows per passage: the best by ``picker``, in their order.

    ``picker`` None ranks windows by the query words they share (no forward pass); a
    :class:`~xrerank.scoring.window_vectors.SentenceVectorPicker` by sentence vectors, which
    needs ``passages``: the texts the plan's windows were cut from, by owner. Passages
    with ``max_windows`` windows or fewer keep them all and are not shown to the picker, so a
    plan of short passages (or ``max_windows=None``) comes back unchanged.
    """
    if max_windows is None:
        return plan
    per_owner: dict[int, list[int]] = defaultdict(list)
    for position, owner in enumerate(plan.owners):
        per_owner[owner].append(position)
    contested = [p for positions in per_owner.values() if len(positions) > max_windows for p in positions]
    if not contested:
        return plan
    contested.sort()
    if picker is None:  # word frequencies count every window of the query's candidates
        lexical = _lexical_scores(plan.pairs)
        picked = [lexical[p] for p in contested]
    else:
        sub_plan = WindowPlan([plan.pairs[p] for p in contested], [plan.owners[p] for p in contested])
        if not passages:
            raise ValueError("shortlist_windows got a picker but no passages; pass the texts the plan cut.")
        picked = picker.window_scores(sub_plan, passages)
    scores = dict(zip(contested, picked, strict=True))
    kept: set[int] = set()
    for positions in per_owner.values():
        if len(positions) <= max_windows:
            kept.update(positions)
            continue
        best = sorted(positions, key=lambda position: (-scores[position], position))
        kept.update(best[:max_windows])
    order = sorted(kept)
    return WindowPlan([plan.pairs[i] for i in order], [plan.owners[i] for i in order])


def _lexical_scores(pairs: list[tuple[str, str]]) -> list[float]:
    """Each window's summed IDF of the query words it holds, IDF over the windows of the same query."""
    words = [_words(text) for _, text in pairs]
    query_words = {query: _words(query) for query in {query for query, _ in pairs}}
    windows_of: Counter[str] = Counter(query for query, _ in pairs)
    frequency: dict[str, Counter[str]] = defaultdict(Counter)
    for (query, _), window_words in zip(pairs, words, strict=True):
        frequency[query].update(window_words & query_words[query])

    def idf(query: str, word: str) -> float:
        count, total = frequency[query][word], windows_of[query]
        return math.log(1 + (total - count + 0.5) / (count + 0.5))

    return [
        sum(idf(query, word) for word in window_words & query_words[query])
        for (query, _), window_words in zip(pairs, words, strict=True)
    ]


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower())) - _STOP_WORDS
