"""Target 3: daily time-varying betas over 2000-2025 (``benchmarks/configs/knot_grid_daily.toml``).

Runs ``macroattr fit --freq D --start 2000-01-01 --config benchmarks/configs/knot_grid_daily.toml``
as a fresh process (repeats) and reports median wall, peak RSS of the child (kernel
``ru_maxrss`` via ``wait4``, worker processes included), divergences, R-hat, bulk ESS and
the saved fit's size. Targets: wall <= 60 s, peak RSS <= 2 GB, 0 divergences, fit < 100 MB.

Usage::

    python -m benchmarks.daily_tv [--repeats 3] [--quick]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from benchmarks import _harness as h

CONFIG = h.REPO / "benchmarks" / "configs" / "knot_grid_daily.toml"


def main(argv: list[str] | None = None) -> None:
    args = h.parse(h.parser(__doc__.splitlines()[0]), argv)
    # quick: one year of days, 2 chains x 50 draws (checks the script, measures nothing)
    span = ["--start", "2024-01-01"] if args.quick else ["--start", "2000-01-01"]
    tiny = ["--chains", "2", "--draws", "50", "--tune", "50"] if args.quick else []
    with tempfile.TemporaryDirectory(prefix="bench-dtv-") as tmp:
        fit_file = Path(tmp) / "fit.nc"
        cmd = [h.console_script("macroattr"), "fit", "--freq", "D", "--config", CONFIG, *span,
               "--out", fit_file, *tiny]
        print(f"daily time-varying: {args.repeats} repeats", file=sys.stderr)
        runs = h.interleave({"macroattr fit (TV, D)": lambda: h.run_child(cmd).check()},
                            args.repeats)["macroattr fit (TV, D)"]
        s = h.fit_stats(fit_file)
        from macroattr.models import load_fit

        f = load_fit(str(fit_file))
        n_days, n_knots = f.design.n_obs, f.design.n_knots
    wall = h.median([r.wall_s for r in runs])
    rss = max(r.maxrss_mb for r in runs)
    header = ["run", "days", "knots", "wall s (median)", "min..max s", "peak RSS MB",
              "min bulk ESS", "max R-hat", "divergences", "fit file MB", "compile s", "sampling s"]
    rows = [["macroattr fit --freq D (TV)", n_days, n_knots, wall,
             f"{min(r.wall_s for r in runs):.2f}..{max(r.wall_s for r in runs):.2f}", rss,
             s["ess_bulk_min"], s["rhat_max"], s["divergences"], s["size_mb"],
             s["timings"].get("compile_s"), s["timings"].get("sampling_s")]]
    targets = [
        h.target("wall s", wall, "<= 60", wall <= 60),
        h.target("peak RSS MB", rss, "<= 2048", rss <= 2048, ".0f"),
        h.target("divergences", s["divergences"], "0", s["divergences"] == 0, "d"),
        h.target("saved fit MB", s["size_mb"], "< 100", s["size_mb"] < 100, ".1f"),
    ]
    h.report("daily_tv", args, header, rows, targets,
             {"wall_s": wall, "walls_all": [r.wall_s for r in runs], "peak_rss_mb": rss,
              "fit": s, "days": n_days, "knots": n_knots})


if __name__ == "__main__":
    main()
