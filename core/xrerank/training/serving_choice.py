"""How a tuned model is served: the mode and fusion weight chosen on validation queries, and the card.

Part of :func:`xrerank.training.tune`: it runs inside the model's staging folder, so the serving
recipe and the card's evidence are saved atomically with the weights.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xrerank.evaluation.eval_set import EvalSet
from xrerank.evaluation.fusion import choose_fusion_weight, fuse_runs
from xrerank.evaluation.metrics import evaluate_run, per_query_metrics, standard_error
from xrerank.evaluation.runs import rerank_run
from xrerank.evaluation.window_choice import choose_max_windows
from xrerank.models.serving_recipe import RECIPE_FILE, LongPassages, ServingRecipe
from xrerank.scoring.window_vectors import SentenceVectorPicker
from xrerank.training.config import TrainingConfig

METRIC = "ndcg@10"


def choose_serving(
    model: Any,
    validation: EvalSet,
    training: TrainingConfig,
    modes: tuple[LongPassages, ...],
    retriever: str,
    *,
    fusion_standard_errors: float = 2.0,
    window_shortlist: bool = False,
    window_picker: str | None = None,
) -> tuple[ServingRecipe, dict[str, float], bool]:
    """The serving mode, fusion weight and window count chosen on the validation queries, and the evidence.

    The model is served the way it was trained unless another mode is *clearly* better on
    validation: its fused NDCG@10 must beat the trained mode's by more than two standard errors of
    the per-query differences. A few dozen validation queries cannot tell near-ties apart, and a
    windows-trained model read by its first tokens loses (SciFact: 0.643 vs 0.703 NDCG@10).
    The fusion weight is :func:`~xrerank.evaluation.fusion.choose_fusion_weight`'s, shrunk towards
    equal weights for the same reason. When no weight above 0 (the reranker alone included) beats
    the retriever on validation, the recipe keeps the retriever's order. Served by windows, with
    ``window_shortlist``, the recipe scores only the fewest windows per long passage that rank the
    validation queries within half an NDCG@10 point of every window
    (:func:`~xrerank.evaluation.window_choice.choose_max_windows`), picked by the query words they
    share or, with ``window_picker`` (a bi-encoder's name or path), by its sentence vectors
    (:class:`~xrerank.scoring.window_vectors.SentenceVectorPicker`, the validation passages indexed
    first).
    """
    from xrerank.scoring.reranker import Reranker

    retriever_score = evaluate_run(validation.candidates, validation.qrels, [METRIC])[METRIC]
    scores = {"retriever": retriever_score}
    fused_runs: dict[LongPassages, tuple[float, dict[str, dict[str, float]]]] = {}
    best_reranked: dict[LongPassages, float] = {}
    for mode in modes:
        # Scored exactly as it will be served (the recipe's activation), so the weight chosen
        # here fuses the same numbers that Reranker.rank(retriever_scores=...) fuses later.
        reranker = Reranker(
            model, max_length=training.max_length, activation="sigmoid", long_passages=mode, cache_size=0
        )
        run = rerank_run(
            reranker,
            validation.queries,
            validation.candidates,
            validation.documents,
            show_progress=training.show_progress,
        )
        weight, table = choose_fusion_weight(
            run,
            validation.candidates,
            validation.qrels,
            metric=METRIC,
            standard_errors=fusion_standard_errors,
        )
        scores[f"reranker alone ({mode})"] = table[1.0]
        scores[f"fused with the retriever ({mode}, w={weight:.2f})"] = table[weight]
        best = max(table, key=lambda w: (table[w], w))
        if table[best] > table[weight]:
            scores[f"fused, best weight on these queries ({mode}, w={best:.2f})"] = table[best]
        best_reranked[mode] = max(value for w, value in table.items() if w > 0)
        fused_runs[mode] = (weight, fuse_runs(run, validation.candidates, weight))
    mode = _clearly_best_mode(fused_runs, validation.qrels, preferred=training.long_passages)
    weight, _ = fused_runs[mode]
    # Does the reranker add anything here, alone or fused at any weight? The weight served is the
    # one chosen for new queries, which may score a little under the best on these.
    beats = best_reranked[mode] > retriever_score
    windows = None
    if window_shortlist and mode == "max_window" and beats:
        picker = None
        if window_picker is not None:
            picker = SentenceVectorPicker(window_picker, show_progress_bar=training.show_progress)
            picker.index(list(validation.documents.values()))
        served = Reranker(
            model,
            max_length=training.max_length,
            activation="sigmoid",
            long_passages=mode,
            fusion_weight=weight,
            window_picker=picker,
        )
        windows = choose_max_windows(served, validation, metric=METRIC)
    recipe = ServingRecipe(
        max_length=training.max_length,
        long_passages=mode,
        activation="sigmoid",
        # Nothing beat the retriever: serve its order rather than a reranker that hurts.
        fusion_weight=weight if beats else 0.0,
        fusion_evidence="score",
        retriever=retriever,
        validation={
            "queries": len(validation.queries),
            "metric": METRIC,
            "scores": scores,
            **({"windows": windows.record()} if windows else {}),
        },
        max_windows=windows.max_windows if windows else None,
        window_picker=window_picker if windows and windows.max_windows else None,
    )
    return recipe, scores, beats


def _clearly_best_mode(
    fused_runs: Mapping[LongPassages, tuple[float, Mapping[str, Mapping[str, float]]]],
    qrels: Mapping[str, Mapping[str, float]],
    *,
    preferred: LongPassages,
) -> LongPassages:
    """``preferred`` unless another mode's fused run beats it by more than two standard errors."""
    per_query = {
        mode: {q: m[METRIC] for q, m in per_query_metrics(run, qrels, [METRIC]).items()}
        for mode, (_, run) in fused_runs.items()
    }
    chosen = preferred if preferred in per_query else next(iter(per_query))
    for mode, values in per_query.items():
        differences = [values[q] - per_query[chosen][q] for q in values]
        if len(differences) < 2:
            continue
        mean = statistics.fmean(differences)
        if mean > 2 * standard_error(differences):
            chosen = mode
    return chosen


def append_to_card(
    model_dir: Path, recipe: ServingRecipe, scores: dict[str, float], beats: bool, n: int
) -> None:
    card = model_dir / "README.md"
    lines = [
        "",
        "## Serving recipe (chosen on validation queries)",
        "",
        f"Validation: {n} log queries held out from training, {METRIC} of the store's candidates.",
        "",
        "| system | " + METRIC + " |",
        "|---|---|",
        *(f"| {name} | {value:.4f} |" for name, value in scores.items()),
        "",
        f"Served with max_length={recipe.max_length}, long_passages={recipe.long_passages!r}, "
        f"fusion weight {recipe.fusion_weight} with the retriever's score "
        f"(`{RECIPE_FILE}`). `xrerank.Reranker(path)` and both adapters read "
        "it; plain loaders (CrossEncoder, LangChain's HuggingFaceCrossEncoder, LlamaIndex's "
        "SentenceTransformerRerank) score the first max-length tokens without fusion, which ranks "
        "differently.",
        "",
        "The fusion weight is the one closest to equal weights among those close to the best weight on "
        "these queries (within `fusion_standard_errors` standard errors): the best of 21 weights on a few "
        "dozen queries is mostly noise.",
    ]
    windows = (recipe.validation or {}).get("windows")
    if windows:
        chosen = windows["max_windows"]
        lines += [
            "",
            (
                f"Each long passage is scored by its {chosen} best window(s) by "
                f"{windows.get('picked_by', 'query words')}, not "
                f"every window (`max_windows`): {windows['by_count'][str(chosen)]:.4f} against "
                f"{windows['every_window']:.4f} with every window, {windows['windows_scored']:.0%} of the "
                "windows scored."
                if chosen
                else "Every window of a long passage is scored: scoring fewer lost more than "
                f"{windows['tolerance'] * 100:g} {METRIC} points on these queries."
            ),
        ]
    if not beats:
        lines += [
            "",
            "**Warning: no setting of this reranker beat the retriever on validation.** The recipe keeps the "
            "retriever's order (fusion weight 0): serving it changes nothing until it is retrained.",
        ]
    with open(card, "a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
