"""``make bench``: every issue-7 benchmark in one process tree, results printed as markdown.

Runs :mod:`monthly_static`, :mod:`monthly_tv`, :mod:`daily_tv` and :mod:`run_e2e` in turn
(each measures fresh child processes) after printing the machine details. Pass
``--quick`` for the tiny smoke settings, ``--only NAME`` to run a subset, ``--repeats N``
to override each script's default. ``--quick`` leaves out :mod:`daily_tv` (the retired
knot-grid daily model, kept only as the input of its recorded results) unless it is named
with ``--only``.

Usage::

    python -m benchmarks.run_all [--quick] [--repeats N] [--only monthly_static daily_tv]
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time

from benchmarks import _harness as h

BENCHMARKS = ("monthly_static", "monthly_tv", "daily_tv", "run_e2e")
#: what ``--quick`` (the smoke test, tests/benchmarks/test_bench_smoke.py) runs by default:
#: not the retired knot-grid daily benchmark (~12 s of the smoke test for a model not shipped)
QUICK = tuple(b for b in BENCHMARKS if b != "daily_tv")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--only", nargs="+", choices=BENCHMARKS, default=None)
    a = ap.parse_args(argv)
    a.only = a.only or list(QUICK if a.quick else BENCHMARKS)
    m = h.machine()
    print("## machine\n")
    print(json.dumps(m, indent=2))
    for name in a.only:
        t0 = time.perf_counter()
        print(f"\n== {name} ==", file=sys.stderr, flush=True)
        sub = (["--quick"] if a.quick else []) + (["--repeats", str(a.repeats)] if a.repeats else [])
        importlib.import_module(f"benchmarks.{name}").main(sub)
        print(f"({name} took {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
