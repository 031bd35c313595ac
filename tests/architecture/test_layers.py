"""The import graph: one root, layers one way, no circles.

Layers, lowest first: ``macroattr.data_pipelines`` -> ``macroattr.models`` ->
``macroattr.reports`` -> the application (``macroattr`` itself: CLI, config, pipeline).
A module may import its own layer or a lower one, never a higher one.  Resource packages
(``macroattr.configs``, ``macroattr.notebooks``) hold data and may be read from any layer.
Every import counts, including the lazy ones inside functions: a lazy back-arrow is still
a back-arrow, and a circle through a function-level import is still a circle.
"""

from __future__ import annotations

import ast
import json
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAYERS = ["macroattr.core", "macroattr.data_pipelines", "macroattr.models", "macroattr.reports", "macroattr"]
RESOURCES = ("macroattr.configs", "macroattr.notebooks")
GENERIC = ("data_pipelines", "models", "reports", "configs", "notebooks")


def _package_dirs() -> dict[str, Path]:
    cfg = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    return {pkg: REPO / d for pkg, d in cfg["package-dir"].items()}


def _modules() -> dict[str, Path]:
    """Every installed module name -> its source file, from pyproject's package-dir map."""
    out: dict[str, Path] = {}
    for pkg, root in _package_dirs().items():
        for f in root.rglob("*.py"):
            rel = f.relative_to(root).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([pkg, *parts])
            # a sub-folder mapped to its own package name is listed once, under that name
            if any(name.startswith(o + ".") or name == o for o in _package_dirs() if o != pkg and o.startswith(pkg + ".")):
                continue
            out[name] = f
    return out


def _imports(name: str, path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    is_pkg = path.name == "__init__.py"
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.append((mod, node.lineno))
            found += [(f"{mod}.{a.name}", node.lineno) for a in node.names]
    return found




def _layer_of(module: str) -> int | None:
    for i, pkg in enumerate(LAYERS[:-1]):
        if module == pkg or module.startswith(pkg + "."):
            return i
    if module.startswith(RESOURCES):
        return None
    if module == "macroattr" or module.startswith("macroattr."):
        return len(LAYERS) - 1
    return None


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, f in mods.items():
        for target, _ in _imports(m, f):
            # resolve ``from pkg import name`` to the module when ``name`` is a module
            while target and target not in mods:
                target = target.rpartition(".")[0]
            if target and target != m:
                graph[m].add(target)
    return graph


def test_every_module_is_under_one_root():
    mods = _modules()
    assert len(mods) > 40
    assert all(m == "macroattr" or m.startswith("macroattr.") for m in mods)


def test_no_generic_top_level_imports():
    bad = [f"{f.relative_to(REPO)}:{line} imports {t}" for m, f in _modules().items()
           for t, line in _imports(m, f) if t.split(".")[0] in GENERIC]
    for folder in ("tests", "benchmarks", "notebooks"):
        for f in (REPO / folder).rglob("*.py"):
            bad += [f"{f.relative_to(REPO)}:{line} imports {t}" for t, line in _imports("x", f)
                    if t.split(".")[0] in GENERIC]
    for nb in (REPO / "notebooks").glob("*.ipynb"):
        cells = json.loads(nb.read_text())["cells"]
        for i, cell in enumerate(c for c in cells if c["cell_type"] == "code"):
            src = "".join(cell["source"])
            src = "\n".join(x for x in src.splitlines() if not x.lstrip().startswith(("%", "!")))
            tree = ast.parse(src)
            for node in ast.walk(tree):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                bad += [f"{nb.name} code cell {i + 1} imports {n}" for n in names
                        if n.split(".")[0] in GENERIC]
    assert not bad, "\n".join(bad)


def test_layers_point_one_way():
    mods = _modules()
    bad = []
    for m, f in mods.items():
        src = _layer_of(m)
        for target, line in _imports(m, f):
            dst = _layer_of(target)
            if src is None or dst is None:
                continue
            if dst > src:
                bad.append(f"{f.relative_to(REPO)}:{line}: {m} ({LAYERS[src]}) imports {target} "
                           f"({LAYERS[dst]}), a higher layer")
    assert not bad, "\n".join(bad)


def test_no_import_cycles():
    graph = _graph()
    # a package's __init__ re-exporting its children is not a design circle: drop edges
    # from a package to its own submodules
    for m in graph:
        graph[m] = {t for t in graph[m] if not t.startswith(m + ".")}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:  # Tarjan
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize("bad_edge", [("macroattr.models.fit.base", "macroattr.reports.render"),
                                      ("macroattr.data_pipelines.panel", "macroattr.pipeline")])
def test_layer_check_catches_a_back_arrow(bad_edge):
    """The check itself can fail: a synthetic back-arrow is classified as one."""
    src, dst = bad_edge
    assert _layer_of(dst) > _layer_of(src)
