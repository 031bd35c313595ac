"""The benchmark scripts run end to end with tiny settings and print their fields.

Speed is never asserted here (benchmarks are not tests): each script is run once with
``--quick`` (2 chains x 50 draws, 1 repeat) as ``make bench`` would run it, and the test
checks the result table, the target verdicts and the machine details are printed. The
retired knot-grid daily benchmark (``daily_tv``) is not part of ``--quick``
(``benchmarks.run_all.QUICK``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# ~80 s on the 2-core machine: 9 fresh processes; it still runs in CI (make test)
pytestmark = pytest.mark.slow

EXPECTED = {
    "monthly_static": ["macroattr fit", "PyMC pm.sample()", "bambi", "macroattr fit / PyMC wall",
                       "macroattr fit / bambi wall", "min bulk ESS (macroattr)", "divergences (macroattr)",
                       "refit after prior change / first fit", "refit after span change / first fit"],
    "monthly_tv": ["wall s", "divergences", "max R-hat", "min bulk ESS"],
    "run_e2e": ["cold run s", "warm run s", "report rendering s (process)"],
}


@pytest.fixture(scope="module")
def quick_output(tmp_path_factory) -> str:
    env = dict(os.environ)
    env.setdefault("PYTENSOR_FLAGS", f"base_compiledir={REPO / '.cache' / 'pytensor'}")
    proc = subprocess.run([sys.executable, "-m", "benchmarks.run_all", "--quick"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_benchmark_prints_its_table_and_targets(quick_output: str, name: str) -> None:
    section = quick_output.split(f"### {name} (")[1].split("\n### ")[0]
    assert "QUICK settings: not comparable" in section
    verdicts = [json.loads(line) for line in section.splitlines() if line.startswith('{"benchmark"')]
    assert len(verdicts) == 1 and verdicts[0]["benchmark"] == name
    whats = [t["what"] for t in verdicts[0]["targets"]]
    for field in EXPECTED[name]:
        assert field in section, f"{name}: {field!r} missing from its output"
    for t in verdicts[0]["targets"]:
        assert isinstance(t["met"], bool) and t["value"] == t["value"], t  # a number, not NaN
    assert whats and set(whats) <= set(EXPECTED[name]), whats


def test_quick_runs_exactly_the_quick_set(quick_output: str) -> None:
    from benchmarks.run_all import QUICK

    assert set(QUICK) == set(EXPECTED) and "daily_tv" not in QUICK
    assert [s.split(" (")[0] for s in quick_output.split("\n### ")[1:]] == list(QUICK)


def test_machine_details_are_printed(quick_output: str) -> None:
    machine = json.loads(quick_output.split("## machine\n")[1].split("\n\n")[0])
    assert machine["cores"] >= 1 and machine["python"] and machine["packages"]["pymc"]
    assert len(machine["loadavg"]) == 3
