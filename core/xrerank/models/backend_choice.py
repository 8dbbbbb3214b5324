"""Which backend and precision serve a cross-encoder fastest on this CPU while keeping its ranking.

:func:`choose_backend` exports the model to every candidate path this machine can run
(torch fp32, ONNX fp32/int8, OpenVINO fp32/int8, and OpenVINO with bf16 compute where the CPU
has AVX512_BF16 or AMX), scores sample queries with each, and compares them with torch fp32:
a candidate passes when its largest score difference stays within ``max_difference`` and no
two candidates of one query swap places unless torch scored them within ``tie_tolerance``. The
fastest passing path wins; then its batch size (and, for OpenVINO, its thread count) are
measured rather than assumed. ``xrerank export --backend auto`` saves the winner and records the
choice in the model's serving recipe, which :class:`xrerank.Reranker` follows.

Example:
    Exporting and timing five paths takes a minute, so this example is shown, not run::

        choice, exports = choose_backend("./my-reranker", work_dir="./choice")
        print(choice.summary())
        Reranker(exports[choice.chosen.label])  # the fastest path that keeps the ranking
"""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from xrerank.models.backend_candidates import BackendCandidate, candidate_paths, cpu_features
from xrerank.models.serving_recipe import ServingRecipe, read_recipe, write_recipe
from xrerank.validation import check_int, check_number

logger = logging.getLogger(__name__)

# A general-purpose sample: queries with a clear best passage, near misses and unrelated text,
# so that both score differences and swaps of close candidates show up.
DEFAULT_SAMPLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "what does a cross-encoder do?",
        (
            "A cross-encoder reads the query and the passage together and outputs one relevance score.",
            "A bi-encoder embeds queries and passages separately and compares the vectors.",
            "Rerankers reorder the top results of a first-stage retriever.",
            "Bananas are rich in potassium and grow in tropical climates.",
            "The encoder of a transformer turns tokens into contextual vectors.",
            "Paris is the capital of France and its largest city.",
        ),
    ),
    (
        "how does the p53 protein suppress tumours",
        (
            "The p53 protein halts the cell cycle after DNA damage and can trigger apoptosis.",
            "Mutations in TP53 are found in about half of human cancers.",
            "Oncogenes such as MYC drive uncontrolled proliferation.",
            "The mitochondrion is the powerhouse of the cell.",
            "Sourdough rises thanks to wild yeast and lactic acid bacteria.",
            "Tumour suppressor genes encode proteins that restrain cell growth. " * 4,
        ),
    ),
    (
        "boiling point of water at high altitude",
        (
            "At higher altitude the air pressure is lower, so water boils below 100 degrees Celsius.",
            "Water boils at 100 degrees Celsius at sea level.",
            "Pressure cookers raise the boiling point to cook food faster.",
            "Mount Everest is the highest mountain above sea level.",
            "Ice floats because it is less dense than liquid water.",
            "The stock market fell sharply on Tuesday.",
        ),
    ),
)


@dataclass
class CandidateResult:
    """How one candidate did: speed on the sample and agreement with torch fp32.

    Attributes:
        candidate: The path measured.
        pairs_per_second: Sample pairs scored per second (median of the rounds, best batch size).
        max_difference: Largest |score - torch fp32 score| (raw logits) over the sample.
        ranking_kept: Whether every query's order matches torch's, up to ``tie_tolerance``.
        error: Why the candidate could not run (a missing package, a failed export); None if it ran.
    """

    candidate: BackendCandidate
    pairs_per_second: float = 0.0
    max_difference: float = float("inf")
    ranking_kept: bool = False
    error: str | None = None

    @property
    def passed(self) -> bool:
        """Whether the candidate ran and kept the model's scores and ranking."""
        return self.error is None and self.ranking_kept


