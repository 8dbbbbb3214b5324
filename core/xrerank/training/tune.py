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
from typing import Any, Literal

from xrerank.evaluation.eval_set import EvalSet
from xrerank.examples import TrainingExample
from xrerank.mining.cold_start import lexical_agreement, pseudo_query_examples, sample_documents
from xrerank.mining.log_reader import read_log
from xrerank.mining.log_records import LogRecord, merge_records, split_by_positives
from xrerank.mining.miner import mine_hard_negatives
from xrerank.mining.mining_config import MiningConfig
from xrerank.mining.retriever_start import retriever_scored_examples
from xrerank.models.serving_recipe import (
    LONG_PASSAGE_MODES,
    LongPassages,
    ServingRecipe,
    write_recipe,
)
from xrerank.training.config import TrainingConfig
from xrerank.training.finetune import INFO_FILE, finetune
from xrerank.training.serving_choice import append_to_card, choose_serving
from xrerank.training.start_model import gets_a_fresh_head
from xrerank.validation import check_int, check_number

logger = logging.getLogger(__name__)

ColdStart = Literal["auto", "titles", "sentences", "both", "none"]


def recipe_training_config(**overrides: Any) -> TrainingConfig:
    """The log stage of :func:`tune`: :class:`TrainingConfig`'s measured defaults, trained on windows.

    Windows are picked by the cold-start model, so the log stage reads what a
    ``long_passages="max_window"`` reranker reads at serving time.

    Example:
        >>> recipe_training_config(output_dir="my-reranker").long_passages
        'max_window'
    """
    settings: dict[str, Any] = {"long_passages": "max_window", "output_dir": "xrerank-tuned"}
    return TrainingConfig(**{**settings, **overrides})


