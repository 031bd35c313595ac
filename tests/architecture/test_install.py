"""Installable anywhere: a wheel, installed into a fresh virtualenv outside the repository,
runs the main job on the embedded snapshot and renders the report there; generic names such
as ``models`` are not importable; no module is ever loaded under two names."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GENERIC = ("models", "reports", "data_pipelines", "configs", "notebooks")


from tests.architecture.conftest import _clean_env


def test_wheel_ships_configs_notebook_snapshot_and_templates(wheel_env):
    import zipfile

    names = set(zipfile.ZipFile(wheel_env["wheel"]).namelist())
    for must in ("macroattr/configs/default.toml", "macroattr/notebooks/quarterly_report.ipynb",
                 "macroattr/data_pipelines/snapshot/monthly.parquet",
                 "macroattr/reports/templates/report.html.j2", "macroattr/models/fit/base.py",
                 "macroattr/core/io.py"):
        assert must in names, must
    assert not any(n.split("/")[0] in GENERIC for n in names)


def test_installed_wheel_imports_one_root_only(wheel_env):
    code = textwrap.dedent("""
        import importlib, sys
        import macroattr, macroattr.models, macroattr.reports, macroattr.data_pipelines
        from macroattr import build_panel, fit_model, load_fit, render_report
        from macroattr.models import ModelConfig
        print(macroattr.models.__file__)
        print(ModelConfig.shipped("static_monthly").sampler.method)
        for name in %r:
            try:
                importlib.import_module(name)
            except ImportError:
                continue
            print("IMPORTABLE", name)
    """ % (GENERIC,))
    r = subprocess.run([wheel_env["py"], "-c", code], capture_output=True, text=True,
                       cwd=wheel_env["work"], env=_clean_env())
    assert r.returncode == 0, r.stderr[-2000:]
    lines = r.stdout.splitlines()
    assert lines[0].startswith(str(wheel_env["site"])), lines[0]
    assert lines[1] == "nuts"
    assert not [x for x in lines if x.startswith("IMPORTABLE")], r.stdout


@pytest.mark.slow
def test_installed_wheel_runs_the_main_job_and_renders(wheel_env):
    work = wheel_env["work"]
    (work / "exact.toml").write_text(textwrap.dedent("""
        [groups]
        rates = ["d_2y", "mp_target", "mp_path"]
        inflation = ["cpi_surprise"]
        leverage = ["d_baa_spread"]
        political = ["dlog_epu"]

        [sampler]
        method = "exact"
        draws = 300
    """))
    env = _clean_env(MACROATTR_CACHE_DIR=str(work / "cache"), FRED_API_KEY="")
    r = subprocess.run([wheel_env["bin"] / "macroattr", "run", "--config", "exact.toml",
                        "--source", "snapshot", "--out", "build"],
                       capture_output=True, text=True, cwd=work, env=env, timeout=600)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    pages = sorted((work / "build").glob("20??Q?*.html"))  # <quarter>[-<model>].html
    assert pages and (work / "build" / "index.html").is_file()
    assert str(pages[-1].name) in r.stdout + r.stderr
    html = pages[-1].read_text()
    assert "Russell 2000" in html and "rates" in html


def test_no_generic_names_outside_the_repository():
    """In the project's own venv, from a folder outside the repository, ``import models``
    fails (the editable install maps only ``macroattr.*``)."""
    code = "import importlib\nfor n in %r:\n    try:\n        importlib.import_module(n)\n        print('IMPORTABLE', n)\n    except ImportError:\n        pass\n" % (GENERIC,)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/",
                       env=_clean_env())
    assert r.returncode == 0 and "IMPORTABLE" not in r.stdout, r.stdout + r.stderr


def test_no_module_is_loaded_under_two_names():
    """After importing every module of the product, none of them is also loaded under a
    generic top-level name (the test run itself included)."""
    code = textwrap.dedent("""
        import importlib, sys
        sys.path.insert(0, %r)
        from tests.support.layout import modules as _modules
        for m in sorted(_modules()):
            if m not in ("macroattr.cli.__main__", "macroattr.notebooks.build_notebooks"):
                importlib.import_module(m)
        print(sorted(n for n in sys.modules if n.split(".")[0] in %r))
    """ % (str(REPO), GENERIC))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/",
                       env=_clean_env())
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "[]", r.stdout
    assert not [n for n in sys.modules if n.split(".")[0] in GENERIC]


def test_installed_modules_have_bytecode():
    """The install writes every module's bytecode (``scripts/install.sh``: uv
    ``--compile-bytecode``, then the project's own packages): where Python writes none itself
    (``PYTHONDONTWRITEBYTECODE=1``, as CI and many containers set) a command would otherwise
    compile pandas & co. from source each time (``import pandas`` 3.2 s against 0.7 s here)."""
    import importlib.util

    import numpy
    import pandas
    import typer

    import macroattr.core.dates
    import macroattr.models.fit.io

    for mod in (numpy, pandas, typer, macroattr.core.dates, macroattr.models.fit.io):
        pyc = Path(importlib.util.cache_from_source(mod.__file__))
        assert pyc.is_file(), (f"{mod.__name__} has no bytecode ({pyc}): reinstall with "
                               "`make venv` (scripts/install.sh writes it)")
