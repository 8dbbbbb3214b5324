"""Long passages: split into windows that fit the cross-encoder, scored by the best window.

A cross-encoder reads at most ``max_length`` tokens of a (query, passage) pair, so
the end of a longer passage never affects its score: a passage whose evidence
sits in its fifth sentence is ranked on its first few. With
``Reranker(..., long_passages="max_window")`` each such passage is cut into
consecutive windows of whole sentences that fit next to the query, every window
is scored, and the passage gets its best window's score (MaxP, Dai & Callan,
SIGIR 2019). Passages that fit are scored as they are, so short-passage scores
and cache entries are the same in both modes.

A passage whose first line is a short heading (a title, a section name: text
before the first newline, at most a third of a window) keeps that heading at the
head of every window: "Typical causes are ..." says nothing about *which* fault
without its "Fault code E-112" line. A sentence too long for a window on its own
is cut between words. Windows do not overlap. The cost grows with passage length:
a passage of three windows is three forward passes.

Example:
    >>> plan = plan_windows(tokenizer, [("when was it signed?", long_text), ("q", "Short.")], max_length=32)
    >>> plan.owners  # the long passage became two windows; the short one is kept whole
    [0, 0, 1]
    >>> plan.pairs[1]
    ('when was it signed?', 'It entered into force two years later. Its text amends the two earlier ...')
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# A sentence ends at . ! or ? followed by space and a capital, digit or bracket. Windows need
# the break positions to cut passages in place; cold-start pseudo-queries split on it too.
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")


# Below this many passage tokens per window (a very long query) windows would be
# fragments; such pairs get this budget and the query is truncated as usual.
MIN_WINDOW_TOKENS = 32

# A first line longer than this share of a window is content, not a heading to repeat.
MAX_HEADING_SHARE = 1 / 3


@dataclass(frozen=True, slots=True)
class WindowPlan:
    """The (query, window) pairs to score for a list of (query, passage) pairs.

    Attributes:
        pairs: One entry per window, in input order; a passage that fits is its own window.
        owners: For each window, the index of the input pair it came from.
    """

    pairs: list[tuple[str, str]]
    owners: list[int]

    @property
    def split_passages(self) -> int:
        """How many input passages were cut into more than one window."""
        return sum(count > 1 for count in Counter(self.owners).values())

    def best_scores(self, window_scores: Sequence[float], count: int) -> list[float]:
        """Each input pair's score: the maximum over its windows.

        Example:
            >>> WindowPlan([("q", "a"), ("q", "b"), ("q", "c")], [0, 0, 1]).best_scores([1.0, 3.0, 2.0], 2)
            [3.0, 2.0]
        """
        best = [-float("inf")] * count
        for owner, score in zip(self.owners, window_scores, strict=True):
            best[owner] = max(best[owner], float(score))
        return best

    def best_windows(self, window_scores: Sequence[float], count: int) -> list[str]:
        """Each input pair's best-scoring window text (the first of equal bests).

        Example:
            >>> WindowPlan([("q", "a"), ("q", "b"), ("q", "c")], [0, 0, 1]).best_windows([1.0, 3.0, 2.0], 2)
            ['b', 'c']
        """
        best: list[float] = [0.0] * count
        texts: list[str | None] = [None] * count
        for (_, text), owner, score in zip(self.pairs, self.owners, window_scores, strict=True):
            if texts[owner] is None or score > best[owner]:  # a NaN score still keeps a window
                best[owner], texts[owner] = float(score), text
        return [text or "" for text in texts]


def plan_windows(tokenizer: Any, pairs: Sequence[tuple[str, str]], max_length: int) -> WindowPlan:
    """Cut every passage that does not fit next to its query into sentence windows.

    Args:
        tokenizer: The cross-encoder's Hugging Face *fast* tokenizer (character
            offsets are needed to cut the original text, not a decoded copy).
        pairs: ``(query, passage)`` pairs.
        max_length: The model's token limit for a whole pair, special tokens included.

    Raises:
        ValueError: The tokenizer is not a fast tokenizer.
    """
    if not getattr(tokenizer, "is_fast", False):
        raise ValueError(
            "long_passages='max_window' needs a fast (Rust) tokenizer, whose character offsets say where "
            f"to cut passages; this model has {type(tokenizer).__name__}. Save the model with a fast "
            "tokenizer (AutoTokenizer.from_pretrained(..., use_fast=True)) or use long_passages='truncate'."
        )
    if not pairs:
        return WindowPlan([], [])
    special = tokenizer.num_special_tokens_to_add(pair=True)
    queries = sorted({query for query, _ in pairs})
    # Each distinct query is tokenized once: one query with many passages is the usual call.
    query_tokens = dict(zip(queries, _token_counts(tokenizer, queries), strict=True))
    texts = [text for _, text in pairs]
    encoded = tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    windows: list[tuple[str, str]] = []
    owners: list[int] = []
    for index, ((query, text), offsets) in enumerate(zip(pairs, encoded["offset_mapping"], strict=True)):
        budget = max(max_length - query_tokens[query] - special, MIN_WINDOW_TOKENS)
        pieces = [text] if len(offsets) <= budget else _windows_under_heading(text, offsets, budget)
        windows.extend((query, piece) for piece in pieces)
        owners.extend([index] * len(pieces))
    return WindowPlan(windows, owners)


def _token_counts(tokenizer: Any, texts: list[str]) -> list[int]:
    return [len(ids) for ids in tokenizer(texts, add_special_tokens=False, verbose=False)["input_ids"]]


def _windows_under_heading(text: str, offsets: Sequence[tuple[int, int]], budget: int) -> list[str]:
    """Sentence windows of ``text``, each under the passage's heading line when it has a short one."""
    line_end = text.find("\n")
    heading = text[:line_end].strip() if line_end > 0 else ""
    heading_tokens = bisect.bisect_left(offsets, line_end, key=lambda span: span[0]) if heading else 0
    if not heading or heading_tokens > budget * MAX_HEADING_SHARE:
        return _sentence_windows(text, offsets, budget)
    body = _sentence_windows(text, offsets[heading_tokens:], budget - heading_tokens)
    return [f"{heading}\n{window}" for window in body]


