"""Pairwise reranking, duoT5-style: :class:`PairwiseReranker` re-orders the top k of a first ranking.

duoT5 (Pradeep et al., 2021) is a T5 model fine-tuned to answer
``Query: q Document0: a Document1: b Relevant:`` with ``true`` when ``a`` is more relevant
than ``b``. A first stage (by default monoT5, :class:`~xrerank.scoring.seq2seq.Seq2SeqReranker`)
ranks every candidate; the pairwise model then compares each ordered pair of its top ``k``,
and each of them gets the symmetric sum of its preferences (duoT5's "Sym-Sum"):
``s_i = sum over j != i of p(i > j) + (1 - p(j > i))``.

The cost is ``k * (k - 1)`` model calls per query (90 for k=10, 2,450 for k=50), so ``k`` is
bounded by :data:`MAX_PAIRWISE_K` (50, the duoT5 paper's setting) and defaults to 10.

Scores: the top k get ``1 + s_i / (2 * (k - 1))``, their pairwise win rate shifted into
[1, 2]; the others keep the first stage's order with scores in (0, 1) that encode only that
order. So the re-ordered top k always comes before the rest, and ``threshold=1.0`` keeps
exactly the texts compared pairwise.

Example:
    >>> symmetric_sums([[0.0, 0.75], [0.5, 0.0]])  # 0.75 + (1 - 0.5), 0.5 + (1 - 0.75)
    [1.25, 0.75]
    >>> tiered_scores(order=[2, 0, 1, 3], sums=[0.3, 1.7], n=4)  # texts 2 and 0 compared, swapped
    [1.85, 0.666..., 1.15, 0.333...]
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from xrerank.scoring.protocol import RerankerProtocol, reranker_from_spec, spec_of
from xrerank.scoring.ranking import RankingMethods
from xrerank.scoring.seq2seq import DEFAULT_MONOT5, Seq2SeqModel, Seq2SeqReranker
from xrerank.validation import check_int

DEFAULT_DUOT5 = "castorini/duot5-base-msmarco"
#: The largest top k compared pairwise: k * (k - 1) = 2,450 model calls per query.
MAX_PAIRWISE_K = 50
DEFAULT_PAIRWISE_K = 10
# Splits "DUO_MODEL,FIRST_STAGE_SPEC", the name a pairwise reranker goes by in a spec.
FIRST_STAGE_SEPARATOR = ","


def symmetric_sums(preferences: Sequence[Sequence[float]]) -> list[float]:
    """Sym-Sum of a k x k matrix of ``p(i > j)``: ``sum over j != i of p[i][j] + (1 - p[j][i])``.

    Example:
        >>> symmetric_sums([[0.0, 0.5, 1.0], [0.5, 0.0, 1.0], [0.0, 0.0, 0.0]])
        [3.0, 3.0, 0.0]
    """
    k = len(preferences)
    return [sum(preferences[i][j] + (1.0 - preferences[j][i]) for j in range(k) if j != i) for i in range(k)]


def tiered_scores(order: Sequence[int], sums: Sequence[float], n: int) -> list[float]:
    """Scores in input order: the first ``len(sums)`` of ``order`` by win rate in [1, 2], the rest below 1.

    ``order`` is the first stage's ranking (input indices, best first) and ``sums[r]`` the
    :func:`symmetric_sums` value of ``order[r]``. A lone text (nothing to compare) gets 1.5.

    Example:
        >>> tiered_scores(order=[1, 0], sums=[2.0, 0.0], n=2)
        [1.0, 2.0]
    """
    k = len(sums)
    scores = [0.0] * n
    for index, total in zip(order[:k], sums, strict=True):
        scores[index] = 1.0 + (total / (2 * (k - 1)) if k > 1 else 0.5)
    rest = order[k:]
    for position, index in enumerate(rest):
        scores[index] = (len(rest) - position) / (len(rest) + 1)
    return scores


def pack_pair(first: str, second: str) -> str:
    """One string for two documents, so that a pair is scored and cached like one passage.

    The length prefix makes the split unambiguous whatever the texts hold.

    Example:
        >>> unpack_pair(pack_pair("a:b", "c"))
        ('a:b', 'c')
    """
    return f"{len(first)}:{first}{second}"


def unpack_pair(packed: str) -> tuple[str, str]:
    """The two documents of :func:`pack_pair`."""
    length, _, rest = packed.partition(":")
    size = int(length)
    return rest[:size], rest[size:]


class PairPreferenceScorer(Seq2SeqReranker):
    """``p(a > b)`` for (query, :func:`pack_pair` ``(a, b)``) pairs with a duoT5-style model.

    A :class:`~xrerank.scoring.seq2seq.Seq2SeqReranker` whose prompt holds two documents
    (``Query: q Document0: a Document1: b Relevant:``), so the pairs share its batching, cache,
    micro-batching and stats. :class:`PairwiseReranker` builds one; its :attr:`stats` count
    the pairs compared.
    """

    LABELS: ClassVar[tuple[str, ...]] = ("Query:", "Document0:", "Document1:", "Relevant:")

    def _fields(self, query: str, text: str) -> tuple[str, ...]:
        return (query, *unpack_pair(text))


class PairwiseReranker(RankingMethods):
    """Re-orders the top ``k`` of a first stage's ranking by pairwise preferences (duoT5).

    It has the interface of :class:`xrerank.Reranker` (``score``, ``score_pairs``, ``rank``,
    ``ascore``, ``arank``), so the adapters, the funnel and the commands take it as any
    reranker; in a spec it is ``duot5:PAIRWISE_MODEL,FIRST_STAGE_SPEC`` (e.g.
    ``duot5:castorini/duot5-base-msmarco,monot5:castorini/monot5-base-msmarco``), or
    ``duot5:PAIRWISE_MODEL`` over the default monoT5. Scores are described in
    :mod:`xrerank.scoring.pairwise`: they depend on the other texts of the same query.

    Args:
        model: The pairwise model: a hub name, a local T5-style directory or a loaded
            :class:`~xrerank.scoring.seq2seq.Seq2SeqModel`. A name ``"DUO,FIRST_SPEC"`` also names
            the first stage (the pairwise model's name must then hold no comma).
        first_stage: The reranker whose ranking is re-ordered: any reranker object (e.g. a
            :class:`~xrerank.scoring.seq2seq.Seq2SeqReranker` or :class:`xrerank.Reranker`) or its
            spec. None: monoT5 (``castorini/monot5-base-msmarco``) with this reranker's options.
        k: How many of the first stage's best are compared pairwise, 2 to :data:`MAX_PAIRWISE_K`.
        true_token, false_token: The pairwise model's answer words (one token each).
        device, batch_size, max_length, cache_size, trust_remote_code, local_files_only,
            show_progress_bar, allow_pickle_weights, dtype: As in :class:`xrerank.Reranker`, for the
            pairwise model and for a first stage built here. ``max_length`` bounds a whole prompt,
            which holds two documents.

    Example:
        Local T5 directories (hub names work where the hub is reachable)::

            duo = PairwiseReranker("./duot5", first_stage=Seq2SeqReranker("./monot5"), k=5)
            duo.rank("capital of France", passages, top_k=3)
            # by spec, e.g. in an adapter: model="duot5:./duot5,monot5:./monot5"
    """

    fusion_weight = None

    def __init__(
        self,
        model: str | Path | Seq2SeqModel = DEFAULT_DUOT5,
        *,
        first_stage: RerankerProtocol | str | None = None,
        k: int = DEFAULT_PAIRWISE_K,
        true_token: str = "true",
        false_token: str = "false",
        device: str | None = "auto",
        batch_size: int = 32,
        max_length: int | None = None,
        cache_size: int = 10_000,
        trust_remote_code: bool = False,
        local_files_only: bool = False,
        show_progress_bar: bool = False,
        allow_pickle_weights: bool = False,
        dtype: str = "auto",
    ) -> None:
        check_int(k, caller="PairwiseReranker", name="k", minimum=2)
        if k > MAX_PAIRWISE_K:
            raise ValueError(
                f"PairwiseReranker got k={k}: comparing the top k costs k * (k - 1) = {k * (k - 1)} model "
                f"calls per query; the bound is k <= {MAX_PAIRWISE_K} "
                f"({MAX_PAIRWISE_K * (MAX_PAIRWISE_K - 1)} calls). Lower k: the first stage keeps ranking "
                "the rest."
            )
        if isinstance(model, Path):
            model = str(model)
        if isinstance(model, str) and FIRST_STAGE_SEPARATOR in model:
            if first_stage is not None:
                raise ValueError(
                    f"PairwiseReranker got model={model!r}, which names a first stage, and first_stage=; "
                    "pass only one of them."
                )
            model, _, first_stage = model.partition(FIRST_STAGE_SEPARATOR)
        shared: dict[str, Any] = {
            "device": device,
            "batch_size": batch_size,
            "trust_remote_code": trust_remote_code,
            "local_files_only": local_files_only,
            "show_progress_bar": show_progress_bar,
            "allow_pickle_weights": allow_pickle_weights,
        }
        if first_stage is None or isinstance(first_stage, str):
            first_stage = reranker_from_spec(
                f"monot5:{DEFAULT_MONOT5}" if first_stage is None else first_stage,
                max_length=max_length,
                **shared,
            )
        if not isinstance(first_stage, RerankerProtocol):
            raise TypeError(
                f"PairwiseReranker got a {type(first_stage).__name__} as first_stage; expected a reranker "
                "(an object with model_name, rank() and arank()) or its spec, e.g. 'monot5:./monot5'."
            )
        self.first_stage: RerankerProtocol = first_stage
        self.k = k
        self.allow_pickle_weights = allow_pickle_weights
        # The aggregation needs probabilities, and a packed pair is never cut into windows.
        self.pairwise = PairPreferenceScorer(
            model,
            true_token=true_token,
            false_token=false_token,
            max_length=max_length,
            activation="sigmoid",
            long_passages="truncate",
            fusion_weight=None,
            cache_size=cache_size,
            dtype=dtype,
            **shared,
        )
        self.model_name = f"{self.pairwise.model_name}{FIRST_STAGE_SEPARATOR}{spec_of(first_stage)}"

    def __repr__(self) -> str:
        return (
            f"PairwiseReranker(model={self.pairwise.model_name!r}, first_stage={self.first_stage!r}, "
            f"k={self.k})"
        )

    def __deepcopy__(self, memo: dict[int, Any]) -> PairwiseReranker:
        return self  # a handle, like every reranker: never duplicate the weights

    def load(self) -> PairwiseReranker:
        """Load both models now instead of on the first call."""
        self.pairwise.load()
        load = getattr(self.first_stage, "load", None)
        if callable(load):
            load()
        return self

    def clear_cache(self) -> None:
        """Forget the cached preferences (and the first stage's cache, if it has one)."""
        self.pairwise.clear_cache()
        clear = getattr(self.first_stage, "clear_cache", None)
        if callable(clear):
            clear()

    # ---------------------------------------------------------------- scoring

    def _final_scores(self, pairs: list[tuple[str, str]]) -> list[float]:
        scores = [0.0] * len(pairs)
        for query, positions in _by_query(pairs).items():
            texts = [pairs[i][1] for i in positions]
            order = [item.index for item in self.first_stage.rank(query, texts)]
            top = order[: self.k]
            compared = _ordered_pairs(texts, top)
            preferences = self.pairwise.score(query, compared) if compared else []
            for position, value in zip(positions, self._scores(order, preferences), strict=True):
                scores[position] = value
        return scores

    async def _final_scores_later(self, pairs: list[tuple[str, str]]) -> list[float]:
        groups = _by_query(pairs)

        async def one(query: str, positions: list[int]) -> list[float]:
            texts = [pairs[i][1] for i in positions]
            order = [item.index for item in await self.first_stage.arank(query, texts)]
            compared = _ordered_pairs(texts, order[: self.k])
            preferences = await self.pairwise.ascore(query, compared) if compared else []
            return self._scores(order, preferences)

        results = await asyncio.gather(*(one(query, positions) for query, positions in groups.items()))
        scores = [0.0] * len(pairs)
        for positions, values in zip(groups.values(), results, strict=True):
            for position, value in zip(positions, values, strict=True):
                scores[position] = value
        return scores

    def _scores(self, order: list[int], preferences: list[float]) -> list[float]:
        """Scores of one query's texts from the first stage's order and the top k's preferences."""
        k = min(self.k, len(order))
        matrix = [[0.0] * k for _ in range(k)]
        flat = iter(preferences)
        for i in range(k):
            for j in range(k):
                if i != j:
                    matrix[i][j] = next(flat)
        return tiered_scores(order, symmetric_sums(matrix), len(order))


def _by_query(pairs: list[tuple[str, str]]) -> dict[str, list[int]]:
    """Positions of each query's pairs, queries in first-seen order."""
    groups: dict[str, list[int]] = {}
    for position, (query, _) in enumerate(pairs):
        groups.setdefault(query, []).append(position)
    return groups


def _ordered_pairs(texts: list[str], top: list[int]) -> list[str]:
    """Every ordered pair (a, b), a != b, of the ``top`` texts, packed, row by row."""
    return [pack_pair(texts[i], texts[j]) for i in top for j in top if i != j]
