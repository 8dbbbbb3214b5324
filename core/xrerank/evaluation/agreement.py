"""How much two rerankers agree on the same candidates: Kendall's tau and top-k overlap.

Scores are compared per query, over the same candidate list, so the scale of
each model's scores does not matter (a MaxSim sum and a sigmoid can be compared).

Example:
    >>> kendall_tau([3.0, 2.0, 1.0], [0.9, 0.5, 0.1])
    1.0
    >>> top_k_overlap([3.0, 2.0, 1.0, 0.0], [0.1, 0.9, 0.8, 0.0], k=2)
    0.5
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from xrerank.evaluation.runs import Run
from xrerank.validation import check_int


def kendall_tau(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Kendall's tau-b between two score lists of the same items (ties counted as in scipy).

    Returns None when it is undefined: fewer than two items, or one list all ties.

    Raises:
        ValueError: The lists differ in length.

    Example:
        >>> kendall_tau([1.0, 2.0, 3.0], [3.0, 2.0, 1.0])
        -1.0
        >>> kendall_tau([1.0, 1.0], [1.0, 2.0]) is None
        True
    """
    if len(a) != len(b):
        raise ValueError(f"kendall_tau got {len(a)} and {len(b)} scores; expected one per item in both.")
    n = len(a)
    concordant = discordant = ties_a = ties_b = 0
    for i in range(n):
        for j in range(i + 1, n):
            da, db = a[i] - a[j], b[i] - b[j]
            if da == 0 or db == 0:
                ties_a += da == 0
                ties_b += db == 0
            elif (da > 0) == (db > 0):
                concordant += 1
            else:
                discordant += 1
    pairs = n * (n - 1) // 2
    denominator = math.sqrt((pairs - ties_a) * (pairs - ties_b))
    if denominator == 0:
        return None
    return (concordant - discordant) / denominator


def top_k_overlap(a: Sequence[float], b: Sequence[float], k: int) -> float:
    """Share of the ``k`` best items by ``a`` that are also among the ``k`` best by ``b``.

    Ties keep input order (as :func:`xrerank.scoring.reranker.select_ranked`). With fewer than
    ``k`` items, the share is over all of them (1.0).

    Example:
        >>> top_k_overlap([0.9, 0.8, 0.1], [0.1, 0.8, 0.9], k=2)
        0.5
    """
    if len(a) != len(b):
        raise ValueError(f"top_k_overlap got {len(a)} and {len(b)} scores; expected one per item in both.")
    check_int(k, caller="top_k_overlap", name="k")
    if not a:
        return 1.0
    k = min(k, len(a))
    best_a = sorted(range(len(a)), key=lambda i: (-a[i], i))[:k]
    best_b = sorted(range(len(b)), key=lambda i: (-b[i], i))[:k]
    return len(set(best_a) & set(best_b)) / k


def run_agreement(reference: Run, other: Run, *, ks: Iterable[int] = (5,)) -> dict[str, float | None]:
    """Mean per-query agreement of ``other`` with ``reference`` over the reference's queries.

    Both runs must score the same documents for each query (the same candidates).
    Returns ``kendall_tau`` (mean over queries where it is defined, None if none is)
    and ``top{k}_overlap`` for each ``k``.

    Raises:
        ValueError: A query is missing from ``other``, or its documents differ.

    Example:
        >>> run_agreement({"q": {"a": 2.0, "b": 1.0}}, {"q": {"a": 0.3, "b": 0.7}}, ks=[1])
        {'kendall_tau': -1.0, 'top1_overlap': 0.0}
    """
    ks = list(ks)
    taus: list[float] = []
    overlaps: dict[int, list[float]] = {k: [] for k in ks}
    for qid, scores in reference.items():
        theirs = other.get(qid)
        if theirs is None or set(theirs) != set(scores):
            raise ValueError(
                f"run_agreement: query {qid!r} has different candidates in the two runs; "
                "compare rerankers on the same candidate lists."
            )
        docs = list(scores)
        a = [float(scores[d]) for d in docs]
        b = [float(theirs[d]) for d in docs]
        tau = kendall_tau(a, b)
        if tau is not None:
            taus.append(tau)
        for k in ks:
            overlaps[k].append(top_k_overlap(a, b, k))
    result: dict[str, float | None] = {"kendall_tau": sum(taus) / len(taus) if taus else None}
    for k in ks:
        values = overlaps[k]
        result[f"top{k}_overlap"] = sum(values) / len(values) if values else None
    return result
