"""Pick a long passage's windows by sentence vectors indexed ahead of time.

The lexical pick of :mod:`xrerank.scoring.window_shortlist` misses the window the model scores
best when the query and the passage say the same thing in different words. A bi-encoder (the
retriever's own embedding model, say) does not, and its passage side can be computed when the
corpus is indexed: :meth:`SentenceVectorPicker.index` embeds every sentence of every passage
once. At query time only the query is embedded; a window's vector is the mean of its sentences'
vectors, it is scored by its cosine similarity to the query, and ``Reranker(max_windows=m,
window_picker=picker)`` has the cross-encoder score only each long passage's ``m`` best windows.
On SciFact (a tuned reranker, 66 validation queries) the mean picked better than the single
closest sentence: one window per abstract kept validation NDCG@10 within half a point, where the
closest sentence needed two (``docs/long-passages.md``).

Sentences, not windows, are indexed because windows depend on the query: a longer query leaves
less room beside it, so the same passage is cut into other windows. Windows are whole sentences
(:mod:`xrerank.scoring.windows`), so each one is a run of indexed sentences. A sentence the index
does not hold (a passage never indexed, a sentence cut between words) is embedded when it is
first needed and kept, and counted in :attr:`SentenceVectorPicker.encoded_at_query_time`: that is
as slow as the forward passes it saves, so index the corpus first.

Example:
    >>> picker = SentenceVectorPicker(encoder)  # a SentenceTransformer or its name, e.g. all-MiniLM-L6-v2
    >>> picker.index(["Valves. Tighten the valve to 40 Nm.", "Oil every 500 h."])
    3
    >>> from xrerank import Reranker
    >>> reranker = Reranker("./my-reranker", max_windows=1, window_picker=picker)
"""

from __future__ import annotations

import bisect
import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xrerank.scoring.token_vector_cache import TokenVectorCache, text_key
from xrerank.scoring.windows import SENTENCE_BREAK, WindowPlan
from xrerank.validation import check_int, check_texts

if TYPE_CHECKING:
    import numpy as np
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)


def window_sentences(text: str) -> list[str]:
    """The sentences (and separate lines, such as a heading) of a passage or window.

    A window cut from a passage splits into the same pieces as that stretch of the passage.

    Example:
        >>> window_sentences("Fault E-214\\nReset the sensor. Then restart it.")
        ['Fault E-214', 'Reset the sensor.', 'Then restart it.']
    """
    pieces = (piece.strip() for part in SENTENCE_BREAK.split(text) for piece in part.split("\n"))
    return [piece for piece in pieces if piece]


