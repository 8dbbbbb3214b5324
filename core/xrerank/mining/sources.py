"""Candidate sources: ask the vector store the user already has for the nearest documents.

Mining needs one thing from a store: for a query, the ``k`` nearest documents with
their ids, texts and scores (higher = more similar). :class:`CandidateSource` is
that contract. Sources are the only code that knows a vector-store API; mining
never embeds the corpus, only the queries, in batches where the store allows it.

Implementations:

* :class:`FaissSource`: a raw FAISS index + ids + a text lookup + a query encoder.
* :class:`EmbeddingSource`: document embeddings held in a numpy array (small corpora).
* ``langchain_xrerank.VectorStoreSource``: any LangChain ``VectorStore``.
* ``llamaindex_xrerank.RetrieverSource``: a LlamaIndex ``VectorStoreIndex`` or retriever.

Write your own by subclassing :class:`SourceBase` and implementing ``search``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from xrerank._optional import require
from xrerank.validation import check_int, check_query, check_texts

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger(__name__)

#: A query encoder: a SentenceTransformer, or any callable mapping a list of queries to an (n, dim) array.
QueryEncoder = Any
TextLookup = Sequence[str] | Mapping[str, str] | Callable[[list[str]], Sequence[str | None]]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One document a source returned for a query.

    Attributes:
        id: The document's id in the store, or None when the store has none.
        text: The document text (what a cross-encoder reads).
        score: The store's similarity (higher = more similar), or None when it reports none.
    """

    id: str | None
    text: str
    score: float | None


@runtime_checkable
class CandidateSource(Protocol):
    """What mining asks of a vector store.

    ``search`` returns the ``k`` nearest documents best first; ``search_batch`` does
    the same for many queries (one store round-trip where the store allows it);
    ``get_texts`` looks documents up by id (used for positives and skipped results
    that were not retrieved) and leaves out ids it does not know.

    Example:
        >>> from xrerank.mining.bm25 import BM25Source
        >>> isinstance(BM25Source(["BM25 ranks by term frequency."]), CandidateSource)
        True
    """

    def search(self, query: str, k: int) -> list[Candidate]: ...

    def search_batch(self, queries: Sequence[str], k: int) -> list[list[Candidate]]: ...

    def get_texts(self, ids: Sequence[str]) -> dict[str, str]: ...


class SourceBase:
    """Defaults for sources: ``search_batch`` loops over ``search``; ``get_texts`` knows nothing.

    Example:
        >>> class MySource(SourceBase):
        ...     def search(self, query, k):
        ...         return [Candidate("d1", "a passage", 0.5)][:k]
        >>> MySource().search_batch(["q1", "q2"], 1)[1]
        [Candidate(id='d1', text='a passage', score=0.5)]
    """

    def search(self, query: str, k: int) -> list[Candidate]:
        raise NotImplementedError

    def search_batch(self, queries: Sequence[str], k: int) -> list[list[Candidate]]:
        """Search each query in turn; override when the store can batch."""
        return [self.search(query, k) for query in queries]

    def get_texts(self, ids: Sequence[str]) -> dict[str, str]:
        """Look documents up by id; this default knows none."""
        return {}


def check_k(k: Any, *, caller: str) -> int:
    """Return ``k`` if it is a positive int, else raise (shared by every source)."""
    check_int(k, caller=caller, name="k")
    return k


def check_queries(queries: Any, *, caller: str) -> list[str]:
    """Return ``queries`` as a list of non-empty strings, else raise."""
    items = check_texts(queries, caller=caller, name="queries")
    for position, query in enumerate(items):
        if not query.strip():
            raise ValueError(f"{caller} got an empty query at queries[{position}]; pass the search text.")
    return items


