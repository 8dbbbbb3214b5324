"""Input checks shared by every public entry point.

Errors name the argument, the position of the bad item, what arrived and the fix.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def _describe(value: object) -> str:
    return "None" if value is None else f"a {type(value).__name__}"


def check_query(query: object, *, caller: str) -> str:
    """Return ``query`` if it is a non-empty string, else raise.

    Example:
        >>> check_query("what is BM25?", caller="Reranker.score")
        'what is BM25?'
    """
    if not isinstance(query, str):
        raise TypeError(f"{caller} got {_describe(query)} as query; expected str.")
    if not query.strip():
        raise ValueError(f"{caller} got an empty query; pass the user's search text.")
    return query


def check_texts(texts: object, *, caller: str, name: str = "texts") -> list[str]:
    """Return ``texts`` as a new list after checking that every item is a string.

    Empty strings are allowed (they score like any other passage); None and
    non-strings are not.

    Example:
        >>> check_texts(["a", "b"], caller="Reranker.score")
        ['a', 'b']
    """
    if isinstance(texts, (str, bytes)):
        raise TypeError(
            f"{caller} got a single {type(texts).__name__} as {name}; expected a list of str. "
            f"Wrap it in a list: [{name[:-1] if name.endswith('s') else name}]."
        )
    if isinstance(texts, Mapping):
        raise TypeError(
            f"{caller} got a {type(texts).__name__} as {name}; expected a list of str. "
            f"For an {{id: text}} mapping pass list(mapping.values()) and keep the ids beside it."
        )
    if isinstance(texts, (set, frozenset)):
        raise TypeError(
            f"{caller} got a {type(texts).__name__} as {name}; expected a list of str "
            "(a set has no order, so ranked positions would mean nothing)."
        )
    if not isinstance(texts, Iterable):
        raise TypeError(f"{caller} got {_describe(texts)} as {name}; expected a list of str.")
    items = list(texts)
    for position, text in enumerate(items):
        if not isinstance(text, str):
            raise TypeError(
                f"{caller} got {_describe(text)} at {name}[{position}]; expected str. "
                "Drop or fill documents without text before reranking."
            )
    return items


def check_pairs(pairs: object, *, caller: str) -> list[tuple[str, str]]:
    """Return ``pairs`` as a list of ``(query, text)`` tuples after checking each one.

    Example:
        >>> check_pairs([("q", "passage")], caller="Reranker.score_pairs")
        [('q', 'passage')]
    """
    if isinstance(pairs, (str, bytes)) or not isinstance(pairs, Iterable):
        raise TypeError(f"{caller} got {_describe(pairs)} as pairs; expected a list of (query, text) tuples.")
    checked: list[tuple[str, str]] = []
    for position, pair in enumerate(pairs):
        if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
            got = f"a {type(pair).__name__} of length {len(pair)}" if isinstance(pair, Sequence) else None
            raise TypeError(
                f"{caller} got {got or _describe(pair)} at pairs[{position}]; "
                "expected a (query, text) tuple of two str."
            )
        query, text = pair
        for part, value in (("query", query), ("text", text)):
            if not isinstance(value, str):
                raise TypeError(
                    f"{caller} got {_describe(value)} as the {part} of pairs[{position}]; expected str."
                )
        checked.append((query, text))
    return checked


def check_top_k(top_k: Any, *, caller: str, name: str = "top_k") -> int | None:
    """Return ``top_k`` if it is None or a positive int, else raise."""
    if top_k is None:
        return None
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f"{caller} got {name}={top_k!r}; expected a positive int, or None to keep all.")
    return top_k


def check_threshold(threshold: Any, *, caller: str, name: str = "threshold") -> float | None:
    """Return ``threshold`` as a float if it is None or a finite number, else raise."""
    if threshold is None:
        return None
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not math.isfinite(threshold):
        raise ValueError(f"{caller} got {name}={threshold!r}; expected a finite number, or None.")
    return float(threshold)
