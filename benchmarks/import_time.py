"""Benchmark: what ``import macroattr.data_pipelines, macroattr.models, macroattr.reports`` costs, split by who pays.

Runs ``python -X importtime -c "import macroattr.data_pipelines, macroattr.models, macroattr.reports"`` in fresh
interpreters (bytecode already compiled: one warm-up run first) and sums the *self* time of
every imported module by owner:

* **project**: ``data_pipelines``, ``models``, ``reports``, ``macroattr`` (and their submodules);
* **third-party**: everything installed in site-packages (pandas, numpy, pyarrow, ...);
* **stdlib**: the standard library.

The sums of self times add up to the whole import. The design target is under one second of
the project's own time, with no PyMC, PyTensor, ArviZ or plotly import at package import (they
load when a fit, a table or a figure needs them). Also lists the heaviest modules and any heavy
library that did get imported.

This is a benchmark, not a timed test: the numbers depend on the machine and its load.

Usage::

    .venv/bin/python benchmarks/import_time.py               # markdown table, 7 runs
    .venv/bin/python benchmarks/import_time.py --repeat 3 --json
    .venv/bin/python benchmarks/import_time.py --save       # also benchmarks/results/import_time.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from collections import defaultdict

PROJECT = ("data_pipelines", "models", "reports", "macroattr")
HEAVY = ("pymc", "pytensor", "arviz", "plotly", "nutpie", "numba", "scipy", "jinja2", "xarray",
         "matplotlib", "papermill")
DEFAULT_STMT = "import macroattr.data_pipelines, macroattr.models, macroattr.reports"


def owner(module: str) -> str:
    """``project``, ``stdlib`` or ``third-party`` for a dotted module name.

    Examples
    --------
    >>> owner("macroattr.models.fit.base"), owner("json.decoder"), owner("pandas.core.api")
    ('project', 'stdlib', 'third-party')
    """
    top = module.split(".")[0]
    if top in PROJECT:
        return "project"
    if top in sys.stdlib_module_names or top in ("builtins", "sys", "encodings", "_frozen_importlib"):
        return "stdlib"
    return "third-party"


def parse_importtime(stderr: str) -> list[tuple[str, int, int]]:
    """``(module, self_us, cumulative_us)`` rows of ``-X importtime`` output.

    Examples
    --------
    >>> parse_importtime("import time: self [us] | cumulative | imported package\\n"
    ...                  "import time:       120 |        340 |   macroattr.models.fit.base\\n")
    [('macroattr.models.fit.base', 120, 340)]
    """
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue
        rows.append((parts[2].strip(), int(parts[0]), int(parts[1])))
    return rows


def one_run(stmt: str, python: str = sys.executable) -> dict:
    """One fresh interpreter: self time per owner (ms), heaviest modules, heavy libraries seen."""
    code = f"{stmt}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    proc = subprocess.run([python, "-X", "importtime", "-c", code], capture_output=True,
                          text=True, check=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""})
    rows = parse_importtime(proc.stderr)
    by_owner: dict[str, float] = defaultdict(float)
    per_top: dict[str, float] = defaultdict(float)
    for mod, self_us, _ in rows:
        by_owner[owner(mod)] += self_us / 1000
        per_top[mod.split(".")[0]] += self_us / 1000
    loaded = set(proc.stdout.split())
    return {"by_owner_ms": dict(by_owner), "per_package_ms": dict(per_top),
            "total_ms": sum(by_owner.values()),
            "heavy_loaded": sorted(h for h in HEAVY if h in loaded)}


def measure(stmt: str = DEFAULT_STMT, repeat: int = 7) -> dict:
    """Median over ``repeat`` runs (after one warm-up) of each owner's import time in ms."""
    one_run(stmt)  # warm-up: compile bytecode, fill the OS file cache
    runs = [one_run(stmt) for _ in range(repeat)]
    owners = ("project", "third-party", "stdlib")
    med = {o: statistics.median(r["by_owner_ms"].get(o, 0.0) for r in runs) for o in owners}
    pkgs = defaultdict(list)
    for r in runs:
        for p, ms in r["per_package_ms"].items():
            pkgs[p].append(ms)
    top = sorted(((p, statistics.median(v)) for p, v in pkgs.items()), key=lambda t: -t[1])[:8]
    return {
        "statement": stmt, "repeat": repeat, "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "median_ms": {**med, "total": statistics.median(r["total_ms"] for r in runs)},
        "project_ms_min_max": [min(r["by_owner_ms"].get("project", 0) for r in runs),
                               max(r["by_owner_ms"].get("project", 0) for r in runs)],
        "top_packages_ms": top,
        "heavy_loaded": sorted({h for r in runs for h in r["heavy_loaded"]}),
    }


def markdown(res: dict) -> str:
    """The result as the markdown recorded in ``benchmarks/RESULTS.md``."""
    m = res["median_ms"]
    lo, hi = res["project_ms_min_max"]
    lines = [
        f"`python -X importtime -c \"{res['statement']}\"`, median of {res['repeat']} warm runs "
        f"(Python {res['python']}, {res['machine']}):",
        "",
        "| who | import time (ms, sum of self times) |",
        "|---|---:|",
        f"| project (data_pipelines, models, reports, macroattr) | {m['project']:.1f} "
        f"(range {lo:.1f}–{hi:.1f}) |",
        f"| third-party | {m['third-party']:.1f} |",
        f"| stdlib | {m['stdlib']:.1f} |",
        f"| **total** | **{m['total']:.1f}** |",
        "",
        "Heaviest top-level packages (ms): "
        + ", ".join(f"{p} {ms:.1f}" for p, ms in res["top_packages_ms"]) + ".",
        "",
        "Heavy libraries imported: " + (", ".join(res["heavy_loaded"]) or "none") + ".",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Import-time benchmark of the macroattr packages.")
    ap.add_argument("--repeat", type=int, default=7, help="measured runs (after one warm-up)")
    ap.add_argument("--stmt", default=DEFAULT_STMT, help="the import statement to time")
    ap.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    ap.add_argument("--save", action="store_true",
                    help="also write benchmarks/results/import_time.json (atomically)")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    res = measure(args.stmt, args.repeat)
    print(json.dumps(res, indent=2) if args.json else markdown(res))
    if args.save:
        from pathlib import Path

        from macroattr.core.io import atomic_path

        target = Path(__file__).resolve().parent / "results" / "import_time.json"
        with atomic_path(target) as tmp:
            tmp.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
