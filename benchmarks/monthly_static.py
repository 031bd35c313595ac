"""Target 1: the monthly static default fit against hand-written PyMC and bambi.

Contenders, each a fresh process on the same monthly snapshot panel file, repeats
interleaved:

* ``macroattr fit --config configs/static_monthly.toml`` (Student-t, 4 x 1000) — the product;
* :mod:`benchmarks.ref_pymc_static` — plain ``pm.sample()`` with PyMC's defaults;
* :mod:`benchmarks.ref_bambi_static` — ``bmb.Model(..., family="t").fit()``.

Wall = the whole process (interpreter start to exit, imports included) as a user waits for
it. Also reported: min bulk ESS, max R-hat, divergences, and the ratios (targets: <= 0.5 x
PyMC, <= 0.33 x bambi, min bulk ESS >= 1000, no divergences).

Refit: one more child process imports the stack (as a notebook has), fits the default
model, then refits the same structure after changing a prior value (``beta_sd``) and after
changing the span (``start``); target: each refit <= 0.2 x the first fit.

Usage::

    python -m benchmarks.monthly_static [--repeats 3] [--quick]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import _harness as h

#: the static monthly model (``configs/default.toml`` is the daily state space)
STATIC = h.REPO / "configs" / "static_monthly.toml"


def refit_worker(quick: bool) -> None:
    """Child: first fit, then refits of the same structure; print timings as JSON."""
    import arviz  # noqa: F401  - a notebook has its imports done before it fits
    import nutpie  # noqa: F401
    import pymc  # noqa: F401

    from macroattr.data_pipelines import build_panel
    from macroattr.models import ModelConfig, fit_model

    panel = build_panel(freq="M")
    cfg = ModelConfig.shipped("static_monthly")  # the default is the daily state space
    if quick:
        cfg = cfg.override(chains=2, draws=50, tune=50)
    out = {}
    for label, c in (("first", cfg), ("prior_changed", cfg.override(beta_sd=0.8)),
                     ("span_changed", cfg.override(start="1995-01-01"))):
        t0 = time.perf_counter()
        fit = fit_model(panel, c)
        out[label] = {"wall_s": time.perf_counter() - t0,
                      "cache_hit": fit.meta.get("cache_hit"),
                      "timings": fit.meta.get("timings"),
                      "ess_bulk_min": float(fit.diagnostics.table["ess_bulk"].min()),
                      "divergences": int(fit.diagnostics.divergences)}
    print(json.dumps(out))


def main(argv: list[str] | None = None) -> None:
    ap = h.parser(__doc__.splitlines()[0])
    ap.add_argument("--refit-worker", action="store_true", help=argparse_hide())
    args = h.parse(ap, argv)
    if args.refit_worker:
        refit_worker(args.quick)
        return
    tiny = ["--chains", "2", "--draws", "50", "--tune", "50"] if args.quick else []
    with tempfile.TemporaryDirectory(prefix="bench-ms-") as tmp:
        from macroattr.data_pipelines import build_panel

        panel_file = Path(tmp) / "panel_m.csv"
        build_panel(freq="M").to_file(panel_file)
        fit_file = Path(tmp) / "fit.nc"
        mac = h.console_script("macroattr")
        runners = {
            "macroattr fit": lambda: h.run_child([mac, "fit", "--config", STATIC, "--panel",
                                                  panel_file, "--out",
                                                  fit_file, *tiny]).check(),
            "PyMC pm.sample()": lambda: h.run_child([h.python(), "-m", "benchmarks.ref_pymc_static",
                                                     panel_file, *tiny]).check(),
            "bambi": lambda: h.run_child([h.python(), "-m", "benchmarks.ref_bambi_static",
                                          panel_file, *tiny]).check(),
        }
        print(f"monthly static: {len(runners)} contenders x {args.repeats} repeats", file=sys.stderr)
        runs = h.interleave(runners, args.repeats)
        stats = h.fit_stats(fit_file)
        refs = {k: runs[k][-1].json_tail() for k in ("PyMC pm.sample()", "bambi")}
        refit = h.run_child([h.python(), "-m", "benchmarks.monthly_static", "--refit-worker",
                             *(["--quick"] if args.quick else [])]).check().json_tail()

    w = {k: h.median([r.wall_s for r in v]) for k, v in runs.items()}
    rss = {k: max(r.maxrss_mb for r in v) for k, v in runs.items()}
    header = ["contender", "wall s (median)", "min..max s", "peak RSS MB", "min bulk ESS",
              "max R-hat", "divergences", "ratio macroattr / this"]
    rows = []
    for k, v in runs.items():
        d = stats if k == "macroattr fit" else refs[k]
        rows.append([k, w[k], f"{min(r.wall_s for r in v):.2f}..{max(r.wall_s for r in v):.2f}",
                     rss[k], d.get("ess_bulk_min"), d.get("rhat_max"), d.get("divergences"),
                     w["macroattr fit"] / w[k]])
    r_pymc = w["macroattr fit"] / w["PyMC pm.sample()"]
    r_bambi = w["macroattr fit"] / w["bambi"]
    first = refit["first"]["wall_s"]
    rp = refit["prior_changed"]["wall_s"] / first
    rs = refit["span_changed"]["wall_s"] / first
    targets = [
        h.target("macroattr fit / PyMC wall", r_pymc, "<= 0.5", r_pymc <= 0.5),
        h.target("macroattr fit / bambi wall", r_bambi, "<= 0.33", r_bambi <= 0.33),
        h.target("min bulk ESS (macroattr)", stats["ess_bulk_min"], ">= 1000",
                 stats["ess_bulk_min"] >= 1000, ".0f"),
        h.target("divergences (macroattr)", stats["divergences"], "0", stats["divergences"] == 0, "d"),
        h.target("refit after prior change / first fit", rp, "<= 0.2", rp <= 0.2),
        h.target("refit after span change / first fit", rs, "<= 0.2", rs <= 0.2),
    ]
    h.report("monthly_static", args, header, rows, targets, {
        "wall_s": w, "peak_rss_mb": rss, "macroattr_fit": stats, "references": refs,
        "refit_in_process": refit,
        "walls_all": {k: [r.wall_s for r in v] for k, v in runs.items()},
    })
    print(f"\nin-process refit (one process, imports done): first fit {first:.2f} s "
          f"(compile {refit['first']['timings'].get('compile_s')} s), prior changed "
          f"{refit['prior_changed']['wall_s']:.2f} s, span changed {refit['span_changed']['wall_s']:.2f} s")
    print(f"macroattr fit internal timings (last run): {stats['timings']} sampler {stats['sampler']}")


def argparse_hide() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
