"""LlamaIndex node postprocessor that reranks with an :class:`xrerank.Reranker` (or any reranker)."""

from __future__ import annotations

import logging
from typing import Any

from xrerank import DEFAULT_MODEL, RankedItem
from xrerank._optional import require
from xrerank.scoring.adapter_options import prepare_adapter_options
from xrerank.scoring.fusion import adapter_evidence
from xrerank.scoring.protocol import RerankerProtocol
from xrerank.validation import check_query, check_texts, check_threshold, check_top_k

try:
    from llama_index.core.bridge.pydantic import ConfigDict, Field, field_validator, model_validator
    from llama_index.core.callbacks import CBEventType, EventPayload
    from llama_index.core.instrumentation import get_dispatcher
    from llama_index.core.instrumentation.events.rerank import ReRankEndEvent, ReRankStartEvent
    from llama_index.core.postprocessor.types import BaseNodePostprocessor
    from llama_index.core.schema import (
        BaseNode,
        ImageNode,
        MetadataMode,
        NodeWithScore,
        QueryBundle,
        TextNode,
    )
except ImportError:  # pragma: no cover - depends on what is installed
    require("llama_index.core", purpose="llamaindex_xrerank")  # raises with the pip install hint
    raise

logger = logging.getLogger(__name__)
dispatcher = get_dispatcher(__name__)

_NAME = "XRerankPostprocessor"
RETRIEVAL_SCORE_KEY = "retrieval_score"
RERANKER_SCORE_KEY = "reranker_score"


