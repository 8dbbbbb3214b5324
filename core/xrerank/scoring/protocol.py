"""The reranker interface the adapters and commands accept, and how a reranker is named in text.

Two rerankers ship with xrerank: the cross-encoder :class:`xrerank.Reranker` and the
ColBERT-style :class:`xrerank.LateInteractionReranker`. Anything with the same
``model_name``, ``rank`` and ``arank`` (returning :class:`xrerank.RankedItem` lists) can
stand in for either in the LangChain and LlamaIndex adapters.

A reranker is named in text (adapter ``model=``, CLI arguments, serialised adapters) by
a *spec*: a cross-encoder's hub name or directory as is, ``late:`` followed by an
encoder's name or directory for late interaction, and ``remote:`` followed by the URL of
a served model (``xrerank serve``; :class:`xrerank.scoring.remote.RemoteReranker`).
``monot5:`` names a sequence-to-sequence reranker (:class:`xrerank.Seq2SeqReranker`) and
``duot5:PAIRWISE_MODEL,FIRST_STAGE_SPEC`` a pairwise stage over a first one
(:class:`xrerank.PairwiseReranker`).

Example:
    >>> spec_kind("late:./minilm")
    ('late', './minilm')
    >>> spec_kind("cross-encoder/ms-marco-MiniLM-L6-v2")
    ('cross', 'cross-encoder/ms-marco-MiniLM-L6-v2')
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from xrerank.scoring.ranking import RankedItem

# Spec prefix (before the colon) -> "module:Class" of the reranker it names; a spec
# without one of these prefixes names a cross-encoder (:class:`xrerank.Reranker`).
# Classes are imported only when a spec names them.
SPEC_KINDS: dict[str, str] = {
    "late": "xrerank.scoring.late_interaction:LateInteractionReranker",
    "remote": "xrerank.scoring.remote:RemoteReranker",
    "cascade": "xrerank.scoring.cascade:CascadeReranker",
    "monot5": "xrerank.scoring.seq2seq:Seq2SeqReranker",
    # duot5:PAIRWISE_MODEL[,FIRST_STAGE_SPEC]: the first stage defaults to monoT5.
    "duot5": "xrerank.scoring.pairwise:PairwiseReranker",
}
# What the error for an empty spec suggests, per kind.
SPEC_EXAMPLES: dict[str, str] = {
    "late": "sentence-transformers/all-MiniLM-L6-v2",
    "remote": "http://127.0.0.1:8000",
    "cascade": "./my-reranker (a model directory whose serving recipe names its cascade)",
    "monot5": "castorini/monot5-base-msmarco",
    "duot5": "castorini/duot5-base-msmarco,monot5:castorini/monot5-base-msmarco",
}


@runtime_checkable
class RerankerProtocol(Protocol):
    """What the adapters ask of a reranker: a name and (async) ranking of texts.

    ``rank`` orders ``texts`` best first; ``threshold`` drops items scoring below it
    before ``top_k`` keeps the best. Both rerankers of xrerank implement it with
    :func:`xrerank.scoring.ranking.select_ranked`, so ties keep input order. A reranker
    whose ``fusion_weight`` attribute is not None (a model served by its recipe) must also
    accept ``retriever_scores=`` in both methods: the adapters then pass the retriever's
    evidence (:func:`xrerank.scoring.fusion.adapter_evidence`).

    Example:
        >>> from xrerank import Reranker
        >>> isinstance(Reranker("./my-reranker"), RerankerProtocol)
        True
    """

    model_name: str

    def rank(
        self,
        query: str,
        texts: Sequence[str],
        *,
        top_k: int | None = None,
        threshold: float | None = None,
    ) -> list[RankedItem]: ...

    async def arank(
        self,
        query: str,
        texts: Sequence[str],
        *,
        top_k: int | None = None,
        threshold: float | None = None,
    ) -> list[RankedItem]: ...


def spec_kind(spec: str) -> tuple[str, str]:
    """Split a spec into its kind (``"cross"`` or a key of :data:`SPEC_KINDS`) and the model.

    Raises:
        ValueError: a prefix with nothing after it.

    Example:
        >>> spec_kind("late:sentence-transformers/all-MiniLM-L6-v2")
        ('late', 'sentence-transformers/all-MiniLM-L6-v2')
    """
    for kind in SPEC_KINDS:
        prefix = kind + ":"
        if spec.startswith(prefix):
            name = spec[len(prefix) :]
            if not name.strip():
                raise ValueError(
                    f"Got the reranker spec {spec!r}, which names no model; expected {prefix}PATH, "
                    f"e.g. {prefix}{SPEC_EXAMPLES[kind]}."
                )
            return kind, name
    return "cross", spec


def _reranker_class(kind: str) -> type:
    module, _, name = SPEC_KINDS[kind].partition(":")
    return getattr(importlib.import_module(module), name)


def reranker_from_spec(spec: Any, **options: Any) -> RerankerProtocol:
    """Build the reranker a spec names; ``options`` go to its constructor.

    A spec that is not a string (a loaded ``CrossEncoder``) goes to :class:`xrerank.Reranker`.

    Example:
        >>> type(reranker_from_spec("late:./my-reranker", device="cpu")).__name__
        'LateInteractionReranker'
        >>> type(reranker_from_spec("./my-reranker")).__name__
        'Reranker'
    """
    from xrerank.scoring.reranker import Reranker

    if isinstance(spec, str):
        kind, name = spec_kind(spec)
        if kind != "cross":
            return _reranker_class(kind)(name, **options)
    return Reranker(spec, **options)


def spec_of(reranker: RerankerProtocol) -> str:
    """The spec that :func:`reranker_from_spec` turns back into a reranker like this one.

    Example:
        >>> from xrerank import LateInteractionReranker
        >>> spec_of(LateInteractionReranker("./my-reranker"))
        'late:./my-reranker'
    """
    for kind, target in SPEC_KINDS.items():
        module, _, name = target.partition(":")
        if type(reranker).__module__ == module and type(reranker).__name__ == name:
            return f"{kind}:{reranker.model_name}"
    return reranker.model_name
