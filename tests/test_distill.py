"""Cross-encoder -> bi-encoder distillation (xrerank.training.distill) and its report.

Teacher: a tiny random cross-encoder, deterministic, so a consistent if meaningless judge. conftest's
tiny_model_dir scores every pair alike (its logits differ by ~0.005: random BERT outputs collapse),
so the training test redraws its weights wider and its sigmoid scores spread over [0, 1].
Student: conftest's tiny random BERT encoder with mean pooling. Distillation must make the student
reproduce the teacher's margins on the training set; that fails if training does nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MINING_CORPUS
from xrerank.evaluation.distillation_report import bi_encoder_run, distillation_report, query_gap
from xrerank.examples import TrainingExample
from xrerank.training.distill import DistillationConfig, distill_bi_encoder, teacher_scored
from xrerank.training.rows import build_distillation_rows

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny_student_dir(tiny_encoder_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """conftest's tiny random BERT encoder as a SentenceTransformer (mean pooling)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    transformer = Transformer(str(tiny_encoder_dir), max_seq_length=64)
    model = SentenceTransformer(modules=[transformer, Pooling(32, pooling_mode="mean")], device="cpu")
    path = tmp_path_factory.mktemp("tiny-student")
    model.save(str(path))
    return path


@pytest.fixture(scope="module")
def varied_teacher_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """conftest's tiny cross-encoder with its weight matrices redrawn at std 0.5 (from 0.02).

    Wide weights keep the random BERT from mapping every input to almost the same vector,
    so the sigmoid scores spread over [0, 1].
    """
    import torch
    from transformers import AutoTokenizer, BertForSequenceClassification

    torch.manual_seed(0)
    model = BertForSequenceClassification.from_pretrained(str(tiny_model_dir))
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("weight") and parameter.dim() == 2:
                parameter.normal_(0.0, 0.5)
    path = tmp_path_factory.mktemp("varied-teacher")
    model.save_pretrained(path)
    AutoTokenizer.from_pretrained(str(tiny_model_dir)).save_pretrained(path)
    return path


def toy_examples() -> list[TrainingExample]:
    """Eight queries over the mining corpus, each with one positive and three negatives."""
    texts = list(MINING_CORPUS.values())
    queries = [
        "how does bm25 rank documents",
        "what is dense retrieval",
        "what does a cross-encoder do",
        "why mine hard negatives",
        "how to fuse ranked lists",
        "what is faiss",
        "capital of france",
        "why warm up the learning rate",
    ]
    examples = []
    for i, query in enumerate(queries):
        others = [t for j, t in enumerate(texts) if j != i]
        examples.append(TrainingExample(query, [texts[i]], [others[i], others[i + 5], others[i + 7]]))
    return examples


def margins(student, examples):
    """(student margins, teacher margins) over every (query, positive, negative) triple."""
    student_m, teacher_m = [], []
    for example in examples:
        texts = [*example.positives, *example.negatives]
        q = student.encode_query([example.query], convert_to_tensor=True)
        d = student.encode_document(texts, convert_to_tensor=True)
        sims = student.similarity(q, d)[0].tolist()
        for n, negative_score in enumerate(example.negative_scores):
            student_m.append(sims[0] - sims[1 + n])
            teacher_m.append(example.positive_scores[0] - negative_score)
    return student_m, teacher_m


def test_distillation_moves_the_student_toward_the_teacher(varied_teacher_dir, tiny_student_dir, tmp_path):
    from sentence_transformers import SentenceTransformer

    examples = toy_examples()
    config = DistillationConfig(
        student=str(tiny_student_dir),
        epochs=30,
        learning_rate=3e-3,
        batch_size=4,
        warmup=0,
        max_length=32,
        teacher_max_length=64,
        output_dir=str(tmp_path / "student"),
        show_progress=False,
        device="cpu",
    )
    scored, pairs = teacher_scored(examples, str(varied_teacher_dir), config)
    assert pairs == 8 * 4
    before_s, teacher_m = margins(SentenceTransformer(str(tiny_student_dir), device="cpu"), scored)
    assert any(abs(m) > 0.2 for m in teacher_m), "the teacher must disagree with itself somewhere"

    result = distill_bi_encoder(examples, str(varied_teacher_dir), config)

    assert result.steps == 60 and result.train_rows == 8 and result.teacher_pairs == 32
    after_s, _ = margins(SentenceTransformer(str(result.model_path), device="cpu"), scored)

    def mse(student_m):
        return sum((s - t) ** 2 for s, t in zip(student_m, teacher_m, strict=True)) / len(teacher_m)

    def sign_agreement(student_m):
        decided = [(s, t) for s, t in zip(student_m, teacher_m, strict=True) if abs(t) > 0.2]
        return sum((s > 0) == (t > 0) for s, t in decided) / len(decided)

    assert mse(after_s) < 0.2 * mse(before_s)
    assert sign_agreement(after_s) >= 0.9 > sign_agreement(before_s)
    assert not Path(f"{result.model_path}.checkpoints").exists()


