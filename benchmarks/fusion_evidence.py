"""Would more evidence in the served fusion help? BM25, both reading modes, rank fusion, on the demo.

A model saved by ``xrerank demo`` is served as ``w * z(reranker) + (1 - w) * z(dense)``. This
benchmark scores the same model on ``tune``'s validation queries (rebuilt as ``tune`` held them out)
and on the demo's 98 held-out queries, and compares the recipe with other ways to fuse:

* ``+ BM25 (corpus)``: the BM25 + dense hybrid (its weight chosen on validation) as the retriever
  evidence, then the reranker's weight against it chosen on validation: what serving would do if
  the recipe kept the corpus's BM25 statistics beside the model;
* ``+ BM25 (candidates)``: the same, BM25 with the term statistics of the query's 20 candidates
  only, which serving could compute with nothing saved;
* ``first tokens + best window``: both reading modes at 0.25 each with dense at 0.5 (a second
  forward pass per candidate);
* ``reciprocal rank``: ``1 / (60 + rank)`` of the reranker and of dense, summed, instead of z-scores.

Every weight is chosen on the validation queries with ``choose_fusion_weight``; the held-out column
is reported, never chosen on.

    xrerank demo && python benchmarks/fusion_evidence.py --demo xrerank-demo/reranker
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

Run = dict[str, dict[str, float]]


def demo_sets(seed: int) -> tuple[Any, Any, dict[str, str]]:
    """tune's validation set and the held-out set (dense top-20), with the demo's passages."""
    from fusion_rule import demo_store

    from xrerank.demo.domain import load_demo_eval, load_demo_log_path
    from xrerank.demo.run import held_out_set
    from xrerank.training.tune import held_out_validation

    store, documents = demo_store()
    validation = held_out_validation(store, load_demo_log_path(), seed=seed)
    return validation, held_out_set(store, documents, load_demo_eval(), 20), documents


def candidate_bm25(queries: dict[str, str], candidates: Run, documents: dict[str, str]) -> Run:
    """BM25 of each query over its own candidates, term statistics from those candidates alone."""
    from xrerank.mining.bm25 import BM25Source

    out: Run = {}
    for qid, docs in candidates.items():
        ids = list(docs)
        out[qid] = BM25Source([documents[d] for d in ids], ids=ids).score_ids(queries[qid], ids)
    return out


def reciprocal_rank(*runs: Run, k: int = 60) -> Run:
    """Sum over runs of ``1 / (k + rank)``, rank 0 for each query's best candidate."""
    fused: Run = {}
    for qid in runs[0]:
        fused[qid] = dict.fromkeys(runs[0][qid], 0.0)
        for run in runs:
            for rank, doc in enumerate(sorted(run[qid], key=lambda d: -run[qid][d])):
                fused[qid][doc] += 1.0 / (k + rank)
    return fused


def weighted(parts: list[tuple[float, Run]]) -> Run:
    """``sum(weight * z(run))`` per query over the shared candidates."""
    from xrerank.scoring.fusion import z_normalise

    fused: Run = {}
    for qid, docs in parts[0][1].items():
        ids = list(docs)
        total = [0.0] * len(ids)
        for weight, run in parts:
            z = z_normalise([run[qid][d] for d in ids])
            total = [t + weight * x for t, x in zip(total, z, strict=True)]
        fused[qid] = dict(zip(ids, total, strict=True))
    return fused


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--demo", type=Path, required=True, help="A model saved by `xrerank demo`.")
    parser.add_argument("--seed", type=int, default=42, help="The seed the model was tuned with.")
    args = parser.parse_args(argv)

    from xrerank import Reranker
    from xrerank.evaluation.fusion import choose_fusion_weight, fuse_runs
    from xrerank.evaluation.metrics import evaluate_run
    from xrerank.evaluation.runs import rerank_run
    from xrerank.mining.bm25 import BM25Source
    from xrerank.models.serving_recipe import read_recipe

    recipe = read_recipe(args.demo)
    if recipe is None:
        parser.error(f"{args.demo} has no serving recipe; pass the reranker folder `xrerank demo` saved.")
    weight = float(recipe.fusion_weight or 0.0)
    validation, held_out, documents = demo_sets(args.seed)
    corpus_bm25 = BM25Source(list(documents.values()), ids=list(documents))
    modes = {
        mode: Reranker(str(args.demo), long_passages=mode, fusion_weight=None)
        for mode in ("truncate", "max_window")
    }
    served_mode = recipe.long_passages or "truncate"
    other_mode = "truncate" if served_mode == "max_window" else "max_window"

    signals: dict[str, dict[str, Run]] = {}
    for name, eval_set in (("validation", validation), ("held-out", held_out)):
        q, c = eval_set.queries, eval_set.candidates
        signals[name] = {
            "dense": c,
            "served": rerank_run(modes[served_mode], q, c, eval_set.documents, show_progress=False),
            "other": rerank_run(modes[other_mode], q, c, eval_set.documents, show_progress=False),
            "bm25 corpus": corpus_bm25.score_run(q, c),
            "bm25 candidates": candidate_bm25(q, c, eval_set.documents),
        }
    val, held = signals["validation"], signals["held-out"]

    def ndcg(run: Run, split: str) -> float:
        qrels = validation.qrels if split == "validation" else held_out.qrels
        return evaluate_run(run, qrels, ["ndcg@10"])["ndcg@10"]

    rows: list[tuple[str, Run, Run]] = [
        ("dense", val["dense"], held["dense"]),
        (f"recipe: reranker ({served_mode}) + dense, w={weight:.2f}",
         fuse_runs(val["served"], val["dense"], weight), fuse_runs(held["served"], held["dense"], weight)),
    ]  # fmt: skip
    for lexical in ("bm25 corpus", "bm25 candidates"):
        hybrid_weight, _ = choose_fusion_weight(val[lexical], val["dense"], validation.qrels)
        hybrids = [fuse_runs(s[lexical], s["dense"], hybrid_weight) for s in (val, held)]
        w, _ = choose_fusion_weight(val["served"], hybrids[0], validation.qrels)
        rows.append((
            f"reranker + ({lexical.replace('bm25', 'BM25')} w={hybrid_weight:.2f} + dense), w={w:.2f}",
            fuse_runs(val["served"], hybrids[0], w), fuse_runs(held["served"], hybrids[1], w),
        ))  # fmt: skip
    rows.append((
        f"{served_mode} 0.25 + {other_mode} 0.25 + dense 0.5",
        *(weighted([(0.25, s["served"]), (0.25, s["other"]), (0.5, s["dense"])]) for s in (val, held)),
    ))  # fmt: skip
    rows.append(
        (
            "reciprocal rank: reranker + dense",
            *(reciprocal_rank(s["served"], s["dense"]) for s in (val, held)),
        )
    )

    print(
        f"\nDemo model {args.demo}: {len(validation.queries)} validation queries (choices made here), "
        f"{len(held_out.queries)} held-out queries (reported only); NDCG@10.\n"
    )
    print(f"{'fusion':<64} {'validation':>10} {'held-out':>10} {'Δ held-out':>11}")
    served_held = ndcg(rows[1][2], "held-out")
    for name, val_run, held_run in rows:
        value = ndcg(held_run, "held-out")
        delta = 100 * (value - served_held)
        print(f"{name:<64} {ndcg(val_run, 'validation'):>10.4f} {value:>10.4f} {delta:>+11.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
