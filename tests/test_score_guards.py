"""One bad value never scrambles a ranking: non-finite scores, nodes without text, broken Unicode,
empty texts and missing model paths, through the core and both adapters.

The NaN tests use the tiny random-weight models with a forward hook that turns the output for
any input holding the word "poison" into NaN, as an fp16 overflow on a GPU does.
"""

from __future__ import annotations

import asyncio
import logging
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document
from llama_index.core.schema import ImageNode, NodeWithScore, TextNode

from langchain_xrerank import XRerankCompressor
from llamaindex_xrerank import XRerankPostprocessor
from xrerank import LateInteractionReranker, ModelLoadError, Reranker
from xrerank.scoring.fusion import fuse_scores
from xrerank.scoring.ranking import select_ranked

QUERY = "What is the capital of France?"
PASSAGES = [
    "The Eiffel Tower is a wrought-iron lattice tower in Paris.",
    "Photosynthesis turns light, water and carbon dioxide into sugar.",
    "Paris is the capital and largest city of France.",
    "A cross-encoder reads the query and the passage together.",
    "Bananas are rich in potassium.",
    "France borders Spain, Italy, Germany and Belgium.",
]
POISON = "poison"


def poisoned(texts: list[str], position: int) -> list[str]:
    """``texts`` with the word that makes the patched model emit NaN added at ``position``."""
    return [f"{text} {POISON}" if i == position else text for i, text in enumerate(texts)]


def poison_rows(input_ids: Any, tokenizer: Any) -> Any:
    poison_id = tokenizer.convert_tokens_to_ids(POISON)
    assert poison_id != tokenizer.unk_token_id  # one whole token, so the hook can find it
    return (input_ids == poison_id).any(dim=1)


def nan_cross_encoder(reranker: Reranker) -> Reranker:
    """Patch the loaded model's head: any pair holding the poison word scores NaN."""
    tokenizer = reranker.model.tokenizer

    def hook(module: Any, args: Any, kwargs: dict[str, Any], output: Any) -> Any:
        output.logits[poison_rows(kwargs["input_ids"], tokenizer)] = math.nan
        return output

    reranker.model.model.register_forward_hook(hook, with_kwargs=True)
    return reranker


def nan_encoder(reranker: LateInteractionReranker) -> LateInteractionReranker:
    """Patch the loaded encoder: the token vectors of any text holding the poison word are NaN."""
    model = reranker.model

    def hook(module: Any, args: Any, output: dict[str, Any]) -> dict[str, Any]:
        output["token_embeddings"][poison_rows(output["input_ids"], model.tokenizer)] = math.nan
        return output

    model.register_forward_hook(hook)
    return reranker


@pytest.fixture
def nan_reranker(tiny_reranker_factory) -> Reranker:
    return nan_cross_encoder(tiny_reranker_factory().load())


@pytest.fixture
def nan_late(tiny_encoder_dir: Path) -> LateInteractionReranker:
    return nan_encoder(LateInteractionReranker(tiny_encoder_dir, device="cpu").load())


def expected_order(scores: list[float]) -> list[int]:
    """Finite scores best first (ties in input order), then the non-finite ones in input order."""
    finite = sorted((i for i, s in enumerate(scores) if math.isfinite(s)), key=lambda i: (-scores[i], i))
    return finite + [i for i, s in enumerate(scores) if not math.isfinite(s)]


# ------------------------------------------------------------------------------ non-finite scores


def test_select_ranked_puts_non_finite_scores_last_in_input_order() -> None:
    # Sorting this list with NaN in the key put 0.1 above 0.9 and cut the true second best at top_k=2.
    scores = [0.5, math.nan, 0.9, 0.1, math.inf, 0.7, -math.inf, math.nan]
    texts = [str(i) for i in range(len(scores))]
    ranked = select_ranked(texts, scores, top_k=None, threshold=None)
    assert [item.index for item in ranked] == [2, 5, 0, 3, 1, 4, 6, 7]
    assert [item.index for item in select_ranked(texts, scores, top_k=2, threshold=None)] == [2, 5]
    kept = select_ranked(texts, scores, top_k=None, threshold=-1e9)
    assert [item.index for item in kept] == [2, 5, 0, 3]  # no non-finite score passes a threshold


