"""A change to the recipe against the recipe, on the demo domain, over seeds: does it pay?

Each seed runs ``tune`` twice on the demo's store and log, once with its defaults and once with
the settings given (``--tune KEY=VALUE`` sets a ``TuneConfig`` field, ``--training KEY=VALUE`` a
field of the log stage's ``TrainingConfig``), then scores both models as their recipes serve them.
The seed draws the validation split, the data order and the fresh head, so the two runs of a seed
differ only by the change.

Printed per run and as means over the seeds, NDCG@10:

* on ``tune``'s validation queries (held out of the log): the retriever, the reranker alone and as
  served. These are the figures a choice of default may rest on;
* on the demo's 98 held-out queries (dense top-20): the reranker alone and as served, against dense
  0.687. Reported, never chosen on;
* ``tune``'s time: the demo must stay within 10 minutes on 2 cores.

Then, for validation and held-out served, the change minus the defaults per seed, with its mean and
(over two or more seeds) the standard error of that mean.

    python benchmarks/demo_recipe.py --training num_negatives=5 [--seeds 42,1,2]
    python benchmarks/demo_recipe.py --tune retriever_start_queries=0 --seeds 42
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

CANDIDATES = 20


# Set by the benchmark itself for both runs of a seed.
RESERVED = {"output_dir", "overwrite", "seed", "show_progress"}


def parse_settings(pairs: list[str], config_class: type, flag: str) -> dict[str, Any]:
    """``["num_negatives=5", "loss=bce"]`` -> ``{"num_negatives": 5, "loss": "bce"}``, names checked."""
    fields = {field.name for field in dataclasses.fields(config_class)} - RESERVED
    settings: dict[str, Any] = {}
    for pair in pairs:
        name, separator, text = pair.partition("=")
        if name in RESERVED:
            raise SystemExit(f"demo_recipe: {flag} {name}=... is the benchmark's to set (seeds: --seeds).")
        if not separator or name not in fields:
            raise SystemExit(
                f"demo_recipe: {flag} {pair!r} is not NAME=VALUE with NAME a field of "
                f"{config_class.__name__}; fields: {', '.join(sorted(fields))}."
            )
        try:
            settings[name] = json.loads(text)  # numbers, true/false, null, lists
        except json.JSONDecodeError:
            settings[name] = text  # a plain word: a string
    return settings


def run_recipe(store: Any, documents: dict[str, str], titles: dict[str, str], held_out: Any, seed: int,
               tune_settings: dict[str, Any], training_settings: dict[str, Any],
               output_dir: Path) -> dict[str, float]:  # fmt: skip
    """Tune once and score the model; the figures of one row."""
    from xrerank import Reranker
    from xrerank.demo.domain import load_demo_log_path
    from xrerank.evaluation.metrics import evaluate_run
    from xrerank.evaluation.runs import rerank_run
    from xrerank.training.tune import TuneConfig, recipe_training_config, tune

    config = TuneConfig(**{"candidates": CANDIDATES, **tune_settings})
    training = recipe_training_config(
        output_dir=str(output_dir), overwrite=True, seed=seed, show_progress=False, **training_settings
    )
    started = time.perf_counter()
    result = tune(documents, store, load_demo_log_path(), config, training=training, titles=titles)
    seconds = time.perf_counter() - started
    mode, weight = result.recipe.long_passages, result.recipe.fusion_weight
    reranker = Reranker(str(result.model_path))  # as its recipe serves it

    def held(as_served: bool) -> float:
        run = rerank_run(reranker, held_out.queries, held_out.candidates, documents, show_progress=False,
                         as_served=as_served)  # fmt: skip
        return evaluate_run(run, held_out.qrels, ["ndcg@10"])["ndcg@10"]

    return {
        "tune s": seconds,
        "val retriever": result.validation["retriever"],
        "val alone": result.validation[f"reranker alone ({mode})"],
        "val served": result.validation[f"fused with the retriever ({mode}, w={weight:.2f})"],
        "held-out alone": held(as_served=False),
        "held-out served": held(as_served=True),
    }


def figure(column: str, value: float) -> str:
    return f"{value:.0f}" if column == "tune s" else f"{value:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--tune", action="append", default=[], metavar="NAME=VALUE", help="a TuneConfig field"
    )
    parser.add_argument("--training", action="append", default=[], metavar="NAME=VALUE",
                        help="a field of the log stage's TrainingConfig")  # fmt: skip
    parser.add_argument("--seeds", default="42,1,2", help="comma-separated tune seeds (default: 42,1,2)")
    args = parser.parse_args(argv)

    from xrerank.training.config import TrainingConfig
    from xrerank.training.tune import TuneConfig, recipe_training_config

    tune_settings = parse_settings(args.tune, TuneConfig, "--tune")
    training_settings = parse_settings(args.training, TrainingConfig, "--training")
    if not tune_settings and not training_settings:
        parser.error("give the change to measure: --tune NAME=VALUE and/or --training NAME=VALUE.")
    try:  # refuse a bad value before minutes of embedding and training
        TuneConfig(**tune_settings)
        recipe_training_config(**training_settings)
    except (TypeError, ValueError) as error:
        parser.error(str(error))
    try:
        seeds = [int(seed) for seed in args.seeds.split(",")]
    except ValueError:
        parser.error(f"--seeds {args.seeds!r} is not a comma-separated list of integers, e.g. 42,1,2.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    for noisy in ("httpx", "sentence_transformers", "transformers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    from xrerank.demo.domain import load_demo_eval, load_demo_passages
    from xrerank.demo.run import build_demo_store, held_out_set, load_minilm

    passages = load_demo_passages()
    documents = {p.id: p.indexed_text for p in passages}
    titles = {p.id: p.title for p in passages}
    store = build_demo_store(load_minilm(), documents).source  # the demo's own store, to the last digit
    held_out = held_out_set(store, documents, load_demo_eval(), CANDIDATES)
    change = " ".join(args.tune + args.training)
    rows: dict[str, list[dict[str, float]]] = {"defaults": [], change: []}
    with tempfile.TemporaryDirectory(prefix="xrerank-demo-recipe-") as scratch:
        for seed in seeds:
            for name, tune_settings_, training_settings_ in (
                ("defaults", {}, {}),
                (change, tune_settings, training_settings),
            ):
                row = run_recipe(store, documents, titles, held_out, seed, tune_settings_, training_settings_,
                                 Path(scratch) / "model")  # fmt: skip
                rows[name].append(row)
                print(
                    f"seed {seed}, {name}: " + ", ".join(f"{k} {figure(k, v)}" for k, v in row.items()),
                    flush=True,
                )

    columns = list(rows["defaults"][0])
    width = max(len(name) for name in rows) + 2
    print(
        f"\nMeans over seeds {args.seeds}, NDCG@10 (a choice may rest on validation; held-out is reported):"
    )
    print("".ljust(width) + "".join(f"{column:>17}" for column in columns))
    for name, runs in rows.items():
        means = [statistics.fmean(run[column] for run in runs) for column in columns]
        print(name.ljust(width) + "".join(f"{figure(c, v):>17}" for c, v in zip(columns, means, strict=True)))
    for column in ("val served", "held-out served"):
        differences = [
            (b[column] - a[column]) * 100 for a, b in zip(rows["defaults"], rows[change], strict=True)
        ]
        # The standard error of the mean difference: a change is judged against it, not the mean alone.
        spread = (
            f", standard error {statistics.stdev(differences) / len(differences) ** 0.5:.1f}"
            if len(differences) > 1
            else ""
        )
        print(f"{change} minus defaults, {column}: " + ", ".join(f"{d:+.1f}" for d in differences)
              + f" points (mean {statistics.fmean(differences):+.1f}{spread})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
