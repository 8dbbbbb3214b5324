"""Cross-encoder -> bi-encoder distillation on the demo domain: does the student rank like its teacher?

The teacher is a fine-tuned cross-encoder (``xrerank demo`` writes one to ``xrerank-demo/reranker``).
The student starts as the packaged all-MiniLM-L6-v2 (the dense retriever of the demo).

1. The demo knowledge base (306 passages) is embedded with the base student into an
   ``EmbeddingSource``; hard negatives are mined from it for every query of the demo retriever
   log (``mine_hard_negatives``, ``--num-negatives`` per query).
2. ``distill_bi_encoder``: the teacher scores every (query, passage) pair of the mined examples
   and the student learns them (``--loss margin_mse`` by default) with sentence-transformers'
   ``SentenceTransformerTrainer``.
3. The 98 held-out demo queries (their wording never occurs in the log; three topics never
   occur in it at all) are split into topics *seen* in the distillation data and *unseen* ones.
   Base student, distilled student and teacher score the same candidates per query: the union
   of both students' top-K over the whole knowledge base and the judged passages
   (``--candidates K``, default 20), or every passage (``--candidates 0``). Reported per split:
   pass rate (the top-1 passage is relevant, i.e. the best relevant one beats the hardest
   distractor), mean relevance gap (best relevant minus best irrelevant score; students in
   cosine units, the teacher in sigmoid units) and NDCG@10; then the distilled student's ratio
   to the base student, and timings.

    xrerank demo                                                   # writes the teacher (CPU: ~20 min)
    python benchmarks/distillation.py --teacher xrerank-demo/reranker
    python benchmarks/distillation.py --teacher DIR --log-queries 20 --eval-queries 20 \\
        --max-steps 2 --candidates 10                              # a smoke run (minutes)

Cost on 2 CPU cores: distillation runs ~20 training steps per epoch (about 10-20 s each at
128 tokens), and the teacher scores every candidate of every held-out query: ~3.5k pairs with
``--candidates 20``, 98 x 306 = 30k pairs with ``--candidates 0`` (tens of minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

NO_TEACHER = """\
benchmarks/distillation.py needs a teacher: a fine-tuned cross-encoder directory.
Distillation teaches the bi-encoder to copy the teacher's ranking, so an untrained teacher
measures nothing. Make one with the demo, then pass it:

    xrerank demo                      # writes xrerank-demo/reranker
    python benchmarks/distillation.py --teacher xrerank-demo/reranker

or pass any cross-encoder directory (e.g. the output of `xrerank train`)."""


class Stopwatch:
    """Named wall-clock timings, printed at the end."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def time(self, name: str, function: Any) -> Any:
        start = time.perf_counter()
        result = function()
        self.seconds[name] = time.perf_counter() - start
        return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--teacher", help="fine-tuned cross-encoder directory (e.g. xrerank-demo/reranker)")
    parser.add_argument(
        "--student", default="minilm", help="SentenceTransformer to distil into (default: packaged MiniLM)"
    )
    parser.add_argument("--loss", default="margin_mse", choices=("margin_mse", "cosent", "cosine"))
    parser.add_argument("--epochs", type=float, default=None, help="default: DistillationConfig's")
    parser.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (smoke runs)")
    parser.add_argument("--learning-rate", type=float, default=None, help="default: DistillationConfig's")
    parser.add_argument("--batch-size", type=int, default=None, help="default: DistillationConfig's")
    parser.add_argument("--max-length", type=int, default=128, help="student token limit")
    parser.add_argument("--num-negatives", type=int, default=3, help="mined negatives per logged query")
    parser.add_argument("--log-queries", type=int, default=None, help="use only the first N logged queries")
    parser.add_argument(
        "--eval-queries", type=int, default=None, help="use only the first N held-out queries"
    )
    parser.add_argument(
        "--candidates",
        type=int,
        default=20,
        help="K: both students' top-K + the judged passages; 0: the whole knowledge base",
    )
    parser.add_argument(
        "--output", default="xrerank-demo/student", help="where the distilled student is saved"
    )
    parser.add_argument("--json", default=None, help="also write the report and timings to this JSON file")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    args = parser.parse_args(argv)
    if args.teacher is None:
        parser.exit(2, NO_TEACHER + "\n")
    if not Path(args.teacher).is_dir():
        parser.exit(2, f"--teacher {args.teacher}: no such directory.\n\n{NO_TEACHER}\n")
    if args.candidates < 0:
        parser.error(f"--candidates must be >= 0, got {args.candidates}")
    return args


