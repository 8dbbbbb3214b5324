"""llamaindex_xrerank.XRerankPostprocessor: behaviour on real LlamaIndex objects."""

from __future__ import annotations

import asyncio
import copy
import importlib.util
import pickle
import sys
from pathlib import Path

import pytest
from llama_index.core.callbacks import CallbackManager, CBEventType, EventPayload, LlamaDebugHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events.rerank import ReRankEndEvent, ReRankStartEvent
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle, TextNode

import llamaindex_xrerank
from llamaindex_xrerank import XRerankPostprocessor

PASSAGES = [
    "The Eiffel Tower is a wrought-iron lattice tower in Paris.",
    "Photosynthesis turns light, water and carbon dioxide into sugar.",
    "Paris is the capital and largest city of France.",
    "A cross-encoder reads the query and the passage together.",
    "Bananas are rich in potassium.",
    "France borders Spain, Italy, Germany and Belgium.",
]
QUERY = "What is the capital of France?"


def make_nodes() -> list[NodeWithScore]:
    return [
        NodeWithScore(
            node=TextNode(text=text, id_=f"node-{i}", metadata={"section": f"s{i}"}), score=0.9 - i / 10
        )
        for i, text in enumerate(PASSAGES)
    ]


def embed_texts(nodes: list[NodeWithScore]) -> list[str]:
    return [item.node.get_content(metadata_mode=MetadataMode.EMBED) for item in nodes]


def test_public_api_is_declared() -> None:
    assert "XRerankPostprocessor" in llamaindex_xrerank.__all__
    for name in llamaindex_xrerank.__all__:
        assert getattr(llamaindex_xrerank, name) is not None
    assert XRerankPostprocessor.class_name() == "XRerankPostprocessor"


def test_returns_top_n_best_first_matching_reranker_rank(tiny_reranker) -> None:
    nodes = make_nodes()
    result = XRerankPostprocessor(reranker=tiny_reranker, top_n=3).postprocess_nodes(nodes, query_str=QUERY)

    expected = tiny_reranker.rank(QUERY, embed_texts(nodes), top_k=3)
    assert [item.node.node_id for item in result] == [f"node-{entry.index}" for entry in expected]
    assert [item.score for item in result] == [entry.score for entry in expected]
    assert all(type(item.score) is float for item in result)
    assert all(isinstance(item, NodeWithScore) for item in result)


def test_text_is_embed_content_unless_told_otherwise(tiny_reranker) -> None:
    nodes = make_nodes()
    nodes[0].node.excluded_embed_metadata_keys = ["section"]
    default = XRerankPostprocessor(reranker=tiny_reranker, top_n=None).postprocess_nodes(
        nodes, query_str=QUERY
    )
    expected = tiny_reranker.score(QUERY, embed_texts(nodes))
    assert "section: s1" in embed_texts(nodes)[1] and "section" not in embed_texts(nodes)[0]
    assert {item.node.node_id: item.score for item in default} == {
        f"node-{i}": score for i, score in enumerate(expected)
    }

    bare = XRerankPostprocessor(reranker=tiny_reranker, top_n=None, metadata_mode=MetadataMode.NONE)
    bare_scores = {item.node.node_id: item.score for item in bare.postprocess_nodes(nodes, query_str=QUERY)}
    assert bare_scores == {f"node-{i}": score for i, score in enumerate(tiny_reranker.score(QUERY, PASSAGES))}


def test_copies_nodes_and_leaves_the_callers_untouched(tiny_reranker) -> None:
    nodes = make_nodes()
    before = copy.deepcopy(nodes)
    rerank = XRerankPostprocessor(reranker=tiny_reranker, top_n=None, keep_retrieval_score=True)
    result = rerank.postprocess_nodes(nodes, query_str=QUERY)

    assert [(n.node.model_dump(), n.score) for n in nodes] == [(n.node.model_dump(), n.score) for n in before]
    originals = {item.node.node_id: item for item in nodes}
    for item in result:
        original = originals[item.node.node_id]
        assert item is not original and item.node is not original.node
        assert item.node.metadata is not original.node.metadata
        assert item.node.text == original.node.text


def test_keep_retrieval_score_stays_out_of_embed_and_llm_text(tiny_reranker) -> None:
    nodes = make_nodes()
    rerank = XRerankPostprocessor(reranker=tiny_reranker, top_n=None, keep_retrieval_score=True)
    result = rerank.postprocess_nodes(nodes, query_str=QUERY)

    first_stage = {item.node.node_id: item.score for item in nodes}
    for item in result:
        assert item.node.metadata["retrieval_score"] == first_stage[item.node.node_id]
        assert "retrieval_score" not in item.node.get_content(metadata_mode=MetadataMode.EMBED)
        assert "retrieval_score" not in item.node.get_content(metadata_mode=MetadataMode.LLM)
    # A second pass over reranked nodes scores the same text as the first.
    again = rerank.postprocess_nodes(result, query_str=QUERY)
    assert [item.score for item in again] == [item.score for item in result]
    assert all(item.node.excluded_embed_metadata_keys.count("retrieval_score") == 1 for item in again)

    plain = XRerankPostprocessor(reranker=tiny_reranker).postprocess_nodes(make_nodes(), query_str=QUERY)
    assert all("retrieval_score" not in item.node.metadata for item in plain)


