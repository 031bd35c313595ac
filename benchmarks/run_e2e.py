"""Target 4: ``make run``'s main job (``macroattr run``) cold, warm, and rendering alone.

* cold: ``macroattr run --source snapshot`` with an empty fit cache *and* empty PyTensor
  and numba compile caches (a fresh ``base_compiledir``), as on a freshly installed venv;
* warm: the same command again (fit reused from the cache);
* rendering alone: ``macroattr report --fit <cached fit>`` as a process, and
  ``reports.render_report`` timed inside one process (imports excluded).

Targets: cold <= 30 s, warm <= 5 s, rendering <= 3 s.

Usage::

    python -m benchmarks.run_e2e [--repeats 3] [--quick]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import _harness as h


def render_worker(fit: str, out: str) -> None:
    """Child: load the fit, time render_report alone; print JSON."""
    from macroattr.models import load_fit
    from macroattr.reports.render import render_report

    f = load_fit(fit)
    t0 = time.perf_counter()
    render_report(f, "latest", Path(out))
    print(json.dumps({"render_s": time.perf_counter() - t0}))


def main(argv: list[str] | None = None) -> None:
    ap = h.parser(__doc__.splitlines()[0])
    ap.add_argument("--render-worker", nargs=2, metavar=("FIT", "OUT"), help=__import__("argparse").SUPPRESS)
    args = h.parse(ap, argv)
    if args.render_worker:
        render_worker(*args.render_worker)
        return
    mac = h.console_script("macroattr")
    cold, warm, rep, inproc = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        cfg = None
        if args.quick:
            from macroattr.models import ModelConfig

            cfg = Path(tmp) / "quick.toml"
            cfg.write_text(ModelConfig.default().override(chains=2, draws=50, tune=50).to_toml())
        for i in range(args.repeats):
            root = Path(tmp) / f"r{i}"
            # cold = empty compile cache too; --quick keeps the shared one (plumbing check only)
            extra = {} if args.quick else {"PYTENSOR_FLAGS": f"base_compiledir={root / 'pytensor'}",
                                            "NUMBA_CACHE_DIR": str(root / "numba")}
            env = h.child_env(MACROATTR_CACHE_DIR=str(root / "cache"), **extra)
            env.pop("FRED_API_KEY", None)
            cmd = [mac, "run", "--source", "snapshot", "--out", root / "build",
                   *(["--config", cfg] if cfg else [])]
            cold.append(h.run_child(cmd, env=env).check())
            warm.append(h.run_child(cmd, env=env).check())
            fit = next((root / "cache" / "fits").glob("*.nc"))
            rep.append(h.run_child([mac, "report", "--fit", fit, "--out", root / "build2"], env=env).check())
            inproc.append(h.run_child([h.python(), "-m", "benchmarks.run_e2e", "--render-worker",
                                       fit, root / "build3"], env=env).check().json_tail()["render_s"])
            print(f"  [{i + 1}/{args.repeats}] cold {cold[-1].wall_s:.2f} s, warm {warm[-1].wall_s:.2f} s, "
                  f"report {rep[-1].wall_s:.2f} s, render {inproc[-1]:.2f} s", file=sys.stderr, flush=True)
        s = h.fit_stats(fit)
    med = {"cold": h.median([r.wall_s for r in cold]), "warm": h.median([r.wall_s for r in warm]),
           "report_process": h.median([r.wall_s for r in rep]), "render_in_process": h.median(inproc)}
    header = ["step", "wall s (median)", "min..max s", "peak RSS MB"]
    rows = [["macroattr run, cold (no fit, empty compile cache)", med["cold"],
             f"{min(r.wall_s for r in cold):.2f}..{max(r.wall_s for r in cold):.2f}", max(r.maxrss_mb for r in cold)],
            ["macroattr run, fit reused", med["warm"],
             f"{min(r.wall_s for r in warm):.2f}..{max(r.wall_s for r in warm):.2f}", max(r.maxrss_mb for r in warm)],
            ["macroattr report (process)", med["report_process"],
             f"{min(r.wall_s for r in rep):.2f}..{max(r.wall_s for r in rep):.2f}", max(r.maxrss_mb for r in rep)],
            ["render_report (in process)", med["render_in_process"], f"{min(inproc):.2f}..{max(inproc):.2f}", None]]
    targets = [
        h.target("cold run s", med["cold"], "<= 30", med["cold"] <= 30),
        h.target("warm run s", med["warm"], "<= 5", med["warm"] <= 5),
        h.target("report rendering s (process)", med["report_process"], "<= 3", med["report_process"] <= 3),
    ]
    h.report("run_e2e", args, header, rows, targets, {"medians": med, "fit": s})


if __name__ == "__main__":
    main()
