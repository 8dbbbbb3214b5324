"""The one call most users need: fine-tune, measure before/after, save with a model card.

Example:
    >>> from xrerank import finetune
    >>> from xrerank.training.config import TrainingConfig
    >>> config = TrainingConfig(output_dir="my-reranker")

    Training takes minutes, so the call is shown rather than run::

        path = finetune(examples, config, eval_set=held_out)
        Reranker(path).rank("my query", passages)
"""

from __future__ import annotations

import json
import logging
import platform
import shutil
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

from xrerank.evaluation.eval_set import EvalSet
from xrerank.evaluation.fusion import choose_fusion_weight, fuse_runs
from xrerank.examples import TrainingExample
from xrerank.models.serving_recipe import recipe_path
from xrerank.training.config import MINILM_ALIAS, TrainingConfig
from xrerank.training.seq2seq_training import is_seq2seq_checkpoint, train_seq2seq
from xrerank.training.start_model import gets_a_fresh_head, load_start_model
from xrerank.training.trainer import TrainResult, train
from xrerank.training.window_cut import require_a_ranking_start

if TYPE_CHECKING:
    from sentence_transformers import CrossEncoder

logger = logging.getLogger(__name__)

CARD_FILE = "README.md"
INFO_FILE = "xrerank_training.json"
METRICS = ("ndcg@10", "mrr@10")
# The card's text, with $placeholders; shipped as package data beside this module.
CARD_TEMPLATE = "model_card_template.md"
# The hub id of the weights behind the "minilm" alias, for the card's ``base_model``.
MINILM_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"


def _measure(model: CrossEncoder, eval_set: EvalSet, config: TrainingConfig) -> dict[str, Any]:
    from xrerank.scoring.reranker import Reranker

    was_training = model.training
    reranker = Reranker(
        model,
        max_length=config.max_length,
        cache_size=0,
        activation=None,
        long_passages=config.long_passages,
    )
    metrics, run = eval_set.evaluate(reranker, metrics=METRICS)
    result: dict[str, Any] = {"reranker": metrics}
    if eval_set.has_retriever_scores:
        from xrerank.evaluation.metrics import evaluate_run

        result["retriever"] = evaluate_run(eval_set.candidates, eval_set.qrels, METRICS)
        weight, _ = choose_fusion_weight(run, eval_set.candidates, eval_set.qrels)
        result["fusion_weight"] = weight
        result["fused"] = evaluate_run(fuse_runs(run, eval_set.candidates, weight), eval_set.qrels, METRICS)
    if was_training:
        model.train()
    return result


