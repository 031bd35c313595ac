"""The import graph: one root, layers one way, no circles.

The layers and the independence of pieces are import-linter contracts in pyproject.toml
(``[tool.importlinter]``): core -> data_pipelines -> models -> reports -> the application,
never back, plus contracts inside ``macroattr.core`` and ``macroattr.models``. They are
checked here on the installed wheel (where the package-dir map resolves; an editable
install hides it from import-linter's graph builder) and shown to fail on a back-arrow
planted in a copy of the installed layout. Function-level (lazy) imports count like
top-level ones. Cycles between modules are checked on the same graph.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.layout import REPO, assemble, modules

GENERIC = ("data_pipelines", "models", "reports", "configs", "notebooks")
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(path: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the package found first on ``path`` (contracts: pyproject)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONPATH"] = str(path)
    return subprocess.run([str(LINT), "--no-cache", "--no-logo", str(REPO / "pyproject.toml")],
                          capture_output=True, text=True, cwd=path, env=env, timeout=300)


@pytest.fixture(scope="module")
def layout(tmp_path_factory) -> Path:
    return assemble(tmp_path_factory.mktemp("layout"))


def test_every_module_is_under_one_root():
    mods = modules()
    assert len(mods) > 40
    assert all(m == "macroattr" or m.startswith("macroattr.") for m in mods)


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




def test_no_generic_top_level_imports():
    bad = [f"{f.relative_to(REPO)}:{line} imports {t}" for m, f in modules().items()
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


def test_contracts_hold_on_the_installed_wheel(wheel_env):
    r = _lint(wheel_env["site"])
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "0 broken" in r.stdout and "KEPT" in r.stdout
    n = len(modules())
    assert f"Analyzed {n} files" in r.stdout, (n, r.stdout[-600:])  # the whole package was seen


def test_assembled_layout_is_the_wheel_layout(wheel_env, layout):
    def tree(root: Path) -> set[str]:
        return {str(p.relative_to(root)) for p in (root / "macroattr").rglob("*.py")}

    assert tree(layout) == tree(wheel_env["site"])


@pytest.mark.parametrize(("module", "planted", "contract"), [
    # a lazy (function-level) back-arrow from models to reports
    ("models/fit/base.py", "\n\ndef _planted():\n    from macroattr.reports import render\n",
     "never back"),
    # a top-level back-arrow from core to data_pipelines
    ("core/terminal.py", "\nimport macroattr.data_pipelines.catalog\n", "never back"),
    # the state-space engine reading a fit
    ("models/statespace/dlm.py", "\n\ndef _planted():\n    import macroattr.models.fit.base\n",
     "never builds, reads or plots a fit"),
    # the executor (below every job) reaching up to the main run
    ("jobs/executor.py", "\n\ndef _planted():\n    from macroattr.jobs import run\n",
     "jobs: grid on backtest"),
    # the fit cache reaching up to the main run
    ("jobs/cache.py", "\n\ndef _planted():\n    import macroattr.jobs.run\n", "jobs: grid on backtest"),
])
def test_contracts_fail_on_a_planted_back_arrow(layout, tmp_path, module, planted, contract):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(layout, copy)
    target = copy / "macroattr" / module
    target.write_text(target.read_text() + planted)
    r = _lint(copy)
    assert r.returncode != 0, r.stdout[-2000:]
    assert "BROKEN" in r.stdout and contract in r.stdout.split("Broken contracts")[-1], r.stdout[-3000:]


def test_no_import_cycles(layout):
    """No circle of module imports, function-level imports included (a package importing
    its own submodules, to re-export them, is not a circle; nor is a type-only import)."""
    # in a fresh process: this one has imported the editable macroattr already
    code = ("import grimp, json\n"
            "g = grimp.build_graph('macroattr', cache_dir=None, exclude_type_checking_imports=True)\n"
            "print(json.dumps({m: sorted(g.find_modules_directly_imported_by(m)) for m in g.modules}))")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=layout,
                       env=env | {"PYTHONPATH": str(layout)}, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    # imports under ``if TYPE_CHECKING`` never run, so they close no circle
    edges = {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in json.loads(r.stdout).items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    cycles: list[list[str]] = []

    def strong(v: str) -> None:  # Tarjan
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
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

    for v in sorted(edges):
        if v not in index:
            strong(v)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)
    assert len(edges) == len(modules())


def _private_uses(mods: dict[str, Path]) -> list[str]:
    """``from <module> import _name`` and ``<module>._name`` where the module is in another
    package than the importer (a package's modules may share helpers; other packages go
    through public names)."""
    def package(name: str, path: Path) -> str:
        return name if path.name == "__init__.py" else name.rpartition(".")[0]

    found = []
    for name, path in mods.items():
        here = package(name, path)
        shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in mods:
                there = package(node.module, mods[node.module])
                for a in node.names:
                    target = f"{node.module}.{a.name}"
                    if target in mods:  # a submodule imported by name
                        aliases[a.asname or a.name] = target
                    elif a.name.startswith("_") and not a.name.startswith("__") and there != here:
                        found.append(f"{shown}:{node.lineno}: "
                                     f"from {node.module} import {a.name}")
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname and a.name in mods:
                        aliases[a.asname] = a.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                target = aliases[node.value.id]
                if package(target, mods[target]) != here and target != here:
                    found.append(f"{shown}:{node.lineno}: "
                                 f"{node.value.id}.{node.attr} ({target})")
    return found


def test_no_private_name_is_used_across_packages(tmp_path):
    """App, reports, models and data code reach another package through its public names
    (the rule is shown to catch a planted ``from macroattr.cli import _x``)."""
    mods = modules()
    assert _private_uses(mods) == []
    planted = tmp_path / "planted.py"
    planted.write_text("from macroattr.cli import _one_line\n"
                       "from macroattr.data_pipelines import panel as p\np._kind('x')\n")
    found = _private_uses({**mods, "macroattr.reports.planted": planted})
    assert [f.split(": ", 1)[1] for f in found if "planted" in f] == \
        ["from macroattr.cli import _one_line", "p._kind (macroattr.data_pipelines.panel)"]
