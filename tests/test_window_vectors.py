"""Picking a long passage's windows by sentence vectors indexed ahead of time (``window_picker``)."""

from __future__ import annotations

import pickle
import shutil

import pytest

from xrerank import Reranker
from xrerank.evaluation import EvalSet
from xrerank.evaluation.window_choice import choose_max_windows
from xrerank.models.serving_recipe import ServingRecipe, write_recipe
from xrerank.scoring.window_shortlist import shortlist_windows
from xrerank.scoring.window_vectors import SentenceVectorPicker, window_sentences
from xrerank.scoring.windows import WindowPlan, plan_windows

QUERY = "which enzyme repairs DNA"
FILLER = [f"Sentence number {i} talks about topic {i} in some detail." for i in range(12)]
# The evidence shares no word with the query: the lexical pick cannot find it, a bi-encoder can.
EVIDENCE = "Ligase mends broken strands of the genetic code."
LONG = " ".join([*FILLER[:6], EVIDENCE, *FILLER[6:]])


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny_model_dir))


def test_windows_split_into_the_sentences_and_lines_of_their_passage():
    assert window_sentences("Fault E-214\nReset the sensor. Then restart it.") == [
        "Fault E-214",
        "Reset the sensor.",
        "Then restart it.",
    ]
    passage = " ".join(FILLER[:4])
    assert window_sentences(passage) == FILLER[:4]


def test_the_window_nearest_the_query_in_meaning_is_kept(minilm_encoder, tokenizer):
    plan = plan_windows(tokenizer, [(QUERY, LONG), (QUERY, "A short passage.")], max_length=64)
    assert plan.owners.count(0) > 2
    picker = SentenceVectorPicker(minilm_encoder)
    assert picker.index([LONG]) == len(FILLER) + 1  # every sentence, once
    kept = shortlist_windows(plan, 1, picker, [LONG, "A short passage."])
    assert kept.owners == [0, 1]
    assert EVIDENCE in kept.pairs[0][1]
    assert kept.pairs[1] == (QUERY, "A short passage.")  # a passage that fits is not shown to the picker
    assert picker.encoded_at_query_time == 0  # the index held every sentence
    assert EVIDENCE not in shortlist_windows(plan, 1).pairs[0][1]  # the query words miss it


def test_unindexed_sentences_are_embedded_once_and_counted(tiny_encoder_dir, tokenizer):
    picker = SentenceVectorPicker(str(tiny_encoder_dir))
    plan = plan_windows(tokenizer, [(QUERY, LONG)], max_length=64)
    first = picker.window_scores(plan, [LONG])
    assert len(first) == len(plan.pairs)
    assert picker.encoded_at_query_time == picker.indexed_sentences == len(FILLER) + 1
    assert picker.window_scores(plan, [LONG]) == first
    assert picker.encoded_at_query_time == len(FILLER) + 1  # nothing new the second time


def test_a_heading_every_window_repeats_does_not_decide_the_pick(minilm_encoder):
    heading = "DNA repair enzymes"  # the closest line to the query, in every window
    plan = WindowPlan(
        [(QUERY, f"{heading}\n{FILLER[0]}"), (QUERY, f"{heading}\n{EVIDENCE}")],
        [0, 0],
    )
    passage = f"{heading}\n{FILLER[0]} {EVIDENCE}"
    scores = SentenceVectorPicker(minilm_encoder).window_scores(plan, [passage])
    assert scores[1] > scores[0]


def test_a_sentence_cut_between_words_counts_as_its_indexed_whole(tiny_encoder_dir, tokenizer):
    long_sentence = "Words " + " ".join(f"word{i}" for i in range(80)) + "."  # longer than any window
    passage = f"{FILLER[0]} {long_sentence} {FILLER[1]}"
    plan = plan_windows(tokenizer, [(QUERY, passage)], max_length=48)
    assert not any(long_sentence in text for _, text in plan.pairs)  # it was cut
    picker = SentenceVectorPicker(str(tiny_encoder_dir))
    assert picker.index([passage]) == 3
    picker.window_scores(plan, [passage])
    assert picker.encoded_at_query_time == 0


def test_the_reranker_scores_the_picked_window_only(tiny_reranker_factory, tiny_encoder_dir, tokenizer):
    picker = SentenceVectorPicker(str(tiny_encoder_dir))
    picker.index([LONG])
    one = tiny_reranker_factory(
        max_length=64, long_passages="max_window", activation=None, max_windows=1, window_picker=picker
    )
    every = tiny_reranker_factory(max_length=64, long_passages="max_window", activation=None)
    plan = plan_windows(tokenizer, [(QUERY, LONG)], 64)
    window = shortlist_windows(plan, 1, picker, [LONG]).pairs[0][1]
    assert one.score(QUERY, [LONG])[0] == pytest.approx(every.score(QUERY, [window])[0], abs=1e-5)
    assert one.stats.skipped_windows == len(plan.pairs) - 1
    copy = pickle.loads(pickle.dumps(one))  # what Ray sends to its workers: settings, not the index
    assert copy.window_picker.encoder_name == picker.encoder_name
    assert copy.window_picker.indexed_sentences == 0
    assert copy.score(QUERY, [LONG]) == pytest.approx(one.score(QUERY, [LONG]), abs=1e-5)


