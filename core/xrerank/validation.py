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
    check_unicode(query, caller=caller, where="the query")
    return query


def check_unicode(text: str, *, caller: str, where: str) -> str:
    """Return ``text`` if it is valid Unicode, else raise naming ``where`` and the fix.

    A Python str may hold a lone UTF-16 surrogate (``"\\ud83d"``, left by a broken JSON
    escape or by ``errors="surrogateescape"``); tokenizers cannot take it and fail with
    no position. It is the only thing that makes a str unencodable as UTF-8.

    Example:
        >>> check_unicode("broken \\ud83d emoji", caller="Reranker.score", where="texts[2]")
        Traceback (most recent call last):
        ...
        ValueError: Reranker.score got a lone surrogate '\\ud83d' at character 7 of texts[2], ...
    """
    if text.isascii():  # the common case, checked at C speed
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"{caller} got a lone surrogate {text[exc.start]!r} at character {exc.start} of {where}, "
            "which is not valid Unicode text (often a broken JSON \\u escape). Decode the source with "
            "errors='replace', or drop the character."
        ) from None
    return text


def check_texts(texts: object, *, caller: str, name: str = "texts") -> list[str]:
    """Return ``texts`` as a new list after checking that every item is a string.

    Empty strings are allowed (they score like any other passage: stores hold empty
    chunks); None, non-strings and strings that are not valid Unicode
    (:func:`check_unicode`) are not.

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
        check_unicode(text, caller=caller, where=f"{name}[{position}]")
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
            check_unicode(value, caller=caller, where=f"the {part} of pairs[{position}]")
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


def is_number(value: object) -> bool:
    """True for a finite int or float (bools are not numbers here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_int(
    value: Any, *, caller: str, name: str, minimum: int | None = 1, optional: bool = False
) -> int | None:
    """Return ``value`` if it is an int of at least ``minimum`` (or None when ``optional``), else raise.

    The one home of the integer rule every option shares: bools are refused, and the
    message names the option, what arrived and the range expected.

    Example:
        >>> check_int(8, caller="Reranker", name="batch_size")
        8
        >>> check_int(0, caller="Reranker", name="batch_size")
        Traceback (most recent call last):
        ...
        ValueError: Reranker got batch_size=0; expected an int >= 1.
    """
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or (minimum is not None and value < minimum):
        expected = "an int" if minimum is None else f"an int >= {minimum}"
        raise ValueError(
            f"{caller} got {name}={value!r}; expected {expected}{' or None' if optional else ''}."
        )
    return value


def check_number(
    value: Any,
    *,
    caller: str,
    name: str,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive_minimum: bool = False,
    optional: bool = False,
) -> float | None:
    """Return ``value`` as a float if it is a finite number in range (or None when ``optional``), else raise.

    Example:
        >>> check_number(0.5, caller="FunnelConfig", name="weight", minimum=0, maximum=1)
        0.5
    """
    if value is None and optional:
        return None
    in_range = (
        is_number(value)
        and (minimum is None or (value > minimum if exclusive_minimum else value >= minimum))
        and (maximum is None or value <= maximum)
    )
    if not in_range:
        bounds = []
        if minimum is not None:
            bounds.append(f"{'>' if exclusive_minimum else '>='} {minimum}")
        if maximum is not None:
            bounds.append(f"<= {maximum}")
        expected = "a finite number" + (f" {' and '.join(bounds)}" if bounds else "")
        raise ValueError(
            f"{caller} got {name}={value!r}; expected {expected}{' or None' if optional else ''}."
        )
    return float(value)