@pytest.mark.parametrize("position", [0, 2, 5])
def test_reranker_score_returns_nan_as_is_and_warns_once_per_call(
    nan_reranker: Reranker, position: int, caplog
) -> None:
    texts = poisoned(PASSAGES, position)
    with caplog.at_level(logging.WARNING, logger="xrerank"):
        scores = nan_reranker.score(QUERY, texts)
    assert math.isnan(scores[position])
    assert all(math.isfinite(s) for i, s in enumerate(scores) if i != position)
    warnings = [r.getMessage() for r in caplog.records if "not finite" in r.getMessage()]
    assert len(warnings) == 1
    assert "Reranker.score: 1 of 6 scores" in warnings[0] and f"first at position {position}" in warnings[0]
    assert "stats.non_finite_scores" in warnings[0]
    assert nan_reranker.stats.non_finite_scores == 1


@pytest.mark.parametrize("position", [0, 1, 2, 3, 4, 5])
def test_reranker_rank_keeps_the_true_order_and_the_true_second_best(
    nan_reranker: Reranker, position: int
) -> None:
    texts = poisoned(PASSAGES, position)
    scores = nan_reranker.score(QUERY, texts)
    order = expected_order(scores)
    assert order[-1] == position
    assert [item.index for item in nan_reranker.rank(QUERY, texts)] == order
    assert [item.index for item in nan_reranker.rank(QUERY, texts, top_k=2)] == order[:2]
    assert [item.index for item in asyncio.run(nan_reranker.arank(QUERY, texts, top_k=2))] == order[:2]
    assert nan_reranker.stats.non_finite_scores == 4  # score, rank, rank, arank: one each


def test_reranker_raw_logits_and_score_pairs_are_guarded_too(tiny_reranker_factory) -> None:
    raw = nan_cross_encoder(tiny_reranker_factory(activation=None).load())
    texts = poisoned(PASSAGES, 3)
    scores = raw.score(QUERY, texts)
    assert [item.index for item in raw.rank(QUERY, texts)] == expected_order(scores)
    pair_scores = raw.score_pairs([(QUERY, text) for text in texts])
    assert math.isnan(pair_scores[3])
    assert math.isnan(asyncio.run(raw.ascore_pairs([(QUERY, texts[3])]))[0])
    assert raw.stats.non_finite_scores == 4


def test_reranker_threshold_never_keeps_a_nan(nan_reranker: Reranker) -> None:
    texts = poisoned(PASSAGES, 2)
    ranked = nan_reranker.rank(QUERY, texts, threshold=0.0)  # sigmoid scores: every finite one passes
    assert [item.index for item in ranked] == expected_order(nan_reranker.score(QUERY, texts))[:-1]


def test_fusion_fuses_the_finite_scores_among_themselves(tiny_reranker_factory) -> None:
    reranker = nan_cross_encoder(tiny_reranker_factory(fusion_weight=0.5).load())
    texts = poisoned(PASSAGES, 1)
    retriever = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    own = reranker.score(QUERY, texts)
    finite = [i for i in range(len(texts)) if i != 1]
    fused = dict(
        zip(finite, fuse_scores([own[i] for i in finite], [retriever[i] for i in finite], 0.5), strict=True)
    )
    want = [*sorted(finite, key=lambda i: (-fused[i], i)), 1]

    ranked = reranker.rank(QUERY, texts, retriever_scores=retriever)
    assert [item.index for item in ranked] == want
    assert [item.score for item in ranked[:-1]] == pytest.approx([fused[i] for i in want[:-1]])
    assert math.isnan(ranked[-1].score) and math.isnan(ranked[-1].reranker_score)
    top2 = asyncio.run(reranker.arank(QUERY, texts, top_k=2, retriever_scores=retriever))
    assert [item.index for item in top2] == want[:2]


