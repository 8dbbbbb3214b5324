"""Model loading is safetensors-only unless the caller opts in; remote code stays off by default."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from xrerank import ModelLoadError, Reranker
from xrerank.errors import PickleWeightsError
from xrerank.models.weights_safety import pickle_only_folders, safetensors_only_kwargs

QUERY = "what causes condition 3?"
PASSAGES = ["condition 3 is caused by factor 3.", "an unrelated remark.", "bread needs yeast."]
REPO = Path(__file__).resolve().parents[1]


def pickle_only_copy(model_dir: Path, target: Path) -> Path:
    """The same model with its weights as pytorch_model.bin (a pickle) and no safetensors."""
    import torch
    from safetensors.torch import load_file

    shutil.copytree(model_dir, target)
    weights = load_file(str(target / "model.safetensors"))
    (target / "model.safetensors").unlink()
    torch.save(weights, target / "pytorch_model.bin")
    return target


@pytest.fixture(scope="module")
def pickle_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pickle_only_copy(tiny_model_dir, tmp_path_factory.mktemp("pickled") / "reranker")


def test_a_model_with_only_pickle_weights_is_refused_with_the_fix(pickle_dir: Path) -> None:
    with pytest.raises(PickleWeightsError) as caught:
        Reranker(pickle_dir, device="cpu").load()
    message = str(caught.value)
    assert "pytorch_model.bin" in message and str(pickle_dir) in message
    assert "safe_serialization=True" in message and "allow_pickle_weights=True" in message
    assert isinstance(caught.value, ModelLoadError), "callers that catch ModelLoadError catch this too"


def test_opting_in_loads_the_same_model(pickle_dir: Path, tiny_reranker_factory) -> None:
    opted_in = Reranker(pickle_dir, device="cpu", allow_pickle_weights=True)
    assert opted_in.score(QUERY, PASSAGES) == pytest.approx(tiny_reranker_factory().score(QUERY, PASSAGES))


def test_both_adapters_refuse_pickle_weights_unless_told(pickle_dir: Path, tiny_reranker_factory) -> None:
    from langchain_core.documents import Document
    from llama_index.core.schema import NodeWithScore, TextNode

    from langchain_xrerank import XRerankCompressor
    from llamaindex_xrerank import XRerankPostprocessor

    docs = [Document(page_content=text) for text in PASSAGES]
    nodes = [NodeWithScore(node=TextNode(text=text)) for text in PASSAGES]
    with pytest.raises(PickleWeightsError):
        XRerankCompressor(model=pickle_dir).compress_documents(docs, QUERY)
    with pytest.raises(PickleWeightsError):
        XRerankPostprocessor(model=str(pickle_dir)).postprocess_nodes(nodes, query_str=QUERY)

    compressor = XRerankCompressor(model=pickle_dir, allow_pickle_weights=True, top_n=None)
    postprocessor = XRerankPostprocessor(model=str(pickle_dir), allow_pickle_weights=True, top_n=None)
    expected = tiny_reranker_factory().score(QUERY, PASSAGES)
    langchain_scores = {
        d.page_content: d.metadata["relevance_score"] for d in compressor.compress_documents(docs, QUERY)
    }
    assert [langchain_scores[text] for text in PASSAGES] == pytest.approx(expected)
    assert len(postprocessor.postprocess_nodes(nodes, query_str=QUERY)) == len(PASSAGES)
    # A serialised postprocessor keeps the choice (it rebuilds the reranker from model=).
    assert XRerankPostprocessor.from_json(postprocessor.to_json()).allow_pickle_weights is True

    # The setting belongs to the reranker that loads the model: a mismatch is an error, not ignored.
    with pytest.raises(ValueError, match="allow_pickle_weights"):
        XRerankCompressor(reranker=tiny_reranker_factory(), allow_pickle_weights=True)
    with pytest.raises(ValueError, match="allow_pickle_weights"):
        XRerankPostprocessor(reranker=tiny_reranker_factory(), allow_pickle_weights=True)
    assert XRerankCompressor(reranker=tiny_reranker_factory()).allow_pickle_weights is False


def test_training_refuses_a_pickle_start_model_unless_told(pickle_dir: Path) -> None:
    from xrerank.training.config import TrainingConfig
    from xrerank.training.start_model import load_start_model

    with pytest.raises(PickleWeightsError, match="TrainingConfig"):
        load_start_model(TrainingConfig(base_model=str(pickle_dir), device="cpu"))
    model, fresh = load_start_model(
        TrainingConfig(base_model=str(pickle_dir), device="cpu", allow_pickle_weights=True)
    )
    assert model.num_labels == 1 and fresh is False


def test_late_interaction_refuses_a_pickle_encoder_unless_told(pickle_dir: Path) -> None:
    from xrerank import LateInteractionReranker

    with pytest.raises(PickleWeightsError, match="SentenceTransformer"):
        LateInteractionReranker(pickle_dir, device="cpu").load()
    assert LateInteractionReranker(pickle_dir, device="cpu", allow_pickle_weights=True).load() is not None


def test_distillation_refuses_a_pickle_student_or_teacher_unless_told(pickle_dir: Path) -> None:
    from xrerank.training.distill import DistillationConfig, load_student, load_teacher

    config = DistillationConfig(student=str(pickle_dir), device="cpu", show_progress=False)
    with pytest.raises(PickleWeightsError, match=r"pytorch_model\.bin.*DistillationConfig"):
        load_student(config)
    with pytest.raises(PickleWeightsError, match=r"pytorch_model\.bin"):
        load_teacher(str(pickle_dir), config).load()
    opted_in = DistillationConfig(student=str(pickle_dir), device="cpu", allow_pickle_weights=True)
    assert load_student(opted_in).encode(["q"]).shape == (1, 32)
    assert load_teacher(str(pickle_dir), opted_in).score(QUERY, PASSAGES[:1])[0] > 0


def test_cli_mine_refuses_a_pickle_encoder_or_teacher_then_accepts_with_the_flag(
    pickle_dir: Path, tiny_model_dir: Path, tmp_path: Path, capsys
) -> None:
    from xrerank.cli import main

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"_id": f"d{i}", "text": t}) + "\n" for i, t in enumerate(PASSAGES)))
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps({"query": QUERY, "positive_ids": ["d0"]}) + "\n")
    output = tmp_path / "train.jsonl"
    argv = ["mine", "--log", str(log), "--corpus", str(corpus), "-o", str(output), "--no-progress"]
    argv += ["--relative-margin", "none"]  # random weights: keep every candidate below the positive
    for models in (
        ["--encoder", str(pickle_dir)],
        ["--encoder", str(tiny_model_dir), "--teacher", str(pickle_dir)],
    ):
        assert main([*argv, *models]) == 1
        error = capsys.readouterr().err
        assert "pytorch_model.bin" in error and "--allow-pickle-weights" in error, error
    assert not output.exists()
    both = ["--encoder", str(pickle_dir), "--teacher", str(pickle_dir)]
    assert main([*argv, *both, "--allow-pickle-weights"]) == 0, capsys.readouterr().err
    assert "wrote 1 examples" in capsys.readouterr().out


def test_cli_score_refuses_then_accepts_with_the_flag(pickle_dir: Path, capsys) -> None:
    from xrerank.cli import main

    argv = ["score", QUERY, "--model", str(pickle_dir), "--passage", PASSAGES[0], "--json"]
    assert main(argv) == 1
    assert "allow_pickle_weights" in capsys.readouterr().err
    assert main([*argv, "--allow-pickle-weights"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["rank"] == 1


def test_which_folders_count_as_pickle_only(tmp_path: Path) -> None:
    # A trainer checkpoint holds pickled optimizer/scheduler state next to model.safetensors: fine.
    checkpoint = tmp_path / "checkpoint-3"
    checkpoint.mkdir()
    for name in ("model.safetensors", "optimizer.pt", "scheduler.pt", "training_args.bin"):
        (checkpoint / name).write_bytes(b"")
    assert pickle_only_folders(checkpoint) == []
    # A sentence-transformers module folder (e.g. a Dense layer) with only a pickle is refused.
    (checkpoint / "2_Dense").mkdir()
    (checkpoint / "2_Dense" / "pytorch_model.bin").write_bytes(b"")
    assert pickle_only_folders(checkpoint) == [checkpoint / "2_Dense"]
    # OpenVINO IR weights (NAME.bin beside NAME.xml, written by `xrerank export`) are not pickles.
    (checkpoint / "2_Dense" / "openvino_model.xml").write_text("<net/>")
    (checkpoint / "2_Dense" / "openvino_model.bin").write_bytes(b"")
    assert pickle_only_folders(checkpoint) == [checkpoint / "2_Dense"]
    (checkpoint / "2_Dense" / "pytorch_model.bin").unlink()
    assert pickle_only_folders(checkpoint) == []
    # Hidden folders (staging copies of an atomic save) are not part of the model.
    (checkpoint / ".reranker.tmp-1-x").mkdir()
    (checkpoint / ".reranker.tmp-1-x" / "pytorch_model.bin").write_bytes(b"")
    assert pickle_only_folders(checkpoint) == []


def test_use_safetensors_false_needs_the_opt_in() -> None:
    assert safetensors_only_kwargs({"file_name": "x"}, allow_pickle_weights=False) == {
        "file_name": "x",
        "use_safetensors": True,
    }
    with pytest.raises(ValueError, match="allow_pickle_weights=True"):
        safetensors_only_kwargs({"use_safetensors": False}, allow_pickle_weights=False)


# Unsafe deserialisers that must never appear in xrerank's own code: caches are in memory,
# logs are JSONL/CSV, training data is JSONL, models are safetensors.
UNSAFE_LOADS = re.compile(
    r"\bpickle\.loads?\(|\btorch\.load\(|\bjoblib\.load\(|\bdill\.loads?\(|\bshelve\.open\(|"
    r"\bmarshal\.loads?\(|allow_pickle\s*=\s*True|\bcloudpickle\b"
)


# The one place that unpickles: chunks of work that a Ray job's own processes hand each other
# (Ray cloudpickles every task argument anyway); never a file or a request.
RAY_TRANSPORT = Path("core/xrerank/distributed/ray_runtime.py")


def test_no_pickle_is_read_by_xrerank_code() -> None:
    roots = [REPO / "core" / "xrerank", REPO / "langchain_xrerank", REPO / "llamaindex_xrerank"]
    hits = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for root in roots
        for path in sorted(root.rglob("*.py"))
        if path.relative_to(REPO) != RAY_TRANSPORT
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if UNSAFE_LOADS.search(line)
    ]
    assert hits == []
    transport = (REPO / RAY_TRANSPORT).read_text(encoding="utf-8")
    assert "open(" not in transport and "read_bytes" not in transport  # it reads no file


# ------------------------------------------------------------- hub cache and remote code (subprocess)

# Runs with its own HF_HUB_CACHE (a cached hub model with only pickle weights) and its own
# HF_MODULES_CACHE (so trusted remote code does not land in the user's cache).
ISOLATED_CHECKS = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from xrerank import Reranker
    from xrerank.errors import PickleWeightsError

    remote_dir, marker = sys.argv[1], Path(sys.argv[2])
    results = {}
    try:
        Reranker("acme/pickled-reranker", device="cpu", local_files_only=True).load()
        results["cached_pickle_default"] = "loaded"
    except PickleWeightsError as exc:
        results["cached_pickle_default"] = str(exc)
    opted_in = Reranker(
        "acme/pickled-reranker", device="cpu", local_files_only=True, allow_pickle_weights=True
    )
    results["cached_pickle_opt_in"] = opted_in.score("q", ["p"])

    from langchain_core.documents import Document
    from langchain_xrerank import XRerankCompressor
    from llama_index.core.schema import NodeWithScore, TextNode
    from llamaindex_xrerank import XRerankPostprocessor
    from xrerank.training.config import TrainingConfig
    from xrerank.training.start_model import load_start_model

    Reranker(remote_dir, device="cpu").score("q", ["p"])
    XRerankCompressor(model=remote_dir).compress_documents([Document(page_content="p")], "q")
    nodes = [NodeWithScore(node=TextNode(text="p"))]
    XRerankPostprocessor(model=remote_dir).postprocess_nodes(nodes, query_str="q")
    load_start_model(TrainingConfig(base_model=remote_dir, device="cpu"))
    results["remote_code_ran_by_default"] = marker.exists()
    Reranker(remote_dir, device="cpu", trust_remote_code=True).score("q", ["p"])
    results["remote_code_ran_when_trusted"] = marker.exists()
    print("RESULTS", json.dumps(results))
    """
)


