"""The main job (``xrerank demo``) on the project's own demo domain, written for xrerank."""

from __future__ import annotations

from xrerank.demo.run import DemoOptions, DemoResult, run_demo

__all__ = ["DemoOptions", "DemoResult", "run_demo"]