def encode_queries(
    encoder: QueryEncoder,
    queries: Sequence[str],
    *,
    normalize: bool = True,
    batch_size: int = 64,
    caller: str = "encode_queries",
) -> np.ndarray:
    """Embed queries with a SentenceTransformer or a callable, as a float32 (n, dim) array.

    A SentenceTransformer is called through ``encode_query`` (so query prompts apply),
    ``batch_size`` queries at a time. A callable gets the whole list and must return
    one vector per query.

    Example:
        >>> encode_queries(lambda qs: [[3.0, 4.0] for _ in qs], ["q"]).tolist()
        [[0.6000000238418579, 0.800000011920929]]
    """
    import numpy as np

    queries = list(queries)
    if not queries:
        return np.zeros((0, 0), dtype=np.float32)
    if hasattr(encoder, "encode"):
        encode = getattr(encoder, "encode_query", None) or encoder.encode
        vectors = encode(
            queries,
            batch_size=batch_size,
            convert_to_numpy=True,
            show_progress_bar=False,
            normalize_embeddings=False,
        )
    elif callable(encoder):
        vectors = encoder(queries)
    else:
        raise TypeError(
            f"{caller} got {type(encoder).__name__} as query_encoder; expected a SentenceTransformer or a "
            "callable mapping a list of queries to an (n, dim) array."
        )
    array = np.array(vectors, dtype=np.float32)  # a copy: never write into the caller's array
    if array.ndim != 2 or array.shape[0] != len(queries):
        raise ValueError(
            f"{caller}: the query encoder returned shape {array.shape} for {len(queries)} queries; "
            "expected one vector per query, shape (n, dim)."
        )
    if not np.isfinite(array).all():
        raise ValueError(f"{caller}: the query encoder returned NaN or inf; check the encoder.")
    if normalize:
        norms = np.linalg.norm(array, axis=1, keepdims=True)
        array /= np.where(norms == 0, 1.0, norms)
    return array


class _TextTable:
    """Document texts by FAISS label (a sequence), by id (a mapping) or through a batch callable."""

    def __init__(self, texts: TextLookup, *, size: int, caller: str) -> None:
        if isinstance(texts, Mapping):
            self._by_id: dict[str, str] | None = {str(k): v for k, v in texts.items()}
            self._by_label: list[str] | None = None
            self._fetch: Callable[[list[str]], Sequence[str | None]] | None = None
        elif callable(texts):
            self._by_id, self._by_label, self._fetch = None, None, texts
        else:
            items = check_texts(texts, caller=caller, name="texts")
            if len(items) != size:
                raise ValueError(
                    f"{caller} got {len(items)} texts for an index of {size} vectors; give one text per "
                    "vector (in index order), a mapping of id -> text, or a lookup callable."
                )
            self._by_id, self._by_label, self._fetch = None, items, None
        self._caller = caller

    def for_hits(self, labels: Sequence[int], ids: Sequence[str]) -> list[str | None]:
        if self._by_label is not None:
            return [self._by_label[label] for label in labels]
        return self.by_ids(ids)

    def by_ids(self, ids: Sequence[str], labels: Mapping[str, int] | None = None) -> list[str | None]:
        if self._by_id is not None:
            return [self._by_id.get(doc_id) for doc_id in ids]
        if self._by_label is not None:
            assert labels is not None
            return [self._by_label[labels[d]] if d in labels else None for d in ids]
        assert self._fetch is not None
        found = list(self._fetch(list(ids)))
        if len(found) != len(ids):
            raise ValueError(
                f"{self._caller}: the text lookup returned {len(found)} texts for {len(ids)} ids; "
                "return one text (or None) per id."
            )
        return found


