"""Did distillation work? Pass rate, relevance gap and NDCG@10 on seen and unseen topics.

The measures follow the distillation section of the production-reranking article that
issue 7 cites, generalised from its one relevant passage and one distractor per test case
to any candidate list:

* **pass**: the best-scored relevant candidate scores *strictly* above every irrelevant
  candidate, i.e. the system's top-1 is relevant (a tie with a distractor fails). The
  article's PASS is ``score(relevant) > score(distractor)``; with one of each it is the same.
* **relevance gap**: ``max score over relevant - max score over irrelevant`` (the hardest
  distractor). The article's "gap = rel - dist". Positive when the query passes; larger
  means the relevant passage is pushed further from the closest distractor. Gaps compare
  only between systems on the same score scale: the students' cosine similarities, not the
  teacher's sigmoid scores.

A candidate is relevant when its grade in ``qrels`` is above 0 (the convention of
:mod:`xrerank.evaluation.runs`); every other candidate is irrelevant. Queries are split into topics
*seen* in the distillation data and *unseen* ones: the unseen split tells whether the student
learned the domain or only its training queries.

Example:
    >>> runs = {"student": {"q1": {"a": 0.9, "b": 0.4}, "q2": {"a": 0.2, "b": 0.5}}}
    >>> qrels = {"q1": {"a": 2}, "q2": {"a": 2}}
    >>> report = distillation_report(runs, qrels, topics={"q1": "pumps", "q2": "valves"},
    ...                              seen_topics={"pumps"})
    >>> report.stats["student"]["all"].passes, round(report.stats["student"]["all"].mean_gap, 2)
    (1, 0.1)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from xrerank.evaluation.metrics import per_query_metrics
from xrerank.evaluation.runs import Qrels, Run

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

SPLITS = ("seen", "unseen", "all")


@dataclass
class SplitStats:
    """One system on one split of the queries.

    Attributes:
        queries: Judged queries in the split (those with at least one relevant document).
        passes: Queries whose best relevant candidate scores strictly above every irrelevant one.
        mean_gap: Mean relevance gap over the queries where it is defined (None if nowhere).
        gap_queries: Queries with a defined gap: at least one relevant *and* one irrelevant candidate.
        no_relevant: Queries whose run holds no relevant candidate (they fail; no gap).
        ndcg: Mean of ``metric`` (NDCG@10 by default) over ``queries``.
    """

    queries: int
    passes: int
    mean_gap: float | None
    gap_queries: int
    no_relevant: int
    ndcg: float

    @property
    def pass_rate(self) -> float:
        """``passes / queries`` (0.0 for an empty split)."""
        return self.passes / self.queries if self.queries else 0.0


@dataclass
class DistillationReport:
    """Pass rate, mean relevance gap and NDCG per system and split (``seen``, ``unseen``, ``all``).

    Attributes:
        stats: ``{system: {split: SplitStats}}``, systems in the order given; a split without
            queries is left out (no topics given: only ``all``).
        metric: The ranking metric in ``SplitStats.ndcg`` (``"ndcg@10"``).
        seen_topics: The topics counted as seen, sorted.
    """

    stats: dict[str, dict[str, SplitStats]]
    metric: str = "ndcg@10"
    seen_topics: tuple[str, ...] = ()

    def table(self) -> str:
        """A plain-text table: one line per system and split.

        Example:
            >>> print(distillation_report({"s": {"q": {"a": 1.0, "b": 0.5}}}, {"q": {"a": 1}}).table())
            system  split  queries       pass rate  mean gap   ndcg@10
            ----------------------------------------------------------
            s       all          1    1/1 (100.0%)   +0.5000    1.0000
        """
        width = max([len("system"), *(len(name) for name in self.stats)])
        header = (
            f"{'system':<{width}}  {'split':<6} {'queries':>7}  {'pass rate':>14}  {'mean gap':>8}  "
            f"{self.metric:>8}"
        )
        lines = [header, "-" * len(header)]
        for name, splits in self.stats.items():
            for position, (split, s) in enumerate(splits.items()):
                label = name if position == 0 else ""
                rate = f"{s.passes}/{s.queries} ({100 * s.pass_rate:.1f}%)"
                gap = f"{s.mean_gap:+.4f}" if s.mean_gap is not None else "-"
                lines.append(
                    f"{label:<{width}}  {split:<6} {s.queries:>7}  {rate:>14}  {gap:>8}  {s.ndcg:>8.4f}"
                )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``pass_rate`` included)."""
        return {
            "metric": self.metric,
            "seen_topics": list(self.seen_topics),
            "stats": {
                name: {split: {**asdict(s), "pass_rate": s.pass_rate} for split, s in splits.items()}
                for name, splits in self.stats.items()
            },
        }


