"""The import graph of the package (docs/design.md §3): no cycles, rooms import downwards, and
the light imports stay light.

Every module of ``synthaudit`` is parsed with :mod:`ast`; every ``import``/``from … import``
anywhere in it (inside functions too: a lazy import is still an edge) and every literal
``importlib.import_module("synthaudit…")`` becomes an edge to the module it names. Imports under
``if TYPE_CHECKING:`` never run and are left out. ``from pkg import name`` points at the
submodule ``pkg.name`` when there is one, else at ``pkg/__init__``; importing ``pkg.sub`` does
not add an edge to ``pkg/__init__`` (Python runs it first, but a package's ``__init__``
re-exporting its own submodules is not a cycle).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "synthaudit"


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _target(name: str) -> str | None:
    """The deepest module of ``synthaudit`` that ``name`` (a dotted path) lies in."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in MODULES:
            return candidate
        parts.pop()
    return None


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else (
                test.attr if isinstance(test, ast.Attribute) else None)
            if name == "TYPE_CHECKING":
                for child in node.body:
                    skip.update(id(n) for n in ast.walk(child))
    return skip


def edges_of(module: str) -> set[str]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    skip = _type_checking_nodes(tree)
    package = module if _is_package(module) else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "synthaudit":
                    out.add(_target(alias.name))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            if origin.split(".")[0] != "synthaudit":
                continue
            for alias in node.names:
                sub = f"{origin}.{alias.name}"
                out.add(sub if sub in MODULES else _target(origin))
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)
              and str(node.args[0].value).startswith("synthaudit")):
            out.add(_target(str(node.args[0].value)))
    out.discard(None)
    out.discard(module)
    return out


GRAPH = {m: edges_of(m) for m in MODULES}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every elementary cycle found by a depth-first search (one per back edge)."""
    cycles, state, stack = [], {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def test_the_cycle_finder_finds_cycles():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []
    # a lazy import is an edge; a TYPE_CHECKING import is not
    assert "synthaudit.engine.plan" not in GRAPH["synthaudit.engine.fast"]
    assert "synthaudit.engine.fast" in GRAPH["synthaudit.engine.plan"]
    assert "synthaudit.metrics.closed" in GRAPH["synthaudit.metrics.base"]  # inside a function


#: cycles other engineers are removing (issue 9); any other cycle fails the test
KNOWN = {frozenset({"synthaudit.figures", "synthaudit.report"})}


def test_no_import_cycle():
    cycles = find_cycles(GRAPH)
    unknown = [c for c in cycles if frozenset(c) not in KNOWN]
    assert not unknown, "import cycles: " + "; ".join(" -> ".join(c) for c in unknown)
    if cycles:
        pytest.xfail("known cycle being removed by the report work: "
                     + "; ".join(" -> ".join(c) for c in cycles))


#: rooms and what they must never import (docs/design.md §3: imports flow down the layers)
FORBIDDEN = {
    "synthaudit.params": ("synthaudit.adapters", "synthaudit.engine", "synthaudit.metrics",
                          "synthaudit.store", "synthaudit.spec", "synthaudit.result"),
    "synthaudit.spec": ("synthaudit.adapters", "synthaudit.engine", "synthaudit.metrics",
                        "synthaudit.store", "synthaudit.datasets", "synthaudit.report"),
    "synthaudit.result": ("synthaudit.adapters", "synthaudit.engine", "synthaudit.metrics",
                          "synthaudit.store"),
    "synthaudit.metrics": ("synthaudit.adapters", "synthaudit.engine", "synthaudit.store"),
    "synthaudit.store": ("synthaudit.adapters", "synthaudit.engine", "synthaudit.metrics",
                         "synthaudit.report"),
    "synthaudit.engine": ("synthaudit.report", "synthaudit.planner", "synthaudit.cli",
                          "synthaudit.config", "synthaudit.figures", "synthaudit.datasets"),
}


def _room_edges(room: str) -> set[str]:
    return {t for m, ts in GRAPH.items() if m == room or m.startswith(room + ".") for t in ts}


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_rooms_import_downwards(room):
    bad = sorted(t for t in _room_edges(room)
                 if any(t == f or t.startswith(f + ".") for f in FORBIDDEN[room]))
    assert not bad, f"{room} imports {bad}"


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT.parent)
    return set(out.stdout.split())


def test_import_synthaudit_loads_no_heavy_library():
    loaded = _loaded_after("import synthaudit")
    assert not {"pandas", "sdv", "torch", "synthaudit.engine", "synthaudit.adapters"} & loaded


def test_import_report_loads_neither_engine_nor_adapters():
    loaded = _loaded_after("import synthaudit.report")
    heavy = sorted(m for m in loaded
                   if m.split(".")[:2] in (["synthaudit", "engine"], ["synthaudit", "adapters"]))
    if heavy:
        importers = sorted(m for m in GRAPH if m.startswith("synthaudit.report")
                           or m == "synthaudit.figures")
        pytest.xfail(f"synthaudit.report still loads {heavy[:3]} (its imports are being reworked "
                     f"by the report engineer; modules involved: {importers})")
    assert not heavy
