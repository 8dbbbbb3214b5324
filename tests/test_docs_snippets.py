"""Every fenced ``python`` block of README.md and docs/*.md runs, offline, as printed.

The blocks of one page run in order in one fresh namespace (a page reads like one session), in an
empty temporary folder holding what the pages read: ``examples/data/`` and the files the root
conftest.py writes for docstring examples (``log.jsonl``, ``train.jsonl``, ``my-reranker/``...).
Nothing else is supplied: a block that uses a name no earlier block of its page defined fails, as
it would for a reader. Model hub names are replaced by local models (:data:`HUB_NAMES`). A block
that cannot run offline is preceded by ``<!-- not-run: the reason -->``; the reason is required.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
import shutil
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from tiny_models import build_tiny_t5, minilm_dir

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK_SECONDS = 180
SEQ2SEQ_FOLDERS = ("monot5", "duot5")
FENCE = re.compile(
    r"(?:<!--\s*not-run:(?P<reason>[^>]*?)-->\s*\n)?^```python[^\n]*\n(?P<code>.*?)^```", re.M | re.S
)


def _root_conftest() -> Any:
    """The root conftest.py (its FILES table), loaded by path: two conftest modules share that name."""
    spec = importlib.util.spec_from_file_location("_docs_root_conftest", ROOT / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ROOT_CONFTEST = _root_conftest()


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    code: str
    not_run: str | None  # the reason, when the block is marked not-run


def blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    return [
        Block(page, text.count("\n", 0, m.start("code")) + 1, m.group("code"), m.group("reason"))
        for m in FENCE.finditer(text)
    ]


def hub_names(tiny_cross_encoder: Path) -> dict[str, str]:
    """Hub model names in the docs -> local models with the same role."""
    minilm = str(minilm_dir())
    return {
        "cross-encoder/ms-marco-MiniLM-L6-v2": str(tiny_cross_encoder),
        "sentence-transformers/all-MiniLM-L6-v2": minilm,
        "all-MiniLM-L6-v2": minilm,
    }


def offline(code: str, names: dict[str, str]) -> str:
    for hub, local in names.items():
        code = re.sub(rf"""(["']){re.escape(hub)}\1""", repr(local), code)
    return code


@pytest.fixture
def page_folder(
    tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    shutil.copytree(ROOT / "examples" / "data", tmp_path / "examples" / "data")
    monkeypatch.chdir(tmp_path)
    yield tmp_path


class BlockTimeout(Exception):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise BlockTimeout(f"the block ran longer than {BLOCK_SECONDS} s")


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_python_block_of_the_page_runs(page: Path, page_folder: Path, request: pytest.FixtureRequest):
    page_blocks = blocks(page)
    text = "\n".join(b.code for b in page_blocks if b.not_run is None)
    for name, write in ROOT_CONFTEST.FILES.items():
        if ROOT_CONFTEST.names_file(text, name) and not (page_folder / name).exists():
            write(request, page_folder / name)
    for name in SEQ2SEQ_FOLDERS:  # the tiny random-weight T5 that docs/seq2seq.md tells readers to build
        if f"./{name}" in text:
            build_tiny_t5(page_folder / name)
    names = hub_names(request.getfixturevalue("doctest_cross_encoder_dir"))
    namespace: dict[str, Any] = {"__name__": "__main__"}
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        for block in page_blocks:
            if block.not_run is not None:
                continue
            where = f"{page.relative_to(ROOT)}:{block.line}"
            try:
                code = compile(offline(block.code, names), where, "exec")
            except SyntaxError as exc:
                pytest.fail(f"{where}: does not compile ({exc.msg}); top-level await? use asyncio.run(...)")
            signal.alarm(BLOCK_SECONDS)
            try:
                exec(code, namespace)
            except Exception as exc:  # the page's reader would see this
                pytest.fail(f"{where}: {type(exc).__name__}: {exc}")
            finally:
                signal.alarm(0)
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_blocks_that_do_not_run_say_why():
    marked = [b for page in PAGES for b in blocks(page) if b.not_run is not None]
    missing = [f"{b.page.relative_to(ROOT)}:{b.line}" for b in marked if not b.not_run.strip()]
    assert not missing, f"not-run blocks without a reason: {missing}; write <!-- not-run: why -->"
    total = sum(len(blocks(page)) for page in PAGES)
    # Most of the docs must run: a page of not-run blocks would test nothing.
    assert len(marked) <= total // 4, f"{len(marked)} of {total} blocks are marked not-run"


def test_the_block_finder_reads_markers_and_fences(tmp_path: Path):
    page = tmp_path / "page.md"
    page.write_text(
        "text\n```python\nx = 1\n```\n<!-- not-run: needs a GPU -->\n```python\ny = 2\n```\n"
        "<!-- not-run: -->\n```python\nz = 3\n```\n```bash\nls\n```\n",
        encoding="utf-8",
    )
    found = blocks(page)
    assert [(b.line, b.code, b.not_run) for b in found] == [
        (3, "x = 1\n", None),
        (7, "y = 2\n", " needs a GPU "),
        (11, "z = 3\n", " "),
    ]
    assert offline(
        'Reranker("cross-encoder/ms-marco-MiniLM-L6-v2")', {"cross-encoder/ms-marco-MiniLM-L6-v2": "/m"}
    ) == ("Reranker('/m')")


def public_names() -> dict[str, list[str]]:
    """``{module: __all__}`` for xrerank, each of its sub-packages and the two adapters."""
    import xrerank

    modules = ["xrerank", *(f"xrerank.{m.name}" for m in pkgutil.iter_modules(xrerank.__path__) if m.ispkg)]
    modules += ["langchain_xrerank", "llamaindex_xrerank"]
    return {name: list(importlib.import_module(name).__all__) for name in modules}


def test_every_public_name_is_documented():
    text = "\n".join(page.read_text(encoding="utf-8") for page in PAGES)
    missing = [
        f"{module}.{name}"
        for module, names in public_names().items()
        for name in names
        if not re.search(rf"\b{re.escape(name)}\b", text)
    ]
    assert not missing, f"public names in neither README.md nor docs/*.md: {missing}"


def test_the_cli_reference_is_up_to_date():
    spec = importlib.util.spec_from_file_location(
        "_cli_reference", ROOT / "tools" / "generate_cli_reference.py"
    )
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == generator.reference(), (
        "docs/cli.md is stale: run python tools/generate_cli_reference.py"
    )
    for command in generator.subcommands(generator.build_parser()):
        assert f"## `xrerank {command}`" in current
