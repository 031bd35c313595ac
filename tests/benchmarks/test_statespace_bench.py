"""benchmarks/statespace.py's in-process worker runs and reports its timings (never asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_worker_reports_its_fields():
    proc = subprocess.run([sys.executable, "-m", "benchmarks.statespace", "--worker", "--quick",
                           "--repeats", "1"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    for key in ("fit_s", "fit_plus_q_s", "filtered_q_s", "monthly_fit_s", "lpds", "lpds_static"):
        assert out[key] == out[key], key  # a number, not NaN
    assert out["draws"] == 1000 and out["days"] > 200