def test_threshold_applies_before_top_n(tiny_reranker) -> None:
    everything = XRerankPostprocessor(reranker=tiny_reranker, top_n=None).postprocess_nodes(
        make_nodes(), query_str=QUERY
    )
    threshold = sorted(item.score for item in everything)[4]  # two nodes score at or above it
    kept = XRerankPostprocessor(reranker=tiny_reranker, top_n=5, score_threshold=threshold).postprocess_nodes(
        make_nodes(), query_str=QUERY
    )
    assert [item.node.node_id for item in kept] == [item.node.node_id for item in everything[:2]]


def test_query_bundle_and_query_str_agree(tiny_reranker) -> None:
    rerank = XRerankPostprocessor(reranker=tiny_reranker)
    by_str = rerank.postprocess_nodes(make_nodes(), query_str=QUERY)
    by_bundle = rerank.postprocess_nodes(make_nodes(), query_bundle=QueryBundle(QUERY))
    by_plain_str = rerank.postprocess_nodes(make_nodes(), QUERY)  # type: ignore[arg-type]
    assert [(n.node.node_id, n.score) for n in by_str] == [(n.node.node_id, n.score) for n in by_bundle]
    assert [(n.node.node_id, n.score) for n in by_plain_str] == [(n.node.node_id, n.score) for n in by_str]


def test_a_query_is_required(tiny_reranker) -> None:
    rerank = XRerankPostprocessor(reranker=tiny_reranker)
    with pytest.raises(ValueError, match=r"needs a query.*query_str="):
        rerank.postprocess_nodes(make_nodes())
    with pytest.raises(ValueError, match=r"needs a query"):
        asyncio.run(rerank.apostprocess_nodes(make_nodes()))
    with pytest.raises(ValueError, match=r"XRerankPostprocessor got an empty query"):
        rerank.postprocess_nodes(make_nodes(), query_str="  ")


def test_empty_input_returns_empty_without_loading_a_model() -> None:
    rerank = XRerankPostprocessor(model="nobody/no-such-model")
    assert rerank.postprocess_nodes([], query_str=QUERY) == []
    assert asyncio.run(rerank.apostprocess_nodes([], query_str=QUERY)) == []


def test_async_matches_sync(tiny_reranker) -> None:
    rerank = XRerankPostprocessor(reranker=tiny_reranker, top_n=4, keep_retrieval_score=True)
    sync = rerank.postprocess_nodes(make_nodes(), query_str=QUERY)
    result = asyncio.run(rerank.apostprocess_nodes(make_nodes(), query_str=QUERY))
    assert [(n.node.model_dump(), n.score) for n in result] == [(n.node.model_dump(), n.score) for n in sync]


def test_node_without_text_is_named_by_index(tiny_reranker) -> None:
    nodes = make_nodes()
    nodes[3] = NodeWithScore(node=TextNode.model_construct(text=None, metadata={}), score=0.1)
    with pytest.raises(TypeError, match=r"XRerankPostprocessor got None at content of nodes\[3\]"):
        XRerankPostprocessor(reranker=tiny_reranker).postprocess_nodes(nodes, query_str=QUERY)


def test_bare_nodes_are_rejected_with_the_fix(tiny_reranker) -> None:
    nodes = [*make_nodes()[:2], TextNode(text="no score wrapper")]
    with pytest.raises(TypeError, match=r"TextNode at nodes\[2\].*NodeWithScore\(node=node\)"):
        XRerankPostprocessor(reranker=tiny_reranker).postprocess_nodes(nodes, query_str=QUERY)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"top_n": -1}, "top_n=-1; expected a positive int"),
        ({"score_threshold": "high"}, "score_threshold='high'; expected a finite number"),
        ({"top_k": 5}, "call it top_n"),
        ({"model": "other/model"}, "got both reranker="),
    ],
)
def test_bad_options_fail_at_construction_with_the_fix(tiny_reranker, options, message) -> None:
    with pytest.raises(ValueError, match=message):
        XRerankPostprocessor(reranker=tiny_reranker, **options)


class _Recorder(BaseEventHandler):
    events: list[object]

    @classmethod
    def class_name(cls) -> str:
        return "Recorder"

    def handle(self, event, **kwargs) -> None:
        if isinstance(event, (ReRankStartEvent, ReRankEndEvent)):
            self.events.append(event)


