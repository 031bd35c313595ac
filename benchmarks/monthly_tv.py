"""Target 2: monthly time-varying betas (``benchmarks/configs/knot_grid_monthly.toml``, 4 x 1000).

Runs ``macroattr fit --freq M --config benchmarks/configs/knot_grid_monthly.toml`` as a fresh process
(repeats), and reports the median wall, peak RSS, divergences, max R-hat and min bulk ESS
of the saved fit. Targets: wall <= 15 s, 0 divergences, R-hat <= 1.01, min bulk ESS >= 400.

Usage::

    python -m benchmarks.monthly_tv [--repeats 3] [--quick]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from benchmarks import _harness as h

CONFIG = h.REPO / "benchmarks" / "configs" / "knot_grid_monthly.toml"


def main(argv: list[str] | None = None) -> None:
    args = h.parse(h.parser(__doc__.splitlines()[0]), argv)
    tiny = ["--chains", "2", "--draws", "50", "--tune", "50"] if args.quick else []
    with tempfile.TemporaryDirectory(prefix="bench-mtv-") as tmp:
        fit_file = Path(tmp) / "fit.nc"
        cmd = [h.console_script("macroattr"), "fit", "--freq", "M", "--config", CONFIG,
               "--out", fit_file, *tiny]
        print(f"monthly time-varying: {args.repeats} repeats", file=sys.stderr)
        runs = h.interleave({"macroattr fit (TV, M)": lambda: h.run_child(cmd).check()},
                            args.repeats)["macroattr fit (TV, M)"]
        s = h.fit_stats(fit_file)
    wall = h.median([r.wall_s for r in runs])
    rss = max(r.maxrss_mb for r in runs)
    header = ["run", "wall s (median)", "min..max s", "peak RSS MB", "min bulk ESS", "max R-hat",
              "divergences", "compile s", "sampling s"]
    rows = [["macroattr fit --config knot_grid_monthly.toml", wall,
             f"{min(r.wall_s for r in runs):.2f}..{max(r.wall_s for r in runs):.2f}", rss,
             s["ess_bulk_min"], s["rhat_max"], s["divergences"],
             s["timings"].get("compile_s"), s["timings"].get("sampling_s")]]
    targets = [
        h.target("wall s", wall, "<= 15", wall <= 15),
        h.target("divergences", s["divergences"], "0", s["divergences"] == 0, "d"),
        h.target("max R-hat", s["rhat_max"], "<= 1.01", s["rhat_max"] <= 1.01, ".3f"),
        h.target("min bulk ESS", s["ess_bulk_min"], ">= 400", s["ess_bulk_min"] >= 400, ".0f"),
    ]
    h.report("monthly_tv", args, header, rows, targets,
             {"wall_s": wall, "walls_all": [r.wall_s for r in runs], "peak_rss_mb": rss, "fit": s})


if __name__ == "__main__":
    main()
