"""Score every candidate with a cheap reranker and only a shortlist with the full cross-encoder.

:class:`CascadeReranker` runs a cheap first stage over all of a query's candidates (a
:class:`~xrerank.scoring.reranker.Reranker` on a distilled student, or a
:class:`~xrerank.scoring.late_interaction.LateInteractionReranker` over indexed passages),
then the full model over the ``shortlist`` candidates the cheap stage ranks highest.

The final order is well defined: the shortlist comes first, ordered by the full model, then
the rest in the cheap stage's order. Given ``retriever_scores``, each stage ranks as it is
served: a stage whose recipe has a fusion weight fuses its scores with the retriever's (the
cheap stage before the shortlist is drawn, the full model within the shortlist). A shortlisted
candidate's score is the full model's; the rest score strictly below the lowest shortlisted
score, in steps of :data:`REST_STEP` (their scores order them; they are not the full model's
probabilities).
:func:`xrerank.evaluation.shortlist_choice.choose_shortlist` picks the shortlist size on
validation queries.

Example:
    A distilled student (``xrerank distill-reranker``) in front of the fine-tuned model::

        cascade = CascadeReranker("./my-reranker", "./my-student", shortlist=5)
        cascade.rank("capital of France", passages, top_k=3)
        CascadeReranker("./my-reranker")  # the cascade its serving recipe names
        reranker_from_spec("cascade:./my-reranker")  # the same, from a spec
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xrerank.scoring.fusion import fuse_scores
from xrerank.scoring.protocol import reranker_from_spec, spec_kind
from xrerank.scoring.ranking import RankedItem, RankingMethods, select_ranked
from xrerank.validation import check_int, check_query, check_texts, check_threshold, check_top_k

# Gap between consecutive candidates outside the shortlist, and below the shortlist's lowest score.
REST_STEP = 1e-3


def combine_stages(cheap: Sequence[float], full: dict[int, float]) -> list[float]:
    """One query's cascade scores: ``full`` for the shortlisted positions, the rest below them.

    Candidates outside the shortlist keep the cheap stage's order (ties in input order) and score
    ``REST_STEP``, ``2 * REST_STEP``, ... below the lowest shortlisted score.

    Example:
        >>> combine_stages([0.9, 0.1, 0.5, 0.7], {0: 0.2, 3: 0.8})
        [0.2, 0.198, 0.199, 0.8]
    """
    rest = sorted((i for i in range(len(cheap)) if i not in full), key=lambda i: (-cheap[i], i))
    floor = min(full.values()) if full else 0.0
    scores = [0.0] * len(cheap)
    for position, value in full.items():
        scores[position] = value
    for step, position in enumerate(rest, start=1):
        scores[position] = floor - step * REST_STEP
    return scores


def shortlist_of(cheap: Sequence[float], size: int) -> list[int]:
    """Positions of the ``size`` best cheap scores (ties in input order), best first.

    Example:
        >>> shortlist_of([0.1, 0.9, 0.5], 2)
        [1, 2]
    """
    return sorted(range(len(cheap)), key=lambda i: (-cheap[i], i))[:size]


class CascadeReranker(RankingMethods):
    """A cheap reranker over every candidate, the full cross-encoder over a shortlist.

    Args:
        full: The full reranker (an :class:`xrerank.Reranker` or any reranker with
            ``score_pairs``/``ascore_pairs``), or a model directory / spec for one. A directory
            whose serving recipe has a ``cascade`` record may leave ``cheap`` and ``shortlist`` out.
        cheap: The first stage: a reranker object or a spec (a student's directory,
            ``late:ENCODER``); a relative recipe path is relative to the full model's directory.
        shortlist: Candidates per query the full model rescores (at least 1).
        **options: Passed to the rerankers built from specs (e.g. ``device="cpu"``).

    ``fusion_weight`` is the full model's: given ``retriever_scores``, :meth:`rank` fuses them
    with the full model's scores within the shortlist.

    Example:
        >>> cascade = CascadeReranker("./my-reranker", "./my-reranker", shortlist=2, device="cpu")
        >>> cheap = cascade.cheap.score("capital of France", passages)
        >>> order = [item.index for item in cascade.rank("capital of France", passages)]
        >>> order[2:] == sorted(range(len(passages)), key=lambda i: -cheap[i])[2:]  # the rest: cheap order
        True
    """

    def __init__(
        self,
        full: Any,
        cheap: Any = None,
        *,
        shortlist: int | None = None,
        **options: Any,
    ) -> None:
        record = _recipe_cascade(full)
        if cheap is None:
            if record is None:
                raise ValueError(
                    f"CascadeReranker got no cheap stage, and {full!r} has no cascade in its serving recipe; "
                    "pass cheap= (e.g. a distilled student's directory, see `xrerank distill-reranker`)."
                )
            cheap = _relative_to(record["cheap"], Path(os.fspath(full)))
        if shortlist is None:
            if record is None:
                raise ValueError(
                    "CascadeReranker got no shortlist; pass shortlist= (choose it on validation queries "
                    "with xrerank.evaluation.shortlist_choice.choose_shortlist)."
                )
            shortlist = int(record["shortlist"])
        check_int(shortlist, caller="CascadeReranker", name="shortlist", minimum=1)
        self.shortlist: int = shortlist
        # Any reranker of xrerank: score_pairs/ascore_pairs beside the protocol's rank/arank.
        self.full: Any = reranker_from_spec(full, **options) if isinstance(full, (str, Path)) else full
        self.cheap: Any = reranker_from_spec(cheap, **options) if isinstance(cheap, (str, Path)) else cheap
        for role, stage in (("full", self.full), ("cheap", self.cheap)):
            if not hasattr(stage, "score_pairs") or not hasattr(stage, "ascore_pairs"):
                raise TypeError(
                    f"CascadeReranker got a {type(stage).__name__} as {role}; expected an xrerank reranker "
                    "(Reranker, LateInteractionReranker) or a model spec."
                )
        self.model_name: str = str(self.full.model_name)
        self.fusion_weight = getattr(self.full, "fusion_weight", None)

    def __repr__(self) -> str:
        return (
            f"CascadeReranker(full={self.full.model_name!r}, cheap={self.cheap.model_name!r}, "
            f"shortlist={self.shortlist})"
        )

    # ---------------------------------------------------------------- scoring

    def _final_scores(self, pairs: list[tuple[str, str]]) -> list[float]:
        cheap = self.cheap.score_pairs(pairs)
        chosen = self._shortlisted(pairs, cheap)
        full = self.full.score_pairs([pairs[i] for i in chosen]) if chosen else []
        return self._combined(pairs, cheap, dict(zip(chosen, full, strict=True)))

    async def _final_scores_later(self, pairs: list[tuple[str, str]]) -> list[float]:
        cheap = await self.cheap.ascore_pairs(pairs)
        chosen = await asyncio.to_thread(self._shortlisted, pairs, cheap)
        full = await self.full.ascore_pairs([pairs[i] for i in chosen]) if chosen else []
        return self._combined(pairs, cheap, dict(zip(chosen, full, strict=True)))

    def _groups(self, pairs: list[tuple[str, str]]) -> list[list[int]]:
        """Positions of each query's pairs (``score_pairs`` may mix queries), in first-seen order."""
        groups: dict[str, list[int]] = {}
        for position, (query, _) in enumerate(pairs):
            groups.setdefault(query, []).append(position)
        return list(groups.values())

    def _shortlisted(self, pairs: list[tuple[str, str]], cheap: list[float]) -> list[int]:
        chosen: list[int] = []
        for group in self._groups(pairs):
            chosen += [group[i] for i in shortlist_of([cheap[p] for p in group], self.shortlist)]
        return chosen

    def _combined(
        self, pairs: list[tuple[str, str]], cheap: list[float], full: dict[int, float]
    ) -> list[float]:
        scores = [0.0] * len(pairs)
        for group in self._groups(pairs):
            local = {i: full[p] for i, p in enumerate(group) if p in full}
            for position, value in zip(group, combine_stages([cheap[p] for p in group], local), strict=True):
                scores[position] = value
        return scores

    # ---------------------------------------------------------------- ranking

    def rank(
        self,
        query: str,
        texts: Sequence[str],
        *,
        top_k: int | None = None,
        threshold: float | None = None,
        retriever_scores: Sequence[float] | None = None,
    ) -> list[RankedItem]:
        """Order ``texts`` best first: the shortlist by the full model, then the rest by the cheap stage.

        With ``retriever_scores``, each stage ranks as it is served: the cheap stage's scores are
        fused with them by its own fusion weight (if it has one) before the shortlist is drawn,
        and the full model's within the shortlist by the full model's weight. ``threshold`` applies
        to the full model's own scores (the rest score below the shortlist).
        """
        pairs, retriever = self._checked(query, texts, top_k, threshold, retriever_scores, "rank")
        cheap = self._cheap_order(self.cheap.score_pairs(pairs), retriever)
        chosen = shortlist_of(cheap, self.shortlist)
        full = self.full.score_pairs([pairs[i] for i in chosen])
        return self._select(pairs, cheap, dict(zip(chosen, full, strict=True)), retriever, top_k, threshold)

    async def arank(
        self,
        query: str,
        texts: Sequence[str],
        *,
        top_k: int | None = None,
        threshold: float | None = None,
        retriever_scores: Sequence[float] | None = None,
    ) -> list[RankedItem]:
        """Async :meth:`rank`: both models run off the event loop."""
        pairs, retriever = self._checked(query, texts, top_k, threshold, retriever_scores, "arank")
        cheap = self._cheap_order(await self.cheap.ascore_pairs(pairs), retriever)
        chosen = shortlist_of(cheap, self.shortlist)
        full = await self.full.ascore_pairs([pairs[i] for i in chosen])
        return self._select(pairs, cheap, dict(zip(chosen, full, strict=True)), retriever, top_k, threshold)

    def _checked(
        self,
        query: str,
        texts: Sequence[str],
        top_k: int | None,
        threshold: float | None,
        retriever_scores: Sequence[float] | None,
        method: str,
    ) -> tuple[list[tuple[str, str]], list[float] | None]:
        caller = self._caller(method)
        check_top_k(top_k, caller=caller)
        check_threshold(threshold, caller=caller)
        query = check_query(query, caller=caller)
        items = check_texts(texts, caller=caller)
        if retriever_scores is not None and len(retriever_scores) != len(items):
            raise ValueError(
                f"{caller} got {len(retriever_scores)} retriever_scores for {len(items)} texts; "
                "expected one per text."
            )
        retriever = None if retriever_scores is None else [float(value) for value in retriever_scores]
        return [(query, text) for text in items], retriever

    def _cheap_order(self, cheap: list[float], retriever: list[float] | None) -> list[float]:
        """The cheap stage's scores as it is served: fused with the retriever's by its own weight."""
        weight = getattr(self.cheap, "fusion_weight", None)
        if retriever is None or weight is None or not cheap:
            return cheap
        return fuse_scores(cheap, retriever, weight)

    def _select(
        self,
        pairs: list[tuple[str, str]],
        cheap: list[float],
        full: dict[int, float],
        retriever: list[float] | None,
        top_k: int | None,
        threshold: float | None,
    ) -> list[RankedItem]:
        texts = [text for _, text in pairs]
        own = combine_stages(cheap, full)
        if retriever is None or self.fusion_weight is None or not full:
            return select_ranked(texts, own, top_k=top_k, threshold=threshold)
        chosen = list(full)
        fused = fuse_scores([full[i] for i in chosen], [retriever[i] for i in chosen], self.fusion_weight)
        final = combine_stages(cheap, dict(zip(chosen, fused, strict=True)))
        return select_ranked(texts, final, top_k=top_k, threshold=threshold, reranker_scores=own)


def _recipe_cascade(full: Any) -> dict[str, Any] | None:
    """The ``cascade`` record of ``full``'s serving recipe, when ``full`` is a local directory."""
    from xrerank.models.serving_recipe import read_recipe

    if not isinstance(full, (str, Path)) or spec_kind(os.fspath(full))[0] != "cross":
        return None
    if not Path(full).is_dir():
        return None
    recipe = read_recipe(full)
    return recipe.cascade if recipe is not None else None


def _relative_to(spec: str, model_dir: Path) -> str:
    """A recipe's cheap-stage spec with a relative path resolved against the full model's directory."""
    kind, name = spec_kind(spec)
    if os.path.isabs(name) or not (model_dir / name).exists():
        return spec
    resolved = str(model_dir / name)
    return resolved if kind == "cross" else f"{kind}:{resolved}"
