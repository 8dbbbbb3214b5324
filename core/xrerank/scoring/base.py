"""The base every xrerank reranker builds on: :class:`RerankerBase`.

A reranker is a handle on one read-only model that threads, coroutines and both
adapters share. What every kind of reranker does alike lives here, once: checking
the shared constructor options, loading the model on first use (the loaders pick
the device with :func:`xrerank.models.loading.resolve_device`), the token limit
when none is given, the stats counters, the worker thread that keeps the event
loop free, and pickling and deep-copying as a handle. A subclass loads and checks
its own kind of model and scores pairs (:class:`~xrerank.scoring.ranking.RankingMethods`).
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from xrerank.models.loading import check_model_exists
from xrerank.scoring.ranking import RankingMethods
from xrerank.validation import check_int

ModelT = TypeVar("ModelT")
StatsT = TypeVar("StatsT")
Handle = TypeVar("Handle", bound="RerankerBase[Any, Any]")
Pairs = list[tuple[str, str]]

# Tokenizers report "no limit" as a huge number; rerankers are BERT-sized.
FALLBACK_MAX_LENGTH = 512
_NO_LIMIT = 100_000


class RerankerBase(RankingMethods, Generic[ModelT, StatsT]):
    """Model handle, lazy loading, token limit, counters and worker thread shared by every reranker.

    A subclass sets the class attributes below, calls ``super().__init__`` with the
    shared options, stores its own, then calls :meth:`_init_runtime`. It implements
    ``_load_model()`` and ``_init_own_runtime()``, may extend ``_prepare(model)``, and
    scores through :class:`~xrerank.scoring.ranking.RankingMethods`.

    Pickling keeps the options (the shared ones and the subclass's ``_PICKLED_FIELDS``)
    and rebuilds locks, caches and counters: a model loaded by name is reloaded lazily,
    a model the user passed as an object travels along. Deep copies return the same
    handle, like a client: frameworks that deep-copy their components must not
    duplicate the weights.

    Example:
        >>> from xrerank import Reranker
        >>> reranker = Reranker("./my-reranker", device="cpu").load()
        >>> reranker.stats.batches
        0
    """

    #: The counters' dataclass; its fields name the counters. Give it ``non_finite_scores``:
    #: :class:`~xrerank.scoring.ranking.RankingMethods` counts scores that are not finite there.
    _STATS: ClassVar[type[Any]]
    #: Scores or passage vectors kept between calls (set by ``_init_own_runtime``; has ``clear()``).
    _cache: Any
    #: The model object a user may pass instead of a name, as error messages name it.
    _MODEL_CLASS: ClassVar[str]
    #: The module of ``_MODEL_CLASS``, as error messages name it.
    _MODEL_MODULE: ClassVar[str] = "sentence_transformers"
    #: Smallest ``max_length`` accepted.
    _MIN_MAX_LENGTH: ClassVar[int] = 8
    _THREAD_NAME: ClassVar[str] = "xrerank"
    #: The subclass's own options that survive pickling.
    _PICKLED_FIELDS: ClassVar[tuple[str, ...]] = ()
    _SHARED_FIELDS: ClassVar[tuple[str, ...]] = (
        "model_name",
        "device",
        "batch_size",
        "trust_remote_code",
        "allow_pickle_weights",
        "local_files_only",
        "show_progress_bar",
        "_requested_max_length",
        "_owns_model",
    )

    def __init__(
        self,
        model: str | Path | ModelT,
        *,
        device: str | None,
        batch_size: int,
        max_length: int | None,
        trust_remote_code: bool,
        local_files_only: bool,
        show_progress_bar: bool,
        allow_pickle_weights: bool,
    ) -> None:
        name = type(self).__name__
        check_int(batch_size, caller=name, name="batch_size")
        check_int(max_length, caller=name, name="max_length", minimum=self._MIN_MAX_LENGTH, optional=True)
        if isinstance(model, Path):
            model = str(model)
        if isinstance(model, str):
            if not model.strip():
                raise ValueError(f"{name} got an empty model name; pass a hub name or a local directory.")
            check_model_exists(model)  # a missing local path fails now, not at the first query
            self.model_name: str = model
            self._model: ModelT | None = None
        elif self._accepts(model):
            self.model_name = self._name_of(model)
            self._model = model
        else:
            raise TypeError(
                f"{name} got a {type(model).__name__} as model; expected a hub name, a local path or a "
                f"{self._MODEL_MODULE}.{self._MODEL_CLASS}.{self._wrong_model_hint(model)}"
            )
        self._owns_model = self._model is None
        self.device = device
        self.batch_size = batch_size
        self.trust_remote_code = trust_remote_code
        self.allow_pickle_weights = allow_pickle_weights
        self.local_files_only = local_files_only
        self.show_progress_bar = show_progress_bar
        self._requested_max_length = max_length

    # ------------------------------------------------------- what a subclass supplies

    @classmethod
    def _accepts(cls, model: object) -> bool:
        """Whether ``model`` is a loaded model this reranker can use as is."""
        raise NotImplementedError

    @classmethod
    def _name_of(cls, model: Any) -> str:
        """The name a loaded model goes by (its hub name or directory when known)."""
        raise NotImplementedError

    @classmethod
    def _wrong_model_hint(cls, model: object) -> str:
        """A sentence appended to the error for a model object of the wrong kind."""
        return ""

    def _load_model(self) -> ModelT:
        """Load the model named by ``model_name`` with this reranker's options."""
        raise NotImplementedError

    def _init_own_runtime(self) -> None:
        """Build the subclass's caches and other state that pickling drops."""
        raise NotImplementedError

    # ------------------------------------------------------------------ state

    def _init_runtime(self) -> None:
        """Build what pickling drops (locks, counters, caches) and prepare a model passed in."""
        # The Hugging Face fast tokenizer and the model are not safe to call from
        # two threads at once ("Already borrowed"), so every forward holds this lock.
        self._model_lock = threading.RLock()
        self._stats_lock = threading.Lock()
        self._counts = dict.fromkeys((f.name for f in fields(self._STATS)), 0)
        self._executor: ThreadPoolExecutor | None = None
        self._max_length: int | None = self._requested_max_length
        self._init_own_runtime()
        if self._model is not None:
            self._prepare(self._model)

    def __getstate__(self) -> dict[str, Any]:
        state = {name: self.__dict__[name] for name in (*self._SHARED_FIELDS, *self._PICKLED_FIELDS)}
        state["_model"] = None if self._owns_model else self._model
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_runtime()

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        return self

    # ---------------------------------------------------------------- loading

    @property
    def model(self) -> ModelT:
        """The underlying sentence-transformers model, loaded on first use."""
        with self._model_lock:
            if self._model is None:
                model = self._load_model()
                self._prepare(model)
                self._model = model
            return self._model

    def _prepare(self, model: ModelT) -> None:
        """Switch a loaded model to eval mode and settle the token limit; subclasses check more."""
        loaded: Any = model
        loaded.eval()
        if self._max_length is None:
            limit = loaded.max_seq_length or getattr(loaded.tokenizer, "model_max_length", None)
            self._max_length = int(limit) if limit and limit < _NO_LIMIT else FALLBACK_MAX_LENGTH

    def load(self: Handle) -> Handle:
        """Load the model now instead of on the first call (e.g. at service start-up)."""
        _ = self.model
        return self

    @property
    def max_length(self) -> int | None:
        """Token limit (per pair or per text); None until the model is loaded if not given."""
        return self._max_length

    # ------------------------------------------------------------ counters, cache

    @property
    def stats(self) -> StatsT:
        """A snapshot of the counters since the reranker was built (cache hits, batches, ...)."""
        with self._stats_lock:
            snapshot: StatsT = self._STATS(**self._counts)
            return snapshot

    def _count(self, **increments: int) -> None:
        with self._stats_lock:
            for name, value in increments.items():
                self._counts[name] += value

    def _count_non_finite(self, count: int) -> None:
        # Every reranker's stats should have this field; one that lacks it still ranks them last.
        if "non_finite_scores" in self._counts:
            self._count(non_finite_scores=count)

    def clear_cache(self) -> None:
        """Forget everything cached (scores or passage vectors); the counters are kept."""
        self._cache.clear()

    # ----------------------------------------------------------- worker thread

    async def _in_worker_thread(self, function: Callable[[Pairs], list[float]], pairs: Pairs) -> list[float]:
        """``function(pairs)`` on this reranker's one worker thread, off the event loop."""
        if self._executor is None:
            with self._model_lock:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self._THREAD_NAME)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(function, pairs))
