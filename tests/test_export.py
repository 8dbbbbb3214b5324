"""Exporting to ONNX / OpenVINO and loading the result: scores, layout, CLI, errors."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from xrerank import Reranker
from xrerank.cli import main
from xrerank.models.backends import resolve_backend
from xrerank.models.export import export_model
from xrerank.models.loading import resolve_dtype

QUERY = "how do cross-encoders rank passages?"
PASSAGES = [
    "A cross-encoder reads the query and the passage together and outputs one relevance score.",
    "Bananas are rich in potassium.",
    "Rerankers reorder the top results of a first-stage retriever with a stronger model.",
    "The Eiffel Tower was completed in 1889.",
    "BM25 scores documents by term frequency and document length.",
    "Cats sleep between twelve and sixteen hours a day.",
    "Dense retrieval embeds queries and passages into vectors. " * 12,
    "Hard negatives look relevant to a query but do not answer it.",
]
QUERIES = [QUERY, "what is BM25?", "tall iron tower in Paris", "how long do cats sleep"]


def _missing(*modules: str) -> str | None:
    absent = [name for name in modules if importlib.util.find_spec(name) is None]
    return f"optional backend packages not installed: {', '.join(absent)}" if absent else None


needs_onnx = pytest.mark.skipif(
    bool(_missing("onnx", "onnxruntime")), reason=str(_missing("onnx", "onnxruntime"))
)
needs_openvino = pytest.mark.skipif(
    bool(_missing("onnx", "openvino", "nncf")), reason=str(_missing("onnx", "openvino", "nncf"))
)


@pytest.fixture(scope="module")
def exports(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """Export the tiny model once per (backend, quantize) asked for."""
    built: dict[tuple[str, str | None], Path] = {}

    def get(backend: str, quantize: str | None = None) -> Path:
        if (backend, quantize) not in built:
            out = tmp_path_factory.mktemp("exports") / f"{backend}-{quantize or 'fp32'}"
            built[(backend, quantize)] = export_model(tiny_model_dir, out, backend=backend, quantize=quantize)
        return built[(backend, quantize)]

    return get


def _torch_scores(tiny_model_dir: Path) -> list[list[float]]:
    reranker = Reranker(str(tiny_model_dir), device="cpu", activation=None)
    return [reranker.score(query, PASSAGES) for query in QUERIES]


def _order(scores: list[float]) -> list[int]:
    return sorted(range(len(scores)), key=lambda i: -scores[i])


@needs_onnx
def test_onnx_fp32_export_matches_torch_and_is_picked_automatically(tiny_model_dir, exports) -> None:
    out = exports("onnx")
    assert (out / "onnx" / "model.onnx").is_file()
    assert not (out / "model.safetensors").exists()
    assert json.loads((out / "xrerank_export.json").read_text())["file_name"] == "onnx/model.onnx"

    reranker = Reranker(out, device="cpu", activation=None)
    scores = [reranker.score(query, PASSAGES) for query in QUERIES]
    assert reranker.model.backend == "onnx"
    reference = _torch_scores(tiny_model_dir)
    for row, ref in zip(scores, reference, strict=True):
        assert max(abs(a - b) for a, b in zip(row, ref, strict=True)) < 1e-4
    assert all(type(value) is float for value in scores[0])


@needs_onnx
def test_onnx_export_scores_long_passages_by_window_like_torch(tiny_model_dir, exports) -> None:
    options = {"device": "cpu", "activation": None, "max_length": 32, "long_passages": "max_window"}
    exported = Reranker(exports("onnx"), **options)  # type: ignore[arg-type]
    torch_model = Reranker(str(tiny_model_dir), **options)  # type: ignore[arg-type]
    got, want = exported.score(QUERY, PASSAGES), torch_model.score(QUERY, PASSAGES)
    assert max(abs(a - b) for a, b in zip(got, want, strict=True)) < 1e-4
    assert exported.stats.split_passages == torch_model.stats.split_passages >= 1


@needs_onnx
def test_onnx_int8_export_keeps_rankings(tiny_model_dir, exports) -> None:
    out = exports("onnx", "int8")
    assert [p.name for p in (out / "onnx").iterdir()] == ["model_qint8_quantized.onnx"]
    reranker = Reranker(out, device="cpu", activation=None)
    reference = _torch_scores(tiny_model_dir)
    for query, ref in zip(QUERIES, reference, strict=True):
        scores = reranker.score(query, PASSAGES)
        assert _order(scores)[0] == _order(ref)[0]
        assert len(set(_order(scores)[:3]) & set(_order(ref)[:3])) >= 2


@needs_openvino
@pytest.mark.parametrize("quantize", [None, "int8"])
def test_openvino_export_scores_like_torch(tiny_model_dir, exports, quantize) -> None:
    out = exports("openvino", quantize)
    reranker = Reranker(out, device="cpu", activation=None)
    assert reranker.model.backend == "openvino"
    reference = _torch_scores(tiny_model_dir)
    for query, ref in zip(QUERIES, reference, strict=True):
        scores = reranker.score(query, PASSAGES)
        if quantize is None:
            assert max(abs(a - b) for a, b in zip(scores, ref, strict=True)) < 1e-4
        else:
            assert _order(scores)[0] == _order(ref)[0]


@needs_onnx
def test_file_choice_and_detection_without_marker(exports, tmp_path) -> None:
    out = exports("onnx")
    assert resolve_backend(str(out), "auto", None) == ("onnx", {"file_name": "onnx/model.onnx"})
    chosen = {"file_name": "onnx/model.onnx"}
    assert resolve_backend(str(out), "auto", chosen) == ("onnx", chosen)
    # A directory with only ONNX files (no marker, no torch weights) is detected as ONNX.
    bare = tmp_path / "bare"
    (bare / "onnx").mkdir(parents=True)
    (bare / "onnx" / "model_qint8_avx2.onnx").write_bytes(b"")
    assert resolve_backend(str(bare), "auto", None) == ("onnx", {"file_name": "onnx/model_qint8_avx2.onnx"})
    assert resolve_backend("cross-encoder/ms-marco-MiniLM-L6-v2", "auto", None) == ("torch", {})
    with pytest.raises(FileNotFoundError, match="xrerank export"):
        resolve_backend(str(tmp_path), "openvino", None)


def test_tiny_torch_directory_stays_on_torch(tiny_model_dir) -> None:
    assert resolve_backend(str(tiny_model_dir), "auto", None) == ("torch", {})


@needs_onnx
def test_cli_export_then_score(tiny_model_dir, tmp_path, capsys) -> None:
    out = tmp_path / "cli-onnx"
    assert main(["export", str(tiny_model_dir), str(out), "--backend", "onnx", "--quantize", "int8"]) == 0
    assert "exported" in capsys.readouterr().out
    assert (out / "onnx" / "model_qint8_quantized.onnx").is_file()
    score_args = ["score", QUERY, "--model", str(out), "--passage", PASSAGES[0], "--passage", PASSAGES[1]]
    assert main(score_args) == 0

    # Existing, non-empty output: refused without --overwrite, replaced with it.
    assert main(["export", str(tiny_model_dir), str(out)]) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert main(["export", str(tiny_model_dir), str(out), "--overwrite"]) == 0
    assert (out / "onnx" / "model.onnx").is_file()
    assert not (out / "onnx" / "model_qint8_quantized.onnx").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no build leftovers


def test_cli_rejects_unknown_backend_and_quantisation(tiny_model_dir, tmp_path, capsys) -> None:
    assert main(["export", str(tiny_model_dir), str(tmp_path / "x"), "--backend", "tensorrt"]) == 1
    assert "expected onnx or openvino" in capsys.readouterr().err
    assert main(["export", str(tiny_model_dir), str(tmp_path / "x"), "--quantize", "int4"]) == 1
    assert "expected int8" in capsys.readouterr().err


def test_export_errors_name_the_problem(tiny_model_dir, tmp_path) -> None:
    with pytest.raises(ValueError, match="backend='tensorrt'"):
        export_model(tiny_model_dir, tmp_path / "x", backend="tensorrt")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="quantize='int4'"):
        export_model(tiny_model_dir, tmp_path / "x", quantize="int4")  # type: ignore[arg-type]
    if _missing("onnx", "onnxruntime"):
        return
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        export_model(tiny_model_dir, a_file)
    with pytest.raises(ValueError, match="source model's directory"):
        export_model(tiny_model_dir, tiny_model_dir, overwrite=True)


def test_missing_extra_names_the_pip_command(tiny_model_dir, tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if onnxruntime were not installed
    with pytest.raises(ImportError, match=r'pip install "xrerank\[onnx\]"'):
        export_model(tiny_model_dir, tmp_path / "x")
    monkeypatch.setitem(sys.modules, "openvino", None)
    if _missing("onnx"):
        return
    with pytest.raises(ImportError, match=r'pip install "xrerank\[openvino\]"'):
        export_model(tiny_model_dir, tmp_path / "x", backend="openvino")


def test_reranker_validates_backend_and_dtype() -> None:
    with pytest.raises(ValueError, match="backend='tensorrt'"):
        Reranker("any", backend="tensorrt")
    with pytest.raises(ValueError, match="dtype='fp8'"):
        Reranker("any", dtype="fp8")


def test_dtype_auto_is_fp32_on_cpu_and_explicit_values_win() -> None:
    assert resolve_dtype("auto", device="cpu") == "fp32"
    assert resolve_dtype(None, device="mps") == "fp32"
    assert resolve_dtype("fp32", device="cuda") == "fp32"
    assert resolve_dtype("bf16", device="cpu") == "bf16"


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_defaults_to_half_precision_with_a_switch(tiny_model_dir) -> None:
    import torch

    half = Reranker(str(tiny_model_dir), device="cuda", activation=None)
    full = Reranker(str(tiny_model_dir), device="cuda", activation=None, dtype="fp32")
    assert half.model.model.dtype in (torch.float16, torch.bfloat16)
    assert full.model.model.dtype == torch.float32
    a, b = half.score(QUERY, PASSAGES), full.score(QUERY, PASSAGES)
    assert _order(a)[0] == _order(b)[0]


@needs_onnx
def test_adapters_load_an_export(exports) -> None:
    out = exports("onnx")
    expected = [item.index for item in Reranker(out, device="cpu").rank(QUERY, PASSAGES, top_k=3)]
    if importlib.util.find_spec("langchain_core") is not None:
        from langchain_core.documents import Document

        from langchain_xrerank import XRerankCompressor

        docs = [Document(page_content=text, id=f"doc-{i}") for i, text in enumerate(PASSAGES)]
        result = XRerankCompressor(model=str(out), top_n=3).compress_documents(docs, QUERY)
        assert [doc.id for doc in result] == [f"doc-{i}" for i in expected]
    if importlib.util.find_spec("llama_index") is not None:
        from llama_index.core.schema import NodeWithScore, TextNode

        from llamaindex_xrerank import XRerankPostprocessor

        nodes = [NodeWithScore(node=TextNode(text=text, id_=f"node-{i}")) for i, text in enumerate(PASSAGES)]
        ranked = XRerankPostprocessor(model=str(out), top_n=3).postprocess_nodes(nodes, query_str=QUERY)
        assert [item.node.node_id for item in ranked] == [f"node-{i}" for i in expected]