@dataclass
class BackendChoice:
    """What :func:`choose_backend` measured and picked.

    Attributes:
        chosen: The fastest candidate that passed (torch fp32 always passes: it is the reference).
        threads: Threads it runs fastest with.
        batch_size: Pairs per forward pass it runs fastest with.
        results: Every candidate, in the order measured.
        cpu_features: The CPU features that decide which fast paths exist.
    """

    chosen: CandidateResult
    threads: int
    batch_size: int
    results: list[CandidateResult] = field(default_factory=list)
    cpu_features: tuple[str, ...] = ()

    def record(self, file_name: str | None) -> dict[str, Any]:
        """The serving recipe's ``backend`` entry for the chosen path (``file_name`` of its export).

        Example:
            >>> choice = BackendChoice(CandidateResult(BackendCandidate("torch"), 90.0, 0.0, True), 2, 32)
            >>> choice.record(None)["backend"], choice.record(None)["batch_size"]
            ('torch', 32)
        """
        chosen = self.chosen.candidate
        torch_rate = next((r.pairs_per_second for r in self.results if r.candidate.backend == "torch"), 0.0)
        return {
            "backend": chosen.backend,
            "file_name": file_name,
            "quantize": chosen.quantize,
            "precision": chosen.precision,
            "threads": self.threads,
            "batch_size": self.batch_size,
            "cpu_features": list(self.cpu_features),
            "measured": {
                r.candidate.label: {
                    "pairs_per_second": round(r.pairs_per_second, 1),
                    "x_torch": round(r.pairs_per_second / torch_rate, 2) if torch_rate else None,
                    "max_difference": None if r.error else round(r.max_difference, 5),
                    "ranking_kept": r.ranking_kept,
                    **({"error": r.error} if r.error else {}),
                }
                for r in self.results
            },
        }

    def summary(self) -> str:
        """One line per candidate, the chosen one marked.

        Example:
            >>> choice = BackendChoice(CandidateResult(BackendCandidate("torch"), 90.0, 0.0, True), 2, 32)
            >>> choice.results = [choice.chosen]
            >>> print(choice.summary())
            * torch fp32: 90.0 pairs/s, max |d| 0.0e+00, ranking kept
        """
        lines = []
        for r in self.results:
            mark = "*" if r is self.chosen else " "
            if r.error:
                lines.append(f"{mark} {r.candidate.label}: not run ({r.error})")
                continue
            kept = "ranking kept" if r.ranking_kept else "RANKING CHANGED"
            lines.append(
                f"{mark} {r.candidate.label}: {r.pairs_per_second:.1f} pairs/s, "
                f"max |d| {r.max_difference:.1e}, {kept}"
            )
        return "\n".join(lines)


def ranking_kept(
    reference: Sequence[float], scores: Sequence[float], groups: Sequence[int], *, tie_tolerance: float
) -> bool:
    """Whether ``scores`` order each group's items as ``reference`` does, except near-ties.

    Two items of one group may swap only when their reference scores lie within ``tie_tolerance``.

    Example:
        >>> ranking_kept([3.0, 1.0, 0.99], [2.9, 0.98, 0.99], [3], tie_tolerance=0.05)
        True
        >>> ranking_kept([3.0, 1.0], [0.5, 1.0], [2], tie_tolerance=0.05)
        False
    """
    start = 0
    for size in groups:
        for i in range(start, start + size):
            for j in range(start, start + size):
                if reference[i] - reference[j] > tie_tolerance and scores[i] <= scores[j]:
                    return False
        start += size
    return True


