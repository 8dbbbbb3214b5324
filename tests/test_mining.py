"""Hard-negative mining from an existing store: filters, sampling, report, denoising, properties."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xrerank import FaissSource, LogRecord, MiningConfig, mine_hard_negatives
from xrerank.examples import load_examples, save_examples
from xrerank.mining import EmbeddingSource
from xrerank.mining.log_records import normalize_text
from xrerank.mining.miner import iter_hard_negatives
from xrerank.mining.mining_report import MiningReport
from xrerank.training.rows import to_bce_pairs, to_ntuples

faiss = pytest.importorskip("faiss")

LOG = [
    {
        "query": "how does a cross-encoder score a query and a passage?",
        "positive_ids": ["p03"],
        "query_id": "q1",
    },
    {"query": "what is the capital of France?", "positive_ids": ["p08"], "query_id": "q2"},
    {"query": "how do search engines score documents with term frequency?", "positive_ids": ["p01"]},
    {"query": "what are hard negatives in retrieval training?", "positive_ids": ["p05"]},
]


@pytest.fixture(scope="module")
def encoded_queries():
    return []


@pytest.fixture(scope="module")
def source(mining_corpus_vectors, minilm_encoder, encoded_queries):
    ids, texts, vectors = mining_corpus_vectors
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)

    def encode(queries):  # the user's model, counting what mining asks it to embed
        encoded_queries.extend(queries)
        return minilm_encoder.encode(queries, convert_to_numpy=True)

    return FaissSource(index, texts=texts, ids=ids, query_encoder=encode)


@pytest.fixture(scope="module")
def texts_by_id(mining_corpus_vectors):
    ids, texts, _ = mining_corpus_vectors
    return dict(zip(ids, texts, strict=True))


def scores_for(source, query, k=16):
    return {c.id: c.score for c in source.search(query, k)}


def test_mining_embeds_only_the_queries(source, encoded_queries):
    encoded_queries.clear()
    examples, report = mine_hard_negatives(
        LOG + LOG[:1], source, MiningConfig(num_negatives=3), show_progress=False
    )
    assert sorted(encoded_queries) == sorted(r["query"] for r in LOG)  # repeats merged, corpus never embedded
    assert report.queries == 4 and report.examples == len(examples) == 4


def test_known_positive_and_its_text_twin_never_come_back(source, texts_by_id):
    config = MiningConfig(num_negatives=5, relative_margin=None)
    (example,) = mine_hard_negatives(LOG[:1], source, config, show_progress=False).examples
    assert example.positive_ids == ["p03"] and example.positives == [texts_by_id["p03"]]
    assert "p03" not in example.negative_ids and "p04" not in example.negative_ids  # p04 = p03 re-spaced
    assert len(example.negatives) == 5 and len(example.negative_ids) == 5
    assert example.negatives == [texts_by_id[i] for i in example.negative_ids]
    assert example.query_id == "q1"


def test_report_counts_every_filter(source):
    _, report = mine_hard_negatives(
        LOG[:1], source, MiningConfig(num_negatives=3, relative_margin=None), show_progress=False
    )
    assert report.removed["positive_id"] == 1 and report.removed["positive_text"] == 1
    assert report.candidates == 16
    assert report.removed["outside_window"] == 0  # 14 left, a window of 30
    assert "removed by positive_text: 1" in report.summary()
    assert report.to_dict()["removed"]["positive_id"] == 1
    narrow = MiningConfig(num_negatives=3, range_max=4, relative_margin=None)
    _, narrow_report = mine_hard_negatives(LOG[:1], source, narrow, show_progress=False)
    assert narrow_report.candidates == 4 + 1  # the store is asked for the window plus the positives


def test_text_only_positives_are_matched_by_normalised_text(source, texts_by_id):
    record = {"query": "what is the capital of France?", "positives": [texts_by_id["p08"].upper() + "  "]}
    (example,) = mine_hard_negatives(
        [record], source, MiningConfig(relative_margin=None), show_progress=False
    ).examples
    assert "p08" not in example.negative_ids
    assert example.positive_ids == ["p08"]  # the id is learnt from the store's match


def test_relative_margin_keeps_negatives_below_95_percent_of_the_positive(source, texts_by_id):
    query = LOG[2]["query"]
    scores = scores_for(source, query)
    (example,) = mine_hard_negatives(
        [LOG[2]], source, MiningConfig(num_negatives=5, relative_margin=0.05), show_progress=False
    ).examples
    threshold = scores["p01"] - abs(scores["p01"]) * 0.05
    assert example.negative_ids
    assert all(scores[i] <= threshold for i in example.negative_ids)
    # And they are the best-ranked ones that pass (one of the twins p03/p04): nothing better was skipped.
    passing = [i for i, s in sorted(scores.items(), key=lambda kv: -kv[1]) if s <= threshold and i != "p01"]
    expected = list(dict.fromkeys(normalize_text(texts_by_id[i]) for i in passing))
    assert [normalize_text(t) for t in example.negatives] == expected[:5]


def test_absolute_margin_max_score_and_min_score(source):
    query = LOG[1]["query"]
    scores = scores_for(source, query)
    positive = scores["p08"]
    config = MiningConfig(num_negatives=5, relative_margin=None, absolute_margin=0.5)
    (example,) = mine_hard_negatives([LOG[1]], source, config, show_progress=False).examples
    assert all(scores[i] + 0.5 <= positive for i in example.negative_ids)
    config = MiningConfig(num_negatives=5, relative_margin=None, max_score=0.2, min_score=0.0)
    examples, report = mine_hard_negatives([LOG[1]], source, config, show_progress=False)
    assert all(0.0 <= scores[i] <= 0.2 for i in examples[0].negative_ids)
    assert report.removed["max_score"] == sum(1 for i, s in scores.items() if s > 0.2 and i != "p08")


def test_a_positive_the_store_does_not_return_blocks_margin_mining(source):
    record = {"query": "what is the capital of France?", "positive_ids": ["p11"]}  # sourdough: ranked low
    config = MiningConfig(num_negatives=2, range_max=3)
    examples, report = mine_hard_negatives([record], source, config, show_progress=False)
    assert examples == [] and report.positive_not_retrieved == 1 and report.dropped == 1
    assert report.removed["relative_margin"] > 0
    assert "raise range_max" in report.summary()
    off = MiningConfig(num_negatives=2, range_max=3, relative_margin=None)
    (example,) = mine_hard_negatives([record], source, off, show_progress=False).examples
    assert example.positives and example.negative_ids[0] == "p08"  # the positive's text came from the store


def test_rank_window_skips_the_top(source):
    top = mine_hard_negatives(
        [LOG[1]], source, MiningConfig(num_negatives=4, relative_margin=None), show_progress=False
    ).examples[0]
    skipped = mine_hard_negatives(
        [LOG[1]],
        source,
        MiningConfig(num_negatives=2, range_min=2, relative_margin=None),
        show_progress=False,
    ).examples[0]
    assert skipped.negative_ids == top.negative_ids[2:4]


def test_random_sampling_is_seeded_and_stays_in_the_window(source):
    def mine(seed):
        config = MiningConfig(
            num_negatives=3, sampling="random", seed=seed, range_max=8, relative_margin=None
        )
        return mine_hard_negatives(LOG, source, config, show_progress=False).examples

    first, again, other = mine(1), mine(1), mine(2)
    assert [e.negative_ids for e in first] == [e.negative_ids for e in again]
    assert [e.negative_ids for e in first] != [e.negative_ids for e in other]
    window = mine_hard_negatives(
        LOG, source, MiningConfig(num_negatives=8, range_max=8, relative_margin=None), show_progress=False
    ).examples
    for sampled, full in zip(first, window, strict=True):
        assert set(sampled.negative_ids) <= set(full.negative_ids)
        positions = [full.negative_ids.index(i) for i in sampled.negative_ids]
        assert positions == sorted(positions)  # hardest first


def test_random_share_mixes_in_easy_negatives_from_other_queries(source):
    config = MiningConfig(num_negatives=4, random_share=0.5, range_max=4, relative_margin=None)
    examples, report = mine_hard_negatives(LOG, source, config, show_progress=False)
    assert report.random_negatives == 2 * len(examples)
    for example in examples:
        own = {c.id for c in source.search(example.query, config.range_max + 1)}
        easy = example.negative_ids[2:]
        assert len(easy) == 2 and not set(easy) & own


def test_judged_and_skipped_negatives_from_the_log_come_first(source):
    record = {
        "query": "what is the capital of France?",
        "positive_ids": ["p08"],
        "shown": ["p12", "p08"],
        "labels": {"p10": 0},
    }
    config = MiningConfig(num_negatives=3, relative_margin=None, use_skipped=True)
    examples, report = mine_hard_negatives([record], source, config, show_progress=False)
    assert examples[0].negative_ids[:2] == ["p10", "p12"]
    assert report.log_negatives == 2
    plain = mine_hard_negatives(
        [record],
        source,
        MiningConfig(num_negatives=3, relative_margin=None, use_judged_negatives=False),
        show_progress=False,
    )
    assert plain.examples[0].negative_ids[:2] != ["p10", "p12"]


def test_queries_without_usable_positives_are_reported(source):
    records = [
        {"query": "no click here", "shown": ["p01"]},
        {"query": "ghost", "positive_ids": ["not-in-store"]},
    ]
    examples, report = mine_hard_negatives(records, source, show_progress=False)
    assert examples == []
    assert report.no_positives == 2 and report.positives_without_text == 1


def test_teacher_denoising_drops_candidates_rated_like_the_positive(source, tiny_reranker):
    config = MiningConfig(num_negatives=4, relative_margin=None, range_max=12)
    examples, report = mine_hard_negatives(LOG, source, config, teacher=tiny_reranker, show_progress=False)
    for example in examples:
        assert example.has_teacher_scores
        assert all(type(s) is float for s in example.positive_scores + example.negative_scores)
        assert all(s < min(example.positive_scores) for s in example.negative_scores)
        assert example.negative_scores == pytest.approx(tiny_reranker.score(example.query, example.negatives))
    assert report.removed["teacher"] > 0  # random weights: plenty of candidates outscore the positive


def test_examples_feed_the_loss_layouts_and_round_trip(source, tmp_path):
    examples, _ = mine_hard_negatives(
        LOG, source, MiningConfig(num_negatives=3, relative_margin=None), show_progress=False
    )
    assert len(to_bce_pairs(examples)) == sum(1 + 3 for _ in examples)
    assert len(to_ntuples(examples, 3)) == len(examples)
    path = tmp_path / "train.jsonl"
    save_examples(examples, path)
    assert load_examples(path) == examples


def test_streaming_fills_the_report_as_it_goes(source):
    report = MiningReport()
    stream = iter_hard_negatives(
        (LogRecord(r["query"], positive_ids=tuple(r["positive_ids"])) for r in LOG),
        source,
        MiningConfig(num_negatives=2, batch_size=2),
        report=report,
        show_progress=False,
    )
    first = next(stream)
    assert first.query == LOG[0]["query"] and report.queries == 2
    rest = list(stream)
    assert report.queries == 4 and report.examples == 1 + len(rest)


def test_progress_bar_can_be_switched_off(source, capsys):
    mine_hard_negatives(LOG[:1], source, show_progress=False)
    assert "Mining" not in capsys.readouterr().err
    mine_hard_negatives(LOG[:1], source, show_progress=True)
    assert "Mining" in capsys.readouterr().err


def test_config_errors_name_the_fix():
    with pytest.raises(ValueError, match="num_negatives=0"):
        MiningConfig(num_negatives=0)
    with pytest.raises(ValueError, match="raise range_max"):
        MiningConfig(num_negatives=5, range_max=3)
    with pytest.raises(ValueError, match="random_share"):
        MiningConfig(random_share=1.5)
    with pytest.raises(ValueError, match="sampling"):
        MiningConfig(sampling="best")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"relative_margin=-0\.1"):
        MiningConfig(relative_margin=-0.1)
    assert MiningConfig(num_negatives=3).range_max == 30


def test_bad_source_and_records_are_explained(source):
    with pytest.raises(TypeError, match="CandidateSource"):
        mine_hard_negatives(LOG, object(), show_progress=False)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="records"):
        mine_hard_negatives("log.jsonl", source, show_progress=False)  # type: ignore[arg-type]


def test_the_same_negatives_from_faiss_langchain_and_llamaindex(source, mining_corpus_vectors):
    """One corpus in three stores: mining asks each store and gets the same negatives."""
    from framework_embeddings import MiniLMEmbeddings, llamaindex_embedding
    from langchain_core.vectorstores import InMemoryVectorStore
    from llama_index.core import Document, VectorStoreIndex

    from langchain_xrerank import VectorStoreSource
    from llamaindex_xrerank import RetrieverSource

    ids, texts, _ = mining_corpus_vectors
    store = InMemoryVectorStore(MiniLMEmbeddings())
    store.add_texts(texts, ids=ids)
    index = VectorStoreIndex.from_documents(
        [Document(text=t, id_=i) for i, t in zip(ids, texts, strict=True)], embed_model=llamaindex_embedding()
    )
    config = MiningConfig(num_negatives=3, relative_margin=0.05)
    results = [
        mine_hard_negatives(LOG, s, config, show_progress=False).examples
        for s in (source, VectorStoreSource(store), RetrieverSource(index, id_key="ref_doc_id"))
    ]
    # Compared by text: the twins p03/p04 tie, and each store may list either first.
    as_sets = [[{normalize_text(t) for t in e.negatives} for e in examples] for examples in results]
    assert as_sets[0] == as_sets[1] == as_sets[2]
    assert all(len(e.negative_ids) == 3 for e in results[0])


# --------------------------------------------------------------------------- property


def _hash_vector(text: str, dim: int = 8) -> list[float]:
    digest = hashlib.sha256(normalize_text(text).encode()).digest()
    return [b / 255.0 - 0.5 for b in digest[:dim]]


_words = st.sampled_from(["alpha", "beta", "gamma", "delta", "omega", "sigma", "tau"])
_doc = st.lists(_words, min_size=1, max_size=3).map(" ".join)


def _variant(text: str, how: int) -> str:
    return [text, text.upper(), f"  {text}  ", text.replace(" ", "\n "), text.title()][how % 5]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    docs=st.lists(_doc, min_size=3, max_size=14),
    picks=st.lists(st.tuples(st.integers(0, 13), st.booleans(), st.integers(0, 4)), min_size=1, max_size=3),
    num_negatives=st.integers(1, 6),
    sampling=st.sampled_from(["top", "random"]),
    random_share=st.sampled_from([0.0, 0.5]),
    margin=st.sampled_from([None, 0.05]),
    use_skipped=st.booleans(),
)
def test_no_known_positive_ever_comes_back_as_a_negative(
    docs, picks, num_negatives, sampling, random_share, margin, use_skipped
):
    ids = [f"d{i}" for i in range(len(docs))]
    source = EmbeddingSource(
        [_hash_vector(d) for d in docs], docs, ids=ids, query_encoder=lambda qs: [_hash_vector(q) for q in qs]
    )
    positive_ids, positive_texts = [], []
    for index, by_id, how in picks:
        index %= len(docs)
        if by_id:
            positive_ids.append(ids[index])
        else:
            positive_texts.append(_variant(docs[index], how))
    records = [
        {"query": "alpha beta", "positive_ids": positive_ids, "positives": positive_texts, "shown": ids[:4]},
        {"query": "omega", "positive_ids": [ids[-1]], "labels": {ids[0]: 0}},
    ]
    config = MiningConfig(
        num_negatives=num_negatives,
        sampling=sampling,
        random_share=random_share,
        relative_margin=margin,
        use_skipped=use_skipped,
        min_negatives=0,
        range_max=20,
    )
    examples, report = mine_hard_negatives(records, source, config, show_progress=False)
    known = {
        0: (set(positive_ids), positive_texts + [docs[ids.index(i)] for i in positive_ids]),
        1: ({ids[-1]}, [docs[-1]]),
    }
    for example in examples:
        which = 0 if example.query == "alpha beta" else 1
        known_ids, known_texts = known[which]
        normalised = {normalize_text(t) for t in known_texts}
        assert not set(example.negative_ids) & known_ids
        assert not {normalize_text(t) for t in example.negatives} & normalised
        assert len({normalize_text(t) for t in example.negatives}) == len(example.negatives)  # no duplicates
        assert len(example.negatives) <= num_negatives
    assert report.examples == len(examples)


def test_log_negatives_with_the_same_text_are_used_once():
    """Regression (found by the property test): skipped ids whose documents share a text."""
    docs = ["alpha", "alpha", "alpha", "beta"]
    ids = [f"d{i}" for i in range(len(docs))]
    source = EmbeddingSource(
        [_hash_vector(d) for d in docs], docs, ids=ids, query_encoder=lambda qs: [_hash_vector(q) for q in qs]
    )
    records = [{"query": "alpha beta", "positive_ids": ["d3"], "shown": ids}]
    config = MiningConfig(num_negatives=2, use_skipped=True, relative_margin=None, min_negatives=0)
    examples, _ = mine_hard_negatives(records, source, config, show_progress=False)
    (example,) = examples
    assert len({normalize_text(t) for t in example.negatives}) == len(example.negatives)
