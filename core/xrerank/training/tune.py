"""``tune``: the whole recipe from the user's corpus, store and log to a reranker that helps.

1. The log is split by positives into training and validation queries (no clicked passage on
   both sides, so validation is not flattered by memorised passages).
2. A cold start on the corpus itself: every document's title (when titles are given) and its last
   sentence become pseudo-queries, with hard negatives from the store; a kind whose words argue
   against its labels is left out (:func:`~xrerank.mining.cold_start.lexical_agreement`).
3. The training log queries are mined deep in the store for hard negatives.
4. Training (:func:`~xrerank.training.finetune.finetune`): when the start model has a fresh head,
   first the retriever start (a sample of the log and pseudo-queries, ranked by the store, taught
   by the retriever's own scores: :mod:`xrerank.mining.retriever_start`), then the cold start,
   then the log on windows (each long passage cut to its best window under the cold-start model).
5. On the validation queries only: the serving mode (first tokens or best window) and the fusion
   weight with the retriever are chosen, and the result is compared with the retriever. When
   nothing beats the retriever, the saved recipe keeps the retriever's order (weight 0) and the
   result says so.
6. The recipe is written beside the weights (:mod:`xrerank.models.serving_recipe`), so
   ``Reranker(path)`` and both adapters serve the model the way it was validated.

Example (trains for minutes, so shown rather than run)::

    result = tune(corpus, store, "search-log.jsonl", titles=titles)
    Reranker(result.model_path).rank("my query", passages)  # served as its recipe says
"""

from __future__ import annotations

import functools
import json
import logging
import os
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from xrerank.evaluation.eval_set import EvalSet
from xrerank.examples import TrainingExample
from xrerank.mining.cold_start import lexical_agreement, pseudo_query_examples, sample_documents
from xrerank.mining.log_reader import read_log
from xrerank.mining.log_records import LogRecord, merge_records, split_by_positives
from xrerank.mining.miner import mine_hard_negatives
from xrerank.mining.mining_config import MiningConfig
from xrerank.mining.retriever_start import retriever_scored_examples
from xrerank.models.serving_recipe import ServingRecipe, write_recipe
from xrerank.training.config import TrainingConfig
from xrerank.training.finetune import INFO_FILE, finetune
from xrerank.training.serving_choice import append_to_card, choose_serving
from xrerank.training.start_model import gets_a_fresh_head
from xrerank.training.tune_config import TuneConfig, recipe_training_config

logger = logging.getLogger(__name__)


@dataclass
class TuneResult:
    """What :func:`tune` produced and the evidence behind it.

    Attributes:
        model_path: The saved model directory (a plain CrossEncoder plus its serving recipe and card).
        recipe: How the model is served (also in the directory).
        validation: ``{system: NDCG@10}`` on the validation queries: the retriever, the reranker alone
            in each serving mode and the chosen fused system.
        beats_retriever: Whether the served recipe ranks the validation queries better than the retriever.
        counts: Sizes of each stage (log records, training/validation queries, examples).
        validation_set: The validation queries with the store's candidates, for further checks
            (e.g. choosing other fusion weights on the same held-out queries).
        before: ``{metric: value}`` (NDCG@10, MRR@10) of the start model on the validation queries,
            before any training; None when not measured: a plain encoder starts from a fresh head,
            which ranks at random, so scoring it would only cost time.
    """

    model_path: Path
    recipe: ServingRecipe
    validation: dict[str, float]
    beats_retriever: bool
    counts: dict[str, int]
    validation_set: EvalSet
    before: dict[str, float] | None


class TuneDidNotHelp(RuntimeError):
    """``strict`` tuning found no reranker setting that beats the retriever on validation."""