def choose_backend(
    model: str | Path,
    *,
    work_dir: str | Path,
    sample: Sequence[tuple[str, Sequence[str]]] = DEFAULT_SAMPLE,
    candidates: Sequence[BackendCandidate] | None = None,
    max_length: int | None = None,
    max_difference: float = 0.1,
    tie_tolerance: float = 0.05,
    batch_sizes: Sequence[int] = (16, 32, 64),
    rounds: int = 3,
    allow_pickle_weights: bool = False,
) -> tuple[BackendChoice, dict[str, Path]]:
    """Export ``model`` to each candidate path, time it, check it against torch fp32, pick the fastest.

    Args:
        model: Directory (or hub name) of a sentence-transformers CrossEncoder.
        work_dir: Folder for the exports (created; one sub-folder per exported candidate).
        sample: ``(query, passages)`` groups to time and compare on; use queries like the ones
            the model will serve.
        candidates: Paths to measure; default :func:`candidate_paths`. Torch fp32 always runs.
        max_length: Token limit per pair (None: the model's own, e.g. from its serving recipe).
        max_difference: Largest |raw score difference| to torch fp32 a candidate may show.
        tie_tolerance: Torch score gap below which two candidates of a query may swap.
        batch_sizes: Batch sizes tried for the winner.
        rounds: Timed rounds per candidate (the median counts).
        allow_pickle_weights: Read a source model with pickle weights.

    Returns:
        The choice, and the export folder of each exported candidate by label (torch has none).

    Raises:
        ValueError: A bad option or an empty sample.
    """
    from xrerank.models.export import export_model
    from xrerank.models.loading import load_cross_encoder

    check_number(max_difference, caller="choose_backend", name="max_difference", minimum=0)
    check_number(tie_tolerance, caller="choose_backend", name="tie_tolerance", minimum=0)
    check_int(rounds, caller="choose_backend", name="rounds", minimum=1)
    for size in batch_sizes:
        check_int(size, caller="choose_backend", name="batch_sizes[...]", minimum=1)
    pairs = [(query, text) for query, texts in sample for text in texts]
    groups = [len(texts) for _, texts in sample]
    if not pairs:
        raise ValueError("choose_backend got an empty sample; pass (query, [passages]) groups to time.")
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    recipe = read_recipe(model) if os.path.isdir(model) else None
    torch_model = load_cross_encoder(
        str(model),
        device="cpu",
        max_length=max_length or (recipe.max_length if recipe else None),
        trust_remote_code=False,
        local_files_only=os.path.isdir(model),
        allow_pickle_weights=allow_pickle_weights,
        dtype="fp32",
    )
    length = torch_model.max_seq_length
    reference = _raw_scores(torch_model, pairs, batch_size=32)
    results: list[CandidateResult] = []
    loaded: dict[str, Any] = {}
    exports: dict[tuple[str, str | None], Path] = {}
    paths = list(candidates or candidate_paths())
    if BackendCandidate("torch") not in paths:  # the reference always runs, so something always passes
        paths.insert(0, BackendCandidate("torch"))
    for candidate in paths:
        result = CandidateResult(candidate)
        results.append(result)
        try:
            if candidate.backend == "torch":
                runner: Any = torch_model
            else:
                key = (candidate.backend, candidate.quantize)
                if key not in exports:
                    exports[key] = export_model(
                        str(model),
                        work / f"{candidate.backend}-{candidate.quantize or 'fp32'}",
                        backend=candidate.backend,  # type: ignore[arg-type]
                        quantize=candidate.quantize,  # type: ignore[arg-type]
                        max_length=length,
                        overwrite=True,
                        allow_pickle_weights=allow_pickle_weights,
                    )
                runner = _exported(exports[key], candidate, threads=None)
        except (ImportError, RuntimeError, ValueError, OSError) as exc:
            result.error = str(exc).splitlines()[0][:200]
            logger.info("Backend candidate %s not run: %s", candidate.label, result.error)
            continue
        loaded[candidate.label] = runner
        scores = _raw_scores(runner, pairs, batch_size=32)
        result.max_difference = max(abs(a - b) for a, b in zip(scores, reference, strict=True))
        result.ranking_kept = result.max_difference <= max_difference and ranking_kept(
            reference, scores, groups, tie_tolerance=tie_tolerance
        )
        result.pairs_per_second = _rate(runner, pairs, batch_size=32, rounds=rounds)
        logger.info(
            "%s: %.1f pairs/s, max |d| %.1e, ranking kept: %s",
            candidate.label,
            result.pairs_per_second,
            result.max_difference,
            result.ranking_kept,
        )
    chosen = max((r for r in results if r.passed), key=lambda r: r.pairs_per_second)
    threads, batch_size = _tune_settings(
        chosen, loaded[chosen.candidate.label], exports, pairs, batch_sizes, rounds
    )
    choice = BackendChoice(chosen, threads, batch_size, results, cpu_features())
    folders = {
        r.candidate.label: exports[(r.candidate.backend, r.candidate.quantize)]
        for r in results
        if r.candidate.backend != "torch" and (r.candidate.backend, r.candidate.quantize) in exports
    }
    return choice, folders


def _exported(folder: Path, candidate: BackendCandidate, *, threads: int | None) -> Any:
    """The export in ``folder`` (its marker names the file), run as ``candidate`` says."""
    from xrerank.models.backends import ExportedCrossEncoder, resolve_backend

    backend, kwargs = resolve_backend(str(folder), "auto", None)
    return ExportedCrossEncoder(
        folder, backend=backend, file_name=kwargs["file_name"], options=_options(candidate, threads=threads)
    )


def _options(candidate: BackendCandidate, *, threads: int | None) -> dict[str, Any]:
    """ExportedCrossEncoder options for ``candidate`` (OpenVINO's precision and threads)."""
    if candidate.backend != "openvino":
        return {}
    config = {"INFERENCE_PRECISION_HINT": "bf16" if candidate.precision == "bf16" else "f32"}
    if threads:
        config["INFERENCE_NUM_THREADS"] = str(threads)
    return {"ov_config": config}


