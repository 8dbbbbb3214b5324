"""Packaging promises: cheap imports, a pinned public API, the console script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import xrerank


def test_import_does_not_load_torch():
    code = "import sys, xrerank; assert 'torch' not in sys.modules, 'torch imported'; print('ok')"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_public_api_is_pinned():
    assert set(xrerank.__all__) >= {
        "DEFAULT_MODEL",
        "ModelLoadError",
        "RankedItem",
        "Reranker",
        "RerankerStats",
        "__version__",
    }
    for name in xrerank.__all__:
        assert hasattr(xrerank, name), name


def test_default_model_is_the_ms_marco_reranker():
    assert xrerank.DEFAULT_MODEL == "cross-encoder/ms-marco-MiniLM-L6-v2"


def test_console_script_help():
    script = Path(sys.executable).parent / "xrerank"  # installed beside this interpreter
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert "score" in result.stdout
