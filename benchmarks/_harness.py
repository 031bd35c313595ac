"""Shared plumbing of the benchmark scripts: child processes, medians, machine details.

Every measured run is a *fresh child process* of the benchmark (``subprocess`` +
``os.wait4``), so wall time includes interpreter start-up and imports, and peak RSS is the
child's own (with any worker processes it waited for) as the kernel reports it. Repeats of
the contenders are interleaved (A, B, C, A, B, C, ...) so a burst of load on a shared
machine hurts them alike; the figures are medians of the repeats.

This module is for the benchmark scripts only; nothing in the product imports it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO / "benchmarks" / "results"
PACKAGES = ("macroattr", "pymc", "pytensor", "nutpie", "numba", "arviz", "bambi", "numpy",
            "pandas", "xarray", "plotly", "pybats", "statsmodels", "scipy")


@dataclass
class ChildRun:
    """One finished child process."""

    cmd: list[str]
    wall_s: float
    maxrss_mb: float
    returncode: int
    stdout: str
    stderr: str
    load_before: float
    #: CPU seconds (user + system) of the child and the workers it waited for: less
    #: sensitive than wall time to the other processes of a shared machine
    cpu_s: float = float("nan")

    def json_tail(self) -> dict[str, Any]:
        """The last stdout line that parses as a JSON object (what a worker reports)."""
        for line in reversed(self.stdout.strip().splitlines()):
            line = line.strip()
            if line.startswith("{"):
                try:
                    return json.loads(line)
                except json.JSONDecodeError:
                    continue
        return {}

    def check(self) -> ChildRun:
        """Raise with the child's stderr tail when it failed."""
        if self.returncode != 0:
            tail = "\n".join(self.stderr.strip().splitlines()[-15:])
            raise RuntimeError(f"{' '.join(self.cmd)} exited {self.returncode}:\n{tail}")
        return self


def python() -> str:
    """The interpreter running the benchmark (the project venv's under ``make bench``)."""
    return sys.executable


def console_script(name: str) -> str:
    """Path of an installed console script beside the interpreter (e.g. ``macroattr``)."""
    cand = Path(sys.executable).with_name(name)
    return str(cand) if cand.exists() else name


def child_env(**extra: str) -> dict[str, str]:
    """Environment for children: the PyTensor compile cache the Makefile uses unless given."""
    env = dict(os.environ)
    env.setdefault("PYTENSOR_FLAGS", f"base_compiledir={REPO / '.cache' / 'pytensor'}")
    env.setdefault("MPLBACKEND", "Agg")
    env.pop("MACROATTR_DEBUG", None)
    env.update(extra)
    return env


def run_child(cmd: Sequence[str], *, env: dict[str, str] | None = None,
              cwd: str | os.PathLike[str] | None = None, timeout: float = 1800.0) -> ChildRun:
    """Run ``cmd`` to completion; return wall time, peak RSS (MB) and output."""
    cmd = [str(c) for c in cmd]
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env or child_env(), cwd=cwd)
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ChildRun(cmd=cmd, wall_s=wall, maxrss_mb=usage.ru_maxrss / 1024.0,
                        returncode=proc.returncode, stdout=out.read(), stderr=err.read(),
                        load_before=load, cpu_s=usage.ru_utime + usage.ru_stime)


def median(xs: Sequence[float]) -> float:
    """Median (NaN for no values)."""
    return float(statistics.median(xs)) if xs else float("nan")


def interleave(runners: dict[str, Callable[[], ChildRun]], repeats: int) -> dict[str, list[ChildRun]]:
    """Run each named runner ``repeats`` times, interleaved; return the runs by name."""
    runs: dict[str, list[ChildRun]] = {k: [] for k in runners}
    for i in range(repeats):
        for name, fn in runners.items():
            r = fn()
            runs[name].append(r)
            print(f"  [{name} {i + 1}/{repeats}] wall {r.wall_s:.2f} s, CPU {r.cpu_s:.2f} s, peak "
                  f"RSS {r.maxrss_mb:.0f} MB, load {r.load_before:.2f}", file=sys.stderr, flush=True)
    return runs