def test_cosent_with_scores_already_on_the_examples(tiny_student_dir, tmp_path):
    """teacher=None uses the examples' scores; CoSENT learns their order over the (query, passage) pairs."""
    from sentence_transformers import SentenceTransformer

    # Hand-made teacher: each query's positive scores 0.9, its negatives 0.6, 0.3, 0.1.
    examples = [
        TrainingExample(
            e.query,
            e.positives,
            e.negatives,
            positive_scores=[0.9],
            negative_scores=[0.6, 0.3, 0.1],
        )
        for e in toy_examples()
    ]
    config = DistillationConfig(
        student=str(tiny_student_dir),
        loss="cosent",
        epochs=20,
        learning_rate=3e-3,
        batch_size=8,
        warmup=0,
        max_length=32,
        output_dir=str(tmp_path / "student"),
        show_progress=False,
        device="cpu",
    )

    def top1_rate(model):
        run = {e.query: [*e.positives, *e.negatives] for e in examples}
        hits = 0
        for query, texts in run.items():
            sims = model.similarity(model.encode_query([query]), model.encode_document(texts))[0].tolist()
            hits += max(range(len(texts)), key=sims.__getitem__) == 0
        return hits / len(run)

    before = top1_rate(SentenceTransformer(str(tiny_student_dir), device="cpu"))
    result = distill_bi_encoder(examples, None, config)
    after = top1_rate(SentenceTransformer(str(result.model_path), device="cpu"))
    assert result.teacher_pairs == 0
    assert after >= 0.75 and after > before


def test_a_run_reports_to_tensorboard_and_its_callbacks(tiny_student_dir, tmp_path):
    """report_to/run_name reach the trainer, callbacks see the run, the event files are kept."""
    pytest.importorskip("tensorboard", reason="report_to='tensorboard' needs `pip install tensorboard`")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from transformers import TrainerCallback

    class Recorder(TrainerCallback):
        def __init__(self) -> None:
            self.events: list[str] = []
            self.run_name: str | None = None

        def on_train_begin(self, args, state, control, **kwargs):
            self.run_name = args.run_name
            self.events.append("train_begin")

        def on_train_end(self, args, state, control, **kwargs):
            self.events.append("train_end")

    examples = [
        TrainingExample(
            e.query, e.positives, e.negatives, positive_scores=[0.9], negative_scores=[0.6, 0.3, 0.1]
        )
        for e in toy_examples()
    ]
    config = DistillationConfig(
        student=str(tiny_student_dir),
        max_steps=2,
        batch_size=4,
        logging_steps=1,
        max_length=32,
        output_dir=str(tmp_path / "student"),
        show_progress=False,
        device="cpu",
        report_to="tensorboard",
        run_name="distill-run",
    )
    recorder = Recorder()

    distill_bi_encoder(examples, None, config, callbacks=[recorder])

    assert recorder.events == ["train_begin", "train_end"]
    assert recorder.run_name == "distill-run"
    event_files = list(config.checkpoint_dir.glob("runs/**/events.out.tfevents.*"))
    assert event_files, f"no TensorBoard event files under {config.checkpoint_dir}"
    events = EventAccumulator(str(event_files[0].parent))
    events.Reload()
    assert len(events.Scalars("train/loss")) == 2  # logging_steps=1, two steps


def test_teacher_reranker_scores_are_used_as_given(tiny_reranker_factory):
    teacher = tiny_reranker_factory(activation=None)
    examples = toy_examples()[:2]
    scored, pairs = teacher_scored(examples, teacher, DistillationConfig(num_negatives=2))
    assert pairs == 2 * 3
    expected = teacher.score_pairs(
        [(examples[0].query, t) for t in examples[0].positives + examples[0].negatives[:2]]
    )
    assert scored[0].positive_scores + scored[0].negative_scores == expected
    assert examples[0].positive_scores == []  # the caller's examples are not modified


