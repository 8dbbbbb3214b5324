"""How should ``tune`` choose the fusion weight on a few dozen validation queries?

A tuned model's validation queries are rebuilt exactly as ``tune`` holds them out (the same log,
split by positives with the same seed, the store's top-20), and the model scores them in each mode
``tune`` chooses between (first tokens, best window), at its recipe's max length, without fusion.
Then, many times over, the queries are cut into two random halves: each rule chooses a weight on one
half, and the other half scores that choice. A rule that chases noise wins on the half it chose
on and loses on the other.

Rules (each falls back to weight 0, the retriever's order, when no weight above 0 beats the
retriever on the half it chooses on: ``tune``'s guard):

* ``best weight``: the weight with the highest NDCG@10 (``choose_fusion_weight(standard_errors=0)``);
* ``within 2 SE of the best, closest to 0.5``: ``choose_fusion_weight``'s default, what ``tune`` uses;
* ``equal weights``: always 0.5, a reference.

``--activation none`` fuses the raw logits instead of the sigmoid scores the recipe serves (what
is fused, the other choice behind the served weight). Before the halves, each mode's line gives the
weight the default rule picks on all the validation queries and its NDCG@10 there.

Only the queries ``tune`` validates on are read: never the demo's held-out queries or SciFact's dev split.

    xrerank demo && python benchmarks/fusion_rule.py --demo xrerank-demo/reranker
    python benchmarks/fusion_rule.py --scifact ~/.cache/xrerank/scifact-runs/xrerank-tune
    python benchmarks/fusion_rule.py --demo xrerank-demo/reranker --activation none
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

Rule = Callable[[dict[str, Any], dict[str, Any], dict[str, Any]], float]


def demo_store() -> tuple[Any, dict[str, str]]:
    """The demo's passages (``{id: title + text}``, as ``xrerank demo`` indexes them) in a MiniLM store."""
    from sentence_transformers import SentenceTransformer

    from xrerank.demo.domain import load_demo_passages
    from xrerank.mining import EmbeddingSource
    from xrerank.training.start_model import resolve_base_model

    documents = {p.id: p.indexed_text for p in load_demo_passages()}
    texts = list(documents.values())
    encoder = SentenceTransformer(resolve_base_model("minilm"), device="cpu")
    vectors = encoder.encode(texts, normalize_embeddings=True, batch_size=64)
    return EmbeddingSource(vectors, texts, ids=list(documents), query_encoder=encoder), documents


def demo_validation(seed: int) -> Any:
    from xrerank.demo.domain import load_demo_log_path
    from xrerank.training.tune import held_out_validation

    store, _ = demo_store()
    return held_out_validation(store, load_demo_log_path(), seed=seed)


def scifact_validation(seed: int) -> Any:
    from scifact import DEFAULT_DATA, dense_store, load_scifact, split_queries, tune_log
    from sentence_transformers import SentenceTransformer

    from xrerank.training.start_model import resolve_base_model
    from xrerank.training.tune import held_out_validation

    corpus, queries, qrels = load_scifact(DEFAULT_DATA)
    _, log_qids = split_queries([q for q in queries if q in qrels], seed=seed)  # dev stays unread
    log = tune_log(queries, qrels, log_qids)
    model_path = resolve_base_model("minilm")
    store, _ = dense_store(corpus, SentenceTransformer(model_path, device="cpu"), model_path)
    return held_out_validation(store, log, seed=seed)


def guarded(standard_errors: float | None) -> Rule:
    """A rule with ``tune``'s guard; ``None`` is the fixed equal-weights reference."""
    from xrerank.evaluation.fusion import choose_fusion_weight

    def rule(run: dict[str, Any], candidates: dict[str, Any], qrels: dict[str, Any]) -> float:
        kwargs = {} if standard_errors is None else {"standard_errors": standard_errors}
        weight, table = choose_fusion_weight(run, candidates, qrels, **kwargs)
        if max(value for w, value in table.items() if w > 0) <= table[0.0]:
            return 0.0
        return 0.5 if standard_errors is None else weight

    return rule