def fake_hub_cache(model_dir: Path, cache: Path) -> None:
    """A Hugging Face cache holding 'acme/pickled-reranker' with pytorch_model.bin only."""
    repo = cache / "models--acme--pickled-reranker"
    commit = "0" * 40
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    pickle_only_copy(model_dir, repo / "snapshots" / commit)


def with_remote_code(model_dir: Path, target: Path, marker: Path) -> Path:
    """A model whose config points at custom modelling code that leaves ``marker`` when it runs."""
    shutil.copytree(model_dir, target)
    (target / "custom_modeling.py").write_text(
        f"import pathlib\npathlib.Path({str(marker)!r}).write_text('remote code ran')\n"
        "from transformers import BertForSequenceClassification\n\n\n"
        "class CustomBert(BertForSequenceClassification):\n    pass\n"
    )
    config = json.loads((target / "config.json").read_text())
    config["auto_map"] = {"AutoModelForSequenceClassification": "custom_modeling.CustomBert"}
    (target / "config.json").write_text(json.dumps(config))
    return target


@pytest.fixture(scope="module")
def isolated_results(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("isolated")
    fake_hub_cache(tiny_model_dir, root / "hub")
    marker = root / "remote-code-ran"
    remote_dir = with_remote_code(tiny_model_dir, root / "remote-model", marker)
    env = {
        **os.environ,
        "HF_HUB_CACHE": str(root / "hub"),
        "HF_MODULES_CACHE": str(root / "modules"),
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    result = subprocess.run(
        [sys.executable, "-c", ISOLATED_CHECKS, str(remote_dir), str(marker)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULTS "))
    return json.loads(line.removeprefix("RESULTS "))


def test_a_cached_hub_model_with_only_pickle_weights_is_refused(isolated_results, tiny_reranker_factory):
    message = isolated_results["cached_pickle_default"]
    assert message != "loaded", "transformers would have unpickled pytorch_model.bin from the cache"
    assert "acme/pickled-reranker" in message and "allow_pickle_weights=True" in message
    expected = tiny_reranker_factory().score("q", ["p"])
    assert isolated_results["cached_pickle_opt_in"] == pytest.approx(expected)


def test_remote_code_never_runs_unless_trusted(isolated_results) -> None:
    # Reranker, both adapters and the training start model all leave trust_remote_code off.
    assert isolated_results["remote_code_ran_by_default"] is False
    # The same model with trust_remote_code=True does run it: the check above can fail.
    assert isolated_results["remote_code_ran_when_trusted"] is True


def test_cli_eval_refuses_then_accepts_with_the_flag(pickle_dir: Path, tmp_path: Path, capsys) -> None:
    from test_cli_train_eval import write_eval_files

    from xrerank.cli import main

    files = write_eval_files(tmp_path)
    argv = ["eval", "--queries", str(files["queries.jsonl"]), "--documents", str(files["docs.jsonl"])]
    argv += ["--candidates", str(files["run.trec"]), "--qrels", str(files["qrels.tsv"])]
    argv += ["--model", f"pickled={pickle_dir}", "--no-progress"]
    assert main(argv) == 1
    assert "--allow-pickle-weights" in capsys.readouterr().err
    assert main([*argv, "--allow-pickle-weights"]) == 0, capsys.readouterr().err
    assert "pickled" in capsys.readouterr().out


def test_cli_export_refuses_then_accepts_with_the_flag(pickle_dir: Path, tmp_path: Path, capsys) -> None:
    pytest.importorskip("onnxruntime")
    from xrerank.cli import main

    out = tmp_path / "onnx"
    assert main(["export", str(pickle_dir), str(out)]) == 1
    assert "--allow-pickle-weights" in capsys.readouterr().err
    assert not out.exists()
    assert main(["export", str(pickle_dir), str(out), "--allow-pickle-weights"]) == 0, capsys.readouterr().err
    assert Reranker(out, device="cpu").score(QUERY, PASSAGES[:2])
