"""Typed public API: the package ships ``py.typed`` and mypy (config in pyproject's
``[tool.mypy]``: every function annotated) passes on the fit classes, building and loading
fits, their draws and DataTree, and core's dates and errors, on the installed layout.
Its cache lives in ``.cache/mypy`` so a rerun takes seconds."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.layout import REPO, assemble

PUBLIC = [
    "macroattr.models.fit.base", "macroattr.models.fit.kinds", "macroattr.models.fit.static",
    "macroattr.models.fit.state_space", "macroattr.models.fit.idata", "macroattr.models.fit.draws",
    "macroattr.core.dates", "macroattr.core.errors",
]


def test_public_api_type_checks(tmp_path):
    tree = assemble(tmp_path / "layout")
    args = [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml"),
            "--cache-dir", str(REPO / ".cache" / "mypy")]
    for m in PUBLIC:
        args += ["-p", m]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH")}
    r = subprocess.run(args, capture_output=True, text=True, cwd=tree, env=env, timeout=600)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert f"no issues found in {len(PUBLIC)} source files" in r.stdout


def test_wheel_ships_py_typed(wheel_env):
    assert (wheel_env["site"] / "macroattr" / "py.typed").is_file()