def query_gap(scores: Mapping[str, float], judgments: Mapping[str, float]) -> tuple[bool, float | None]:
    """``(passed, gap)`` of one query; see the module docstring for the definitions.

    No relevant candidate: ``(False, None)``. No irrelevant candidate: ``(True, None)``.

    Example:
        >>> query_gap({"rel": 0.8, "dist": 0.3, "other": 0.1}, {"rel": 2})
        (True, 0.5)
        >>> query_gap({"rel": 0.3, "dist": 0.3}, {"rel": 1})
        (False, 0.0)
    """
    relevant = [float(score) for doc, score in scores.items() if float(judgments.get(doc, 0)) > 0]
    irrelevant = [float(score) for doc, score in scores.items() if float(judgments.get(doc, 0)) <= 0]
    if not relevant:
        return False, None
    if not irrelevant:
        return True, None
    gap = max(relevant) - max(irrelevant)
    return gap > 0, gap


def distillation_report(
    runs: Mapping[str, Run],
    qrels: Qrels,
    *,
    topics: Mapping[str, str] | None = None,
    seen_topics: Iterable[str] = (),
    metric: str = "ndcg@10",
) -> DistillationReport:
    """Pass rate, mean relevance gap and ``metric`` of each run, split by seen and unseen topics.

    Args:
        runs: ``{system: {query_id: {doc_id: score}}}``, e.g. base student, distilled student,
            teacher; compare them on the same candidates.
        qrels: ``{query_id: {doc_id: grade}}``; grade > 0 is relevant. Queries without a
            relevant document are left out; a query missing from a run fails.
        topics: ``{query_id: topic}``; without it only the ``all`` split is reported.
        seen_topics: Topics present in the distillation data; other topics are ``unseen``.
        metric: Ranking metric from :mod:`xrerank.evaluation.metrics` (default NDCG@10).

    Returns:
        A :class:`DistillationReport`; ``.table()`` prints it.

    Example:
        >>> runs = {"base": {"q": {"a": 0.4, "b": 0.6}}, "distilled": {"q": {"a": 0.7, "b": 0.2}}}
        >>> report = distillation_report(runs, {"q": {"a": 1}})
        >>> [report.stats[name]["all"].passes for name in runs]
        [0, 1]
    """
    if not runs:
        raise ValueError("distillation_report got no runs; pass {system name: run}.")
    if isinstance(seen_topics, str):
        raise TypeError("distillation_report got a str as seen_topics; expected a collection of topics.")
    seen = {str(topic) for topic in seen_topics}
    judged = {qid: j for qid, j in qrels.items() if any(float(g) > 0 for g in j.values())}
    if not judged:
        raise ValueError("distillation_report got qrels with no relevant documents; nothing to measure.")
    if topics is not None:
        unknown = sorted(qid for qid in judged if qid not in topics)
        if unknown:
            raise KeyError(
                f"distillation_report: query {unknown[0]!r} has no topic ({len(unknown)} in all); give "
                "every judged query a topic or pass topics=None."
            )
    groups: dict[str, list[str]] = {"seen": [], "unseen": [], "all": list(judged)}
    if topics is not None:
        for qid in judged:
            groups["seen" if topics[qid] in seen else "unseen"].append(qid)
    stats: dict[str, dict[str, SplitStats]] = {}
    for name, run in runs.items():
        per_query = per_query_metrics(run, judged, [metric])
        outcome = {qid: query_gap(run.get(qid, {}), judgments) for qid, judgments in judged.items()}
        stats[name] = {
            split: _split_stats(ids, outcome, per_query, metric)
            for split, ids in groups.items()
            if ids and (topics is not None or split == "all")
        }
    return DistillationReport(stats, metric=metric, seen_topics=tuple(sorted(seen)))


