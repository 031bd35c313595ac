"""The import-time benchmark script runs, and importing the three packages pulls in none of
the heavy libraries (PyMC, PyTensor, ArviZ, plotly, ...). Not timed: speed is a benchmark."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import REPO


def test_import_time_script_runs_and_imports_stay_light():
    res = subprocess.run([sys.executable, str(REPO / "benchmarks" / "import_time.py"),
                          "--repeat", "1", "--json"], capture_output=True, text=True, cwd=REPO,
                         timeout=300)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["statement"] == "import macroattr.data_pipelines, macroattr.models, macroattr.reports"
    assert set(out["median_ms"]) == {"project", "third-party", "stdlib", "total"}
    assert out["median_ms"]["project"] > 0
    assert out["heavy_loaded"] == [], f"imported at package import: {out['heavy_loaded']}"