@pytest.mark.parametrize("position", [0, 3])
def test_late_interaction_ranks_a_nan_last(nan_late: LateInteractionReranker, position: int, caplog) -> None:
    texts = poisoned(PASSAGES, position)
    with caplog.at_level(logging.WARNING, logger="xrerank"):
        scores = nan_late.score(QUERY, texts)
    assert math.isnan(scores[position])
    assert any("LateInteractionReranker.score: 1 of 6" in r.getMessage() for r in caplog.records)
    order = expected_order(scores)
    assert [item.index for item in nan_late.rank(QUERY, texts, top_k=2)] == order[:2]
    assert [item.index for item in asyncio.run(nan_late.arank(QUERY, texts))] == order
    assert nan_late.stats.non_finite_scores == 3


@pytest.mark.parametrize("position", [0, 2])
def test_both_adapters_rank_a_nan_last_and_agree(nan_reranker: Reranker, position: int) -> None:
    texts = poisoned(PASSAGES, position)
    order = expected_order(nan_reranker.score(QUERY, texts))
    docs = [Document(page_content=text, id=str(i)) for i, text in enumerate(texts)]
    nodes = [NodeWithScore(node=TextNode(text=text, id_=str(i))) for i, text in enumerate(texts)]
    compressor = XRerankCompressor(reranker=nan_reranker, top_n=None)
    postprocessor = XRerankPostprocessor(reranker=nan_reranker, top_n=None)

    by_langchain = compressor.compress_documents(docs, QUERY)
    by_llamaindex = postprocessor.postprocess_nodes(nodes, query_str=QUERY)
    assert [doc.id for doc in by_langchain] == [str(i) for i in order]
    assert [item.node.node_id for item in by_llamaindex] == [str(i) for i in order]
    assert math.isnan(by_langchain[-1].metadata["relevance_score"]) and math.isnan(by_llamaindex[-1].score)

    compressor.top_n = postprocessor.top_n = 2
    assert [d.id for d in asyncio.run(compressor.acompress_documents(docs, QUERY))] == [
        str(i) for i in order[:2]
    ]
    two = asyncio.run(postprocessor.apostprocess_nodes(nodes, query_str=QUERY))
    assert [item.node.node_id for item in two] == [str(i) for i in order[:2]]


def test_both_adapters_fuse_around_a_nan(tiny_reranker_factory) -> None:
    reranker = nan_cross_encoder(tiny_reranker_factory(fusion_weight=0.5).load())
    texts = poisoned(PASSAGES, 0)
    retriever = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    want = [item.index for item in reranker.rank(QUERY, texts, top_k=3, retriever_scores=retriever)]
    assert 0 not in want
    docs = [
        Document(page_content=t, id=str(i), metadata={"sim": s})
        for i, (t, s) in enumerate(zip(texts, retriever, strict=True))
    ]
    nodes = [
        NodeWithScore(node=TextNode(text=t, id_=str(i)), score=s)
        for i, (t, s) in enumerate(zip(texts, retriever, strict=True))
    ]
    compressor = XRerankCompressor(reranker=reranker, top_n=3, retriever_score_key="sim")
    postprocessor = XRerankPostprocessor(reranker=reranker, top_n=3)
    assert [doc.id for doc in compressor.compress_documents(docs, QUERY)] == [str(i) for i in want]
    result = postprocessor.postprocess_nodes(nodes, query_str=QUERY)
    assert [item.node.node_id for item in result] == [str(i) for i in want]


# ------------------------------------------------------------------------------ nodes without text


def image_node(name: str, **fields: Any) -> NodeWithScore:
    node = ImageNode(
        image_url=f"https://example.org/{name}.png", id_=name, metadata={"file_name": f"{name}.png"}, **fields
    )
    return NodeWithScore(node=node, score=0.99)


def text_nodes() -> list[NodeWithScore]:
    return [
        NodeWithScore(node=TextNode(text=text, id_=f"t{i}"), score=0.5) for i, text in enumerate(PASSAGES[:3])
    ]


