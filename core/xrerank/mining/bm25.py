"""A BM25 candidate source over in-memory texts (``bm25s``), for a lexical first stage."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from xrerank._optional import require
from xrerank.mining.sources import Candidate, SourceBase, check_k, check_queries
from xrerank.validation import check_query, check_texts

logger = logging.getLogger(__name__)


class BM25Source(SourceBase):
    """A :class:`xrerank.mining.sources.CandidateSource` that ranks texts with BM25 (via ``bm25s``).

    The texts are tokenised and indexed once, at construction. Documents that share no term
    with the query score 0 and are left out, so a search may return fewer than ``k``.

    Args:
        texts: The documents to search (copied; never modified).
        ids: One id per text; None uses positions (``"0"``, ``"1"``...).
        k1: BM25 term-frequency saturation.
        b: BM25 length normalisation.
        stopwords: A ``bm25s`` stopword language (``"en"``), a list of words, or None for none.

    Example:
        >>> source = BM25Source(["BM25 ranks by term frequency.", "Cats purr."], ids=["a", "b"])
        >>> [c.id for c in source.search("term frequency ranking", k=2)]
        ['a']
    """

    def __init__(
        self,
        texts: Sequence[str],
        *,
        ids: Sequence[str | int] | None = None,
        k1: float = 1.5,
        b: float = 0.75,
        stopwords: str | list[str] | None = "en",
    ) -> None:
        caller = "BM25Source"
        self._bm25s: Any = require("bm25s", purpose=caller)
        bm25s_logger = logging.getLogger("bm25s")
        if bm25s_logger.level == logging.DEBUG:
            # bm25s sets its logger to DEBUG on import, which bypasses the application's level.
            bm25s_logger.setLevel(logging.NOTSET)
        self._texts = check_texts(texts, caller=caller)
        if not self._texts:
            raise ValueError(f"{caller} got no texts; pass the documents to search.")
        self._ids = [str(i) for i in (ids if ids is not None else range(len(self._texts)))]
        if len(self._ids) != len(self._texts):
            raise ValueError(
                f"{caller} got {len(self._ids)} ids for {len(self._texts)} texts; give one per text."
            )
        if len(set(self._ids)) != len(self._ids):
            raise ValueError(f"{caller} got duplicate ids; every document needs its own id.")
        self._position = {doc_id: i for i, doc_id in enumerate(self._ids)}
        self._stopwords = stopwords
        tokens = self._bm25s.tokenize(self._texts, stopwords=stopwords, show_progress=False)
        self._index = self._bm25s.BM25(k1=k1, b=b)
        self._index.index(tokens, show_progress=False)

    def __repr__(self) -> str:
        return f"BM25Source(n={len(self._texts)})"

    def search(self, query: str, k: int) -> list[Candidate]:
        """The ``k`` best-scoring documents for ``query`` (score > 0), best first."""
        return self.search_batch([check_query(query, caller="BM25Source.search")], k)[0]

    def search_batch(self, queries: Sequence[str], k: int) -> list[list[Candidate]]:
        """Score every query against the index in one ``bm25s`` call."""
        caller = "BM25Source.search_batch"
        queries = check_queries(queries, caller=caller)
        k = min(check_k(k, caller=caller), len(self._texts))
        if not queries:
            return []
        tokens = self._bm25s.tokenize(
            queries, stopwords=self._stopwords, show_progress=False, return_ids=False
        )
        positions, scores = self._index.retrieve(tokens, k=k, show_progress=False)
        results: list[list[Candidate]] = []
        for row_positions, row_scores in zip(positions.tolist(), scores.tolist(), strict=True):
            results.append(
                [
                    Candidate(self._ids[i], self._texts[i], float(score))
                    for i, score in zip(row_positions, row_scores, strict=True)
                    if score > 0
                ]
            )
        return results

    def score_ids(self, query: str, ids: Sequence[str]) -> dict[str, float]:
        """BM25 scores of ``query`` for the given documents (0.0 where no term is shared).

        Rescores another stage's candidates lexically, e.g. for a dense + BM25 hybrid.

        Example:
            >>> source = BM25Source(["pump seal leaks", "cats purr"], ids=["a", "b"])
            >>> source.score_ids("seal leak", ["b", "a"])
            {'b': 0.0, 'a': 0.25...}
        """
        caller = "BM25Source.score_ids"
        query = check_query(query, caller=caller)
        unknown = [doc_id for doc_id in map(str, ids) if doc_id not in self._position]
        if unknown:
            raise KeyError(f"{caller}: document id {unknown[0]!r} is not in the index; index it first.")
        tokens = self._bm25s.tokenize(
            [query], stopwords=self._stopwords, show_progress=False, return_ids=False
        )
        known = [t for t in tokens[0] if t in self._index.vocab_dict]
        if not known:
            return {str(doc_id): 0.0 for doc_id in ids}
        scores = self._index.get_scores(known)
        return {str(doc_id): float(scores[self._position[str(doc_id)]]) for doc_id in ids}

    def score_run(
        self, queries: Mapping[str, str], run: Mapping[str, Mapping[str, float]]
    ) -> dict[str, dict[str, float]]:
        """BM25 scores of each query's candidates in ``run`` (``{query_id: {doc_id: score}}``).

        The lexical view of another stage's lists, e.g. to fuse with the dense scores.
        """
        return {qid: self.score_ids(queries[qid], list(docs)) for qid, docs in run.items()}

    def get_texts(self, ids: Sequence[str]) -> dict[str, str]:
        """Texts of the given document ids (unknown ids left out)."""
        return {d: self._texts[self._position[d]] for d in map(str, ids) if d in self._position}