def finetune(
    examples: Sequence[TrainingExample],
    config: TrainingConfig | None = None,
    *,
    eval_set: EvalSet | Sequence[TrainingExample] | None = None,
    cold_start: Sequence[TrainingExample] | None = None,
    cold_start_epochs: float = 1.0,
    cold_start_config: TrainingConfig | None = None,
    before_save: Callable[[CrossEncoder, Path], None] | None = None,
    callbacks: list[Any] | None = None,
    measure_before: bool = True,
    retriever_start: Sequence[TrainingExample] | None = None,
    retriever_start_epochs: float = 1.0,
    retriever_start_config: TrainingConfig | None = None,
) -> Path:
    """Fine-tune a reranker, measure it before and after, save it with a model card.

    The start model is loaded once: measured, trained on ``retriever_start`` and ``cold_start``
    (if given), then on ``examples``.

    Args:
        examples: Training queries with positives and mined negatives (logs).
        config: Loss and settings (:class:`~xrerank.training.config.TrainingConfig`).
        eval_set: Held-out queries (an :class:`~xrerank.evaluation.eval_set.EvalSet` with the retriever's
            candidates, or held-out examples) scored before and after training. With
            retriever scores, the card also records the best weight for fusing reranker and
            retriever scores (chosen on this set, which must not be your test set).
        cold_start: Self-supervised examples from the corpus
            (:func:`xrerank.mining.cold_start.pseudo_query_examples`), trained on first.
        cold_start_epochs: Epochs of the cold-start stage (when ``cold_start_config`` is not given).
        cold_start_config: Settings of the cold-start stage (e.g. fewer negatives per pseudo-query
            than the log stage uses); by default ``config`` with ``cold_start_epochs``. Its output
            directory, resume and long-passage settings are the stage's own.
        before_save: Called with the trained model and the staging directory before the card is
            written and the directory is renamed into place, to add files that must be saved
            atomically with the model (e.g. its serving recipe, which the card then shows).
        callbacks: ``transformers.TrainerCallback`` objects handed to the trainer of every stage
            (with ``config.report_to``, how a run is followed in TensorBoard, MLflow or W&B).
        measure_before: Score the start model on ``eval_set`` before training. False skips it
            (the card says "not measured"): a fresh head ranks at random, so scoring it only costs time.
        retriever_start: Examples scored by the user's retriever
            (:func:`xrerank.mining.retriever_start.retriever_scored_examples`), trained on before
            everything else, so a fresh head learns to rank like the retriever first.
        retriever_start_epochs: Epochs of the retriever start (when ``retriever_start_config`` is not
            given), so that more log epochs do not also lengthen it.
        retriever_start_config: Settings of that stage (margin-MSE on the retriever's margins); by
            default ``config`` with ``loss="margin_mse"``, as many negatives as the examples hold and
            ``retriever_start_epochs``.

    Returns:
        The model directory: a plain sentence-transformers CrossEncoder with ``README.md``
        (the card) and ``xrerank_training.json`` (the same facts, machine-readable).

    Example:
        Training takes minutes, so the call is shown rather than run::

            path = finetune(examples, TrainingConfig(loss="bce", output_dir="out"))
    """
    config = config or TrainingConfig()
    if is_seq2seq_checkpoint(config.base_model):
        return _finetune_seq2seq(
            examples, config, eval_set, cold_start or retriever_start, before_save, callbacks
        )
    if isinstance(eval_set, Sequence):
        eval_set = EvalSet.from_examples(eval_set) if eval_set else None
    if not cold_start and not retriever_start:
        # Refuse windows from a fresh head before any model is loaded or measured.
        require_a_ranking_start(config, gets_a_fresh_head(config))
    model, fresh_head = load_start_model(config)
    before = _measure(model, eval_set, config) if eval_set is not None and measure_before else None
    stages: dict[str, TrainResult] = {}
    if retriever_start:
        width = min(len(example.negatives) for example in retriever_start)
        stage_config = retriever_start_config or replace(
            config, loss="margin_mse", num_negatives=width, epochs=retriever_start_epochs
        )
        stages["retriever_start"] = _train_stage(
            "retriever-start", retriever_start, stage_config, config, model, fresh_head, callbacks
        )
        fresh_head = False
    if cold_start:
        stage_config = cold_start_config or replace(config, epochs=cold_start_epochs, max_steps=None)
        stages["cold_start"] = _train_stage(
            "cold-start", cold_start, stage_config, config, model, fresh_head, callbacks
        )
        fresh_head = False

    def write_card(model: CrossEncoder, staging: Path) -> None:
        after = _measure(model, eval_set, config) if eval_set is not None else None
        info = _training_info(examples, config, stages, cold_start, retriever_start, before, after)
        (staging / INFO_FILE).write_text(json.dumps(info, indent=2), encoding="utf-8")
        if before_save is not None:
            before_save(model, staging)
        # Last, so that the card shows the serving recipe ``before_save`` may have written; sections
        # it added to the card (tune's serving evidence) follow the generated card.
        recipe = recipe_path(staging)
        info["recipe"] = json.loads(recipe.read_text(encoding="utf-8")) if recipe.is_file() else None
        card = staging / CARD_FILE
        added = card.read_text(encoding="utf-8") if card.is_file() else ""
        card.write_text(model_card(info) + added, encoding="utf-8")

    result = train(
        examples,
        config,
        model=model,
        fresh_head=fresh_head,
        before_save=write_card,
        callbacks=callbacks,
        progress_label="training: log stage" if stages else "training",
    )
    for stage in stages.values():
        shutil.rmtree(stage.model_path, ignore_errors=True)
    logger.info(
        "Fine-tuned reranker saved to %s (%d steps, %.0fs).", result.model_path, result.steps, result.seconds
    )
    return result.model_path


def _train_stage(
    name: str,
    examples: Sequence[TrainingExample],
    stage_config: TrainingConfig,
    config: TrainingConfig,
    model: CrossEncoder,
    fresh_head: bool,
    callbacks: list[Any] | None,
) -> TrainResult:
    """Train ``model`` in place on a stage before the log; the log stage goes on from it."""
    return train(
        list(examples),
        replace(
            stage_config,
            base_model=config.base_model,
            output_dir=f"{config.output_dir.rstrip('/')}.{name}",
            overwrite=True,
            resume=False,
            # Windows are picked by a model that already ranks: the one these stages train.
            long_passages="truncate",
        ),
        model=model,
        fresh_head=fresh_head,
        callbacks=callbacks,
        progress_label=f"training: {name} stage",
    )


def _finetune_seq2seq(
    examples: Sequence[TrainingExample],
    config: TrainingConfig,
    eval_set: object,
    cold_start: object,
    before_save: Callable[[Any, Path], None] | None,
    callbacks: list[Any] | None,
) -> Path:
    """A monoT5-style start model: trained on its answer words (:mod:`~xrerank.training.seq2seq_training`)."""
    if eval_set is not None or cold_start:
        raise ValueError(
            f"finetune got a seq2seq start model ({config.base_model!r}) with eval_set=, cold_start= or "
            "retriever_start=; "
            "for seq2seq models it trains on the examples only. Leave them out and evaluate the saved "
            "model with EvalSet.evaluate(Seq2SeqReranker(path))."
        )
    return train_seq2seq(examples, config, callbacks=callbacks, before_save=before_save).model_path