def test_the_recipe_names_the_picker_and_arguments_override_it(tiny_model_dir, tiny_encoder_dir, tmp_path):
    path = tmp_path / "tuned"
    shutil.copytree(tiny_model_dir, path)
    recipe = ServingRecipe(
        max_length=64, long_passages="max_window", max_windows=1, window_picker=str(tiny_encoder_dir)
    )
    write_recipe(path, recipe)
    served = Reranker(str(path), device="cpu")
    assert isinstance(served.window_picker, SentenceVectorPicker)
    assert served.window_picker.encoder_name == str(tiny_encoder_dir)
    assert Reranker(str(path), device="cpu", window_picker=None).window_picker is None
    with pytest.raises(TypeError, match="window_picker=int"):
        Reranker(str(path), device="cpu", window_picker=3)
    with pytest.raises(ValueError, match="window_picker=''"):
        ServingRecipe(window_picker="")
    with pytest.raises(TypeError, match="encoder=int"):
        SentenceVectorPicker(3)


def test_the_choice_tries_the_rerankers_picker_and_says_so(tiny_reranker_factory, tiny_encoder_dir):
    picker = SentenceVectorPicker(str(tiny_encoder_dir))
    distractor = LONG.replace(EVIDENCE, "Nothing to see here.")
    documents = {"hit": LONG, "miss": distractor, "short": "Enzymes are proteins."}
    queries = {f"q{i}": QUERY for i in range(3)}
    run = {qid: {"hit": 0.5, "miss": 0.6, "short": 0.4} for qid in queries}
    eval_set = EvalSet(queries, documents, run, {qid: {"hit": 1.0} for qid in queries})
    reranker = tiny_reranker_factory(
        max_length=64, long_passages="max_window", fusion_weight=0.5, window_picker=picker
    )
    choice = choose_max_windows(reranker, eval_set, tolerance=1.0)
    assert choice.max_windows == 1
    assert choice.record()["picked_by"] == str(tiny_encoder_dir)
    assert reranker.stats.pairs_requested == 0


def test_tune_refuses_a_window_picker_without_the_window_shortlist():
    from xrerank.training.tune import TuneConfig

    assert TuneConfig(window_shortlist=True, window_picker="encoder").window_picker == "encoder"
    with pytest.raises(ValueError, match="set window_shortlist=True"):
        TuneConfig(window_picker="encoder")


def test_an_index_larger_than_its_cache_says_so(tiny_encoder_dir, caplog):
    picker = SentenceVectorPicker(str(tiny_encoder_dir), cache_mb=0.0005)  # room for a few vectors
    picker.index([LONG])
    assert picker.indexed_sentences < len(FILLER) + 1
    assert "Raise cache_mb" in caplog.text


def test_both_adapters_serve_the_recipes_picker_in_the_cores_order(
    tiny_model_dir, tiny_encoder_dir, tmp_path
):
    from langchain_core.documents import Document
    from llama_index.core.schema import NodeWithScore, TextNode

    from langchain_xrerank import XRerankCompressor
    from llamaindex_xrerank import XRerankPostprocessor

    path = tmp_path / "tuned"
    shutil.copytree(tiny_model_dir, path)
    write_recipe(
        path,
        ServingRecipe(
            max_length=64, long_passages="max_window", max_windows=1, window_picker=str(tiny_encoder_dir)
        ),
    )
    texts = [LONG, LONG.replace(EVIDENCE, "Nothing to see here."), "Enzymes are proteins."]
    core = [item.index for item in Reranker(str(path), device="cpu").rank(QUERY, texts)]
    compressor = XRerankCompressor(model=str(path))
    postprocessor = XRerankPostprocessor(model=str(path))
    for adapter in (compressor, postprocessor):
        assert isinstance(adapter.reranker.window_picker, SentenceVectorPicker)
        adapter.reranker.window_picker.index(texts)
    docs = compressor.compress_documents(
        [Document(page_content=t, id=str(i)) for i, t in enumerate(texts)], QUERY
    )
    nodes = postprocessor.postprocess_nodes(
        [NodeWithScore(node=TextNode(text=t, id_=str(i))) for i, t in enumerate(texts)], query_str=QUERY
    )
    assert [int(doc.id) for doc in docs] == core
    assert [int(item.node.node_id) for item in nodes] == core
    assert compressor.reranker.stats.skipped_windows > 0
    assert compressor.reranker.window_picker.encoded_at_query_time == 0