def machine() -> dict[str, Any]:
    """CPU model, cores, RAM, OS, Python and package versions, date and current load."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gb = float("nan")
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gb = int(line.split()[1]) / 1024 ** 2
                break
    except OSError:
        pass
    vers = {}
    for p in PACKAGES:
        try:
            vers[p] = version(p)
        except PackageNotFoundError:
            vers[p] = "not installed"
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(ram_gb, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": vers,
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }


@dataclass
class Row:
    """One line of a benchmark's result table."""

    name: str
    runs: list[ChildRun] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def wall(self) -> float:
        return median([r.wall_s for r in self.runs]) if self.runs else float(self.extra.get("wall_s", "nan"))

    @property
    def rss(self) -> float:
        return max((r.maxrss_mb for r in self.runs), default=float("nan"))


def fmt(v: Any, spec: str = ".2f") -> str:
    """Format a number (or pass through text; '-' for missing)."""
    if v is None:
        return "-"
    if isinstance(v, float):
        if v != v:  # NaN
            return "-"
        return format(v, spec)
    return str(v)


def report(name: str, args: argparse.Namespace, header: list[str], rows: list[list[Any]],
           targets: list[dict[str, Any]], data: dict[str, Any]) -> None:
    """Print the result table and target verdicts as markdown; save JSON under results/."""
    print(f"\n### {name} ({args.repeats} repeat{'s' if args.repeats != 1 else ''}, medians"
          f"{', QUICK settings: not comparable' if args.quick else ''})\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(fmt(c) for c in r) + " |")
    if targets:
        print("\n| target | measured | goal | met |\n|---|---|---|---|")
        for t in targets:
            print(f"| {t['what']} | {fmt(t['value'], t.get('spec', '.2f'))} | {t['goal']} | "
                  f"{'yes' if t['met'] else 'NO'} |")
    load = os.getloadavg()
    print(f"\nload average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores)")
    payload = {"benchmark": name, "quick": args.quick, "repeats": args.repeats,
               "machine": machine(), "targets": targets, **data}
    if not args.quick:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        from macroattr.core.io import atomic_path

        with atomic_path(RESULTS_DIR / f"{name}.json") as tmp:
            tmp.write_text(json.dumps(payload, indent=2, default=str))
    print(json.dumps({"benchmark": name, "targets": targets}, default=str))


def target(what: str, value: float, goal: str, met: bool, spec: str = ".2f") -> dict[str, Any]:
    """A target verdict."""
    return {"what": what, "value": value, "goal": goal, "met": bool(met), "spec": spec}


def parser(description: str, repeats: int = 3) -> argparse.ArgumentParser:
    """Common command line: ``--quick`` (tiny settings for the smoke test) and ``--repeats``."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--quick", action="store_true",
                    help="tiny settings (2 chains x 50 draws, 1 repeat): checks the script runs")
    ap.add_argument("--repeats", type=int, default=None, help=f"repeats per contender (default {repeats})")
    ap.set_defaults(default_repeats=repeats)
    return ap


def parse(ap: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse and fill ``repeats`` (1 under --quick)."""
    args = ap.parse_args(argv)
    if args.repeats is None:
        args.repeats = 1 if args.quick else args.default_repeats
    return args


def fit_stats(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Diagnostics of a saved fit: min bulk ESS, max R-hat, divergences, file size (MB)."""
    from macroattr.models import load_fit

    f = load_fit(str(path))
    t = f.diagnostics.table
    return {"ess_bulk_min": float(t["ess_bulk"].min()), "rhat_max": float(t["r_hat"].max()),
            "divergences": int(f.diagnostics.divergences),
            "size_mb": Path(path).stat().st_size / 1e6,
            "timings": dict(f.meta.get("timings", {})), "sampler": f.meta.get("sampler")}