def test_rows_per_loss():
    ex = TrainingExample("q", ["p"], ["n1", "n2"], positive_scores=[0.75], negative_scores=[0.5, 0.25])
    short = TrainingExample("q2", ["p2"], ["n3"], positive_scores=[1.0], negative_scores=[0.0])
    rows, skipped = build_distillation_rows([ex, short], DistillationConfig(num_negatives=2))
    assert skipped == 1
    assert rows == [
        {"query": "q", "positive": "p", "negative_1": "n1", "negative_2": "n2", "label": [0.25, 0.5]}
    ]
    pairs, skipped = build_distillation_rows([ex, short], DistillationConfig(loss="cosine", num_negatives=2))
    assert skipped == 0
    assert [(r["passage"], r["label"]) for r in pairs] == [
        ("p", 0.75),
        ("n1", 0.5),
        ("n2", 0.25),
        ("p2", 1.0),
        ("n3", 0.0),
    ]


# --------------------------------------------------------------------------- report maths


def test_report_on_a_hand_made_example():
    qrels = {
        "q1": {"r1": 2},  # seen; rel 0.8 vs hardest distractor 0.5: pass, gap +0.3
        "q2": {"r2": 2, "p2": 1},  # seen; best relevant p2 0.4 vs 0.6: fail, gap -0.2
        "q3": {"r3": 2},  # unseen; tie 0.7 vs 0.7: fail, gap 0.0
        "q4": {"r4": 2},  # unseen; the run holds no relevant passage: fail, no gap
        "q5": {"x": 0},  # no relevant passage: left out
    }
    run = {
        "q1": {"r1": 0.8, "d1": 0.5, "e1": 0.1},
        "q2": {"r2": 0.3, "p2": 0.4, "d2": 0.6},
        "q3": {"r3": 0.7, "d3": 0.7},
        "q4": {"d4": 0.9},
        "q5": {"x": 1.0},
    }
    topics = {"q1": "pumps", "q2": "pumps", "q3": "valves", "q4": "valves", "q5": "valves"}
    report = distillation_report({"student": run}, qrels, topics=topics, seen_topics=["pumps"])
    seen, unseen, overall = (report.stats["student"][s] for s in ("seen", "unseen", "all"))
    assert (seen.queries, seen.passes, seen.gap_queries) == (2, 1, 2)
    assert seen.mean_gap == pytest.approx((0.3 - 0.2) / 2)
    assert (unseen.queries, unseen.passes, unseen.gap_queries, unseen.no_relevant) == (2, 0, 1, 1)
    assert unseen.mean_gap == pytest.approx(0.0)
    assert (overall.queries, overall.passes, overall.pass_rate) == (4, 1, 0.25)
    assert overall.mean_gap == pytest.approx(0.1 / 3)
    # NDCG@10 by xrerank.evaluation.evaluate: q1 1.0; q2 grades r2=2, p2=1 ranked d2, p2, r2; q3 tie broken by
    # doc id descending (r3 first) = 1.0; q4 0.0.
    from math import log2

    q2 = (1 / log2(3) + 2 / log2(4)) / (2 + 1 / log2(3))
    assert seen.ndcg == pytest.approx((1.0 + q2) / 2)
    assert unseen.ndcg == pytest.approx(0.5)
    assert report.seen_topics == ("pumps",)
    table = report.table()
    assert "1/4 (25.0%)" in table and "+0.0500" in table
    as_dict = report.to_dict()
    assert as_dict["stats"]["student"]["all"]["pass_rate"] == 0.25


def test_query_gap_edges():
    assert query_gap({"r": 0.2}, {"r": 1}) == (True, None)  # nothing to beat
    assert query_gap({"d": 0.2}, {"r": 1}) == (False, None)  # no relevant candidate
    assert query_gap({"r": -0.1, "d": -0.4}, {"r": 1}) == (True, pytest.approx(0.3))


def test_report_without_topics_has_only_the_all_split():
    report = distillation_report({"a": {"q": {"r": 1.0}}, "b": {}}, {"q": {"r": 1}})
    assert list(report.stats["a"]) == ["all"]
    assert report.stats["b"]["all"].passes == 0  # a query missing from a run fails