class XRerankPostprocessor(BaseNodePostprocessor):
    """Reorders retrieved LlamaIndex nodes with a cross-encoder, best first.

    A thin adapter: node texts go to :meth:`xrerank.Reranker.rank` (batching, caching and
    async scheduling live there) and come back as new ``NodeWithScore`` objects whose
    ``score`` is the reranker's (a plain ``float``). Each returned node is a copy with its
    own metadata dict; the caller's nodes are never modified. Emits ``ReRankStartEvent`` /
    ``ReRankEndEvent`` and the ``CBEventType.RERANKING`` callback event like LlamaIndex's
    built-in rerankers. Pass either a ready ``reranker`` (one instance can also serve the
    LangChain adapter) or a ``model`` name/path; the model loads on the first non-empty call.
    ``reranker`` may also be a :class:`xrerank.LateInteractionReranker` (or
    ``model="late:PATH"``), or any object with ``model_name``, ``rank`` and ``arank``.

    A node without text of its own (an ``ImageNode`` holding only an image, a ``Node`` with only
    an image, audio or video resource) has nothing to score: it is not scored and comes after
    the scored nodes, in input order, with score None, in the places ``top_n`` leaves; a
    ``score_threshold`` drops it (it has no score to pass). An empty ``TextNode`` is text and is
    scored like any other, as :meth:`xrerank.Reranker.rank` and the LangChain adapter score an
    empty string.

    Example:
        >>> from llama_index.core.schema import NodeWithScore, TextNode
        >>> from llama_index.core.llms import MockLLM
        >>> rerank = XRerankPostprocessor(model="./my-reranker", top_n=2)  # or a hub name
        >>> nodes = [NodeWithScore(node=TextNode(text="Paris is the capital of France."), score=0.4)]
        >>> [type(n.score).__name__ for n in rerank.postprocess_nodes(nodes, query_str="capital of France")]
        ['float']
        >>> engine = index.as_query_engine(node_postprocessors=[rerank], llm=MockLLM())
    """

    reranker: RerankerProtocol = Field(  # type: ignore[assignment]
        default=None,
        validate_default=False,
        exclude=True,
        description=(
            "The reranker that scores (query, node text) pairs: an xrerank.Reranker, an "
            "xrerank.LateInteractionReranker or any object with model_name, rank() and arank(). "
            "Built from `model` when not given; to set device, batch size or activation, build it "
            "yourself. Not serialized: to_dict()/from_dict() rebuild it from `model`; pickling keeps "
            "its full configuration."
        ),
    )
    model: str | None = Field(
        default=None,
        description=(
            "Hub name or local directory of a cross-encoder (or a loaded CrossEncoder), or 'late:PATH' "
            "for a late interaction reranker on the encoder at PATH; used when `reranker` is not given "
            f"(default {DEFAULT_MODEL}). Holds the reranker's spec ('late:' prefix included) after "
            "construction."
        ),
    )
    allow_pickle_weights: bool = Field(
        default=False,
        description=(
            "Let the reranker built from `model` load pickle weights (pytorch_model.bin), which can "
            "run code when loaded. Off: safetensors only. Holds the reranker's setting after construction."
        ),
    )
    top_n: int | None = Field(
        default=3,
        description="How many nodes to return; None returns all (after `score_threshold`).",
    )
    score_threshold: float | None = Field(
        default=None,
        description=(
            "Drop nodes scoring below this value; applied before `top_n`. With the default sigmoid "
            "activation scores lie in [0, 1]."
        ),
    )
    keep_retrieval_score: bool = Field(
        default=False,
        description=(
            "Keep the first-stage score in the copied node's metadata as `retrieval_score`. The key is "
            "excluded from the node's embed and LLM text, so it never reaches a prompt or a later reranker."
        ),
    )
    fusion: bool = Field(
        default=True,
        description=(
            "Fuse the reranker's score with the retriever's (NodeWithScore.score; the incoming order "
            "when a node has none) when the reranker has a fusion weight: a model saved by `xrerank "
            "tune` records one in its serving recipe. The node's score is then the fused value "
            "(relative within the query, not a probability) and the reranker's own score is kept in "
            "metadata under `reranker_score`, excluded from the embed and LLM text."
        ),
    )
    metadata_mode: MetadataMode = Field(
        default=MetadataMode.EMBED,
        description=(
            "Which metadata goes into the text that is scored: node.get_content(metadata_mode=...). "
            "EMBED (default) scores what the embedding model saw; NONE scores the bare text."
        ),
    )

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _build_reranker(cls, data: Any) -> Any:
        return prepare_adapter_options(data, caller=_NAME, host="LlamaIndex")

    @field_validator("top_n", mode="before")
    @classmethod
    def _check_top_n(cls, value: Any) -> int | None:
        return check_top_k(value, caller=_NAME, name="top_n")

    @field_validator("score_threshold", mode="before")
    @classmethod
    def _check_score_threshold(cls, value: Any) -> float | None:
        return check_threshold(value, caller=_NAME, name="score_threshold")

    @classmethod
    def class_name(cls) -> str:
        """Name used by LlamaIndex serialization.

        Example:
            >>> XRerankPostprocessor.class_name()
            'XRerankPostprocessor'
        """
        return _NAME

    def _postprocess_nodes(
        self,
        nodes: list[NodeWithScore],
        query_bundle: QueryBundle | None = None,
    ) -> list[NodeWithScore]:
        """Rerank ``nodes`` against the query; called by ``postprocess_nodes``.

        Example:
            >>> len(rerank.postprocess_nodes(nodes, query_str="capital of France")) <= rerank.top_n
            True
        """
        query = _query_text(query_bundle)
        items, contents = self._texts(nodes)
        if not items:
            return []
        self._start_event(items, query_bundle)
        with self.callback_manager.event(CBEventType.RERANKING, payload=self._payload(items, query)) as event:
            scored, texts, textless = _split(items, contents)
            ranked = self.reranker.rank(query, texts, **self._rank_options(scored))
            reranked = self._to_nodes(scored, ranked, textless)
            event.on_end(payload={EventPayload.NODES: reranked})
        dispatcher.event(ReRankEndEvent(nodes=reranked))
        return reranked

    async def _apostprocess_nodes(
        self,
        nodes: list[NodeWithScore],
        query_bundle: QueryBundle | None = None,
    ) -> list[NodeWithScore]:
        """Async rerank through the reranker's ``arank``; called by ``apostprocess_nodes``.

        Example:
            >>> import asyncio
            >>> reranked = asyncio.run(rerank.apostprocess_nodes(nodes, query_str="capital of France"))
            >>> len(reranked) <= rerank.top_n
            True
        """
        query = _query_text(query_bundle)
        items, contents = self._texts(nodes)
        if not items:
            return []
        self._start_event(items, query_bundle)
        with self.callback_manager.event(CBEventType.RERANKING, payload=self._payload(items, query)) as event:
            scored, texts, textless = _split(items, contents)
            ranked = await self.reranker.arank(query, texts, **self._rank_options(scored))
            reranked = self._to_nodes(scored, ranked, textless)
            event.on_end(payload={EventPayload.NODES: reranked})
        dispatcher.event(ReRankEndEvent(nodes=reranked))
        return reranked

    # ---------------------------------------------------------------- conversion

    def _rank_options(self, items: list[NodeWithScore]) -> dict[str, Any]:
        evidence = adapter_evidence(self.reranker, [item.score for item in items], enabled=self.fusion)
        options: dict[str, Any] = {"top_k": self.top_n, "threshold": self.score_threshold}
        if evidence is not None:
            options["retriever_scores"] = evidence
        return options

    def _texts(self, nodes: list[NodeWithScore]) -> tuple[list[NodeWithScore], list[str]]:
        if isinstance(nodes, (str, NodeWithScore)):
            raise TypeError(
                f"{_NAME} got a single {type(nodes).__name__} as nodes; expected a list of NodeWithScore. "
                "Wrap it in a list: [node]."
            )
        items = list(nodes)
        for index, item in enumerate(items):
            if not isinstance(item, NodeWithScore):
                raise TypeError(
                    f"{_NAME} got a {type(item).__name__} at nodes[{index}]; expected a NodeWithScore. "
                    "Wrap nodes as NodeWithScore(node=node)."
                )
        contents = [item.node.get_content(metadata_mode=self.metadata_mode) for item in items]
        return items, check_texts(contents, caller=_NAME, name="content of nodes")

    def _to_nodes(
        self, scored: list[NodeWithScore], ranked: list[RankedItem], textless: list[NodeWithScore]
    ) -> list[NodeWithScore]:
        results = [self._copy(scored[entry.index], entry.score, entry.reranker_score) for entry in ranked]
        if self.score_threshold is None:  # nodes without a score cannot pass a threshold
            room = len(textless) if self.top_n is None else max(self.top_n - len(results), 0)
            results.extend(self._copy(item, None, None) for item in textless[:room])
        logger.debug(
            "%s kept %d of %d nodes (%d without text, not scored)",
            _NAME,
            len(results),
            len(scored) + len(textless),
            len(textless),
        )
        return results

    def _copy(
        self, original: NodeWithScore, score: float | None, reranker_score: float | None
    ) -> NodeWithScore:
        """A copy of ``original`` with the new score; the caller's node is not modified."""
        node = original.node
        added: dict[str, float | None] = {}
        if self.keep_retrieval_score:
            added[RETRIEVAL_SCORE_KEY] = None if original.score is None else float(original.score)
        if reranker_score is not None:
            added[RERANKER_SCORE_KEY] = reranker_score
        update: dict[str, Any] = {"metadata": {**node.metadata, **added}}
        # Scores are bookkeeping: keep them out of the text an embedder, an LLM or a later
        # reranker sees.
        for key in ("excluded_embed_metadata_keys", "excluded_llm_metadata_keys") if added else ():
            excluded = list(getattr(node, key))
            update[key] = [*excluded, *(name for name in added if name not in excluded)]
        return NodeWithScore(node=node.model_copy(update=update), score=score)

    # -------------------------------------------------------------------- events

    def _start_event(self, items: list[NodeWithScore], query_bundle: QueryBundle | str | None) -> None:
        dispatcher.event(
            ReRankStartEvent(
                query=query_bundle,
                nodes=items,
                top_n=self.top_n or len(items),
                model_name=self.reranker.model_name,
            )
        )

    def _payload(self, items: list[NodeWithScore], query: str) -> dict[str, Any]:
        return {
            EventPayload.NODES: items,
            EventPayload.MODEL_NAME: self.reranker.model_name,
            EventPayload.QUERY_STR: query,
            EventPayload.TOP_K: self.top_n or len(items),
        }


def _split(
    items: list[NodeWithScore], contents: list[str]
) -> tuple[list[NodeWithScore], list[str], list[NodeWithScore]]:
    """The nodes to score, their texts, and the nodes without text (see the class notes)."""
    textless = [_has_no_text(item.node) for item in items]
    scored = [position for position, flag in enumerate(textless) if not flag]
    return (
        [items[position] for position in scored],
        [contents[position] for position in scored],
        [item for item, flag in zip(items, textless, strict=True) if flag],
    )


def _has_no_text(node: BaseNode) -> bool:
    """An image (or other media) node with no text of its own; an empty TextNode is still text."""
    is_text_node = isinstance(node, TextNode) and not isinstance(node, ImageNode)
    return not is_text_node and not node.get_content(metadata_mode=MetadataMode.NONE).strip()


def _query_text(query_bundle: QueryBundle | str | None) -> str:
    if query_bundle is None:
        raise ValueError(
            f"{_NAME} needs a query to rerank against and got none. Call "
            "postprocess_nodes(nodes, query_str='...') or pass query_bundle=QueryBundle('...')."
        )
    query = query_bundle if isinstance(query_bundle, str) else query_bundle.query_str
    return check_query(query, caller=_NAME)