def _sentence_windows(text: str, offsets: Sequence[tuple[int, int]], budget: int) -> list[str]:
    """Greedy packing of whole sentences into windows of at most ``budget`` tokens."""
    token_starts = [start for start, _ in offsets]
    sentence_starts = [0, *(match.end() for match in SENTENCE_BREAK.finditer(text))]
    # Token index at which each sentence begins; the last entry closes the last sentence.
    bounds = [bisect.bisect_left(token_starts, start) for start in sentence_starts] + [len(offsets)]
    windows: list[tuple[int, int]] = []  # token ranges [first, end)
    first = end = 0
    for sentence_end in bounds[1:]:
        if sentence_end - first <= budget:
            end = sentence_end
            continue
        if end > first:
            windows.append((first, end))
            first = end
        while sentence_end - first > budget:  # one sentence longer than a window: cut it
            cut = _word_start_at_or_before(offsets, first + budget, first)
            windows.append((first, cut))
            first = cut
        end = sentence_end
    if end > first:
        windows.append((first, end))
    return [text[offsets[start][0] : offsets[stop - 1][1]].strip() for start, stop in windows if stop > start]


def _word_start_at_or_before(offsets: Sequence[tuple[int, int]], limit: int, floor: int) -> int:
    """The last token index in ``(floor, limit]`` that begins a word, else ``limit``.

    Cutting inside a word ("polymer|ase") would re-tokenize differently on both sides.
    A token begins a word when whitespace separates it from the previous token.
    """
    for index in range(limit, floor, -1):
        if offsets[index][0] > offsets[index - 1][1]:
            return index
    return limit