@dataclass
class TuneConfig:
    """Everything :func:`tune` decides, each stage overridable.

    The log stage's settings (and the template of the cold-start stage's) are a
    :class:`TrainingConfig` passed beside this one; its ``output_dir``, ``seed`` and
    ``show_progress`` hold for every stage.

    Attributes:
        cold_start: Pseudo-queries from the corpus: ``"auto"`` uses titles and last sentences when
            titles are given and last sentences otherwise, and leaves out a kind whose words argue
            against its labels (:func:`~xrerank.mining.cold_start.lexical_agreement` under chance);
            ``"titles"``, ``"sentences"``, ``"both"``,
            or ``"none"`` (no cold start: the log stage then trains truncated, since windows need a
            start model that already ranks).
        cold_start_documents: Documents sampled for the cold start; 0 uses every document.
        cold_start_negatives: Hard negatives per pseudo-query (fewer buy more pseudo-queries per CPU minute).
        cold_start_epochs: Passes over the pseudo-queries.
        retriever_start_queries: Up to this many queries (training log queries and pseudo-queries,
            sampled) on which a start model with a fresh head first learns to rank like the retriever
            (margin-MSE on the store's scores, one negative each), when the cold start has fewer
            pseudo-queries than this; 0 skips that stage. A small cold start leaves a fresh head
            ranking at random (the demo: 608 pseudo-queries), a large one teaches it (SciFact:
            10,366, where the retriever start lowered validation); see docs/tune.md. A start model
            that already ranks never takes it.
        retriever_start_epochs: Passes over the retriever start's queries (the log stage's
            ``epochs`` do not change it).
        retriever_start_depth: Unset, each retriever-start query is taught by the store's first
            candidate against its fourth; N, by a pair of ranks drawn at random within the store's
            top N (the same cost per query).
        mining_depth: How deep the miner looks into the store's ranking for hard negatives.
        validation_share: Share of the log held out to choose the serving mode and fusion weight.
        candidates: Store candidates reranked per validation query (the first stage's depth in production).
        fusion_standard_errors: How far under the best fusion weight's validation NDCG@10 (in standard
            errors of the per-query differences) a weight closer to equal weights may score and still be
            chosen; 0 keeps the best weight on the validation queries.
        serving_mode: How long passages are served: ``"choose"`` tries ``"truncate"`` and
            ``"max_window"`` on the validation queries and keeps the mode the model was trained in
            unless the other is clearly better there; or one of the two.
        window_shortlist: Served by windows, score only the fewest windows of a long passage (1, 2
            or 3, those sharing the query's rarer words) that rank the validation queries within half
            an NDCG@10 point of every window at the upper bound; False (the default: the query words
            lost 2 points on SciFact, and the picker that keeps quality needs an index) scores every one.
        window_picker: With ``window_shortlist``, the bi-encoder (name or path, e.g. the store's) whose
            sentence vectors pick those windows, not the query words (``xrerank.scoring.window_vectors``);
            the recipe names it. Index your passages with ``Reranker(path).window_picker.index(...)``.
        strict: Raise :class:`TuneDidNotHelp` instead of warning when nothing beats the retriever on
            the validation queries (the model and its retriever-order recipe are saved first).
    """

    cold_start: ColdStart = "auto"
    cold_start_documents: int = 0
    cold_start_negatives: int = 2
    cold_start_epochs: float = 1.0
    retriever_start_queries: int = 1000
    retriever_start_epochs: float = 1.0
    retriever_start_depth: int | None = None
    mining_depth: int = 200
    validation_share: float = 0.1
    candidates: int = 20
    fusion_standard_errors: float = 2.0
    serving_mode: Literal["choose", "truncate", "max_window"] = "choose"
    window_shortlist: bool = False
    window_picker: str | None = None
    strict: bool = False

    def __post_init__(self) -> None:
        if self.cold_start not in ("auto", "titles", "sentences", "both", "none"):
            raise ValueError(
                f"TuneConfig got cold_start={self.cold_start!r}; "
                "expected auto, titles, sentences, both or none."
            )
        if self.window_picker is not None and not self.window_shortlist:
            picker = f"TuneConfig got window_picker={self.window_picker!r} without window_shortlist"
            raise ValueError(f"{picker}; it picks the shortlist's windows: set window_shortlist=True.")
        check_int(self.cold_start_documents, caller="TuneConfig", name="cold_start_documents", minimum=0)
        check_int(self.cold_start_negatives, caller="TuneConfig", name="cold_start_negatives")
        check_number(
            self.cold_start_epochs,
            caller="TuneConfig",
            name="cold_start_epochs",
            minimum=0,
            exclusive_minimum=True,
        )
        check_int(
            self.retriever_start_queries, caller="TuneConfig", name="retriever_start_queries", minimum=0
        )
        check_number(
            self.retriever_start_epochs,
            caller="TuneConfig",
            name="retriever_start_epochs",
            minimum=0,
            exclusive_minimum=True,
        )
        check_int(
            self.retriever_start_depth,
            caller="TuneConfig",
            name="retriever_start_depth",
            minimum=2,
            optional=True,
        )
        check_int(self.mining_depth, caller="TuneConfig", name="mining_depth")
        check_number(
            self.validation_share,
            caller="TuneConfig",
            name="validation_share",
            minimum=0,
            maximum=1,
            exclusive_minimum=True,
        )
        check_int(self.candidates, caller="TuneConfig", name="candidates", minimum=2)
        check_number(
            self.fusion_standard_errors, caller="TuneConfig", name="fusion_standard_errors", minimum=0
        )
        if self.serving_mode not in ("choose", "truncate", "max_window"):
            raise ValueError(
                f"TuneConfig got serving_mode={self.serving_mode!r}; expected 'choose', 'truncate' or "
                "'max_window'."
            )

    @property
    def serving_modes(self) -> tuple[LongPassages, ...]:
        """The long-passage modes tried on the validation queries."""
        return LONG_PASSAGE_MODES if self.serving_mode == "choose" else (self.serving_mode,)


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
