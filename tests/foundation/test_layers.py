"""The three layers hold: config <- plan <- Pulumi components <- tools, with no cycle.

- components/config: the schema and the rules of one section; imports nothing else of
  the program.
- components/plan: pure planning (hosts, addons, provisioning, emulation, tenants, the
  cross-section rules); imports config only, and never Pulumi.
- components/*: the Pulumi components and the program's runtime helpers.
- clusterforge/: the CLI and the offline tooling, on top of all of them.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROGRAM_DIRS = ("components", "clusterforge", "policy")
MAX_LINES = 400


def _layer(module: str) -> int | None:
    if module == "components.config" or module.startswith("components.config."):
        return 0
    if module == "components.plan" or module.startswith("components.plan."):
        return 1
    if module == "components" or module.startswith("components."):
        return 2
    if module == "clusterforge" or module.startswith("clusterforge."):
        return 3
    return None


LAYER_NAMES = ("config", "plan", "components", "clusterforge")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    found = {}
    for top in ("components", "clusterforge"):
        for path in sorted((ROOT / top).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _imports(module: str, path: Path) -> set[str]:
    """Every module an import statement names, at any depth (lazy imports count)."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: {d for d in _imports(m, p) if d in modules and d != m} for m, p in modules.items()}


def test_config_and_plan_load_no_pulumi_module():
    """Importing every module of the config and plan layers, in a fresh interpreter,
    loads nothing of the Pulumi SDK or its providers."""
    wanted = sorted(m for m in _modules() if _layer(m) in (0, 1))
    assert "components.plan.addons.catalog" in wanted and "components.config.model" in wanted
    script = ("import importlib, json, sys\n"
              f"for name in {wanted!r}:\n    importlib.import_module(name)\n"
              "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'pulumi' "
              "or m.startswith('pulumi_'))))\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_pulumi_is_imported_by_the_component_layer_only():
    """A cross-check of the AST view: no config or plan module names a Pulumi package."""
    offenders = sorted(m for m, p in _modules().items() if _layer(m) in (0, 1)
                       and any(n.split(".")[0] == "pulumi" or n.startswith("pulumi_") for n in _imports(m, p)))
    assert offenders == []


def test_no_import_reaches_a_higher_layer():
    upward = sorted(f"{m} ({LAYER_NAMES[_layer(m)]}) imports {d} ({LAYER_NAMES[_layer(d)]})"
                    for m, deps in _graph().items() for d in deps if _layer(d) > _layer(m))
    assert upward == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("top", PROGRAM_DIRS)
def test_no_module_is_over_the_size_limit(top):
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in (ROOT / top).rglob("*.py")}
    assert sizes, f"no modules under {top}/"
    assert {p: n for p, n in sizes.items() if n > MAX_LINES} == {}


def test_every_module_has_a_layer():
    assert all(_layer(m) is not None for m in _modules())