def _split_stats(
    ids: Sequence[str],
    outcome: Mapping[str, tuple[bool, float | None]],
    per_query: Mapping[str, Mapping[str, float]],
    metric: str,
) -> SplitStats:
    gaps = [gap for qid in ids if (gap := outcome[qid][1]) is not None]
    no_relevant = sum(outcome[qid] == (False, None) for qid in ids)  # query_gap's "no relevant" answer
    return SplitStats(
        queries=len(ids),
        passes=sum(outcome[qid][0] for qid in ids),
        mean_gap=sum(gaps) / len(gaps) if gaps else None,
        gap_queries=len(gaps),
        no_relevant=no_relevant,
        ndcg=sum(per_query[qid][metric] for qid in ids) / len(ids),
    )


def bi_encoder_run(
    model: SentenceTransformer,
    queries: Mapping[str, str],
    documents: Mapping[str, str],
    candidates: Mapping[str, Iterable[str]] | None = None,
    *,
    batch_size: int = 64,
    show_progress: bool = False,
) -> dict[str, dict[str, float]]:
    """Score documents for each query with a bi-encoder (the model's own similarity function).

    Each document is embedded once (``encode_document``), each query once (``encode_query``),
    so query and document prompts of the model apply.

    Args:
        model: A SentenceTransformer (the base or the distilled student).
        queries: ``{query_id: text}``.
        documents: ``{doc_id: text}``.
        candidates: ``{query_id: doc ids}`` to score per query; None scores every document
            (retrieval over the whole collection).
        batch_size: Texts per forward pass.
        show_progress: Progress bars while embedding.

    Returns:
        A run ``{query_id: {doc_id: score}}`` with plain floats.

    Example:
        >>> run = bi_encoder_run(encoder, {"q": "when was the Eiffel Tower built?"}, documents)
        >>> max(run["q"], key=run["q"].get)  # "The Eiffel Tower was completed in 1889 ..."
        'd7'
    """
    if candidates is not None:
        wanted = {qid: list(dict.fromkeys(candidates.get(qid, ()))) for qid in queries}
        missing = next(((qid, d) for qid, ids in wanted.items() for d in ids if d not in documents), None)
        if missing is not None:
            raise KeyError(f"bi_encoder_run: candidate {missing[1]!r} of query {missing[0]!r} has no text.")
    else:
        wanted = {qid: list(documents) for qid in queries}
    doc_ids = list(dict.fromkeys(d for ids in wanted.values() for d in ids))
    if not queries or not doc_ids:
        return {qid: {} for qid in queries}
    position = {d: i for i, d in enumerate(doc_ids)}
    doc_vectors = model.encode_document(
        [documents[d] for d in doc_ids],
        batch_size=batch_size,
        convert_to_tensor=True,
        show_progress_bar=show_progress,
    )
    query_ids = list(queries)
    query_vectors = model.encode_query(
        [queries[q] for q in query_ids],
        batch_size=batch_size,
        convert_to_tensor=True,
        show_progress_bar=show_progress,
    )
    similarity = model.similarity(query_vectors, doc_vectors).float().cpu().tolist()
    return {
        qid: {d: float(similarity[row][position[d]]) for d in wanted[qid]}
        for row, qid in enumerate(query_ids)
    }
