"""What :func:`xrerank.training.tune.tune` decides: its settings, and the log stage's defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from xrerank.models.serving_recipe import LONG_PASSAGE_MODES, LongPassages
from xrerank.training.config import TrainingConfig
from xrerank.validation import check_int, check_number

ColdStart = Literal["auto", "titles", "sentences", "both", "none"]


def recipe_training_config(**overrides: Any) -> TrainingConfig:
    """The log stage of :func:`~xrerank.training.tune.tune`: TrainingConfig's measured defaults, on windows.

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
    """Everything :func:`~xrerank.training.tune.tune` decides, each stage overridable.

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
        for epochs in ("cold_start_epochs", "retriever_start_epochs"):
            check_number(
                getattr(self, epochs), caller="TuneConfig", name=epochs, minimum=0, exclusive_minimum=True
            )
        check_int(
            self.retriever_start_queries, caller="TuneConfig", name="retriever_start_queries", minimum=0
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
