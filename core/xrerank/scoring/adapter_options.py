"""Constructor logic shared by the framework adapters (LangChain, LlamaIndex).

The adapters stay thin: they declare their fields in the host framework's style
and hand the raw options here, so both accept and refuse exactly the same things.
"""

from __future__ import annotations

import os
from typing import Any

from xrerank.models.loading import DEFAULT_MODEL
from xrerank.scoring.protocol import RerankerProtocol, reranker_from_spec, spec_of


def prepare_adapter_options(data: Any, *, caller: str, host: str) -> Any:
    """Validate raw adapter options and fill in ``reranker`` and ``model``.

    Refuses ``top_k`` (the hosts call it ``top_n``), builds a reranker from ``model``
    when none is given (a :class:`xrerank.Reranker`, or a
    :class:`xrerank.LateInteractionReranker` for ``"late:PATH"``), and refuses a
    ``reranker`` together with a different ``model``. ``reranker`` may be any object
    with ``model_name``, ``rank`` and ``arank`` (:class:`xrerank.scoring.protocol.RerankerProtocol`).
    ``model`` ends up holding the reranker's spec (:func:`xrerank.scoring.protocol.spec_of`), so a
    serialised adapter rebuilds the same kind of reranker. ``allow_pickle_weights`` goes to
    the reranker built from ``model`` (a given ``reranker`` must agree with it) and ends up
    holding the reranker's setting. Returns a new dict; the caller's is not modified.

    Example:
        >>> options = prepare_adapter_options({"model": "./my-reranker"}, caller="X", host="LangChain")
        >>> options["model"]
        './my-reranker'
    """
    if not isinstance(data, dict):
        return data
    data = dict(data)
    if "top_k" in data:
        raise ValueError(
            f"{caller} got top_k={data['top_k']!r}; {host} rerankers call it top_n: "
            f"{caller}(top_n={data['top_k']!r})."
        )
    allow_pickle = data.get("allow_pickle_weights")
    if allow_pickle is not None and not isinstance(allow_pickle, bool):
        raise TypeError(f"{caller} got allow_pickle_weights={allow_pickle!r}; expected True or False.")
    data["reranker"], data["model"] = _resolve_reranker(
        data.get("reranker"), data.get("model"), allow_pickle, caller
    )
    data["allow_pickle_weights"] = bool(getattr(data["reranker"], "allow_pickle_weights", False))
    return data


def _resolve_reranker(
    reranker: Any, model: Any, allow_pickle: bool | None, caller: str
) -> tuple[RerankerProtocol, str]:
    if isinstance(model, os.PathLike):
        model = os.fspath(model)
    if reranker is None:
        try:
            built = reranker_from_spec(
                DEFAULT_MODEL if model is None else model, allow_pickle_weights=bool(allow_pickle)
            )
        except ValueError as exc:
            raise ValueError(f"{caller} got model={model!r}: {exc}") from exc
        return built, spec_of(built)
    if not isinstance(reranker, RerankerProtocol):
        raise TypeError(
            f"{caller} got a {type(reranker).__name__} as reranker; expected an xrerank.Reranker or "
            "LateInteractionReranker (or any object with model_name, rank() and arank()). "
            f"For a model name, path or CrossEncoder pass {caller}(model=...) instead."
        )
    spec = spec_of(reranker)
    if model is not None and model not in (spec, reranker.model_name):
        raise ValueError(
            f"{caller} got both reranker= (model {spec!r}) and model={model!r}; pass only one of them."
        )
    has = bool(getattr(reranker, "allow_pickle_weights", False))
    if allow_pickle is not None and allow_pickle != has:
        raise ValueError(
            f"{caller} got allow_pickle_weights={allow_pickle!r} with a reranker whose setting is {has!r}; "
            "the reranker loads its own model: set it there, e.g. Reranker(model, allow_pickle_weights=True)."
        )
    return reranker, spec