def test_an_image_node_without_text_is_not_scored_and_comes_last(tiny_reranker_factory) -> None:
    reranker = tiny_reranker_factory()
    nodes = [image_node("cat"), *text_nodes(), image_node("dog")]
    postprocessor = XRerankPostprocessor(reranker=reranker, top_n=None)

    result = postprocessor.postprocess_nodes(nodes, query_str=QUERY)
    expected = reranker.rank(QUERY, PASSAGES[:3])
    assert [item.node.node_id for item in result] == [f"t{e.index}" for e in expected] + ["cat", "dog"]
    assert [item.score for item in result[:3]] == [e.score for e in expected]
    assert [item.score for item in result[3:]] == [None, None]
    assert isinstance(result[3].node, ImageNode) and result[3].node is not nodes[0].node  # a copy
    assert reranker.stats.pairs_requested == 6  # the three texts, twice: the images never reach the model
    assert nodes[0].score == 0.99  # the caller's node is unchanged


def test_nodes_without_text_fill_the_places_top_n_leaves_and_fail_any_threshold(tiny_reranker) -> None:
    nodes = [image_node("cat"), *text_nodes(), image_node("dog")]
    ids = lambda result: [item.node.node_id for item in result]  # noqa: E731
    four = XRerankPostprocessor(reranker=tiny_reranker, top_n=4).postprocess_nodes(nodes, query_str=QUERY)
    assert ids(four)[3:] == ["cat"] and all(item.score is not None for item in four[:3])
    two = XRerankPostprocessor(reranker=tiny_reranker, top_n=2).postprocess_nodes(nodes, query_str=QUERY)
    assert "cat" not in ids(two) and len(two) == 2
    with_threshold = XRerankPostprocessor(reranker=tiny_reranker, top_n=None, score_threshold=0.0)
    assert len(ids(with_threshold.postprocess_nodes(nodes, query_str=QUERY))) == 3
    asynchronous = asyncio.run(
        XRerankPostprocessor(reranker=tiny_reranker, top_n=4).apostprocess_nodes(nodes, query_str=QUERY)
    )
    assert ids(asynchronous) == ids(four)


def test_only_images_come_back_unscored_without_loading_a_model() -> None:
    postprocessor = XRerankPostprocessor(model="nobody/no-such-model", top_n=None, keep_retrieval_score=True)
    result = postprocessor.postprocess_nodes([image_node("cat"), image_node("dog")], query_str=QUERY)
    assert [(item.node.node_id, item.score) for item in result] == [("cat", None), ("dog", None)]
    assert result[0].node.metadata["retrieval_score"] == 0.99
    assert postprocessor.reranker._model is None


def test_an_image_node_with_a_caption_and_an_empty_text_node_are_scored(tiny_reranker) -> None:
    captioned = image_node("tower", text=PASSAGES[0])
    empty = NodeWithScore(node=TextNode(text="", id_="empty"), score=0.1)
    result = XRerankPostprocessor(reranker=tiny_reranker, top_n=None).postprocess_nodes(
        [captioned, empty], query_str=QUERY
    )
    assert all(type(item.score) is float for item in result) and len(result) == 2


# ------------------------------------------------------------------------------ empty texts


def test_empty_texts_are_scored_everywhere_alike(tiny_reranker, tiny_encoder_dir: Path) -> None:
    texts = ["", PASSAGES[2], "   "]
    scores = tiny_reranker.score(QUERY, texts)
    assert len(scores) == 3 and all(math.isfinite(s) for s in scores)
    expected = [(str(e.index), e.score) for e in tiny_reranker.rank(QUERY, texts)]
    docs = XRerankCompressor(reranker=tiny_reranker, top_n=None).compress_documents(
        [Document(page_content=t, id=str(i)) for i, t in enumerate(texts)], QUERY
    )
    nodes = XRerankPostprocessor(reranker=tiny_reranker, top_n=None).postprocess_nodes(
        [NodeWithScore(node=TextNode(text=t, id_=str(i))) for i, t in enumerate(texts)], query_str=QUERY
    )
    assert [(d.id, d.metadata["relevance_score"]) for d in docs] == expected
    assert [(n.node.node_id, n.score) for n in nodes] == expected
    late = LateInteractionReranker(tiny_encoder_dir, device="cpu")
    assert late.score(QUERY, [""]) == [0.0]  # no token vectors: MaxSim of nothing


# ------------------------------------------------------------------------------ broken Unicode


SURROGATE = "broken \ud83d emoji"