def _raw_scores(model: Any, pairs: list[tuple[str, str]], *, batch_size: int) -> list[float]:
    import numpy as np
    import torch

    scores = model.predict(
        pairs, batch_size=batch_size, activation_fn=torch.nn.Identity(), show_progress_bar=False
    )
    return [float(value) for value in np.asarray(scores, dtype=np.float64).reshape(-1)]


def _rate(model: Any, pairs: list[tuple[str, str]], *, batch_size: int, rounds: int) -> float:
    """Pairs per second: median of ``rounds`` timed runs after one warm-up run."""
    _raw_scores(model, pairs[:batch_size], batch_size=batch_size)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        _raw_scores(model, pairs, batch_size=batch_size)
        times.append(time.perf_counter() - start)
    return len(pairs) / statistics.median(times)


def _tune_settings(
    chosen: CandidateResult,
    runner: Any,
    exports: dict[tuple[str, str | None], Path],
    pairs: list[tuple[str, str]],
    batch_sizes: Sequence[int],
    rounds: int,
) -> tuple[int, int]:
    """The batch size (and OpenVINO thread count) the chosen path runs fastest with, measured."""
    import torch

    candidate = chosen.candidate
    best_batch = max(batch_sizes, key=lambda size: _rate(runner, pairs, batch_size=size, rounds=rounds))
    cores = os.cpu_count() or 1
    threads = torch.get_num_threads() if candidate.backend == "torch" else cores
    if candidate.backend == "openvino" and cores > 1:
        key = (candidate.backend, candidate.quantize)
        rates = {}
        for count in sorted({cores, max(1, cores // 2)}):
            model = _exported(exports[key], candidate, threads=count)
            rates[count] = _rate(model, pairs, batch_size=best_batch, rounds=rounds)
        threads = max(rates, key=lambda count: rates[count])
    return threads, best_batch


def export_fastest(
    model: str | Path,
    output_dir: str | Path,
    *,
    overwrite: bool = False,
    allow_pickle_weights: bool = False,
    **options: Any,
) -> tuple[Path, BackendChoice]:
    """``xrerank export --backend auto``: save the fastest verified path and record it in the recipe.

    Every candidate is exported beside ``output_dir`` (:func:`choose_backend`, ``options`` go
    there); the winner is renamed into place with its serving recipe (the source's, with a
    ``backend`` record: path, precision, threads, batch size and every measurement), and the rest
    are deleted. When torch fp32 wins, the output is the torch model itself with that record.

    Example:
        Exports and timings take a minute, so this example is shown, not run::

            out, choice = export_fastest("./my-reranker", "./my-reranker-fast")
            Reranker(out)  # serves the chosen backend, precision and threads
    """
    from xrerank.models.atomic_dir import make_staging_dir, replace_directory
    from xrerank.models.backends import resolve_backend
    from xrerank.models.export import check_output_dir
    from xrerank.models.loading import load_cross_encoder

    out = Path(output_dir).expanduser().resolve()
    check_output_dir(out, source=model, overwrite=overwrite)
    work = make_staging_dir(out, kind="choice")
    try:
        choice, folders = choose_backend(
            model, work_dir=work, allow_pickle_weights=allow_pickle_weights, **options
        )
        label = choice.chosen.candidate.label
        if choice.chosen.candidate.backend == "torch":
            winner = work / "torch"
            source_recipe = read_recipe(model) if os.path.isdir(model) else None
            load_cross_encoder(
                str(model),
                device="cpu",
                max_length=None,
                trust_remote_code=False,
                local_files_only=os.path.isdir(model),
                allow_pickle_weights=allow_pickle_weights,
            ).save(str(winner))
            file_name = None
        else:
            winner = folders[label]
            source_recipe = read_recipe(winner)
            file_name = resolve_backend(str(winner), "auto", None)[1]["file_name"]
        recipe = replace(source_recipe or ServingRecipe(), backend=choice.record(file_name))
        write_recipe(winner, recipe)
        staging = make_staging_dir(out, kind="export")
        staging.rmdir()
        os.replace(winner, staging)
        replace_directory(staging, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    logger.info("Exported %s to %s: %s\n%s", model, out, label, choice.summary())
    return out, choice
