"""The layout keeps the data flow visible: no import cycles, arrows that point one way, pinned APIs.

The graph is read from the source (every import, including those inside functions, except
``if TYPE_CHECKING:`` blocks), so a cycle hidden behind a function-level import fails here too.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE_ROOTS = {
    "xrerank": REPO / "core" / "xrerank",
    "langchain_xrerank": REPO / "langchain_xrerank",
    "llamaindex_xrerank": REPO / "llamaindex_xrerank",
}

# Which sub-packages each part of the core may import (besides the shared top-level
# modules: errors, examples, validation, _optional). The CLI and the demo use everything.
ALLOWED = {
    "models": set(),
    "scoring": {"models"},
    "mining": {"models", "scoring"},
    "training": {"models", "scoring", "mining", "evaluation"},
    "evaluation": {"models", "scoring"},
    "serving": {"models", "scoring", "mining"},
    "distributed": {"models", "scoring", "mining", "evaluation"},
}
SHARED = {"errors", "examples", "jsonl", "output_files", "validation", "_optional", "__init__", "__main__"}


def _module_name(path: Path) -> str:
    for name, root in PACKAGE_ROOTS.items():
        if path.is_relative_to(root):
            parts = [name, *path.relative_to(root).with_suffix("").parts]
            return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    raise AssertionError(path)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[tuple[str, list[str]]]:
    found: list[tuple[str, list[str]]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for root in PACKAGE_ROOTS.values() for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        for module, names in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if module in files:
                graph[name].add(module)
            graph[name].update(f"{module}.{n}" for n in names if f"{module}.{n}" in files)
        graph[name].discard(name)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_the_three_packages_have_no_import_cycle() -> None:
    assert _cycles(import_graph()) == []


def test_a_cycle_is_detected() -> None:
    # The detector itself: a two-module loop and a longer one are both reported.
    graph = {"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"e"}, "e": {"c"}, "f": set()}
    assert _cycles(graph) == [["a", "b"], ["c", "d", "e"]]


def _part(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "xrerank" and len(parts) > 1 else None


def test_arrows_point_one_way() -> None:
    wrong = []
    for module, targets in import_graph().items():
        source = _part(module)
        for target in targets:
            if module.startswith("xrerank") and not target.startswith("xrerank"):
                if source != "demo":  # the demo answers through both adapters; nothing else may
                    wrong.append(f"{module} -> {target}")
                continue
            if source not in ALLOWED or not target.startswith("xrerank."):
                continue
            part = _part(target)
            if part != source and part not in SHARED and part not in ALLOWED[source]:
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_core_modules_import_from_the_defining_module_not_a_package_init() -> None:
    # A module inside xrerank that imports the top-level package or a sub-package's
    # __init__ depends on everything that __init__ pulls in.
    packages = {name for name, path in PACKAGE_ROOTS.items()} | {
        f"xrerank.{p.name}" for p in PACKAGE_ROOTS["xrerank"].iterdir() if (p / "__init__.py").is_file()
    }
    wrong = [
        f"{module} -> {target}"
        for module, targets in import_graph().items()
        if module.startswith("xrerank.") and module not in packages
        for target in targets
        if target in packages
        and target.startswith("xrerank")
        and not module.startswith("xrerank.cli")
        and not module.startswith(("xrerank.demo", "xrerank.__main__"))
    ]
    assert wrong == []


def test_no_core_module_is_much_over_the_size_of_one_concept() -> None:
    sizes = {
        str(p.relative_to(REPO)): len(p.read_text(encoding="utf-8").splitlines())
        for p in PACKAGE_ROOTS["xrerank"].rglob("*.py")
    }
    assert {name: lines for name, lines in sizes.items() if lines >= 500} == {}