@pytest.mark.parametrize("use_async", [False, True])
def test_emits_rerank_events_and_the_reranking_callback(tiny_reranker, use_async: bool) -> None:
    debug = LlamaDebugHandler()
    recorder = _Recorder(events=[])
    root = get_dispatcher()
    root.add_event_handler(recorder)
    try:
        rerank = XRerankPostprocessor(
            reranker=tiny_reranker, top_n=2, callback_manager=CallbackManager([debug])
        )
        if use_async:
            result = asyncio.run(rerank.apostprocess_nodes(make_nodes(), query_str=QUERY))
        else:
            result = rerank.postprocess_nodes(make_nodes(), query_str=QUERY)
    finally:
        root.event_handlers.remove(recorder)

    start, end = recorder.events
    assert isinstance(start, ReRankStartEvent) and isinstance(end, ReRankEndEvent)
    assert start.top_n == 2 and start.model_name == tiny_reranker.model_name and len(start.nodes) == 6
    assert [n.node.node_id for n in end.nodes] == [n.node.node_id for n in result]

    ((begin, finish),) = debug.get_event_pairs(CBEventType.RERANKING)
    assert begin.payload[EventPayload.QUERY_STR] == QUERY
    assert begin.payload[EventPayload.TOP_K] == 2
    assert begin.payload[EventPayload.MODEL_NAME] == tiny_reranker.model_name
    assert [n.node.node_id for n in finish.payload[EventPayload.NODES]] == [n.node.node_id for n in result]


def test_pickle_and_deepcopy_keep_working(tiny_reranker) -> None:
    rerank = XRerankPostprocessor(
        reranker=tiny_reranker, top_n=2, score_threshold=0.0, keep_retrieval_score=True
    )
    expected = [(n.node.node_id, n.score) for n in rerank.postprocess_nodes(make_nodes(), query_str=QUERY)]

    clone = copy.deepcopy(rerank)
    assert clone.reranker is rerank.reranker  # the model is shared, not duplicated
    restored = pickle.loads(pickle.dumps(rerank))
    assert restored.reranker.model_name == rerank.reranker.model_name
    for other in (clone, restored):
        assert (other.top_n, other.score_threshold, other.keep_retrieval_score) == (2, 0.0, True)
        assert [
            (n.node.node_id, n.score) for n in other.postprocess_nodes(make_nodes(), query_str=QUERY)
        ] == expected


def test_to_dict_from_dict_rebuilds_from_the_model_path(tiny_model_dir: Path, tiny_reranker) -> None:
    rerank = XRerankPostprocessor(model=tiny_model_dir, top_n=2)
    data = rerank.to_dict()
    assert data["model"] == str(tiny_model_dir) and "reranker" not in data
    rebuilt = XRerankPostprocessor.from_json(rerank.to_json())
    result = rebuilt.postprocess_nodes(make_nodes(), query_str=QUERY)
    expected = tiny_reranker.rank(QUERY, embed_texts(make_nodes()), top_k=2)
    assert [n.score for n in result] == [entry.score for entry in expected]


# --------------------------------------------------------------- integration (MiniLM)


@pytest.fixture(scope="module")
def minilm_index():
    from framework_embeddings import llamaindex_embedding
    from llama_index.core import Document, VectorStoreIndex

    documents = [Document(text=text, id_=f"doc-{i}") for i, text in enumerate(PASSAGES)]
    return VectorStoreIndex.from_documents(documents, embed_model=llamaindex_embedding())


@pytest.mark.integration
def test_in_a_query_engine_over_a_vector_store_index(minilm_index, tiny_reranker) -> None:
    from llama_index.core.llms import MockLLM

    rerank = XRerankPostprocessor(reranker=tiny_reranker, top_n=2, keep_retrieval_score=True)
    engine = minilm_index.as_query_engine(similarity_top_k=5, node_postprocessors=[rerank], llm=MockLLM())
    first_stage = minilm_index.as_retriever(similarity_top_k=5).retrieve(QUERY)

    response = engine.query(QUERY)
    expected = tiny_reranker.rank(QUERY, embed_texts(first_stage), top_k=2)
    assert [n.node.get_content() for n in response.source_nodes] == [
        first_stage[entry.index].node.get_content() for entry in expected
    ]
    assert [n.score for n in response.source_nodes] == [entry.score for entry in expected]
    retrieval = {n.node.node_id: n.score for n in first_stage}
    assert all(n.node.metadata["retrieval_score"] == retrieval[n.node.node_id] for n in response.source_nodes)
    for item in response.source_nodes:  # only the reranked nodes reach the LLM prompt
        assert item.node.get_content() in str(response)

    async_response = asyncio.run(engine.aquery(QUERY))
    assert [(n.node.node_id, n.score) for n in async_response.source_nodes] == [
        (n.node.node_id, n.score) for n in response.source_nodes
    ]


def _load_example(name: str):
    path = Path(__file__).resolve().parents[1] / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.integration
def test_llamaindex_example_runs() -> None:
    example = _load_example("llamaindex_rerank")
    responses = example.main()
    assert set(responses) == {"query", "aquery"}
    for response in responses.values():
        scores = [item.score for item in response.source_nodes]
        assert len(scores) == example.TOP_N
        assert all(type(score) is float for score in scores)
        assert scores == sorted(scores, reverse=True)
        assert all("retrieval_score" in item.node.metadata for item in response.source_nodes)
    assert [n.node.node_id for n in responses["query"].source_nodes] == [
        n.node.node_id for n in responses["aquery"].source_nodes
    ]
