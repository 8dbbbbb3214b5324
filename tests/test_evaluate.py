"""Ranking metrics agree with pytrec_eval (through ir-measures); fusion and reports behave."""

from __future__ import annotations

import copy
import json
import random

import pytest

from xrerank.evaluation.eval_set import EvalSet
from xrerank.evaluation.fusion import choose_fusion_weight, fuse_runs
from xrerank.evaluation.metrics import evaluate_run, per_query_metrics, query_metric
from xrerank.evaluation.reports import Comparison, compare, per_query_report
from xrerank.evaluation.runs import rerank_run, top_k


def random_case(seed: int) -> tuple[dict, dict]:
    rng = random.Random(seed)
    run: dict[str, dict[str, float]] = {}
    qrels: dict[str, dict[str, float]] = {}
    for q in range(25):
        qid = f"q{q}"
        docs = [f"d{i}" for i in range(rng.randint(1, 40))]
        run[qid] = {d: rng.random() for d in docs}
        pool = [*docs, *(f"x{i}" for i in range(5))]  # some relevant docs never retrieved
        judged = rng.sample(pool, k=min(len(pool), rng.randint(1, 8)))
        qrels[qid] = {d: float(rng.choice([0, 1, 1, 2, 3])) for d in judged}
        if not any(qrels[qid].values()):
            qrels[qid][judged[0]] = 1.0
    return run, qrels


@pytest.mark.parametrize("seed", range(5))
def test_metrics_match_pytrec_eval(seed):
    import ir_measures
    from ir_measures import AP, RR, R, Success, nDCG

    run, qrels = random_case(seed)
    ours = per_query_metrics(run, qrels, ["ndcg@10", "mrr@10", "recall@5", "recall@100", "map", "success@1"])
    measures = {
        "ndcg@10": nDCG @ 10,
        "mrr@10": RR @ 10,
        "recall@5": R @ 5,
        "recall@100": R @ 100,
        "map": AP,
        "success@1": Success @ 1,
    }
    qrels_int = {q: {d: int(g) for d, g in docs.items()} for q, docs in qrels.items()}
    for name, measure in measures.items():
        reference = {m.query_id: m.value for m in ir_measures.iter_calc([measure], qrels_int, run)}
        for qid, value in reference.items():
            assert ours[qid][name] == pytest.approx(value, abs=1e-9), (name, qid)


def test_means_and_missing_queries():
    qrels = {"a": {"d1": 1}, "b": {"d2": 1}, "unjudged": {"d3": 0}}
    run = {"a": {"d1": 0.9, "d9": 0.1}}
    assert evaluate_run(run, qrels, ["mrr@10"]) == {"mrr@10": 0.5}  # b missing = 0, unjudged skipped
    assert type(evaluate_run(run, qrels, ["map"])["map"]) is float
    with pytest.raises(ValueError, match="needs a cutoff"):
        query_metric("ndcg", {}, {})
    with pytest.raises(ValueError, match="Unknown metric"):
        query_metric("p@5", {}, {})


def test_fusion_endpoints_and_no_mutation():
    reranked = {"q": {"a": 3.0, "b": 2.0, "c": 1.0}}
    retrieved = {"q": {"a": 0.1, "b": 0.5, "c": 0.9}}
    before = copy.deepcopy((reranked, retrieved))
    order = lambda run: sorted(run["q"], key=run["q"].get, reverse=True)  # noqa: E731
    assert order(fuse_runs(reranked, retrieved, 1.0)) == ["a", "b", "c"]
    assert order(fuse_runs(reranked, retrieved, 0.0)) == ["c", "b", "a"]
    assert (reranked, retrieved) == before
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        fuse_runs(reranked, retrieved, 1.5)
    with pytest.raises(KeyError, match="no retriever score"):
        fuse_runs({"q": {"zzz": 1.0}}, retrieved, 0.5)


def test_choose_fusion_weight_prefers_the_signal_that_ranks_relevant_first():
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}}
    retrieved = {"q1": {"a": 0.2, "b": 0.8}, "q2": {"a": 0.8, "b": 0.2}}  # retriever is wrong
    reranked = {"q1": {"a": 5.0, "b": 1.0}, "q2": {"a": 1.0, "b": 5.0}}  # reranker is right
    weight, table = choose_fusion_weight(reranked, retrieved, qrels)
    assert weight >= 0.5 and table[weight] == table[1.0] > table[0.0]
    weight, table = choose_fusion_weight(retrieved, reranked, qrels)
    assert weight <= 0.5 and table[weight] == table[0.0] > table[1.0]


