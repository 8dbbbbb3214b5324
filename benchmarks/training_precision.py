"""Training precision: fp32 against bf16 mixed precision, optimiser steps per second in one run.

What ``TrainingConfig(precision="auto")`` buys where the CPU computes bf16 natively
(AVX512_BF16 or AMX): the same training rows, the same start model and the same settings as
``tune``'s log stage (InfoNCE, 3 hard negatives, batch 8, 96 tokens, lr 1e-4 with the fresh
head at 2e-3), trained for ``--steps`` optimiser steps in each precision, ``--rounds`` rounds
alternating. Rows: SciFact training claims (outside ``benchmarks/scifact.py``'s dev split),
each with its positive abstract and 3 BM25 hard negatives.

A last line times the scoring a run does besides its steps (picking each long passage's best
window): ``Reranker.score_pairs`` on the same pairs with the fp32-trained model, plain and inside
``TrainingConfig.mixed_precision()``, and counts the queries whose top candidate changes.

What bf16 does to quality is measured where it counts, on tune's validation queries: see
docs/tune.md ("training precision").

    python benchmarks/training_precision.py [--steps 20] [--rounds 2] [--queries 160]
"""

from __future__ import annotations

import argparse
import itertools
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scifact import load_corpus, load_qrels, load_queries, scifact_dir
from backends import dev_split

NEGATIVES = 3
CANDIDATES = 1 + NEGATIVES


def training_examples(n_queries: int) -> list:
    """SciFact training claims outside the dev split, each with its positive and BM25 hard negatives."""
    import bm25s

    from xrerank.examples import TrainingExample

    data = scifact_dir()
    corpus = load_corpus(data)
    queries = load_queries(data)
    qrels = load_qrels(data)
    _, rest = dev_split([q for q in queries if q in qrels])
    train_qids = rest[:n_queries]
    ids = list(corpus)
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(list(corpus.values()), show_progress=False), show_progress=False)
    tokens = bm25s.tokenize([queries[q] for q in train_qids], show_progress=False)
    hits, _ = retriever.retrieve(tokens, k=NEGATIVES + 5, show_progress=False)
    examples = []
    for qid, row in zip(train_qids, hits, strict=True):
        positive = next(iter(qrels[qid]))
        negatives = [ids[i] for i in row if ids[i] not in qrels[qid]][:NEGATIVES]
        examples.append(
            TrainingExample(queries[qid], [corpus[positive]], [corpus[d] for d in negatives], query_id=qid)
        )
    return examples


def time_training(
    examples: list, precision: str, steps: int, workdir: Path
) -> tuple[float, float | None, Path]:
    """Seconds per optimiser step (steps after the first, which pays for warm-up), final loss, model."""
    from transformers import TrainerCallback

    from xrerank.training.trainer import train
    from xrerank.training.tune import recipe_training_config

    stamps: list[float] = []

    class StepClock(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):  # type: ignore[no-untyped-def]
            stamps.append(time.perf_counter())

    config = recipe_training_config(
        base_model="minilm",
        long_passages="truncate",  # windows would first need a start model that ranks
        max_steps=steps,
        output_dir=str(workdir / f"model-{precision}-{time.monotonic_ns()}"),
        precision=precision,
        show_progress=False,
        device="cpu",
    )
    result = train(examples, config, callbacks=[StepClock()])
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    return statistics.median(gaps), result.final_loss, result.model_path


def time_scoring(examples: list, model: str, rounds: int) -> dict[str, object]:
    """Pairs per second of Reranker.score_pairs with ``model``, plain and in the run's mixed precision."""
    from xrerank import Reranker
    from xrerank.training.config import TrainingConfig

    pairs = [(ex.query, text) for ex in examples for text in (*ex.positives, *ex.negatives)]
    reranker = Reranker(
        model, device="cpu", max_length=96, long_passages="truncate", activation=None, cache_size=0
    )
    timings: dict[str, list[float]] = {"fp32": [], "bf16": []}
    scores: dict[str, list[float]] = {}
    for _ in range(rounds):
        for precision in timings:
            config = TrainingConfig(device="cpu", precision=precision)  # type: ignore[arg-type]
            started = time.perf_counter()
            with config.mixed_precision():
                scores[precision] = reranker.score_pairs(pairs)
            timings[precision].append(time.perf_counter() - started)
    top_changed = 0
    for start in range(0, len(pairs), CANDIDATES):
        top = {p: max(range(CANDIDATES), key=lambda i: s[start + i]) for p, s in scores.items()}
        top_changed += top["fp32"] != top["bf16"]
    return {
        "pairs": len(pairs),
        "fp32": len(pairs) / statistics.median(timings["fp32"]),
        "bf16": len(pairs) / statistics.median(timings["bf16"]),
        "top_changed": top_changed,
        "queries": len(examples),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20, help="optimiser steps per round and precision")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per precision")
    parser.add_argument("--queries", type=int, default=160, help="SciFact training claims (rows)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    import torch

    from xrerank.models.backend_candidates import cpu_features
    from xrerank.models.loading import resolve_training_precision

    examples = training_examples(args.queries)
    seconds: dict[str, list[float]] = {"fp32": [], "bf16": []}
    losses: dict[str, float | None] = {}
    with tempfile.TemporaryDirectory(prefix="xrerank-precision-") as tmp:
        for round_number in range(args.rounds):
            for precision in seconds:
                per_step, losses[precision], trained = time_training(
                    examples, precision, args.steps, Path(tmp)
                )
                seconds[precision].append(per_step)
                print(f"round {round_number + 1}: {precision} {per_step:.3f} s/step", flush=True)
                if precision == "fp32":
                    scorer = trained
        scoring = time_scoring(examples, str(scorer), args.rounds)

    flags = set(cpu_features())
    print(
        f"\nCPU features: avx512_bf16 {'yes' if 'avx512_bf16' in flags else 'no'}, "
        f"amx_bf16 {'yes' if 'amx_bf16' in flags else 'no'}; torch threads {torch.get_num_threads()}; "
        f"precision='auto' here trains in {resolve_training_precision('auto', device='cpu')}"
    )
    print(
        f"training: tune's log-stage settings, {len(examples)} SciFact training claims x {CANDIDATES} "
        f"passages, {args.steps} steps x {args.rounds} rounds per row (median s/step)\n"
    )
    base = statistics.median(seconds["fp32"])
    print(f"{'row':<38}{'s/step':>10}{'steps/s':>10}{'x fp32':>9}{'last loss':>11}")
    for precision, label in (("fp32", "fp32 (baseline)"), ("bf16", "bf16 mixed precision")):
        per_step = statistics.median(seconds[precision])
        loss = losses[precision]
        print(
            f"{label:<38}{per_step:>10.3f}{1 / per_step:>10.3f}{base / per_step:>9.2f}"
            f"{(f'{loss:.4f}' if loss is not None else '-'):>11}"
        )
    print(
        f"\nscoring inside a run (best windows), {scoring['pairs']} pairs at 96 tokens: fp32 "
        f"{scoring['fp32']:.1f} pairs/s, bf16 autocast {scoring['bf16']:.1f} pairs/s "
        f"({scoring['bf16'] / scoring['fp32']:.2f}x); top candidate changed on "
        f"{scoring['top_changed']} of {scoring['queries']} queries"
    )


if __name__ == "__main__":
    main()