def test_bi_encoder_run_scores_with_the_model_similarity(tiny_student_dir):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(tiny_student_dir), device="cpu")
    documents = dict(list(MINING_CORPUS.items())[:5])
    queries = {"a": "what is bm25", "b": "capital of france"}
    full = bi_encoder_run(model, queries, documents)
    assert set(full["a"]) == set(documents)
    q = model.encode_query(["capital of france"], convert_to_tensor=True)
    d = model.encode_document([documents["p03"]], convert_to_tensor=True)
    assert full["b"]["p03"] == pytest.approx(float(model.similarity(q, d)[0][0]), abs=1e-5)
    some = bi_encoder_run(model, queries, documents, {"a": ["p02", "p01"]})
    assert list(some["a"]) == ["p02", "p01"] and some["b"] == {}
    assert some["a"]["p02"] == pytest.approx(full["a"]["p02"], abs=1e-5)
    with pytest.raises(KeyError, match="'nope' of query 'a' has no text"):
        bi_encoder_run(model, queries, documents, {"a": ["nope"]})


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"loss": "kl"}, "loss='kl'; expected one of margin_mse, cosent, cosine"),
        ({"batch_size": 0}, "batch_size=0; expected an int >= 1"),
        ({"num_negatives": True}, "num_negatives=True; expected an int >= 1"),
        ({"max_steps": 0}, "max_steps=0; expected an int >= 1"),
        ({"max_length": 4}, "max_length=4; expected an int >= 8"),
        ({"epochs": float("nan")}, "epochs=nan; expected a positive number"),
        ({"learning_rate": 0}, "learning_rate=0; expected a positive number"),
        ({"warmup": -1}, "warmup=-1; expected a number >= 0"),
        ({"student": ""}, "student=''; expected a SentenceTransformer name"),
        ({"allow_pickle_weights": "no"}, "allow_pickle_weights='no'; expected True or False"),
        (
            {"report_to": "tensorboard,"},
            "DistillationConfig got report_to='tensorboard,'; expected a tracker",
        ),
        ({"run_name": 3}, "DistillationConfig got run_name=3; expected a string or None"),
    ],
)
def test_bad_config_is_refused(options, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        DistillationConfig(**options)


def test_bad_input_is_refused(tiny_model_dir, tiny_student_dir, tmp_path):
    config = DistillationConfig(output_dir=str(tmp_path / "out"), show_progress=False)
    with pytest.raises(ValueError, match="no training examples"):
        distill_bi_encoder([], str(tiny_model_dir), config)
    with pytest.raises(TypeError, match=r"got a dict at examples\[0\]; expected TrainingExample"):
        distill_bi_encoder([{"query": "q"}], str(tiny_model_dir), config)  # type: ignore[list-item]
    with pytest.raises(TypeError, match="got str as examples"):
        distill_bi_encoder("q", str(tiny_model_dir), config)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"teacher=None, but the example for query .* has no teacher scores"):
        distill_bi_encoder(toy_examples(), None, config)
    with pytest.raises(ValueError, match="has no classification head: it is a plain encoder or a bi-encoder"):
        distill_bi_encoder(toy_examples(), str(tiny_student_dir), config)
    with pytest.raises(TypeError, match="got a int as teacher"):
        distill_bi_encoder(toy_examples(), 3, config)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="got dict as config; expected DistillationConfig"):
        distill_bi_encoder(toy_examples(), str(tiny_model_dir), {"loss": "cosent"})  # type: ignore[arg-type]
    (tmp_path / "out").mkdir()
    with pytest.raises(FileExistsError, match="already exists; set overwrite=True"):
        distill_bi_encoder(toy_examples(), str(tiny_model_dir), config)
    short = [TrainingExample("q", ["p"], ["n"], positive_scores=[1.0], negative_scores=[0.0])]
    fresh = DistillationConfig(output_dir=str(tmp_path / "other"), num_negatives=3, show_progress=False)
    with pytest.raises(ValueError, match=r"every example has fewer than 3 negatives.*loss='cosent'"):
        distill_bi_encoder(short, None, fresh)


def test_bad_report_input_is_refused():
    with pytest.raises(ValueError, match="no runs"):
        distillation_report({}, {"q": {"r": 1}})
    with pytest.raises(ValueError, match="no relevant documents"):
        distillation_report({"a": {}}, {"q": {"r": 0}})
    with pytest.raises(KeyError, match="query 'q2' has no topic"):
        distillation_report({"a": {}}, {"q1": {"r": 1}, "q2": {"r": 1}}, topics={"q1": "t"})
    with pytest.raises(TypeError, match="str as seen_topics"):
        distillation_report({"a": {}}, {"q": {"r": 1}}, topics={"q": "t"}, seen_topics="t")


def test_benchmark_explains_a_missing_teacher(tmp_path):
    script = ROOT / "benchmarks" / "distillation.py"
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "needs a teacher" in result.stderr and "xrerank demo" in result.stderr
    missing = subprocess.run(
        [sys.executable, str(script), "--teacher", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 2 and "no such directory" in missing.stderr
