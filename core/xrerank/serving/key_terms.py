"""A query's text as the semantic cache compares it: its exact-match key and the key terms that must agree.

:func:`normalize_query` makes the key of the cache's exact-match fast path. :class:`KeyTermGuard`
is the rule that two queries differing in a key term (a number or model code, a name, a negation,
an opposite action) do not ask the same question, however close their embeddings are.

Example:
    >>> normalize_query("How do I reset the XR-40?")
    'how do i reset the xr-40'
    >>> KeyTermGuard()("How do I reset the XR-40?", "How do I reset the XR-60?")
    False
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

_WHITESPACE = re.compile(r"\s+")
_TOKEN = re.compile(r"[^\W_]+(?:[-'./][^\W_]+)*", re.UNICODE)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def normalize_query(query: str) -> str:
    """The exact-match key of a query: NFKC, case-folded, whitespace collapsed, edge punctuation dropped.

    Example:
        >>> normalize_query("  How do I reset my   Password?? ")
        'how do i reset my password'
    """
    text = unicodedata.normalize("NFKC", query).translate(_APOSTROPHES).casefold()
    text = _WHITESPACE.sub(" ", text).strip()
    return text.strip(" \t?!.,;:'\"()[]{}")


_NEGATIONS = frozenset(
    {
        "not", "no", "never", "without", "cannot", "unable", "none", "nothing", "nor", "neither",
        "can't", "don't", "doesn't", "didn't", "won't", "isn't", "aren't", "wasn't", "weren't",
        "shouldn't", "couldn't", "wouldn't", "hasn't", "haven't", "hadn't", "mustn't", "ain't",
    }
)  # fmt: skip

_NUMBER_WORDS = frozenset(
    {
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
        "nineteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
        "hundred", "thousand", "million", "billion", "half", "once", "twice", "single", "double",
    }
)  # fmt: skip

DEFAULT_OPPOSITES: tuple[tuple[str, str], ...] = (
    ("enable", "disable"), ("activate", "deactivate"), ("add", "remove"), ("add", "delete"),
    ("create", "delete"), ("increase", "decrease"), ("raise", "lower"), ("upgrade", "downgrade"),
    ("import", "export"), ("upload", "download"), ("login", "logout"), ("signin", "signout"),
    ("subscribe", "unsubscribe"), ("lock", "unlock"), ("encrypt", "decrypt"), ("allow", "block"),
    ("allow", "deny"), ("accept", "reject"), ("accept", "decline"), ("start", "stop"), ("open", "close"),
    ("show", "hide"), ("include", "exclude"), ("before", "after"), ("more", "less"), ("more", "fewer"),
    ("minimum", "maximum"), ("min", "max"), ("first", "last"), ("on", "off"), ("public", "private"),
    ("monthly", "annual"), ("monthly", "annually"), ("monthly", "yearly"), ("daily", "weekly"),
    ("weekly", "monthly"), ("inbound", "outbound"), ("incoming", "outgoing"), ("send", "receive"),
    ("buy", "sell"), ("pause", "resume"), ("connect", "disconnect"), ("join", "leave"), ("mute", "unmute"),
    ("pin", "unpin"), ("archive", "unarchive"), ("share", "unshare"), ("follow", "unfollow"),
    ("install", "uninstall"), ("link", "unlink"), ("freeze", "unfreeze"), ("hot", "cold"),
    ("old", "new"), ("free", "paid"), ("personal", "business"), ("ios", "android"),
)  # fmt: skip

# Two-word verbs written as one token, so that "log in" and "log out" can be told apart.
_PHRASES = (
    (re.compile(r"\b(log|sign)[\s-]+(in|on)\b"), r"\1in"),
    (re.compile(r"\b(log|sign)[\s-]+(out|off)\b"), r"\1out"),
)


def _variants(word: str) -> set[str]:
    """Common inflections of a lexicon word (enable -> enables, enabled, enabling)."""
    forms = {word, word + "s", word + "es", word + "ed", word + "d", word + "ing"}
    if word.endswith("e"):
        forms.add(word[:-1] + "ing")
    if len(word) <= 4 and word[-1] not in "aeiouwy" and word[-2:-1] in set("aeiou"):
        forms |= {word + word[-1] + "ed", word + word[-1] + "ing"}  # stop -> stopped, stopping
    return forms


@dataclass(frozen=True)
class KeyTermGuard:
    """A lexical check that two queries name the same specifics; True means "may be the same question".

    Bi-encoder embeddings put "reset the XR-40" and "reset the XR-60", or "enable SSO" and "disable
    SSO", almost on top of each other. This guard rejects a candidate when the two queries differ in:

    * numbers and codes: tokens holding a digit, and number words (``30`` vs ``14``, ``v2`` vs ``v3``);
    * names: tokens with a capital letter past the first word's first letter, or all-caps acronyms
      (``Slack`` vs ``Teams``, ``CSV`` vs ``PDF``), compared case-insensitively, so a name in one
      query must appear in the other (any case);
    * negation: one query negates (``not``, ``can't``, ``unable``, ``without``...) and the other does not;
    * opposite actions: one query says a word of an opposite pair (``enable``) and the other
      says its counterpart (``disable``) without the word itself.

    It knows no synonyms: "two-factor" and "2FA" differ to it, so such paraphrases miss (a run of
    the pipeline, never a wrong answer). Every check can be switched off, and the word lists
    extended.

    Attributes:
        check_numbers: Compare numbers, codes and number words.
        check_names: Compare capitalised names and acronyms.
        check_negation: Compare whether each query negates.
        opposites: Pairs of opposite words (lower case; common inflections are added).
        extra_negations: Words treated as negations on top of the built-in list.

    Example:
        >>> guard = KeyTermGuard()
        >>> guard("How do I reset the XR-40?", "How can I reset my XR-40")
        True
        >>> guard("How do I reset the XR-40?", "How do I reset the XR-60?")
        False
        >>> guard("How do I enable SSO?", "How do I disable SSO?")
        False
    """

    check_numbers: bool = True
    check_names: bool = True
    check_negation: bool = True
    opposites: tuple[tuple[str, str], ...] = DEFAULT_OPPOSITES
    extra_negations: frozenset[str] = frozenset()
    _opposite_forms: tuple[tuple[frozenset[str], frozenset[str]], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        forms = tuple(
            (frozenset(_variants(a.lower())), frozenset(_variants(b.lower()))) for a, b in self.opposites
        )
        object.__setattr__(self, "_opposite_forms", forms)

    def __call__(self, query: str, cached_query: str) -> bool:
        """True when nothing in the two queries' specifics disagrees."""
        return not self.conflicts(query, cached_query)

    def conflicts(self, query: str, cached_query: str) -> list[str]:
        """The reasons the two queries differ (empty when the guard lets the pair through).

        Example:
            >>> KeyTermGuard().conflicts("refund after 30 days", "refund after 14 days")
            ["numbers differ: ['30'] vs ['14']"]
        """
        a, b = _Terms.of(query), _Terms.of(cached_query)
        reasons: list[str] = []
        if self.check_numbers and a.numbers != b.numbers:
            reasons.append(f"numbers differ: {sorted(a.numbers)} vs {sorted(b.numbers)}")
        if self.check_names:
            missing = sorted((a.names - b.words) | (b.names - a.words))
            if missing:
                reasons.append(f"names in one query only: {missing}")
        if self.check_negation:
            negations = _NEGATIONS | self.extra_negations
            if bool(a.words & negations) != bool(b.words & negations):
                reasons.append("one query is negated, the other is not")
        for left, right in self._opposite_forms:
            a_left, a_right = bool(a.words & left), bool(a.words & right)
            b_left, b_right = bool(b.words & left), bool(b.words & right)
            if (a_left and not a_right and b_right and not b_left) or (
                a_right and not a_left and b_left and not b_right
            ):
                reasons.append(f"opposite words: {sorted(left)[0]!r} vs {sorted(right)[0]!r}")
        return reasons


@dataclass(frozen=True, slots=True)
class _Terms:
    words: frozenset[str]
    numbers: frozenset[str]
    names: frozenset[str]

    @classmethod
    def of(cls, text: str) -> _Terms:
        text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
        lowered = text.lower()
        for pattern, replacement in _PHRASES:
            lowered = pattern.sub(replacement, lowered)
        raw = list(_TOKEN.finditer(text))
        words = set(_TOKEN.findall(lowered)) | {match.group().lower() for match in raw}
        numbers = {w for w in words if any(c.isdigit() for c in w) or w in _NUMBER_WORDS}
        names = set()
        for match in raw:
            token = match.group()
            if token == "I" or token.startswith("I'"):
                continue
            before = text[: match.start()].rstrip()
            sentence_start = not before or before[-1] in ".?!:;\"'(\n"
            tail = token[1:] if sentence_start else token
            acronym = len(token) >= 2 and token.isupper()
            if acronym or any(c.isupper() for c in tail):
                names.add(token.lower())
        return cls(frozenset(words), frozenset(numbers), frozenset(names))