class SentenceVectorPicker:
    """Scores windows by the cosine between the query and the mean of their sentence vectors.

    Args:
        encoder: A sentence-transformers bi-encoder or its name or path. The retriever's
            embedding model is a good choice: it is loaded already and knows the domain.
        device: Where a named encoder runs.
        batch_size: Sentences per forward pass while indexing.
        cache_mb: Most MiB the sentence vectors may take (least recently used go first). The
            vectors are float16: 384 dimensions take 0.8 KiB per sentence.
        local_files_only: Never try to download a named encoder.
        show_progress_bar: A tqdm bar while :meth:`index` embeds.
    """

    def __init__(
        self,
        encoder: str | Path | SentenceTransformer,
        *,
        device: str = "cpu",
        batch_size: int = 64,
        cache_mb: float = 512,
        local_files_only: bool = False,
        show_progress_bar: bool = False,
    ) -> None:
        caller = "SentenceVectorPicker"
        if not isinstance(encoder, (str, Path)) and not hasattr(encoder, "encode"):
            raise TypeError(
                f"{caller} got encoder={type(encoder).__name__}; pass a sentence-transformers "
                "SentenceTransformer or its name or path (e.g. the retriever's embedding model)."
            )
        check_int(batch_size, caller=caller, name="batch_size", minimum=1)
        if not isinstance(cache_mb, (int, float)) or cache_mb <= 0:
            raise ValueError(f"{caller} got cache_mb={cache_mb!r}; pass a positive number of MiB.")
        self.encoder_name = str(encoder) if isinstance(encoder, (str, Path)) else _model_name(encoder)
        self._given_model = None if isinstance(encoder, (str, Path)) else encoder
        self.device, self.batch_size, self.cache_mb = device, batch_size, cache_mb
        self.local_files_only, self.show_progress_bar = local_files_only, show_progress_bar
        self._setup()

    def _setup(self) -> None:
        self._model = self._given_model
        self._lock = threading.Lock()  # one encoder, one cache: callers take turns
        self._vectors = TokenVectorCache(int(self.cache_mb * 2**20))
        self.encoded_at_query_time = 0

    def __repr__(self) -> str:
        return f"SentenceVectorPicker({self.encoder_name!r}, indexed_sentences={self.indexed_sentences})"

    # A pickled picker (a Reranker sent to Ray workers) carries its settings, not its index:
    # each worker indexes what it serves, or embeds on first use.
    def __getstate__(self) -> dict[str, Any]:
        keep = ("encoder_name", "_given_model", "device", "batch_size", "cache_mb")
        return {name: getattr(self, name) for name in (*keep, "local_files_only", "show_progress_bar")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._setup()

    @property
    def indexed_sentences(self) -> int:
        """How many distinct sentences have a vector now."""
        return len(self._vectors)

    def index(self, passages: Iterable[str]) -> int:
        """Embed the sentences of ``passages`` ahead of queries. Returns how many were new.

        Raises:
            ValueError: ``passages`` is not a list of strings.
        """
        texts = check_texts(passages, caller="SentenceVectorPicker.index")
        sentences = [sentence for text in texts for sentence in window_sentences(text)]
        with self._lock:
            _, added = self._sentence_vectors(sentences, show_progress=self.show_progress_bar)
        if self.indexed_sentences < len(set(sentences)):
            logger.warning(
                "SentenceVectorPicker.index: cache_mb=%s holds %d of these %d sentences; the rest will be "
                "embedded again at query time. Raise cache_mb.",
                self.cache_mb,
                self.indexed_sentences,
                len(set(sentences)),
            )
        return added

    def window_scores(self, plan: WindowPlan, passages: Sequence[str]) -> list[float]:
        """Each window's cosine between its query and the mean of its sentences' vectors.

        ``passages[owner]`` is the passage each window was cut from. A window's sentences are
        the passage's sentences it overlaps, so a long sentence cut between words (where the
        cut falls depends on the query's length) still counts as the indexed whole. A line every
        window of a passage repeats (its heading) is left out of that passage's windows: it
        would pull them all towards the same score.
        """
        import numpy as np

        pieces = _passage_sentences_of_windows(plan, passages)
        repeated = _repeated_lines(pieces, plan.owners)
        queries = list(dict.fromkeys(query for query, _ in plan.pairs))
        with self._lock:
            query_vectors = dict(zip(queries, self._encode(queries, show_progress=False), strict=True))
            vectors, added = self._sentence_vectors(
                [sentence for window in pieces for sentence in window], show_progress=False
            )
            self.encoded_at_query_time += added
        scores = []
        for (query, _), window, owner in zip(plan.pairs, pieces, plan.owners, strict=True):
            own = [sentence for sentence in window if sentence not in repeated[owner]] or window
            mean = np.mean(np.stack([vectors[sentence] for sentence in own]), axis=0, dtype="float32")
            norm = float(np.linalg.norm(mean))
            scores.append(float(mean @ query_vectors[query]) / norm if norm > 0 else -np.inf)
        return scores

    def _sentence_vectors(
        self, sentences: list[str], *, show_progress: bool
    ) -> tuple[dict[str, np.ndarray], int]:
        """Each distinct sentence's vector (cached, or embedded now and cached) and how many were new."""
        vectors: dict[str, np.ndarray] = {}
        missing: list[str] = []
        for sentence in dict.fromkeys(sentences):
            cached = self._vectors.get(text_key(sentence))
            if cached is None:
                missing.append(sentence)
            else:
                vectors[sentence] = cached
        for sentence, vector in zip(missing, self._encode(missing, show_progress=show_progress), strict=True):
            vectors[sentence] = vector.astype("float16")
            self._vectors.put(text_key(sentence), vectors[sentence])
        return vectors, len(missing)

    def _encode(self, texts: list[str], *, show_progress: bool) -> np.ndarray:
        import numpy as np

        if not texts:
            return np.zeros((0, 0), dtype="float32")
        if self._model is None:
            from xrerank.models.loading import load_sentence_transformer

            self._model = load_sentence_transformer(
                self.encoder_name,
                allow_pickle_weights=False,
                device=self.device,
                local_files_only=self.local_files_only,
            )
        vectors = self._model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.asarray(vectors, dtype="float32")


def _passage_sentences_of_windows(plan: WindowPlan, passages: Sequence[str]) -> list[list[str]]:
    """For each window, the sentences of its passage it holds or cuts into, in order."""
    split: dict[int, tuple[list[str], list[int]]] = {}  # owner -> its sentences and where each starts
    found: list[list[str]] = []
    for (_, window), owner in zip(plan.pairs, plan.owners, strict=True):
        if owner not in split:
            sentences, starts, cursor = window_sentences(passages[owner]), [], 0
            for sentence in sentences:
                cursor = passages[owner].index(sentence, cursor)  # present: split from this text
                starts.append(cursor)
            split[owner] = (sentences, starts)
        sentences, starts = split[owner]
        held: list[str] = []
        for piece in window_sentences(window):
            at = passages[owner].find(piece)
            # A piece found in its passage belongs to the sentence starting at or before it.
            sentence = sentences[max(bisect.bisect_right(starts, at) - 1, 0)] if at >= 0 else piece
            if sentence not in held:
                held.append(sentence)
        found.append(held)
    return found


def _repeated_lines(pieces: list[list[str]], owners: list[int]) -> dict[int, set[str]]:
    """Per passage cut into several windows, the pieces every one of its windows holds."""
    windows_of = Counter(owners)
    seen: dict[int, Counter[str]] = defaultdict(Counter)
    for window, owner in zip(pieces, owners, strict=True):
        seen[owner].update(set(window))
    return {
        owner: {piece for piece, count in counts.items() if count == windows_of[owner] > 1}
        for owner, counts in seen.items()
    }


def _model_name(model: Any) -> str:
    tokenizer = getattr(model, "tokenizer", None)
    return str(getattr(tokenizer, "name_or_path", "") or type(model).__name__)
