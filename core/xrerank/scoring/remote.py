"""A reranker served over HTTP (``xrerank serve``, or any API of the same shape): :class:`RemoteReranker`.

It speaks the rerank API of :mod:`xrerank.scoring.rerank_api` with the standard library only,
and ranks through :class:`~xrerank.scoring.ranking.RankingMethods`, so it accepts, refuses and
orders exactly as an in-process :class:`xrerank.Reranker` does; the adapters, the funnel and
``xrerank eval`` (spec ``remote:URL``) use it unchanged.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import logging
import time
import urllib.error
import urllib.request
from typing import Any

from xrerank.scoring.ranking import RankingMethods
from xrerank.scoring.rerank_api import HEALTH_PATH, RERANK_PATH, scores_from_response
from xrerank.validation import check_int, check_number

logger = logging.getLogger(__name__)

#: Longest wait between two attempts, whatever the backoff and a server's Retry-After say.
MAX_BACKOFF_S = 30.0
# Answers that say "try again": the server is busy (429), failing or restarting (5xx).
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_UNSET: Any = object()


class RemoteReranker(RankingMethods):
    """The :class:`xrerank.Reranker` interface over a served model's ``POST /rerank``.

    Each query is one request (``score_pairs`` sends one per distinct query). Connection
    errors, timeouts, 429 and 5xx answers are retried ``retries`` times, waiting
    ``backoff * 2**attempt`` seconds (or the server's ``Retry-After``, at most
    :data:`MAX_BACKOFF_S`); a 4xx answer is the caller's mistake and raises a ValueError with
    the server's message at once. After the last retry a ConnectionError names the URL.

    Args:
        url: The server's base URL, e.g. ``http://127.0.0.1:8000``.
        timeout: Seconds to wait for each answer.
        retries: Attempts after the first one.
        backoff: Wait before the first retry, in seconds; doubles each time.
        fusion_weight: Weight of the reranker when ``rank`` gets ``retriever_scores``. By default
            the server's (its model's serving recipe, read from ``GET /health`` on first use).
        allow_pickle_weights: Only False: the server loads the model (``xrerank serve
            --allow-pickle-weights``). Accepted so that specs and adapters pass it alike.

    Example::

        reranker = RemoteReranker("http://127.0.0.1:8000", timeout=10, retries=3)
        reranker.rank("capital of France", ["Paris.", "Figs."], top_k=1)
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.2,
        fusion_weight: float | None = _UNSET,
        allow_pickle_weights: bool = False,
    ) -> None:
        name = type(self).__name__
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"{name} got url={url!r}; expected http://HOST:PORT or https://HOST:PORT.")
        if allow_pickle_weights:
            raise ValueError(
                f"{name} got allow_pickle_weights=True, but the server loads the model; start it with "
                "`xrerank serve MODEL --allow-pickle-weights` instead."
            )
        self.model_name = url.rstrip("/")
        check_number(timeout, caller=name, name="timeout", minimum=0, exclusive_minimum=True)
        check_int(retries, caller=name, name="retries", minimum=0)
        check_number(backoff, caller=name, name="backoff", minimum=0)
        self.timeout = float(timeout)
        self.retries: int = retries
        self.backoff = float(backoff)
        self.allow_pickle_weights = False
        # A plain flag, not the sentinel: the reranker pickles (Ray actors, adapters) and stays the same.
        self._ask_server = fusion_weight is _UNSET
        self._fusion_weight: float | None = None
        if not self._ask_server:
            self._fusion_weight = check_number(
                fusion_weight, caller=name, name="fusion_weight", minimum=0, maximum=1, optional=True
            )

    def __repr__(self) -> str:
        return f"RemoteReranker({self.model_name!r}, timeout={self.timeout}, retries={self.retries})"

    @property
    def fusion_weight(self) -> float | None:  # type: ignore[override]
        """The fusion weight: given, or the server's (asked once, on first use)."""
        if self._ask_server:
            weight = self.health().get("fusion_weight")
            self._fusion_weight = None if weight is None else float(weight)
            self._ask_server = False
        return self._fusion_weight

    def health(self) -> dict[str, Any]:
        """The server's ``GET /health`` answer (model name, fusion weight, request limits)."""
        body = self._call("GET", HEALTH_PATH, None)
        if not isinstance(body, dict) or body.get("status") != "ok":
            raise ValueError(f"{self.model_name}{HEALTH_PATH} answered {body!r}; expected status ok.")
        return body

    # ------------------------------------------------------------ RankingMethods

    def _final_scores(self, pairs: list[tuple[str, str]]) -> list[float]:
        scores: list[float] = [0.0] * len(pairs)
        for query, positions in _by_query(pairs).items():
            body = self._call("POST", RERANK_PATH, _request(query, [pairs[i][1] for i in positions]))
            for position, score in zip(positions, self._scores(body, len(positions)), strict=True):
                scores[position] = score
        return scores

    async def _final_scores_later(self, pairs: list[tuple[str, str]]) -> list[float]:
        groups = list(_by_query(pairs).items())
        bodies = await asyncio.gather(
            *(
                self._acall("POST", RERANK_PATH, _request(query, [pairs[i][1] for i in positions]))
                for query, positions in groups
            )
        )
        scores: list[float] = [0.0] * len(pairs)
        for (_, positions), body in zip(groups, bodies, strict=True):
            for position, score in zip(positions, self._scores(body, len(positions)), strict=True):
                scores[position] = score
        return scores

    def _scores(self, body: Any, count: int) -> list[float]:
        try:
            return scores_from_response(body, count)
        except ValueError as exc:
            raise ValueError(f"{self.model_name}{RERANK_PATH}: {exc}") from None

    # ------------------------------------------------------------------- HTTP

    def _call(self, method: str, path: str, payload: dict[str, Any] | None) -> Any:
        reason = ""
        for attempt in range(self.retries + 1):
            body, reason, wait = self._attempt(method, path, payload, attempt)
            if not reason:
                return body
            if attempt < self.retries:
                time.sleep(wait)
        raise ConnectionError(self._gave_up(path, reason))

    async def _acall(self, method: str, path: str, payload: dict[str, Any] | None) -> Any:
        reason = ""
        for attempt in range(self.retries + 1):
            body, reason, wait = await asyncio.to_thread(self._attempt, method, path, payload, attempt)
            if not reason:
                return body
            if attempt < self.retries:
                await asyncio.sleep(wait)
        raise ConnectionError(self._gave_up(path, reason))

    def _attempt(
        self, method: str, path: str, payload: dict[str, Any] | None, attempt: int
    ) -> tuple[Any, str, float]:
        """One request: ``(body, "", 0)``, or ``(None, why, wait)`` when it is worth retrying.

        Raises ValueError for a 4xx answer (retrying would not change it).
        """
        url = self.model_name + path
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        wait = min(MAX_BACKOFF_S, self.backoff * 2**attempt)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return json.loads(answer.read().decode("utf-8")), "", 0.0
        except urllib.error.HTTPError as exc:
            message = _error_message(exc)
            if exc.code not in _RETRY_STATUS:
                raise ValueError(f"{url} answered {exc.code}: {message}") from None
            retry_after = _seconds(exc.headers.get("Retry-After"))
            if retry_after is not None:
                wait = min(MAX_BACKOFF_S, max(wait, retry_after))
            logger.info("%s answered %s (attempt %d): %s", url, exc.code, attempt + 1, message)
            return None, f"HTTP {exc.code}: {message}", wait
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            why = str(getattr(exc, "reason", exc)) or type(exc).__name__
            logger.info("%s failed (attempt %d): %s", url, attempt + 1, why)
            return None, why, wait
        except json.JSONDecodeError:
            return None, "the answer is not JSON", wait

    def _gave_up(self, path: str, reason: str) -> str:
        return (
            f"{self.model_name}{path} failed after {self.retries + 1} attempts (last: {reason}); check that "
            f"`xrerank serve` runs at {self.model_name}, or raise retries/timeout."
        )


def _by_query(pairs: list[tuple[str, str]]) -> dict[str, list[int]]:
    """Positions of each distinct query's pairs, queries in first-seen order."""
    groups: dict[str, list[int]] = {}
    for position, (query, _) in enumerate(pairs):
        groups.setdefault(query, []).append(position)
    return groups


def _request(query: str, documents: list[str]) -> dict[str, Any]:
    # Every document's score is wanted: top_n left out ranks them all.
    return {"query": query, "documents": documents, "return_documents": False}


def _error_message(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read().decode("utf-8"))
    except (ValueError, OSError):
        return error.reason if isinstance(error.reason, str) else str(error)
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return body["error"]
    return str(body)[:300]


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
