"""A multi-stage retrieval funnel: cheap recall, then the cross-encoder, then (optionally) an LLM.

Each stage trades speed for precision on a smaller candidate set, e.g. 50 -> 10 -> 5:

1. **Retrieve**: any :class:`xrerank.mining.sources.CandidateSource` returns ``stage1_k`` candidates:
   a bi-encoder (:class:`~xrerank.mining.EmbeddingSource`, :class:`~xrerank.mining.FaissSource`),
   BM25 (:class:`~xrerank.mining.bm25.BM25Source`), a LangChain retriever or vector store
   (``langchain_xrerank.RetrieverSource`` / ``VectorStoreSource``) or a LlamaIndex index or
   retriever (``llamaindex_xrerank.RetrieverSource``).
2. **Rerank**: :meth:`xrerank.Reranker.rank` scores every (query, candidate) pair and keeps ``stage2_k``.
3. **Listwise LLM** (optional): one prompt shows the LLM all stage-2 candidates under short ids
   (1, 2, 3...) and asks for ``{"ranking": [ids...]}``, every id exactly once. The reply is
   parsed as JSON and checked to be a permutation of the ids; on anything else (no JSON, prose
   with two rankings, unknown, duplicate or missing ids, or an exception from the LLM) the funnel
   keeps the stage-2 order, says so in :attr:`FunnelReport.llm_status` / ``llm_error`` and logs a
   warning. The LLM is any callable ``prompt -> text``; ``langchain_xrerank.LangChainListwiseLLM``
   and ``llamaindex_xrerank.LlamaIndexListwiseLLM`` wrap a chat model / LLM.

Every run returns a :class:`FunnelReport` with each stage's candidate counts and wall time.

Example:
    >>> from xrerank import Reranker
    >>> from xrerank.mining import BM25Source
    >>> funnel = Funnel(BM25Source(passages, ids=ids), Reranker("./my-reranker"),
    ...                 config=FunnelConfig(stage1_k=50, stage2_k=10))
    >>> result = funnel.run("how do cross-encoders score passages?")
    >>> [item.id for item in result.items]  # the passages BM25 found, in the reranker's order
    ['d1', 'd3', 'd2', 'd4']
    >>> result.report.summary()
    'retrieve 4 (... ms) -> rerank 4 (... ms); total ... ms'
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from xrerank.errors import RankingParseError
from xrerank.scoring.protocol import reranker_from_spec
from xrerank.serving.funnel_config import FunnelConfig
from xrerank.serving.funnel_result import FunnelItem, FunnelReport, FunnelResult, LLMStatus, StageReport
from xrerank.serving.listwise_prompt import parse_ranking
from xrerank.validation import check_query

if TYPE_CHECKING:
    from xrerank.mining.sources import Candidate
    from xrerank.scoring.ranking import RankedItem

logger = logging.getLogger(__name__)

#: What stage 3 needs: a callable from a prompt to the model's text (sync or async). An object may
#: also offer ``async acall(prompt) -> str``, which :meth:`Funnel.arun` prefers.
LLMCallable = Callable[[str], "str | Awaitable[str]"]


class SearchesCandidates(Protocol):
    """Stage 1: what the funnel asks of a retriever (every CandidateSource has it)."""

    def search(self, query: str, k: int) -> list[Candidate]: ...


class RanksTexts(Protocol):
    """Stage 2: what the funnel asks of a reranker (:class:`xrerank.Reranker` has it)."""

    def rank(self, query: str, texts: Sequence[str], *, top_k: int | None = None) -> list[RankedItem]: ...


class Funnel:
    """Retriever -> cross-encoder -> optional listwise LLM, with a report of every stage.

    Args:
        retriever: Stage 1: any object with ``search(query, k) -> list[Candidate]`` (every
            :class:`xrerank.mining.sources.CandidateSource`). LangChain and LlamaIndex retrievers go through
            ``langchain_xrerank.RetrieverSource`` / ``llamaindex_xrerank.RetrieverSource``.
        reranker: Stage 2: an :class:`xrerank.Reranker` (or anything with the same ``rank``), or a
            reranker spec such as ``"./my-reranker"`` or ``"monot5:./monot5"`` (built with its defaults).
        llm: Stage 3, optional: a callable ``prompt -> text`` (sync or async), e.g.
            ``langchain_xrerank.LangChainListwiseLLM(chat_model)``.
        config: Stage sizes and the stage-3 prompt (:class:`FunnelConfig`).

    Example:
        >>> from xrerank.mining import Candidate
        >>> class Docs:  # any CandidateSource
        ...     def search(self, query, k):
        ...         texts = ["Paris is in France.", "Figs."]
        ...         return [Candidate(str(i), t, None) for i, t in enumerate(texts)][:k]
        >>> class Lengths:  # stands in for a Reranker: longer text, higher score
        ...     def rank(self, query, texts, *, top_k=None):
        ...         from xrerank import RankedItem
        ...         order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))[:top_k]
        ...         return [RankedItem(i, float(len(texts[i])), texts[i]) for i in order]
        >>> funnel = Funnel(Docs(), Lengths(), llm=lambda prompt: '{"ranking": [2, 1]}',
        ...                 config=FunnelConfig(stage1_k=2, stage2_k=2))
        >>> result = funnel.run("capital of France")
        >>> [item.id for item in result.items], result.report.llm_status
        (['1', '0'], 'ok')
    """

    def __init__(
        self,
        retriever: SearchesCandidates,
        reranker: RanksTexts | str,
        *,
        llm: LLMCallable | None = None,
        config: FunnelConfig | None = None,
    ) -> None:
        if not callable(getattr(retriever, "search", None)):
            hint = ""
            modules = [cls.__module__ for cls in type(retriever).__mro__]
            if any(module.startswith("langchain") for module in modules):
                hint = " Wrap a LangChain retriever in langchain_xrerank.RetrieverSource(retriever)."
            elif any(module.startswith("llama_index") for module in modules):
                hint = " Wrap a LlamaIndex retriever or index in llamaindex_xrerank.RetrieverSource(...)."
            raise TypeError(
                f"Funnel got {type(retriever).__name__} as retriever; expected a CandidateSource "
                f"(an object with search(query, k)).{hint}"
            )
        if isinstance(reranker, str):
            reranker = reranker_from_spec(reranker)
        if not callable(getattr(reranker, "rank", None)):
            raise TypeError(
                f"Funnel got {type(reranker).__name__} as reranker; expected an xrerank.Reranker."
            )
        if llm is not None and not callable(llm):
            raise TypeError(
                f"Funnel got {type(llm).__name__} as llm; expected a callable prompt -> text, e.g. "
                "langchain_xrerank.LangChainListwiseLLM(chat_model)."
            )
        self.retriever = retriever
        self.reranker = reranker
        self.llm = llm
        self.config = config if config is not None else FunnelConfig()
        if not isinstance(self.config, FunnelConfig):
            raise TypeError(f"Funnel got {type(self.config).__name__} as config; expected FunnelConfig.")

    def __repr__(self) -> str:
        c = self.config
        return (
            f"Funnel({type(self.retriever).__name__} -> {c.stage1_k}, {type(self.reranker).__name__} -> "
            f"{c.stage2_k}, llm={'yes' if self.llm is not None else 'no'} -> {c.stage3_k})"
        )

    # ------------------------------------------------------------------------------ public API

    def run(self, query: str) -> FunnelResult:
        """Run every stage for ``query``.

        Example:
            >>> from xrerank.mining import BM25Source
            >>> funnel = Funnel(BM25Source(passages), reranker, llm=lambda prompt: '{"ranking": [2, 1]}',
            ...                 config=FunnelConfig(stage1_k=5, stage2_k=2, stage3_k=2))
            >>> result = funnel.run("how does a cross-encoder score a passage?")
            >>> result.report.summary()
            'retrieve 2 (... ms) -> rerank 2 (... ms) -> llm 2 (... ms, ok); total ... ms'
        """
        query = check_query(query, caller="Funnel.run")
        start = time.perf_counter()
        candidates, stage1 = self._timed_retrieve(query)
        t0 = time.perf_counter()
        ranked = self._rerank(query, candidates)
        stage2 = StageReport("rerank", len(candidates), len(ranked), time.perf_counter() - t0)
        items = self._stage2_items(candidates, ranked)
        if not self._wants_llm(items):
            return self._finish(query, items, [stage1, stage2], start)
        assert self.llm is not None
        prompt = self.build_prompt(query, items)
        t0 = time.perf_counter()
        output, error = None, None
        try:
            output = self.llm(prompt)
            if inspect.isawaitable(output):
                _close(output)
                raise TypeError("the LLM callable returned an awaitable; use Funnel.arun for an async LLM")
        except Exception as exc:
            if self.config.raise_llm_errors:
                raise
            error = f"the LLM call failed: {type(exc).__name__}: {exc}"
        return self._apply_llm(query, items, output, error, [stage1, stage2], t0, start)

    async def arun(self, query: str) -> FunnelResult:
        """Async :meth:`run`: retrieval runs in a thread, the reranker and the LLM are awaited.

        Example:
            >>> from xrerank.mining import BM25Source
            >>> funnel = Funnel(BM25Source(passages), reranker, config=FunnelConfig(stage1_k=5, stage2_k=3))
            >>> result = asyncio.run(funnel.arun("how do cross-encoders work?"))  # or await it in a coroutine
            >>> len(result.items)
            2
        """
        query = check_query(query, caller="Funnel.arun")
        start = time.perf_counter()
        candidates, stage1 = await asyncio.to_thread(self._timed_retrieve, query)
        t0 = time.perf_counter()
        texts = [c.text for c in candidates]
        arank = getattr(self.reranker, "arank", None)
        if not texts:
            ranked: list[RankedItem] = []
        elif arank is not None:
            ranked = await arank(query, texts, top_k=self.config.stage2_k)
        else:
            ranked = await asyncio.to_thread(self._rerank, query, candidates)
        stage2 = StageReport("rerank", len(candidates), len(ranked), time.perf_counter() - t0)
        items = self._stage2_items(candidates, ranked)
        if not self._wants_llm(items):
            return self._finish(query, items, [stage1, stage2], start)
        llm = self.llm
        assert llm is not None
        prompt = self.build_prompt(query, items)
        t0 = time.perf_counter()
        output, error = None, None
        try:
            acall = getattr(llm, "acall", None)
            if acall is not None:
                output = await acall(prompt)
            elif inspect.iscoroutinefunction(llm) or inspect.iscoroutinefunction(
                getattr(llm, "__call__", None)  # noqa: B004 - async __call__ on an object
            ):
                output = await llm(prompt)  # type: ignore[misc]
            else:
                output = await asyncio.to_thread(llm, prompt)
                if inspect.isawaitable(output):
                    output = await output
        except Exception as exc:
            if self.config.raise_llm_errors:
                raise
            error = f"the LLM call failed: {type(exc).__name__}: {exc}"
        return self._apply_llm(query, items, output, error, [stage1, stage2], t0, start)

    def build_prompt(self, query: str, items: Sequence[FunnelItem]) -> str:
        """The stage-3 prompt: the query and the candidates under ids 1..n, in stage-2 order.

        Example:
            >>> from xrerank.mining import BM25Source
            >>> funnel = Funnel(BM25Source(passages), reranker)
            >>> item = FunnelItem("d1", "Paris is the capital.", None, 0.9, 1, 1)
            >>> "[1] Paris is the capital." in funnel.build_prompt("capital?", [item])
            True
        """
        limit = self.config.llm_max_chars
        lines = []
        for position, item in enumerate(items, start=1):
            text = " ".join(item.text.split())
            if len(text) > limit:
                text = text[: limit - 3].rstrip() + "..."
            lines.append(f"[{position}] {text}")
        return self.config.prompt_template.format(query=query, candidates="\n".join(lines), count=len(items))

    # ------------------------------------------------------------------------------ internals

    def _timed_retrieve(self, query: str) -> tuple[list[Candidate], StageReport]:
        t0 = time.perf_counter()
        found = list(self.retriever.search(query, self.config.stage1_k))
        candidates: list[Candidate] = []
        seen: set[str] = set()
        for position, candidate in enumerate(found[: self.config.stage1_k]):
            text = getattr(candidate, "text", None)
            if not isinstance(text, str):
                raise TypeError(
                    f"Funnel: the retriever {type(self.retriever).__name__} returned "
                    f"{type(candidate).__name__} at position {position} without a str text; expected "
                    "xrerank.mining.Candidate objects."
                )
            if candidate.id is not None:
                if candidate.id in seen:
                    continue  # the same document twice (e.g. two chunks mapped to one id) is scored once
                seen.add(candidate.id)
            candidates.append(candidate)
        if len(candidates) < len(found[: self.config.stage1_k]):
            logger.debug("Funnel dropped %d repeated ids from stage 1", len(found) - len(candidates))
        return candidates, StageReport("retrieve", None, len(candidates), time.perf_counter() - t0)

    def _rerank(self, query: str, candidates: list[Candidate]) -> list[RankedItem]:
        if not candidates:
            return []
        return list(self.reranker.rank(query, [c.text for c in candidates], top_k=self.config.stage2_k))

    @staticmethod
    def _stage2_items(candidates: list[Candidate], ranked: list[RankedItem]) -> list[FunnelItem]:
        items = []
        for position, item in enumerate(ranked, start=1):
            candidate = candidates[item.index]
            score = candidate.score
            items.append(
                FunnelItem(
                    id=candidate.id,
                    text=candidate.text,
                    retriever_score=None if score is None else float(score),
                    rerank_score=float(item.score),
                    stage1_rank=item.index + 1,
                    stage2_rank=position,
                )
            )
        return items

    def _wants_llm(self, items: list[FunnelItem]) -> bool:
        return self.llm is not None and len(items) >= 2

    def _apply_llm(
        self,
        query: str,
        items: list[FunnelItem],
        output: Any,
        error: str | None,
        stages: list[StageReport],
        t0: float,
        start: float,
    ) -> FunnelResult:
        final = items
        status: LLMStatus = "fallback"
        if error is None:
            try:
                order = parse_ranking(output, len(items))
            except RankingParseError as exc:
                error = str(exc)
            else:
                status = "ok"
                final = [
                    dataclasses.replace(items[index - 1], llm_rank=rank)
                    for rank, index in enumerate(order, start=1)
                ]
        if status == "fallback":
            logger.warning(
                "Funnel: the LLM's ranking for query %r was unusable (%s); keeping the cross-encoder order.",
                query[:80],
                error,
            )
        final = final[: self.config.stage3_k] if self.config.stage3_k is not None else final
        stages.append(StageReport("llm", len(items), len(final), time.perf_counter() - t0))
        text_output = output if isinstance(output, str) else None
        return self._finish(query, final, stages, start, status=status, error=error, output=text_output)

    def _finish(
        self,
        query: str,
        items: list[FunnelItem],
        stages: list[StageReport],
        start: float,
        *,
        status: LLMStatus = "skipped",
        error: str | None = None,
        output: str | None = None,
    ) -> FunnelResult:
        if status == "skipped" and self.config.stage3_k is not None:
            items = items[: self.config.stage3_k]
        report = FunnelReport(
            query=query,
            stages=tuple(stages),
            llm_status=status,
            llm_error=error,
            llm_output=output,
            total_seconds=time.perf_counter() - start,
        )
        logger.debug("Funnel: %s", report.summary())
        return FunnelResult(items=items, report=report)


def _close(awaitable: Any) -> None:
    close = getattr(awaitable, "close", None)
    if callable(close):
        close()  # a coroutine never awaited: close it so Python does not warn