def split_halves(
    name: str, model: str, evaluation: Any, splits: int, seed: int, activation: str | None
) -> None:
    """Every serving mode ``tune`` chooses between: the rule must hold for each."""
    from xrerank.training.tune import TuneConfig

    for mode in TuneConfig().serving_modes:
        split_halves_in_mode(f"{name}, {mode}", model, mode, evaluation, splits, seed, activation)


def split_halves_in_mode(
    name: str, model: str, mode: str, evaluation: Any, splits: int, seed: int, activation: str | None
) -> None:
    from xrerank.evaluation.fusion import choose_fusion_weight, fuse_runs
    from xrerank.evaluation.metrics import evaluate_run
    from xrerank.evaluation.runs import rerank_run
    from xrerank.scoring.reranker import Reranker

    # Max length from the recipe; the fusion weight is what is being chosen.
    reranker = Reranker(
        model,
        fusion_weight=None,
        long_passages=mode,  # type: ignore[arg-type]
        activation=activation,  # type: ignore[arg-type]
        cache_size=0,
    )
    run = rerank_run(reranker, evaluation.queries, evaluation.candidates, evaluation.documents)
    weight, table = choose_fusion_weight(run, evaluation.candidates, evaluation.qrels)
    rules = {
        "best weight": guarded(0.0),
        "within 2 SE of the best, closest to 0.5": guarded(2.0),
        "equal weights (reference)": guarded(None),
    }
    on_other_half: dict[str, list[float]] = {rule: [] for rule in rules}
    ids = sorted(evaluation.queries)
    rng = random.Random(seed)
    for _ in range(splits):
        rng.shuffle(ids)
        choose, score = ids[: len(ids) // 2], ids[len(ids) // 2 :]
        for rule_name, rule in rules.items():
            part = {q: run[q] for q in choose}
            weight = rule(
                part, {q: evaluation.candidates[q] for q in choose}, {q: evaluation.qrels[q] for q in choose}
            )
            fused = fuse_runs({q: run[q] for q in score}, evaluation.candidates, weight)
            on_other_half[rule_name].append(
                evaluate_run(fused, {q: evaluation.qrels[q] for q in score}, ["ndcg@10"])["ndcg@10"]
            )
    retriever = evaluate_run(evaluation.candidates, evaluation.qrels, ["ndcg@10"])["ndcg@10"]
    print(
        f"\n{name}, fusing {activation or 'logits'}: {len(ids)} validation queries; retriever NDCG@10 "
        f"{retriever:.4f}; on all of them the default rule picks w={weight:.2f}: NDCG@10 {table[weight]:.4f} "
        f"(w=0.50: {table[0.5]:.4f})\n{splits} random halves:"
    )
    print(f"{'rule':45s} {'NDCG@10 on the other half':>26s}")
    for rule_name, values in on_other_half.items():
        print(f"{rule_name:45s} {statistics.fmean(values):26.4f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", help="A model `xrerank demo` tuned (xrerank-demo/reranker).")
    parser.add_argument("--scifact", help="The model benchmarks/scifact.py's xrerank-tune row saved.")
    parser.add_argument("--demo-seed", type=int, default=42, help="tune's seed in the demo (its default).")
    parser.add_argument("--scifact-seed", type=int, default=13, help="scifact.py's --seed of that run.")
    parser.add_argument("--splits", type=int, default=400)
    parser.add_argument(
        "--activation",
        choices=("sigmoid", "none"),
        default="sigmoid",
        help="Fuse the sigmoid scores the recipe serves, or the raw logits.",
    )
    args = parser.parse_args(argv)
    if not (args.demo or args.scifact):
        parser.error(
            "pass --demo DIR and/or --scifact DIR (tuned models whose validation queries to rebuild)"
        )
    activation = None if args.activation == "none" else args.activation
    if args.demo:
        evaluation = demo_validation(args.demo_seed)
        split_halves("demo domain", args.demo, evaluation, args.splits, 0, activation)
    if args.scifact:
        evaluation = scifact_validation(args.scifact_seed)
        split_halves("SciFact", args.scifact, evaluation, args.splits, 0, activation)


if __name__ == "__main__":
    main()
