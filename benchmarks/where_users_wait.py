"""Benchmark: the commands users wait for, as fresh processes, with their import bill.

Times, in fresh child processes interleaved over ``--repeats`` rounds (A, B, C, A, B, C...):

* ``reference``: ``macroattr --help`` (interpreter, Typer and the CLI modules): the yardstick
  every other command is divided by, measured in the same rounds so load hurts all alike;
* ``run reused``: ``macroattr run`` with the main fit cached (the fit file keeps the page's
  per-draw sums, :mod:`macroattr.models.fit.stored`);
* ``report --quarter``: ``macroattr report --fit F --quarter Q`` on that cached fit;
* ``summary``: ``macroattr summary --fit F``;
* ``event``: ``macroattr event --fit F --start 2024-07-10 --end 2024-07-16``;
* ``run cold``: ``macroattr run --refit`` (numba cache warm, the cross-check fit cached);
* ``fit exact``: ``macroattr fit --out F2`` (the default daily exact fit, saved with its sums).

For each: median wall time, median CPU time (user + system of the child: less sensitive to
the other processes on a shared machine than wall time), peak RSS, and the ratio of the
medians to the reference's. ``--importtime`` also runs each read command once under
``python -X importtime`` and sums the self time per top-level package (dask, xarray, pandas,
numba, scipy, statsmodels, plotly, ...), listing whether PyMC, ArviZ, PyTensor or nutpie
were imported at all.

This is a benchmark, not a test; the figures depend on the machine and its load (recorded:
the 1-minute load average before each child).

``--baseline VENV`` adds every read command again as ``NAME (base)``, run by another
installation's ``macroattr`` (e.g. a venv with main before a change installed editable),
interleaved with this one's in the same rounds, each with its own fit cache: before/after
figures at the same load. ``--cache DIR`` keeps the warmed fit caches between sessions.

Usage::

    .venv/bin/python -m benchmarks.where_users_wait --repeats 3 --importtime --save
    .venv/bin/python -m benchmarks.where_users_wait --baseline /tmp/base/.venv --only \
        "run reused" "report --quarter" summary event --cache /tmp/wait-cache
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks._harness import REPO, RESULTS_DIR, child_env, console_script, machine, python

HEAVY = ("pymc", "arviz", "pytensor", "nutpie")


def _run(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        err.seek(0)
        if code != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {code}: {err.read()[-2000:]}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "rss_mb": usage.ru_maxrss / 1024.0, "load": load}


def import_bill(cmd: list[str], env: dict[str, str], py: str | None = None) -> dict[str, Any]:
    """Self time (ms) of the imports of ``cmd`` by top-level package, under -X importtime."""
    res = subprocess.run([py or python(), "-X", "importtime", *cmd], env=env, cwd=REPO,
                         capture_output=True, text=True, check=True)
    by: dict[str, float] = defaultdict(float)
    for line in res.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)", line)
        if m:
            by[m.group(3).split(".")[0]] += int(m.group(1)) / 1000.0
    total = sum(by.values())
    top = dict(sorted(by.items(), key=lambda kv: -kv[1])[:12])
    return {"total_ms": round(total), "top_ms": {k: round(v) for k, v in top.items()},
            "heavy_imported": [h for h in HEAVY if h in by],
            "dask_imported": "dask" in by, "sparse_imported": "sparse" in by}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quarter", default="2025Q4",
                    help="quarter of run and report (2025Q4: the cross-check static monthly fit "
                         "covers it)")
    ap.add_argument("--only", nargs="*", help="contenders to run (default: all)")
    ap.add_argument("--importtime", action="store_true")
    ap.add_argument("--save", action="store_true")
    ap.add_argument("--baseline", type=Path, help="another installation's venv: its read "
                    "commands run too, as 'NAME (base)', interleaved")
    ap.add_argument("--cache", type=Path, help="folder keeping the warmed fit caches")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench_wait_"))
    root = args.cache or tmp
    installs = {"": (console_script("macroattr"), python())}
    if args.baseline:
        installs[" (base)"] = (str(args.baseline / "bin" / "macroattr"),
                               str(args.baseline / "bin" / "python"))
    cmds: dict[str, list[str]] = {}
    envs: dict[str, dict[str, str]] = {}
    pys: dict[str, str] = {}
    for tag, (mac, py) in installs.items():
        env = child_env()
        cache = root / f"cache{tag.strip(' ()')}"
        env["MACROATTR_CACHE_DIR"] = str(cache)
        if not list((cache / "fits").glob("*.nc")):
            print(f"warming{tag}: a first run fits and caches the main fit ...", file=sys.stderr,
                  flush=True)
            _run([mac, "run", "--quarter", args.quarter, "--out", str(tmp / f"warm{tag}")], env)
        fits = sorted((cache / "fits").glob("*.nc"), key=lambda p: p.stat().st_size)
        fit = str(fits[-1])  # the daily state-space fit (the larger file)
        o = str(tmp / f"o{len(cmds)}")
        mine = {
            "reference": [mac, "--help"],
            "run reused": [mac, "run", "--quarter", args.quarter, "--out", o + "a"],
            "report --quarter": [mac, "report", "--fit", fit, "--quarter", args.quarter,
                                 "--out", o + "b"],
            "summary": [mac, "summary", "--fit", fit],
            "event": [mac, "event", "--fit", fit, "--start", "2024-07-10", "--end", "2024-07-16"],
            # as typed most: no --fit, the main job's cached fit found from the current data
            "summary main": [mac, "summary"],
            "event main": [mac, "event", "--start", "2024-07-10", "--end", "2024-07-16"],
            "run cold": [mac, "run", "--refit", "--quarter", args.quarter, "--out", o + "c"],
            "fit exact": [mac, "fit", "--quiet", "--out", o + "f2.nc"],
        }
        if args.only:
            mine = {k: v for k, v in mine.items() if k in args.only or k == "reference"}
        if tag:
            mine = {k: v for k, v in mine.items() if k not in ("run cold", "fit exact")}
        for k, v in mine.items():
            cmds[k + tag], envs[k + tag], pys[k + tag] = v, env, py
    runs: dict[str, list[dict[str, Any]]] = {k: [] for k in cmds}
    for i in range(args.repeats):
        for name, cmd in cmds.items():
            r = _run(cmd, envs[name])
            runs[name].append(r)
            print(f"  [{name} {i + 1}/{args.repeats}] wall {r['wall_s']:.2f} s, cpu "
                  f"{r['cpu_s']:.2f} s, peak {r['rss_mb']:.0f} MB, load {r['load']:.2f}",
                  file=sys.stderr, flush=True)
    med = {k: {m: statistics.median(r[m] for r in v) for m in ("wall_s", "cpu_s", "rss_mb")}
           for k, v in runs.items()}
    ref = med["reference"]
    out: dict[str, Any] = {"machine": machine(), "repeats": args.repeats, "quarter": args.quarter,
                           "loads": [r["load"] for v in runs.values() for r in v], "rows": {}}
    for k, m in med.items():
        out["rows"][k] = {**{x: round(y, 3) for x, y in m.items()},
                          "wall_vs_reference": round(m["wall_s"] / ref["wall_s"], 2),
                          "cpu_vs_reference": round(m["cpu_s"] / ref["cpu_s"], 2),
                          "walls": [round(r["wall_s"], 2) for r in runs[k]]}
    if args.importtime:
        for k in cmds:
            if k.split(" (")[0] in ("reference", "run reused", "summary", "event",
                                    "report --quarter", "summary main", "event main"):
                out["rows"][k]["imports"] = import_bill(cmds[k], envs[k], pys[k])
    print("| command | wall s (median) | cpu s (median) | wall / ref | cpu / ref | peak MB |")
    print("|---|---|---|---|---|---|")
    for k, r in out["rows"].items():
        print(f"| {k} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['wall_vs_reference']:.1f}x | "
              f"{r['cpu_vs_reference']:.1f}x | {r['rss_mb']:.0f} |")
    if args.importtime:
        print("\nimports (self ms by package, -X importtime):")
        for k, r in out["rows"].items():
            if "imports" in r:
                im = r["imports"]
                print(f"- {k}: total {im['total_ms']} ms; {im['top_ms']}; dask {im['dask_imported']}, "
                      f"sparse {im['sparse_imported']}, heavy {im['heavy_imported'] or 'none'}")
    print(f"\nload (1-min) over the runs: {min(out['loads']):.2f}..{max(out['loads']):.2f}")
    if args.save:
        RESULTS_DIR.mkdir(exist_ok=True)
        (RESULTS_DIR / "where_users_wait.json").write_text(json.dumps(out, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
