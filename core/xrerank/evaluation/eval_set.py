"""The held-out queries with the retriever's candidates that before/after metrics are computed on."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from xrerank.evaluation.metrics import evaluate_run
from xrerank.evaluation.runs import rerank_run

if TYPE_CHECKING:
    from xrerank.scoring.reranker import Reranker


@dataclass
class EvalSet:
    """Held-out queries with the retriever's candidates: what before/after metrics are computed on.

    Attributes:
        queries: ``{query_id: text}``.
        documents: ``{doc_id: text}`` for every candidate.
        candidates: The first-stage run: ``{query_id: {doc_id: retriever score}}``.
        qrels: ``{query_id: {doc_id: grade}}``.
        has_retriever_scores: False when the candidate scores are placeholders (no fusion then).

    Example:
        >>> from xrerank.examples import TrainingExample
        >>> es = EvalSet.from_examples([TrainingExample("q", ["p"], ["n"])])
        >>> es.queries, es.documents  # ids made up from positions: query 0, its positive 0, negative 0
        ({'0': 'q'}, {'0:p0': 'p', '0:n0': 'n'})
    """

    queries: dict[str, str]
    documents: dict[str, str]
    candidates: dict[str, dict[str, float]]
    qrels: dict[str, dict[str, float]]
    has_retriever_scores: bool = True

    @classmethod
    def from_examples(cls, examples: Iterable[Any]) -> EvalSet:
        """Candidates = each example's positives and negatives (no retriever scores).

        Example:
            >>> from xrerank.examples import TrainingExample
            >>> EvalSet.from_examples([TrainingExample("q", ["p"], ["n"])]).qrels
            {'0': {'0:p0': 1.0}}
        """
        queries: dict[str, str] = {}
        documents: dict[str, str] = {}
        candidates: dict[str, dict[str, float]] = {}
        qrels: dict[str, dict[str, float]] = {}
        for position, example in enumerate(examples):
            qid = str(position)
            queries[qid] = example.query
            run: dict[str, float] = {}
            for kind, texts in (("p", example.positives), ("n", example.negatives)):
                for i, text in enumerate(texts):
                    doc = f"{qid}:{kind}{i}"
                    documents[doc] = text
                    run[doc] = 0.0
            candidates[qid] = run
            qrels[qid] = {f"{qid}:p{i}": 1.0 for i in range(len(example.positives))}
        return cls(queries, documents, candidates, qrels, has_retriever_scores=False)

    def evaluate(
        self,
        reranker: Reranker,
        *,
        metrics: Sequence[str] = ("ndcg@10", "mrr@10"),
        show_progress: bool = False,
    ) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
        """Rerank the candidates; returns ``(mean metrics, reranked run)``."""
        run = rerank_run(reranker, self.queries, self.candidates, self.documents, show_progress=show_progress)
        return evaluate_run(run, self.qrels, metrics), run