def candidate_pool(
    runs: list[dict[str, dict[str, float]]], qrels: dict[str, dict[str, float]], k: int
) -> dict[str, list[str]]:
    """Per query: the union of each run's top-k and the judged passages, so every system has the same pool."""
    pool: dict[str, list[str]] = {}
    for qid, judged in qrels.items():
        ids: list[str] = []
        for run in runs:
            ids += sorted(run[qid], key=lambda doc: run[qid][doc], reverse=True)[:k]
        pool[qid] = list(dict.fromkeys([*ids, *judged]))
    return pool


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from sentence_transformers import SentenceTransformer

    from xrerank import MiningConfig, mine_hard_negatives, read_log
    from xrerank.demo.domain import load_demo_eval, load_demo_log_path, load_demo_passages
    from xrerank.evaluation.distillation_report import bi_encoder_run, distillation_report
    from xrerank.evaluation.runs import rerank_run
    from xrerank.mining import EmbeddingSource, merge_records
    from xrerank.training.distill import DistillationConfig, distill_bi_encoder, load_student, load_teacher

    show = not args.no_progress
    clock = Stopwatch()
    overrides = {
        name: value
        for name, value in (
            ("epochs", args.epochs),
            ("learning_rate", args.learning_rate),
            ("batch_size", args.batch_size),
        )
        if value is not None
    }
    config = DistillationConfig(
        student=args.student,
        loss=args.loss,
        max_steps=args.max_steps,
        max_length=args.max_length,
        num_negatives=args.num_negatives,
        seed=args.seed,
        output_dir=args.output,
        overwrite=True,
        show_progress=show,
        **overrides,
    )

    passages = load_demo_passages()
    documents = {p.id: p.indexed_text for p in passages}
    topic_of_doc = {p.id: p.topic for p in passages}
    records = list(merge_records(read_log(load_demo_log_path())))[: args.log_queries]
    held_out = load_demo_eval()[: args.eval_queries]
    print(
        f"demo domain: {len(documents)} passages, {len(records)} logged queries, "
        f"{len(held_out)} held-out queries"
    )

    base = clock.time("load base student", lambda: load_student(config))
    ids, texts = list(documents), list(documents.values())
    vectors = clock.time(
        "embed knowledge base",
        lambda: base.encode_document(texts, convert_to_numpy=True, show_progress_bar=show),
    )
    source = EmbeddingSource(vectors, texts, ids=ids, query_encoder=base)
    examples, mining = clock.time(
        "mine",
        lambda: mine_hard_negatives(
            records, source, MiningConfig(num_negatives=args.num_negatives), show_progress=show
        ),
    )
    print(mining.summary())
    seen_topics = {topic_of_doc[d] for e in examples for d in e.positive_ids if d in topic_of_doc}

    teacher = load_teacher(args.teacher, config)
    print(
        f"distilling {args.teacher} -> {args.student}: loss={config.loss}, epochs={config.epochs:g}, "
        f"lr={config.learning_rate:g}, batch={config.batch_size}, max_length={config.max_length}"
    )
    result = clock.time(
        "distil (teacher scoring + training)", lambda: distill_bi_encoder(examples, teacher, config)
    )
    print(
        f"  {result.teacher_pairs} teacher pairs in {result.teacher_seconds:.1f} s; "
        f"{result.train_rows} rows, {result.steps} steps in {result.train_seconds:.1f} s, "
        f"final loss {result.final_loss}; saved to {result.model_path}"
    )
    distilled = SentenceTransformer(str(result.model_path), device=str(base.device))

    queries = {q["query_id"]: q["query"] for q in held_out}
    qrels = {q["query_id"]: {d: float(g) for d, g in q["relevant"].items()} for q in held_out}
    topics = {q["query_id"]: q["topic"] for q in held_out}
    runs = {
        "base student": clock.time("eval base student", lambda: bi_encoder_run(base, queries, documents)),
        "distilled student": clock.time(
            "eval distilled student", lambda: bi_encoder_run(distilled, queries, documents)
        ),
    }
    pool = (
        candidate_pool(list(runs.values()), qrels, args.candidates)
        if args.candidates
        else {qid: ids for qid in queries}
    )
    runs = {name: {qid: {d: run[qid][d] for d in pool[qid]} for qid in run} for name, run in runs.items()}
    teacher_candidates = {qid: dict.fromkeys(docs, 0.0) for qid, docs in pool.items()}
    runs["teacher (cross-encoder)"] = clock.time(
        "eval teacher",
        lambda: rerank_run(teacher, queries, teacher_candidates, documents, show_progress=show),
    )

    report = distillation_report(runs, qrels, topics=topics, seen_topics=seen_topics)
    unseen = sorted({topics[q] for q in queries} - seen_topics)
    pool_size = sum(len(docs) for docs in pool.values()) / max(1, len(pool))
    pool_kind = (
        f"top-{args.candidates} of both students + judged" if args.candidates else "whole knowledge base"
    )
    print(f"\nheld-out queries: {len(queries)}; candidates per query: {pool_size:.0f} ({pool_kind})")
    print(f"unseen topics (no logged query): {', '.join(unseen) or '-'}")
    print(report.table())
    b, d = report.stats["base student"]["all"], report.stats["distilled student"]["all"]
    ratios = [
        f"{report.metric} x{d.ndcg / b.ndcg:.3f}" if b.ndcg else f"{report.metric} {d.ndcg:.4f} (base 0)",
        f"pass rate x{d.pass_rate / b.pass_rate:.3f}"
        if b.pass_rate
        else f"pass rate {d.pass_rate:.3f} (base 0)",
    ]
    if b.mean_gap and d.mean_gap is not None:
        ratios.append(f"mean gap x{d.mean_gap / b.mean_gap:.3f}")
    print("distilled vs base student (all queries): " + ", ".join(ratios))
    print("timings (s): " + ", ".join(f"{name} {s:.1f}" for name, s in clock.seconds.items()))
    if args.json:
        payload = {
            "report": report.to_dict(),
            "timings": clock.seconds,
            "config": config.to_dict(),
            "teacher": args.teacher,
            "mining": mining.to_dict(),
            "train_steps": result.steps,
        }
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(payload, indent=2), encoding="utf-8")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
