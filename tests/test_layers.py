"""The layers stay one-way (docs/design.md, "Layers"): every import statement in the four packages,
function-local ones included, follows the rules; no two modules import each other, directly or
round a loop; no function grows past 150 lines."""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("network", "sim", "optimize", "scenarios")
#: which top-level packages each package may import
ALLOWED = {"network": {"network"}, "sim": {"sim", "network"}, "optimize": {"optimize", "network"},
           "scenarios": set(PACKAGES)}
MAX_FUNCTION_LINES = 150


def _modules() -> dict[str, Path]:
    mods = {}
    for pkg in PACKAGES:
        for f in (ROOT / pkg).rglob("*.py"):
            parts = list(f.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods[".".join(parts)] = f
    return mods


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[int, str]]:
    """(line, imported module) of every import statement in a module, wherever it stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            for a in node.names:  # `from pkg import module` imports the module
                sub = f"{base}.{a.name}"
                out.append((node.lineno, sub if sub in MODULES else base))
    return out


def _owner(target: str) -> str | None:
    """The project module an import resolves to (the longest known prefix), or None."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def test_every_import_follows_the_layer_rules():
    broken = []
    for name, path in MODULES.items():
        layer = name.split(".")[0]
        for line, target in _imports(name, path):
            top = target.split(".")[0]
            if top in PACKAGES and top not in ALLOWED[layer]:
                broken.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not broken, "\n".join(broken)


def test_no_import_cycles_between_modules():
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in MODULES.items():
        for _, target in _imports(name, path):
            owner = _owner(target)
            if owner and owner != name:
                graph[name].add(owner)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in list(MODULES):
        if v not in index:
            visit(v)
    assert not cycles, cycles


@pytest.mark.parametrize("package", PACKAGES)
def test_no_function_over_150_lines(package):
    long = []
    for f in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long.append(f"{f.relative_to(ROOT)}:{node.lineno} {node.name}: {n} lines")
    assert not long, "\n".join(long)


def test_the_rules_catch_a_violation(tmp_path):
    """The checker itself: a sim module importing optimize is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from optimize.routing import VehicleRouting\n", encoding="utf-8")
    found = [t for _, t in _imports("sim.bad", bad) if t.split(".")[0] not in ALLOWED["sim"]]
    assert found and found[0].startswith("optimize")
