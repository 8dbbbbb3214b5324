"""The funnel's listwise stage as the LLM sees it: the prompt that asks for a ranking, and its parser.

The prompt shows the candidates under short ids (1, 2, 3...) and asks for ``{"ranking": [ids...]}``;
:func:`parse_ranking` accepts only an answer that orders every id exactly once.

Example:
    >>> parse_ranking('Sure: {"ranking": [2, 1]}', 2)
    [2, 1]
"""

from __future__ import annotations

import json
import re
from typing import Any

from xrerank.errors import RankingParseError

#: The stage-3 prompt; ``{candidates}`` is one ``[id] text`` line per candidate.
DEFAULT_LISTWISE_PROMPT = """You are ranking search results for a user's query.

Query: {query}

Candidates, each with its id in square brackets:
{candidates}

Order ALL {count} candidates from most to least relevant to the query. Answer with only a JSON object
of the form {{"ranking": [<id>, <id>, ...]}} that lists every id above exactly once. No other text."""


def parse_ranking(output: str, count: int) -> list[int]:
    """Read ``{"ranking": [...]}`` from an LLM answer and check it is a permutation of 1..count.

    Accepted: the JSON object alone, inside a Markdown code fence, or once within prose; a bare
    JSON list when it is the whole answer. Ids may be ints or digit strings. Rejected, with a
    message saying why: no JSON, two different rankings, non-integer, unknown, duplicate or
    missing ids.

    Args:
        output: The LLM's text.
        count: How many candidates the prompt showed (ids 1..count).

    Returns:
        The ids, most relevant first.

    Raises:
        RankingParseError: When the answer is not a permutation of 1..count.

    Example:
        >>> parse_ranking('Sure! {"ranking": [2, 3, 1]}', 3)
        [2, 3, 1]
        >>> try:
        ...     parse_ranking("[2, 2, 1]", 3)
        ... except RankingParseError as error:
        ...     print(error)
        ranking repeats ids [2] and misses ids [3]; expected each of 1..3 once
    """
    if not isinstance(output, str):
        raise RankingParseError(f"the LLM returned {type(output).__name__}, expected text")
    raw = _extract_ranking(output)
    ids: list[int] = []
    for value in raw:
        if isinstance(value, bool):
            raise RankingParseError(f"ranking holds {value!r}; expected integer ids")
        if isinstance(value, int):
            ids.append(value)
        elif isinstance(value, str) and value.strip().isdigit():
            ids.append(int(value.strip()))
        elif isinstance(value, float) and value.is_integer():
            ids.append(int(value))
        else:
            raise RankingParseError(f"ranking holds {value!r}; expected integer ids")
    unknown = sorted({i for i in ids if not 1 <= i <= count})
    seen: set[int] = set()
    repeated = sorted({i for i in ids if i in seen or seen.add(i)})  # type: ignore[func-returns-value]
    missing = sorted(set(range(1, count + 1)) - set(ids))
    problems = []
    if unknown:
        problems.append(f"has unknown ids {unknown}")
    if repeated:
        problems.append(f"repeats ids {repeated}")
    if missing:
        problems.append(f"misses ids {missing}")
    if problems:
        raise RankingParseError(f"ranking {' and '.join(problems)}; expected each of 1..{count} once")
    return ids


_FENCE = re.compile(r"```(?:json|JSON)?\s*(.*?)```", re.DOTALL)


def _extract_ranking(output: str) -> list[Any]:
    text = output.strip()
    fenced = _FENCE.findall(text)
    for candidate in [*fenced, text]:
        try:
            value = json.loads(candidate.strip())
        except ValueError:
            continue
        if isinstance(value, list):
            return value
        if isinstance(value, dict):
            return _ranking_of(value)
    decoder = json.JSONDecoder()
    found: list[list[Any]] = []
    for match in re.finditer(r"\{", text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
        except ValueError:
            continue
        if isinstance(value, dict) and "ranking" in value:
            ranking = _ranking_of(value)
            if ranking not in found:
                found.append(ranking)
    if len(found) > 1:
        raise RankingParseError(f"the answer holds {len(found)} different rankings; expected one")
    if found:
        return found[0]
    preview = text[:120] + ("..." if len(text) > 120 else "")
    raise RankingParseError(f'no JSON object with a "ranking" list in the answer: {preview!r}')


def _ranking_of(value: dict[str, Any]) -> list[Any]:
    if "ranking" not in value:
        raise RankingParseError(f'the JSON object has keys {sorted(value)}; expected "ranking"')
    ranking = value["ranking"]
    if not isinstance(ranking, list):
        raise RankingParseError(f'"ranking" is a {type(ranking).__name__}; expected a list of ids')
    return ranking