@pytest.mark.parametrize(
    ("call", "where"),
    [
        (lambda r: r.score(QUERY, ["fine", SURROGATE]), r"Reranker.score got .* of texts\[1\]"),
        (lambda r: r.score(SURROGATE, ["fine"]), r"Reranker.score got .* of the query"),
        (lambda r: r.rank(QUERY, [SURROGATE], top_k=1), r"Reranker.rank got .* of texts\[0\]"),
        (lambda r: asyncio.run(r.arank(QUERY, ["a", "b", SURROGATE])), r"Reranker.arank got .* texts\[2\]"),
        (lambda r: r.score_pairs([(QUERY, "a"), (QUERY, SURROGATE)]), r"of the text of pairs\[1\]"),
        (lambda r: r.score_pairs([(SURROGATE, "a")]), r"of the query of pairs\[0\]"),
        (lambda r: r.best_windows([(QUERY, SURROGATE)]), r"Reranker.best_windows got .* pairs\[0\]"),
    ],
)
def test_a_lone_surrogate_is_named_before_the_model_loads(call, where: str) -> None:
    reranker = Reranker("nobody/not-a-model")  # would fail to load: the check comes first
    with pytest.raises(ValueError, match=where) as error:
        call(reranker)
    assert "lone surrogate '\\ud83d'" in str(error.value) and "errors='replace'" in str(error.value)
    assert reranker._model is None


def test_a_lone_surrogate_is_named_by_late_interaction_and_both_adapters(tiny_reranker) -> None:
    late = LateInteractionReranker("nobody/not-an-encoder")
    with pytest.raises(ValueError, match=r"lone surrogate '\\ud83d' at character 7 of texts\[0\]"):
        late.score(QUERY, [SURROGATE])
    with pytest.raises(ValueError, match=r"LateInteractionReranker.index got .* texts\[1\]"):
        late.index(["fine", SURROGATE])
    compressor = XRerankCompressor(reranker=tiny_reranker)
    with pytest.raises(ValueError, match=r"page_content of documents\[1\]"):
        compressor.compress_documents([Document(page_content="a"), Document(page_content=SURROGATE)], QUERY)
    with pytest.raises(ValueError, match=r"XRerankCompressor.compress_documents got .* the query"):
        compressor.compress_documents([Document(page_content="a")], SURROGATE)
    postprocessor = XRerankPostprocessor(reranker=tiny_reranker)
    with pytest.raises(ValueError, match=r"content of nodes\[0\]"):
        postprocessor.postprocess_nodes([NodeWithScore(node=TextNode(text=SURROGATE))], query_str=QUERY)


# ------------------------------------------------------------------------------ missing local paths


@pytest.mark.parametrize(
    "name",
    ["./path/that/does/not/exist", "../missing-model", "/no/such/model", "~/no-such-model", "models/x/"],
)
def test_a_missing_local_path_fails_at_construction_naming_it(name: str) -> None:
    for build in (Reranker, LateInteractionReranker):
        with pytest.raises(
            ModelLoadError, match=f"'{name}': it is not a local directory \\(no such directory\\)"
        ):
            build(name)
    with pytest.raises(ModelLoadError, match="Pass the path of a model directory"):
        XRerankCompressor(model=name)
    with pytest.raises(ModelLoadError, match="no such directory"):
        XRerankPostprocessor(model=f"late:{name}")


def test_hub_names_are_still_loaded_lazily() -> None:
    for name in ("org/model", "plain-model-name"):
        assert Reranker(name)._model is None
        assert LateInteractionReranker(name)._model is None
    with pytest.raises(ModelLoadError, match="could not be downloaded"):
        Reranker("nobody/no-such-reranker", local_files_only=True).load()


def test_a_save_killed_between_its_renames_is_repaired_not_refused(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    from test_atomic_save import dead_pid

    shutil.copytree(tiny_model_dir, tmp_path / f".reranker.old-{dead_pid()}")
    reranker = Reranker(str(tmp_path / "reranker"), device="cpu")
    assert (tmp_path / "reranker").is_dir()
    assert len(reranker.score(QUERY, PASSAGES[:2])) == 2