def test_a_noisy_best_weight_gives_way_to_equal_weights():
    # Both signals agree on five queries; on q0 only the retriever is right, so 0.3 beats 0.5 there
    # and only there: a lead within noise.
    qrels = {f"q{i}": {"a": 1} for i in range(6)}
    retrieved = {q: {"a": 0.9, "b": 0.5, "c": 0.1} for q in qrels}
    reranked = {q: {"a": 0.9, "b": 0.5, "c": 0.1} for q in qrels}
    reranked["q0"] = {"a": 0.1, "b": 0.9, "c": 0.5}
    best, table = choose_fusion_weight(
        reranked, retrieved, qrels, grid=[0.0, 0.3, 0.5, 1.0], standard_errors=0
    )
    chosen, _ = choose_fusion_weight(reranked, retrieved, qrels, grid=[0.0, 0.3, 0.5, 1.0])
    assert table[best] > table[0.5] and chosen == 0.5


def test_choose_fusion_weight_refuses_a_prior_outside_the_weights():
    with pytest.raises(ValueError, match="prior"):
        choose_fusion_weight({"q": {"a": 1.0}}, {"q": {"a": 1.0}}, {"q": {"a": 1}}, prior=2.0)


def test_rerank_run_scores_every_candidate_with_floats(tiny_reranker):
    run = rerank_run(
        tiny_reranker,
        {"q": "what is bm25"},
        {"q": {"d1": 0.3, "d2": 0.1}},
        {"d1": "BM25 is a ranking function.", "d2": "Pasta recipes."},
        show_progress=False,
    )
    assert set(run["q"]) == {"d1", "d2"} and all(type(v) is float for v in run["q"].values())
    with pytest.raises(KeyError, match="no text"):
        rerank_run(tiny_reranker, {"q": "x"}, {"q": {"zz": 1.0}}, {}, show_progress=False)


def test_eval_set_from_examples_and_top_k(tiny_reranker):
    from xrerank.examples import TrainingExample

    es = EvalSet.from_examples([TrainingExample("q", ["good"], ["bad1", "bad2"])])
    metrics, run = es.evaluate(tiny_reranker)
    assert set(metrics) == {"ndcg@10", "mrr@10"} and len(run["0"]) == 3
    assert top_k({"q": {"a": 1.0, "b": 3.0, "c": 2.0}}, 2) == {"q": {"b": 3.0, "c": 2.0}}


def test_comparison_table_and_json(tmp_path):
    qrels = {"q": {"a": 1}}
    comparison = compare(
        {"dense": {"q": {"a": 0.1, "b": 0.9}}, "tuned": {"q": {"a": 0.9, "b": 0.1}}},
        qrels,
        ["ndcg@10", "mrr@10"],
    )
    comparison.extra = {"tuned": {"train_s": 12.0}}
    table = comparison.table(baseline="dense")
    assert "tuned" in table and "+36.9" in table and "12.0" in table
    saved = json.loads(comparison.save_json(tmp_path / "out" / "r.json").read_text())
    assert saved["metrics"]["tuned"]["mrr@10"] == 1.0 and saved["per_query"]["dense"]["q"]["mrr@10"] == 0.5
    assert isinstance(Comparison(metrics={}).table(), str)


def test_per_query_report_marks_fixed_and_broken_split_by_topic():
    qrels = {"q1": {"a": 1}, "q2": {"a": 1}, "q3": {"a": 1}}
    queries = {"q1": "seen question", "q2": "new question", "q3": "another new one"}
    runs = {
        "dense": {q: {"a": 0.5, "b": 0.6} for q in qrels},
        "base": {"q1": {"a": 0.1, "b": 0.9}, "q2": {"a": 0.9, "b": 0.1}, "q3": {"a": 0.1, "b": 0.9}},
        "tuned": {"q1": {"a": 0.9, "b": 0.1}, "q2": {"a": 0.1, "b": 0.9}, "q3": {"a": 0.9, "b": 0.1}},
    }
    report = per_query_report(
        runs,
        qrels,
        queries,
        base="base",
        tuned="tuned",
        retriever="dense",
        topics={"q1": "law", "q2": "med", "q3": "med"},
        seen_topics=["law"],
    )
    assert "[SEEN  ] seen question" in report
    assert report.count("fine-tuning fixed this") == 2 and report.count("fine-tuning broke this") == 1
    assert "Seen topics:" in report and "Unseen topics:" in report
    assert "Overall:" in report and "fixed 2 case(s)" in report and "broke 1" in report
    with pytest.raises(ValueError, match="both topics and seen_topics"):
        per_query_report(runs, qrels, queries, base="base", tuned="tuned", topics={"q1": "law"})
    with pytest.raises(KeyError, match="no run named"):
        per_query_report(runs, qrels, queries, base="nope", tuned="tuned")