def tune(
    corpus: Mapping[str, str],
    store: Any,
    log: str | os.PathLike[str] | Iterable[LogRecord | Mapping[str, Any]],
    config: TuneConfig | None = None,
    *,
    training: TrainingConfig | None = None,
    titles: Mapping[str, str] | None = None,
    callbacks: list[Any] | None = None,
) -> TuneResult:
    """Run the whole recipe: retriever start, cold start, mining, the log stage, serving choices.

    Args:
        corpus: ``{doc_id: text}`` of the documents the store holds, as the store holds them.
        store: The user's vector store as a :class:`~xrerank.mining.sources.CandidateSource`
            (``FaissSource``, ``langchain_xrerank.VectorStoreSource``,
            ``llamaindex_xrerank.RetrieverSource``).
        log: A retriever log file (JSONL/CSV, see docs/retriever-logs.md) or its records.
        config: The recipe's own choices (:class:`TuneConfig`); defaults are the measured recipe.
        training: The log stage (:func:`recipe_training_config` by default); its ``output_dir``
            is where the model is saved, its ``seed`` and ``show_progress`` hold for every stage.
        titles: ``{doc_id: title}`` when documents have titles: they become pseudo-queries
            (shown against the documents' text without the title).
        callbacks: ``transformers.TrainerCallback`` objects handed to the trainer of both stages
            (with ``training.report_to``, how a run is followed in TensorBoard, MLflow or W&B).

    Returns:
        A :class:`TuneResult`; the model directory holds the serving recipe and a model card
        with the validation evidence.

    Raises:
        ValueError: The log has too few queries with positives to hold some out, or no training
            example could be mined.
        TuneDidNotHelp: With ``config.strict``, when nothing beat the retriever on validation
            (the model is saved first, with a recipe that keeps the retriever's order).
    """
    config = config or TuneConfig()
    training = training or recipe_training_config()
    records = _read_records(log)
    training_records, validation_records = _split(records, config, training.seed)
    logger.info(
        "tune [1/5] log: %d queries, %d to train on, %d held out for validation",
        len(records),
        len(training_records),
        len(validation_records),
    )
    kinds = _cold_start_kinds(config.cold_start, titles)
    cold, kept = _cold_start_examples(corpus, store, titles, kinds, config, training)
    logger.info("tune [2/5] cold start: %d pseudo-queries from the corpus: %s", len(cold), kept)
    examples, report = mine_hard_negatives(
        training_records,
        store,
        MiningConfig(num_negatives=training.num_negatives, range_max=config.mining_depth),
        show_progress=training.show_progress,
    )
    examples = list(examples)
    logger.info("tune [3/5] mining, %d deep: %s", config.mining_depth, report.summary().replace("\n", "; "))
    if not examples:
        raise ValueError(
            f"tune mined no training example from {len(training_records)} log queries; check that the "
            "log's positive ids are ids of the store's documents."
        )
    fresh_head = gets_a_fresh_head(training)
    start = _retriever_start_examples(training_records, cold, store, config, training) if fresh_head else []
    if start:
        logger.info("tune: retriever start on %d queries ranked by the store", len(start))
    if not cold and not start and training.long_passages == "max_window" and fresh_head:
        # Windows are picked by the start model; without a cold start that is a fresh head.
        logger.info("tune: no cold-start stage, so the log stage trains on truncated passages.")
        training = replace(training, long_passages="truncate")
    validation = _validation_set(validation_records, store, config.candidates)
    chosen: dict[str, Any] = {}

    def save_serving_recipe(model: Any, staging: Path) -> None:
        logger.info("tune [5/5] serving choices on %d validation queries", len(validation.queries))
        recipe, scores, beats = choose_serving(
            model,
            validation,
            training,
            config.serving_modes,
            type(store).__name__,
            fusion_standard_errors=config.fusion_standard_errors,
            window_shortlist=config.window_shortlist,
            window_picker=config.window_picker,
        )
        write_recipe(staging, recipe)
        append_to_card(staging, recipe, scores, beats, len(validation.queries))
        chosen.update(recipe=recipe, scores=scores, beats=beats)

    logger.info(
        "tune [4/5] training: %scold start, then the log (%s)",
        "retriever start, " if start else "",
        training.long_passages,
    )
    if fresh_head:
        logger.info("tune: the start model gets a fresh head, so its 'before' score is not measured.")
    model_path = finetune(
        examples,
        training,
        eval_set=validation,
        cold_start=cold or None,
        cold_start_config=replace(
            training, num_negatives=config.cold_start_negatives, epochs=config.cold_start_epochs
        ),
        before_save=save_serving_recipe,
        callbacks=callbacks,
        measure_before=not fresh_head,
        retriever_start=start or None,
        retriever_start_epochs=config.retriever_start_epochs,
    )
    info = json.loads((Path(model_path) / INFO_FILE).read_text(encoding="utf-8"))
    result = TuneResult(
        Path(model_path),
        chosen["recipe"],
        chosen["scores"],
        chosen["beats"],
        {
            "log_records": len(records),
            "training_queries": len(training_records),
            "validation_queries": len(validation.queries),
            "cold_start_examples": len(cold),
            "retriever_start_examples": len(start),
            "log_examples": len(examples),
        },
        validation,
        (info["metrics_before"] or {}).get("reranker"),
    )
    if not result.beats_retriever:
        message = (
            f"on {len(validation.queries)} validation queries no reranker setting beat the retriever "
            f"(NDCG@10 {result.validation['retriever']:.4f}); {model_path} is saved with a recipe that "
            "keeps the retriever's order (fusion weight 0). More log queries, a longer cold start or more "
            "epochs may change that."
        )
        if config.strict:
            raise TuneDidNotHelp(message)
        logger.warning("tune: %s", message)
    return result


def _read_records(log: Any) -> list[LogRecord]:
    if not isinstance(log, (str, os.PathLike)):
        log = list(log)
        if all(isinstance(record, LogRecord) for record in log):
            return merge_records(log)
    return merge_records(read_log(log))


def _split(
    records: list[LogRecord], config: TuneConfig, seed: int
) -> tuple[list[LogRecord], list[LogRecord]]:
    with_positives = [r for r in records if r.positive_ids]
    if len(with_positives) < 4:
        raise ValueError(
            f"tune got a log with {len(with_positives)} queries that have positive ids; expected at "
            "least 4 (some to train on, some to validate on). Add clicked or judged results to the log."
        )
    training, validation = split_by_positives(with_positives, config.validation_share, seed=seed)
    if not validation or not training:
        raise ValueError(
            f"tune could not hold out validation queries from {len(with_positives)} log queries with "
            f"validation_share={config.validation_share}; raise the share or add queries."
        )
    return training, validation