class FaissSource(SourceBase):
    """A FAISS index the user already built, searched with query embeddings only.

    Args:
        index: A ``faiss.Index`` (flat, IVF, HNSW, IDMap...). Inner-product indexes report
            the inner product; L2 indexes report the negated squared distance, so that
            higher is always more similar.
        texts: Document texts: a list in index order, a mapping of document id -> text,
            or a callable mapping a list of ids to their texts (e.g. a database fetch).
        ids: Document id of each FAISS label: a list in index order, or a mapping of label
            -> id for ``IndexIDMap``. None uses the label itself (``"0"``, ``"1"``...).
        query_encoder: The model that embedded the corpus (a SentenceTransformer, or a
            callable mapping a list of queries to an (n, dim) array).
        normalize_queries: L2-normalise query vectors (right for cosine indexes, which
            store normalised vectors). Set False if the corpus vectors were not normalised.
        batch_size: Queries encoded per forward pass.

    Example:
        >>> import faiss
        >>> index = faiss.IndexFlatIP(vectors.shape[1])  # the user's index of normalised embeddings
        >>> index.add(vectors)
        >>> source = FaissSource(index, texts=passages, ids=ids, query_encoder=encoder)
        >>> source.search("what is BM25?", k=3)[0]
        Candidate(id='d1', text='Classic search engines score ... and document length.', score=0.50...)
    """

    def __init__(
        self,
        index: Any,
        *,
        texts: TextLookup,
        ids: Sequence[str | int] | Mapping[int, str | int] | None = None,
        query_encoder: QueryEncoder,
        normalize_queries: bool = True,
        batch_size: int = 64,
    ) -> None:
        caller = "FaissSource"
        for attribute in ("search", "ntotal", "d", "metric_type"):
            if not hasattr(index, attribute):
                raise TypeError(f"{caller} got {type(index).__name__} as index; expected a faiss.Index.")
        if query_encoder is None:
            raise ValueError(f"{caller} needs the query_encoder that embedded the corpus.")
        faiss = require("faiss", purpose="FaissSource")
        self._index = index
        self._size = int(index.ntotal)
        self._negate = index.metric_type == faiss.METRIC_L2
        self._encoder = query_encoder
        self._normalize = normalize_queries
        self._batch_size = batch_size
        if ids is None:
            self._ids: list[str] | dict[int, str] = [str(label) for label in range(self._size)]
        elif isinstance(ids, Mapping):
            self._ids = {int(label): str(doc_id) for label, doc_id in ids.items()}
        else:
            self._ids = [str(doc_id) for doc_id in ids]
            if len(self._ids) != self._size:
                raise ValueError(
                    f"{caller} got {len(self._ids)} ids for an index of {self._size} vectors; give one id "
                    "per vector in index order, or a mapping of FAISS label -> id."
                )
        labels = self._ids.items() if isinstance(self._ids, dict) else enumerate(self._ids)
        self._label_of = {doc_id: label for label, doc_id in labels}
        self._texts = _TextTable(texts, size=self._size, caller=caller)

    def __repr__(self) -> str:
        return f"FaissSource({type(self._index).__name__}, ntotal={self._size})"

    def search(self, query: str, k: int) -> list[Candidate]:
        """The ``k`` nearest documents to ``query``, best first."""
        return self.search_batch([check_query(query, caller="FaissSource.search")], k)[0]

    def search_batch(self, queries: Sequence[str], k: int) -> list[list[Candidate]]:
        """Embed all queries in batches, then one FAISS search for the lot."""
        caller = "FaissSource.search_batch"
        queries = check_queries(queries, caller=caller)
        k = check_k(k, caller=caller)
        if not queries or self._size == 0:
            return [[] for _ in queries]
        vectors = encode_queries(
            self._encoder, queries, normalize=self._normalize, batch_size=self._batch_size, caller=caller
        )
        if vectors.shape[1] != self._index.d:
            raise ValueError(
                f"{caller}: the query encoder makes {vectors.shape[1]}-dim vectors but the index holds "
                f"{self._index.d}-dim vectors; pass the model that built the index."
            )
        scores, labels = self._index.search(vectors, min(k, self._size))
        results: list[list[Candidate]] = []
        for row_scores, row_labels in zip(scores.tolist(), labels.tolist(), strict=True):
            hits = [(label, score) for label, score in zip(row_labels, row_scores, strict=True) if label >= 0]
            ids = [self._id_of(label) for label, _ in hits]
            texts = self._texts.for_hits([label for label, _ in hits], ids)
            row: list[Candidate] = []
            for doc_id, text, (_, score) in zip(ids, texts, hits, strict=True):
                if text is None:
                    raise KeyError(
                        f"FaissSource: no text for document {doc_id!r}; the text lookup must "
                        "cover every vector in the index."
                    )
                row.append(Candidate(doc_id, text, -float(score) if self._negate else float(score)))
            results.append(row)
        return results

    def get_texts(self, ids: Sequence[str]) -> dict[str, str]:
        """Texts of the given document ids (unknown ids left out)."""
        ids = [str(doc_id) for doc_id in ids]
        texts = self._texts.by_ids(ids, self._label_of)
        return {doc_id: text for doc_id, text in zip(ids, texts, strict=True) if text is not None}

    def _id_of(self, label: int) -> str:
        if isinstance(self._ids, dict):
            return self._ids.get(label, str(label))
        return self._ids[label]


