"""The ``xrerank`` command line (``xrerank --help``); one module per command."""

from __future__ import annotations

from xrerank.cli.main import main

__all__ = ["main"]
