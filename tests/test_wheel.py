"""The wheel on its own: every sub-package and data file ships, and the installed ``xrerank`` CLI works.

A wheel built from this repository once lacked every sub-package, so each ``xrerank`` command failed
after ``pip install`` while the editable checkout worked. These tests build the wheel from a copy of
the source tree, install it into a fresh virtual environment that reaches the dependencies but not
the checkout, and run the command line from a folder outside the repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from importlib import metadata
from pathlib import Path

import pytest

from xrerank.cli.main import COMMANDS

REPO = Path(__file__).resolve().parents[1]
# Each import package's folder in the repository, relative to its root.
SOURCE_TREES = {
    "xrerank": Path("core", "xrerank"),
    "langchain_xrerank": Path("langchain_xrerank"),
    "llamaindex_xrerank": Path("llamaindex_xrerank"),
}
SUBPACKAGES = ("scoring", "models", "mining", "training", "evaluation", "serving", "cli", "demo")
# What a clean checkout does not hold (.gitignore); copying build/ would let stale files into the wheel.
NOT_SOURCE = (".git", ".venv", "build", "dist", "runs", "*.egg-info", "__pycache__", "*.pyc", ".*_cache")

QUERY = "how does a cross-encoder score a passage"
PASSAGES = [
    "A cross-encoder reads the query and the passage together and outputs one relevance score.",
    "Paris is the capital and most populous city of France.",
    "Sourdough bread rises thanks to wild yeast and lactic acid bacteria.",
]


@dataclass(frozen=True)
class BuiltWheel:
    """A wheel built from a copy of the repository.

    Attributes:
        path: The ``.whl`` file.
        source: The copy it was built from (a snapshot, so later edits in the checkout do not race).
        log: Everything pip and setuptools printed during the build.
    """

    path: Path
    source: Path
    log: str


@dataclass(frozen=True)
class FreshInstall:
    """A virtual environment holding only the wheel, plus a ``.pth`` line to the project's dependencies.

    Attributes:
        root: The environment's folder.
        python: Its interpreter.
        script: Its ``xrerank`` console script.
        workdir: An empty folder outside the repository to run commands from.
    """

    root: Path
    python: Path
    script: Path
    workdir: Path


def _env(*drop: str) -> dict[str, str]:
    """This process's environment without PYTHONPATH (which could put the checkout on sys.path)."""
    return {key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", *drop}}


def _setuptools_builds_here() -> bool:
    """Whether this environment's setuptools reads pyproject.toml's SPDX license (77 or newer)."""
    try:
        return int(metadata.version("setuptools").split(".")[0]) >= 77
    except metadata.PackageNotFoundError:
        return False


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> BuiltWheel:
    root = tmp_path_factory.mktemp("wheel-build")
    source = root / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-v"]
    # Offline when this environment can build; otherwise pip's isolated build fetches setuptools.
    if _setuptools_builds_here():
        command += ["--no-build-isolation", "--no-index"]
    command += ["-w", str(root / "dist"), str(source)]
    # PYTHONDONTWRITEBYTECODE makes setuptools warn that it skips byte-compiling: a warning about
    # this environment, not about the packaging (the wheel holds no bytecode either way).
    result = subprocess.run(
        command, capture_output=True, text=True, cwd=root, env=_env("PYTHONDONTWRITEBYTECODE"), timeout=300
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    (wheel,) = (root / "dist").glob("xrerank-*.whl")
    return BuiltWheel(path=wheel, source=source, log=log)


@pytest.fixture(scope="module")
def fresh_install(built_wheel: BuiltWheel, tmp_path_factory: pytest.TempPathFactory) -> FreshInstall:
    root = tmp_path_factory.mktemp("fresh-venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    python = root / "bin" / "python"
    # Installed before the environment can see anything else, so pip finds no xrerank already there.
    pip = [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check"]
    install = subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", str(built_wheel.path)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    # The dependencies come from this environment. A folder named in a .pth file is added to sys.path
    # without running the .pth files inside it, so the editable install's finder stays off.
    paths = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
        env=_env(),
    )
    dependencies = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    (Path(paths.stdout.strip()) / "xrerank-test-dependencies.pth").write_text("\n".join(dependencies) + "\n")
    workdir = tmp_path_factory.mktemp("outside-repo")
    return FreshInstall(root=root, python=python, script=root / "bin" / "xrerank", workdir=workdir)


def _run(install: FreshInstall, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command), capture_output=True, text=True, cwd=install.workdir, env=_env(), timeout=300
    )


def _wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _source_files(source: Path) -> set[str]:
    """Every file of the three source trees, named as in the wheel (hidden files aside)."""
    files = set()
    for package, tree in SOURCE_TREES.items():
        for path in (source / tree).rglob("*"):
            relative = path.relative_to(source / tree)
            if path.is_file() and not any(part.startswith(".") for part in relative.parts):
                files.add(f"{package}/{relative.as_posix()}")
    return files


def test_build_prints_no_warning(built_wheel: BuiltWheel):
    """No "absent from the packages configuration", no deprecated license table, nothing else."""
    # Lines that echo a file operation name files; a module called e.g. warnings.py is no warning.
    echoes = ("copying ", "adding '", "creating ")
    warnings = [
        line
        for line in built_wheel.log.splitlines()
        if "warning" in line.lower() and not line.strip().startswith(echoes)
    ]
    assert not warnings, "\n".join(warnings)


def test_wheel_holds_every_source_file_and_nothing_else(built_wheel: BuiltWheel):
    files = _wheel_files(built_wheel.path)
    dist_info = f"xrerank-{built_wheel.path.name.split('-')[1]}.dist-info"
    # The parts that went missing before, named one by one for a readable failure.
    for subpackage in SUBPACKAGES:
        assert f"xrerank/{subpackage}/__init__.py" in files, subpackage
    for package in SOURCE_TREES:
        assert f"{package}/py.typed" in files, package
    assert {"xrerank/demo/data/passages.jsonl", "xrerank/demo/data/log.jsonl"} <= files
    assert f"{dist_info}/licenses/LICENSE" in files
    # No tools/, tests/, benchmarks/ or examples/: only the three packages and the metadata.
    assert {name.split("/")[0] for name in files} == {*SOURCE_TREES, dist_info}
    # A data file that a package-data glob misses fails here.
    package_files = {name for name in files if not name.startswith(f"{dist_info}/")}
    assert package_files == _source_files(built_wheel.source)


def test_wheel_metadata_has_the_spdx_license(built_wheel: BuiltWheel):
    with zipfile.ZipFile(built_wheel.path) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        headers = HeaderParser().parsestr(archive.read(name).decode("utf-8"))
    assert headers["License-Expression"] == "Apache-2.0"
    assert headers.get_all("License-File") == ["LICENSE"]
    assert headers["License"] is None  # the deprecated free-text field


def test_installed_package_is_the_wheel_not_the_checkout(fresh_install: FreshInstall):
    code = (
        "import sys, xrerank, xrerank.cli; from importlib import metadata; "
        "print(xrerank.__file__); print(metadata.distribution('xrerank').locate_file('')); "
        "print(any('__editable__' in name for name in sys.modules))"
    )
    result = _run(fresh_install, str(fresh_install.python), "-c", code)
    assert result.returncode == 0, result.stderr
    module_file, dist_location, editable_loaded = result.stdout.split("\n")[:3]
    assert Path(module_file).resolve().is_relative_to(fresh_install.root.resolve())
    assert not Path(module_file).resolve().is_relative_to(REPO / "core")
    assert Path(dist_location).resolve().is_relative_to(fresh_install.root.resolve())
    assert editable_loaded == "False"


def test_console_script_help(fresh_install: FreshInstall):
    result = _run(fresh_install, str(fresh_install.script), "--help")
    assert result.returncode == 0, result.stderr
    for command in COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help(fresh_install: FreshInstall, command: str):
    result = _run(fresh_install, str(fresh_install.script), command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: xrerank {command}")


def test_python_dash_m_help(fresh_install: FreshInstall):
    result = _run(fresh_install, str(fresh_install.python), "-m", "xrerank", "--help")
    assert result.returncode == 0, result.stderr
    assert "score" in result.stdout


def test_score_ranks_with_a_local_cross_encoder(
    fresh_install: FreshInstall, tiny_reranker_factory, tiny_model_dir: Path
):
    arguments = ["score", QUERY, "--model", str(tiny_model_dir), "--json"]
    for passage in PASSAGES:
        arguments += ["--passage", passage]
    result = _run(fresh_install, str(fresh_install.script), *arguments)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["rank"] for row in rows] == [1, 2, 3]
    assert sorted(row["index"] for row in rows) == [0, 1, 2]
    assert all(row["text"] == PASSAGES[row["index"]] for row in rows)
    # The installed wheel ranks exactly as the checkout does.
    expected = tiny_reranker_factory(activation="sigmoid").rank(QUERY, PASSAGES)
    assert [row["index"] for row in rows] == [item.index for item in expected]
    assert [row["score"] for row in rows] == pytest.approx([item.score for item in expected], abs=1e-5)


def test_demo_data_loads_from_the_wheel(fresh_install: FreshInstall):
    code = (
        "import xrerank.demo.domain as domain; "
        "print(len(domain.load_demo_passages())); print(domain.load_demo_log_path())"
    )
    result = _run(fresh_install, str(fresh_install.python), "-c", code)
    assert result.returncode == 0, result.stderr
    count, log_path = result.stdout.split("\n")[:2]
    assert int(count) > 0
    assert Path(log_path).resolve().is_relative_to(fresh_install.root.resolve())
