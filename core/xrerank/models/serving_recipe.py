"""The serving recipe: how a saved reranker must be served, in a small file beside its weights.

A model trained on 96-token windows and validated fused with its retriever ranks worse
when loaded the ordinary way (first 512 tokens, reranker alone). The recipe records what
was validated — max length, long-passage mode, activation, and the fusion weight with the
retriever evidence it applies to — so that :class:`xrerank.Reranker` and both adapters
serve the model that way by default. The directory stays a plain sentence-transformers
CrossEncoder; plain loaders simply ignore the file.

Example:
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> recipe = ServingRecipe(max_length=96, long_passages="max_window", fusion_weight=0.7)
    >>> path = write_recipe(folder, recipe)
    >>> read_recipe(folder).fusion_weight
    0.7
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

from xrerank.validation import check_int, check_number

RECIPE_FILE = "xrerank_serving.json"
RECIPE_VERSION = 1

# What the fusion weight is applied to: the retriever's own score of each candidate
# ("score", e.g. NodeWithScore.score or a metadata key), or its position in the incoming
# order ("rank", for documents that arrive ranked without scores).
FusionEvidence = Literal["score", "rank"]
# How a scorer treats a passage longer than its max length (Reranker's, TrainingConfig's and the
# recipe's long_passages): its first tokens, or its best sentence window.
LongPassages = Literal["truncate", "max_window"]
LONG_PASSAGE_MODES: tuple[LongPassages, ...] = ("truncate", "max_window")


@dataclass(frozen=True)
class ServingRecipe:
    """How a saved reranker was validated, and so how it should be served.

    Attributes:
        max_length: Token limit per (query, passage) pair the model was trained and validated at;
            None uses the model's own limit.
        long_passages: ``"truncate"`` (first ``max_length`` tokens) or ``"max_window"`` (best
            sentence window of a long passage).
        activation: ``"sigmoid"`` (scores in [0, 1]) or None (raw logits).
        fusion_weight: Weight of the reranker in ``w * z(reranker) + (1 - w) * z(retriever)`` per
            query; None serves the reranker alone (no retriever evidence was validated), 1.0 is the
            reranker alone by choice and 0.0 keeps the retriever's order.
        fusion_evidence: What the retriever side of the fusion is: its ``"score"`` of each candidate
            or its ``"rank"`` (the incoming order).
        retriever: A short description of the retriever the weight was chosen against.
        validation: What the choices rest on (queries, metrics), as the recipe's writer recorded it.
        backend: How the model runs fastest here while keeping its ranking, as measured by
            :func:`xrerank.models.backend_choice.choose_backend` (``xrerank export --backend auto``):
            ``backend``, ``file_name``, ``quantize``, ``precision`` (``"fp32"`` or ``"bf16"``
            compute), ``threads`` and ``batch_size``, plus the measurements. None: not measured.
        max_windows: With ``long_passages="max_window"``, score at most this many windows of a long
            passage, those that share the query's rarer words
            (:mod:`xrerank.scoring.window_shortlist`); None scores every window.
        window_picker: With ``max_windows``, the bi-encoder (name or path) whose sentence vectors
            pick the windows instead of the query words
            (:class:`xrerank.scoring.window_vectors.SentenceVectorPicker`); None: the query words.
        cascade: A cheap first stage to serve in front of this model
            (:class:`xrerank.scoring.cascade.CascadeReranker`): ``cheap`` (a reranker spec; a
            relative path is relative to the model directory) and ``shortlist`` (candidates the
            full model rescores). None: no cascade.
    """

    max_length: int | None = None
    long_passages: LongPassages = "truncate"
    activation: str | None = "sigmoid"
    fusion_weight: float | None = None
    fusion_evidence: FusionEvidence = "score"
    retriever: str | None = None
    validation: dict[str, Any] | None = None
    backend: dict[str, Any] | None = None
    cascade: dict[str, Any] | None = None
    max_windows: int | None = None
    window_picker: str | None = None

    def __post_init__(self) -> None:
        check_int(self.max_length, caller="ServingRecipe", name="max_length", minimum=8, optional=True)
        if self.long_passages not in LONG_PASSAGE_MODES:
            raise ValueError(
                f"ServingRecipe got long_passages={self.long_passages!r}; "
                "expected 'truncate' or 'max_window'."
            )
        if self.activation not in ("sigmoid", None):
            raise ValueError(f"ServingRecipe got activation={self.activation!r}; expected 'sigmoid' or None.")
        check_number(
            self.fusion_weight,
            caller="ServingRecipe",
            name="fusion_weight",
            minimum=0,
            maximum=1,
            optional=True,
        )
        check_int(self.max_windows, caller="ServingRecipe", name="max_windows", minimum=1, optional=True)
        picker = self.window_picker
        if picker is not None and not (isinstance(picker, str) and picker):
            raise ValueError(
                f"ServingRecipe got window_picker={self.window_picker!r}; expected the name or path of "
                "a sentence-transformers bi-encoder, or None (pick windows by query words)."
            )
        if self.fusion_evidence not in ("score", "rank"):
            raise ValueError(
                f"ServingRecipe got fusion_evidence={self.fusion_evidence!r}; expected 'score' or 'rank'."
            )
        if self.backend is not None:
            _check_backend_record(self.backend)
        if self.cascade is not None:
            _check_cascade_record(self.cascade)

    @property
    def keeps_retriever_order(self) -> bool:
        """True when validation found no reranker that beats the retriever (weight 0)."""
        return self.fusion_weight == 0.0


def _check_backend_record(record: Any) -> None:
    caller = "ServingRecipe.backend"
    if not isinstance(record, dict) or record.get("backend") not in ("torch", "onnx", "openvino"):
        raise ValueError(
            f"{caller} got {record!r}; expected a dict whose 'backend' is 'torch', 'onnx' or 'openvino' "
            "(as written by `xrerank export --backend auto`)."
        )
    if record.get("precision", "fp32") not in ("fp32", "bf16"):
        raise ValueError(f"{caller} got precision={record.get('precision')!r}; expected 'fp32' or 'bf16'.")
    if record["backend"] != "torch" and not isinstance(record.get("file_name"), str):
        raise ValueError(
            f"{caller} names backend {record['backend']!r} without a 'file_name'; re-export the model."
        )
    check_int(record.get("threads"), caller=caller, name="threads", minimum=1, optional=True)
    check_int(record.get("batch_size"), caller=caller, name="batch_size", minimum=1, optional=True)


def _check_cascade_record(record: Any) -> None:
    if not isinstance(record, dict) or not isinstance(record.get("cheap"), str) or not record["cheap"]:
        raise ValueError(
            f"ServingRecipe.cascade got {record!r}; expected a dict with 'cheap' (a reranker spec, e.g. a "
            "distilled student's directory) and 'shortlist' (a positive int)."
        )
    check_int(record.get("shortlist"), caller="ServingRecipe.cascade", name="shortlist", minimum=1)


def backend_options(recipe: ServingRecipe | None) -> dict[str, Any]:
    """The ``model_kwargs`` that serve an exported model the way its recipe's backend record says.

    OpenVINO gets its compute precision and thread count (``ov_config``). ONNX Runtime and torch
    were measured with their own thread defaults, so they get nothing, nor do models without a record.

    Example:
        >>> record = {"backend": "openvino", "file_name": "openvino/openvino_model.xml",
        ...           "precision": "bf16", "threads": 2}
        >>> backend_options(ServingRecipe(backend=record))["ov_config"]["INFERENCE_PRECISION_HINT"]
        'bf16'
    """
    record = recipe.backend if recipe is not None else None
    if not record or record["backend"] != "openvino":
        return {}
    config = {"INFERENCE_PRECISION_HINT": "bf16" if record.get("precision") == "bf16" else "f32"}
    if record.get("threads"):
        config["INFERENCE_NUM_THREADS"] = str(record["threads"])
    return {"ov_config": config}


class FromRecipe:
    """The default of a serving option: the model's recipe decides, else xrerank's built-in default."""

    def __repr__(self) -> str:
        return "FROM_RECIPE"


FROM_RECIPE: Any = FromRecipe()


def settle(recipe: ServingRecipe | None, **given: Any) -> dict[str, Any]:
    """Each serving option as given, or from ``recipe`` where it was left at :data:`FROM_RECIPE`.

    Without a recipe the built-in defaults (those of :class:`ServingRecipe`) apply.

    Example:
        >>> settle(ServingRecipe(max_length=96), max_length=FROM_RECIPE, activation=None)
        {'max_length': 96, 'activation': None}
    """
    source = recipe or ServingRecipe()
    return {name: getattr(source, name) if value is FROM_RECIPE else value for name, value in given.items()}


def recipe_path(model_dir: str | os.PathLike[str]) -> Path:
    """Where the recipe of ``model_dir`` lives (whether or not it exists)."""
    return Path(model_dir) / RECIPE_FILE


def write_recipe(model_dir: str | os.PathLike[str], recipe: ServingRecipe) -> Path:
    """Write ``recipe`` beside the weights in ``model_dir``, atomically (temporary name, then rename)."""
    target = recipe_path(model_dir)
    payload = {"version": RECIPE_VERSION, **asdict(recipe)}
    # open(..., "x") honours the umask like any file the user writes (mkstemp would make it 0600).
    temporary = target.with_name(f".{RECIPE_FILE}.{os.getpid()}-{secrets.token_hex(4)}")
    try:
        with open(temporary, "x", encoding="utf-8") as out:
            json.dump(payload, out, indent=2)
            out.write("\n")
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def read_recipe(model: str | os.PathLike[str]) -> ServingRecipe | None:
    """The recipe saved with a local model directory; None for hub names and directories without one.

    Raises:
        ValueError: The file exists but is not a recipe this version of xrerank can read; the
            message names the file and the fix.
    """
    path = recipe_path(model)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(
            f"{path}: not a valid serving recipe ({exc}); delete the file or re-save the model."
        ) from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object; delete the file or re-save the model.")
    version = data.pop("version", None)
    if version != RECIPE_VERSION:
        raise ValueError(
            f"{path}: serving recipe version {version!r}; this xrerank reads version {RECIPE_VERSION}. "
            "Upgrade xrerank or re-save the model."
        )
    known = {f.name for f in fields(ServingRecipe)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{path}: unknown serving recipe keys {unknown}; known: {sorted(known)}.")
    try:
        return ServingRecipe(**data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