def _training_info(
    examples: Sequence[TrainingExample],
    config: TrainingConfig,
    stages: dict[str, TrainResult],
    cold_start: Sequence[TrainingExample] | None,
    retriever_start: Sequence[TrainingExample] | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> dict[str, Any]:
    import sentence_transformers

    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "data": {
            "queries": len(examples),
            "positives": sum(len(e.positives) for e in examples),
            "negatives": sum(len(e.negatives) for e in examples),
            "cold_start_examples": len(cold_start or ()),
            "retriever_start_examples": len(retriever_start or ()),
        },
        "config": config.to_dict(),
        **{f"{name}_stage": _stage_info(stages.get(name)) for name in ("retriever_start", "cold_start")},
        "metrics_before": before,
        "metrics_after": after,
        "versions": {
            "sentence_transformers": sentence_transformers.__version__,
            "python": platform.python_version(),
        },
    }


def _stage_info(stage: TrainResult | None) -> dict[str, Any] | None:
    if stage is None:
        return None
    return {"steps": stage.steps, "seconds": stage.seconds, "rows": stage.train_rows}


def _metrics_rows(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    if not after:
        return ["No held-out evaluation was run (pass `eval_set` to `finetune`)."]
    rows = ["| system | " + " | ".join(METRICS) + " |", "|---|" + "---|" * len(METRICS)]

    def add(name: str, values: dict[str, float] | None) -> None:
        if values:
            rows.append(f"| {name} | " + " | ".join(f"{values[m]:.4f}" for m in METRICS) + " |")

    add("retriever alone", after.get("retriever"))
    if before is None:
        rows.append("| reranker before fine-tuning | " + " | ".join(["not measured"] * len(METRICS)) + " |")
    add("reranker before fine-tuning", (before or {}).get("reranker"))
    add("reranker after fine-tuning", after.get("reranker"))
    if "fused" in after:
        add(f"after, fused with retriever (w={after['fusion_weight']:.2f})", after["fused"])
    return rows


def _serving_note(config: dict[str, Any]) -> str:
    if config.get("long_passages") != "max_window":
        return ""
    return (
        "Trained on the best window of each long passage: serve it the same way, with "
        f'`Reranker(path, max_length={config.get("max_length")}, long_passages="max_window")`.\n\n'
    )


def _fusion_note(after: dict[str, Any]) -> str:
    if "fusion_weight" not in after:
        return ""
    weight = after["fusion_weight"]
    return (
        "\n## Using it\n\nOn the held-out queries the best ranking combined the two scores per query as "
        f"`{weight:.2f} * z(reranker) + {1 - weight:.2f} * z(retriever)` "
        "(z = standardised within the query's candidates); see `xrerank.evaluation.fuse_runs`.\n"
    )


def _card_base_model(base_model: str | None) -> str:
    """A hub id (or the path trained from) for the card's ``base_model``, never the "minilm" alias."""
    if base_model is None or base_model == MINILM_ALIAS:
        return MINILM_HUB_ID
    return base_model


def _recipe_rows(recipe: dict[str, Any] | None) -> str:
    if not recipe:
        return "None saved: `Reranker` serves the model with its defaults."
    rows = ["How `xrerank.Reranker` serves this model (`xrerank_serving.json`):", ""]
    rows += [f"- `{key}`: `{json.dumps(value)}`" for key, value in recipe.items() if value is not None]
    return "\n".join(rows)


def model_card(info: dict[str, Any]) -> str:
    """The Markdown model card written next to the weights (text: ``model_card_template.md``).

    Example:
        >>> card = model_card({"config": {"base_model": "minilm"}, "recipe": {"max_length": 96}})
        >>> "base_model: sentence-transformers/all-MiniLM-L6-v2" in card, "pipeline_tag: text-ranking" in card
        (True, True)
        >>> "- `max_length`: `96`" in card
        True
    """
    config = info.get("config", {})
    data = info.get("data", {})
    template = resources.files("xrerank.training").joinpath(CARD_TEMPLATE).read_text(encoding="utf-8")
    return Template(template).substitute(
        queries=data.get("queries", 0),
        positives=data.get("positives", 0),
        negatives=data.get("negatives", 0),
        cold_start_examples=data.get("cold_start_examples", 0),
        retriever_start_examples=data.get("retriever_start_examples", 0),
        loss=config.get("loss"),
        base_model=_card_base_model(config.get("base_model")),
        recipe=_recipe_rows(info.get("recipe")),
        serving_note=_serving_note(config),
        settings="\n".join(f"- `{k}`: `{v}`" for k, v in config.items() if k != "show_progress"),
        metrics="\n".join(_metrics_rows(info.get("metrics_before"), info.get("metrics_after"))),
        fusion=_fusion_note(info.get("metrics_after") or {}),
        created=info.get("created", ""),
    )