class EmbeddingSource(SourceBase):
    """Document embeddings in memory (numpy), searched exactly; for small corpora.

    Args:
        embeddings: An (n, dim) array-like of document vectors (copied, never modified).
        texts: The n document texts, in the same order.
        ids: The n document ids; None uses positions (``"0"``, ``"1"``...).
        query_encoder: The model that embedded the documents (SentenceTransformer or callable).
        metric: ``"cosine"`` (vectors normalised) or ``"dot"`` (raw inner product).
        batch_size: Queries encoded per forward pass.

    Example:
        >>> source = EmbeddingSource([[1.0, 0.0], [0.0, 1.0]], ["cats purr", "stocks fell"],
        ...                          ids=["a", "b"], query_encoder=lambda qs: [[1.0, 0.1] for _ in qs])
        >>> [c.id for c in source.search("kittens", k=2)]
        ['a', 'b']
    """

    def __init__(
        self,
        embeddings: Any,
        texts: Sequence[str],
        *,
        ids: Sequence[str | int] | None = None,
        query_encoder: QueryEncoder,
        metric: Literal["cosine", "dot"] = "cosine",
        batch_size: int = 64,
    ) -> None:
        import numpy as np

        caller = "EmbeddingSource"
        if metric not in ("cosine", "dot"):
            raise ValueError(f"{caller} got metric={metric!r}; expected 'cosine' or 'dot'.")
        matrix = np.array(embeddings, dtype=np.float32)
        if matrix.ndim != 2:
            raise ValueError(f"{caller} got embeddings of shape {matrix.shape}; expected (n_documents, dim).")
        if not np.isfinite(matrix).all():
            raise ValueError(f"{caller} got embeddings holding NaN or inf.")
        self._texts = check_texts(texts, caller=caller)
        if len(self._texts) != matrix.shape[0]:
            raise ValueError(
                f"{caller} got {len(self._texts)} texts for {matrix.shape[0]} embeddings; "
                "give one text per row."
            )
        self._ids = [str(i) for i in (ids if ids is not None else range(matrix.shape[0]))]
        if len(self._ids) != matrix.shape[0]:
            raise ValueError(
                f"{caller} got {len(self._ids)} ids for {matrix.shape[0]} embeddings; give one id per row."
            )
        if len(set(self._ids)) != len(self._ids):
            raise ValueError(f"{caller} got duplicate ids; every document needs its own id.")
        if metric == "cosine":
            norms = np.linalg.norm(matrix, axis=1, keepdims=True)
            matrix /= np.where(norms == 0, 1.0, norms)
        self._matrix = matrix
        self._cosine = metric == "cosine"
        self._encoder = query_encoder
        self._batch_size = batch_size
        self._position = {doc_id: i for i, doc_id in enumerate(self._ids)}

    def __repr__(self) -> str:
        return f"EmbeddingSource(n={len(self._ids)}, dim={self._matrix.shape[1]})"

    def search(self, query: str, k: int) -> list[Candidate]:
        """The ``k`` nearest documents to ``query``, best first."""
        return self.search_batch([check_query(query, caller="EmbeddingSource.search")], k)[0]

    def search_batch(self, queries: Sequence[str], k: int, *, chunk_size: int = 256) -> list[list[Candidate]]:
        """Embed the queries in batches and score them against every document exactly."""
        import numpy as np

        caller = "EmbeddingSource.search_batch"
        queries = check_queries(queries, caller=caller)
        k = min(check_k(k, caller=caller), len(self._ids))
        if not queries or k == 0:
            return [[] for _ in queries]
        vectors = encode_queries(
            self._encoder, queries, normalize=self._cosine, batch_size=self._batch_size, caller=caller
        )
        if vectors.shape[1] != self._matrix.shape[1]:
            raise ValueError(
                f"{caller}: the query encoder makes {vectors.shape[1]}-dim vectors but the documents are "
                f"{self._matrix.shape[1]}-dim; pass the model that embedded them."
            )
        results: list[list[Candidate]] = []
        for start in range(0, len(queries), chunk_size):
            scores = vectors[start : start + chunk_size] @ self._matrix.T
            top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            for row, candidates in zip(scores, top, strict=True):
                # Ties broken by position so results are deterministic.
                order = sorted(candidates.tolist(), key=lambda i: (-row[i], i))
                results.append([Candidate(self._ids[i], self._texts[i], float(row[i])) for i in order])
        return results

    def get_texts(self, ids: Sequence[str]) -> dict[str, str]:
        """Texts of the given document ids (unknown ids left out)."""
        return {d: self._texts[self._position[d]] for d in map(str, ids) if d in self._position}