def _cold_start_kinds(mode: str, titles: Mapping[str, str] | None) -> list[str]:
    """Which pseudo-queries the cold start makes: ``"titles"``, ``"sentences"``, both or none."""
    if mode in ("titles", "both") and not titles:
        raise ValueError(f"tune got cold_start={mode!r} but no titles; pass titles={{doc_id: title}}.")
    if mode == "auto":
        mode = "both" if titles else "sentences"
    return {"none": [], "titles": ["titles"], "sentences": ["sentences"], "both": ["titles", "sentences"]}[
        mode
    ]


def _cold_start_examples(
    corpus: Mapping[str, str],
    store: Any,
    titles: Mapping[str, str] | None,
    kinds: list[str],
    config: TuneConfig,
    training: TrainingConfig,
) -> tuple[list[TrainingExample], str]:
    """The cold start's examples, and a line saying which kinds of pseudo-query it keeps and why."""
    if not kinds:
        return [], "none"
    sample = sample_documents(corpus, config.cold_start_documents, seed=training.seed)
    mine = functools.partial(
        pseudo_query_examples,
        num_negatives=config.cold_start_negatives,
        seed=training.seed,
        show_progress=training.show_progress,
    )
    made: dict[str, list[TrainingExample]] = {}
    if "sentences" in kinds:
        made["sentences"] = mine(sample, store)
    if "titles" in kinds and titles:
        bodies = {doc_id: _without_title(text, titles.get(doc_id, "")) for doc_id, text in corpus.items()}
        made["titles"] = mine(sample, store, queries=titles, texts=bodies)
    # Labels the words argue against teach the reverse of relevance (lexical_agreement's docstring).
    chance = 1 / (1 + config.cold_start_negatives)
    examples: list[TrainingExample] = []
    notes = []
    for kind, kind_examples in made.items():
        agreement = lexical_agreement(kind_examples, corpus.values())
        if kind_examples and agreement < chance and config.cold_start == "auto":
            notes.append(
                f"{kind} left out (their words agree with their labels {agreement:.2f}, chance {chance:.2f})"
            )
            continue
        if kind_examples and agreement < chance:
            logger.warning(
                "tune: the %s pseudo-queries' words agree with their labels %.2f of the time, under chance "
                "(%.2f); kept because cold_start=%r asks for them. cold_start='auto' would leave them out.",
                kind,
                agreement,
                chance,
                config.cold_start,
            )
        notes.append(f"{kind} (agreement {agreement:.2f})")
        examples += kind_examples
    # Back in sample order, so one epoch does not see every title pseudo-query last.
    position = {doc_id: i for i, doc_id in enumerate(sample)}
    return sorted(examples, key=lambda example: position[example.positive_ids[0]]), "; ".join(notes)


def _retriever_start_examples(
    training_records: list[LogRecord],
    cold: list[TrainingExample],
    store: Any,
    config: TuneConfig,
    training: TrainingConfig,
) -> list[TrainingExample]:
    """The retriever start's examples: a seeded sample of the training log queries and pseudo-queries."""
    if len(cold) >= config.retriever_start_queries:  # 0 skips it; a large cold start teaches the head
        return []
    queries = list(dict.fromkeys([r.query for r in training_records] + [e.query for e in cold]))
    random.Random(training.seed).shuffle(queries)
    return retriever_scored_examples(
        queries[: config.retriever_start_queries],
        store,
        pair_depth=config.retriever_start_depth,
        seed=training.seed,
    )


def _without_title(text: str, title: str) -> str:
    # A title left in the positive alone would be a give-away the model learns instead of relevance.
    title = title.strip()
    return text[len(title) :].lstrip() if title and text.startswith(title) else text


def held_out_validation(
    store: Any,
    log: str | os.PathLike[str] | Iterable[LogRecord | Mapping[str, Any]],
    config: TuneConfig | None = None,
    *,
    seed: int,
) -> EvalSet:
    """The validation queries :func:`tune` holds out of ``log`` with ``seed``, with the store's candidates.

    What a tuned model's serving choices were made on, rebuilt without training (e.g. to study
    how a choice generalises, as ``benchmarks/fusion_rule.py`` does).
    """
    config = config or TuneConfig()
    _, validation_records = _split(_read_records(log), config, seed)
    return _validation_set(validation_records, store, config.candidates)


def _validation_set(records: list[LogRecord], store: Any, candidates: int) -> EvalSet:
    queries = {f"val-{i}": r.query for i, r in enumerate(records)}
    hits = store.search_batch(list(queries.values()), candidates)
    documents: dict[str, str] = {}
    run: dict[str, dict[str, float]] = {}
    for qid, row in zip(queries, hits, strict=True):
        run[qid] = {c.id: float(c.score) for c in row}
        documents.update({c.id: c.text for c in row})
    qrels = {qid: {doc: 1.0 for doc in r.positive_ids} for qid, r in zip(queries, records, strict=True)}
    return EvalSet(queries, documents, run, qrels)
