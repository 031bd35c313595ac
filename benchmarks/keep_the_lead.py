"""Keep the lead (issue 25): macroattr's fits against the references, side by side in one run.

Daily part (``--only daily``), every contender a fresh child process, rounds interleaved
(A, B, C, ... A, B, C, ...), medians of wall and CPU time, the 1-minute load before each:

* ``fit``: the exact daily fit of ``configs/default.toml`` (panel built from the snapshot, the
  filters over the discount grid with forecast monitoring, weights, draw allocation,
  P(varies)), no paths: ``python -m benchmarks.keep_the_lead --worker fit``;
* ``fit + 1,000 paths``: the same and the 1,000 smoothed (revised) paths of every state
  (``fit.paths.smoothed_states()``, the backward sampler);
* ``macroattr fit``: the command (paths, the stored page sums, saving the file);
* ``pybats``: :mod:`benchmarks.ref_pybats_daily`, the same DLM on the same discount grid;
* ``statsmodels TVP``: :mod:`benchmarks.ref_statsmodels_tvp`, MLE of a random-walk TVP
  regression then 1,000 simulation-smoother paths.

The references read the days, scaled target and factors, the prior and the grid from an
``.npz`` written here once (untimed), so they skip building the panel. Checks that they
compute the same thing: pybats' filtered means, predictive and log marginal likelihood at one
grid point against macroattr's forward filter (unmonitored) to a stated tolerance; all grid
points' log marginal likelihoods; statsmodels' log-likelihood with zero state variances and a
known variance against macroattr's known-variance filter with both discounts 1.

Ratios (goals: fit <= 0.15x pybats, fit + paths <= 0.2x statsmodels TVP) are given as the
median over rounds of each round's ratio (the contenders of a round ran back to back, so
they saw about the same load) and as the ratio of the medians.

Static part (``--only static``): the static monthly fit (``configs/static_monthly.toml``,
``macroattr fit``) against plain ``pm.sample()`` (:mod:`benchmarks.ref_pymc_static`), the
same script with ``nuts_sampler="nutpie"`` and bambi (:mod:`benchmarks.ref_bambi_static`),
same monthly panel file, same 4 x 1000 draws after 1000 tuning steps, alternated (goal:
<= 0.35x ``pm.sample()``); and, as a yardstick in the same rounds, a process that only runs
``import nutpie`` (which imports ArviZ).

Usage::

    python -m benchmarks.keep_the_lead [--repeats 3] [--only daily static] [--quick]
    python -m benchmarks.keep_the_lead --checks-only
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import _harness as h

T0 = time.perf_counter()
CONFIG = h.REPO / "configs" / "default.toml"
STATIC = h.REPO / "configs" / "static_monthly.toml"
#: the grid point of the filter equality check (the heaviest point on the real panel)
CHECK_POINT = (0.999, 0.94)
#: tolerances of the checks (relative, on standardised units)
TOL_MEAN = 1e-8
TOL_LOGML = 1e-8


def _panel(quick: bool) -> tuple[Any, Any]:
    from macroattr.jobs.run_config import load_run_config
    from macroattr.jobs.inputs import build_config_panel

    rc = load_run_config(CONFIG)
    settings = rc.panel.updated(start="2024-01-01") if quick else rc.panel
    return build_config_panel(rc.model, settings)


def export_inputs(path: Path, quick: bool) -> dict[str, Any]:
    """Write the references' inputs (macroattr's scaled ``y``, ``F``, prior, grid) to ``path``."""
    import numpy as np

    from macroattr.models.estimation.design import build_design
    from macroattr.models.statespace import paths as ss

    panel, cfg = _panel(quick)
    d = build_design(panel, cfg)
    ys, F = ss._scaled(d, ss.prior_scales(d, cfg.state_space.scale_years))
    pr = ss._prior(cfg, F.shape[1])
    np.savez(path, y=ys, F=F, m0=pr.m0, C0=pr.C0, n0=pr.n0, d0=pr.d0,
             beta_discounts=np.asarray(cfg.state_space.beta_discounts, float),
             variance_discounts=np.asarray(cfg.state_space.variance_discounts, float))
    return {"days": int(d.n_obs), "factors": list(d.factors), "first": str(d.dates[0].date()),
            "last": str(d.dates[-1].date()),
            "grid": [len(cfg.state_space.beta_discounts), len(cfg.state_space.variance_discounts)]}


def worker(kind: str, quick: bool) -> None:
    """Child: the exact daily fit as a fresh process (``fit``) or with the 1,000 smoothed
    paths (``paths``); one JSON line of in-process timings."""
    from macroattr.models import fit_model

    t0 = time.perf_counter()
    panel, cfg = _panel(quick)
    t1 = time.perf_counter()
    fit = fit_model(panel, cfg)
    t2 = time.perf_counter()
    out = {"panel_s": t1 - t0, "fit_s": t2 - t1, "draws": fit.n_samples, "days": fit.design.n_obs,
           "grid_points": int(fit.posterior.sizes["grid"])}
    if kind == "paths":
        theta, _ = fit.paths.smoothed_states()
        out["paths_s"] = time.perf_counter() - t2
        out["paths_shape"] = list(theta.shape)
    out["in_process_s"] = time.perf_counter() - T0
    print(json.dumps(out))


def check_references(inputs: Path, pybats_dump: Path, sm_dump: Path) -> dict[str, Any]:
    """Compare the references' dumps with macroattr's filters on the same inputs."""
    import numpy as np

    from macroattr.models.statespace.dlm import DLMPrior, forward_filter

    z = np.load(inputs)
    y, F = z["y"], z["F"]
    prior = DLMPrior(m0=z["m0"], C0=z["C0"], n0=float(z["n0"]), d0=float(z["d0"]))
    out: dict[str, Any] = {"check_point": list(CHECK_POINT)}
    pb = np.load(pybats_dump)
    r = forward_filter(y, F, CHECK_POINT[0], CHECK_POINT[1], prior, store=True)
    scale = max(1.0, float(np.abs(r.m).max()))
    out["pybats_max_abs_diff_m"] = float(np.abs(pb["m"] - r.m).max())
    out["pybats_max_abs_diff_f"] = float(np.abs(pb["f"] - r.f).max())
    out["pybats_max_rel_diff_q"] = float(np.abs(pb["q"] / r.q - 1).max())
    out["pybats_log_ml"] = float(pb["ll"].sum())
    out["macroattr_log_ml"] = float(r.log_ml)
    pts = [(float(db), float(dv)) for db in z["beta_discounts"] for dv in z["variance_discounts"]]
    runs = [forward_filter(y, F, db, dv, prior, store=True) for db, dv in pts]
    lml = np.array([x.log_ml for x in runs])
    ok_pb, ok_ma = np.isfinite(pb["log_ml"]), np.isfinite(lml)
    # a filter that breaks down numerically leaves the grid in both (the same points?)
    out["failed_pybats"] = [pts[g] for g in np.flatnonzero(~ok_pb)]
    out["failed_macroattr"] = [pts[g] for g in np.flatnonzero(~ok_ma)]
    both = ok_pb & ok_ma
    out["grid_points_compared"] = int(both.sum())
    diff = np.abs(pb["log_ml"][both] - lml[both])
    w = np.exp(lml[both] - lml[both].max())
    w /= w.sum()
    out["grid_max_abs_diff_log_ml"] = float(diff.max())
    out["grid_worst_point"] = [pts[g] for g in np.flatnonzero(both)][int(np.argmax(diff))]
    out["grid_worst_point_weight"] = float(w[int(np.argmax(diff))])
    # the points that carry weight (>= 1e-12 of the posterior over the grid)
    heavy = w >= 1e-12
    out["grid_points_with_weight"] = int(heavy.sum())
    out["grid_max_abs_diff_log_ml_weighted_points"] = float(diff[heavy].max())
    # the grid-averaged filtered states (what a user reads): macroattr's unmonitored filters
    mean_m = np.einsum("g,gtp->tp", w, np.asarray([runs[g].m for g in np.flatnonzero(both)]))
    out["grid_mean_m_max_abs_diff"] = float(np.abs(pb["mean_m"] - mean_m).max())
    out["pybats_ok"] = bool(out["pybats_max_abs_diff_m"] <= TOL_MEAN * scale
                            and abs(out["pybats_log_ml"] - r.log_ml) <= TOL_LOGML * abs(r.log_ml)
                            and (ok_pb == ok_ma).all()
                            and out["grid_max_abs_diff_log_ml_weighted_points"] <= TOL_LOGML * abs(r.log_ml)
                            and out["grid_mean_m_max_abs_diff"] <= TOL_MEAN * scale)
    s = np.load(sm_dump)
    S0 = float(z["d0"]) / float(z["n0"])
    known = forward_filter(y, F, 1.0, 1.0, DLMPrior.known_variance(z["m0"], z["C0"], S0))
    out["statsmodels_loglike_static_known"] = float(s["loglike_static_known"])
    out["macroattr_log_ml_static_known"] = float(known.log_ml)
    out["statsmodels_ok"] = bool(abs(out["statsmodels_loglike_static_known"] - known.log_ml)
                                 <= TOL_LOGML * abs(known.log_ml))
    # for the record: how far apart the two models' smoothed betas are (different models)
    out["statsmodels_path_mean_vs_smoothed_max_abs"] = float(
        np.abs(s["path_mean"] - s["smoothed_mean"]).max())
    out["statsmodels_mle_sd"] = [float(v) for v in np.sqrt(s["params"])]
    return out


def run_checks(inputs: Path, pbd: Path, smd: Path, draws: list[str]) -> tuple[Any, Any, dict[str, Any]]:
    """Run both references once writing their dumps, then :func:`check_references`."""
    pb0 = h.run_child([h.python(), "-m", "benchmarks.ref_pybats_daily", inputs, "--dump", pbd,
                       "--check-point", *map(str, CHECK_POINT)], cwd=h.REPO).check()
    sm0 = h.run_child([h.python(), "-m", "benchmarks.ref_statsmodels_tvp", inputs, *draws,
                       "--check", smd], cwd=h.REPO).check()
    checks = check_references(inputs, pbd, smd)
    print(f"checks: {json.dumps(checks)}", file=sys.stderr)
    return pb0, sm0, checks


def checks_only(args: Any) -> None:
    """``--checks-only``: the equality checks of the references alone (no timing)."""
    with tempfile.TemporaryDirectory(prefix="bench-lead-c-") as tmp:
        tmp = Path(tmp)
        info = export_inputs(tmp / "inputs.npz", args.quick)
        _, _, checks = run_checks(tmp / "inputs.npz", tmp / "pybats.npz", tmp / "sm.npz",
                                  ["--draws", "10"])
    payload = {"benchmark": "keep_the_lead_checks", "machine": h.machine(), "inputs": info,
               "checks": checks}
    if not args.quick:
        h.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        (h.RESULTS_DIR / "keep_the_lead_checks.json").write_text(json.dumps(payload, indent=2, default=str))
    print(json.dumps(payload, default=str))


def _stats(runs: list[h.ChildRun]) -> dict[str, Any]:
    return {"wall_s": h.median([r.wall_s for r in runs]), "cpu_s": h.median([r.cpu_s for r in runs]),
            "walls": [round(r.wall_s, 3) for r in runs], "cpus": [round(r.cpu_s, 3) for r in runs],
            "loads": [r.load_before for r in runs], "peak_rss_mb": max(r.maxrss_mb for r in runs)}


def _ratios(runs: dict[str, list[h.ChildRun]], a: str, b: str) -> dict[str, float]:
    """``a / b``: median of the per-round ratios (wall and CPU) and the ratio of medians."""
    wr = [x.wall_s / y.wall_s for x, y in zip(runs[a], runs[b], strict=True)]
    cr = [x.cpu_s / y.cpu_s for x, y in zip(runs[a], runs[b], strict=True)]
    return {"wall_per_round": float(statistics.median(wr)), "cpu_per_round": float(statistics.median(cr)),
            "wall_of_medians": h.median([r.wall_s for r in runs[a]]) / h.median([r.wall_s for r in runs[b]]),
            "cpu_of_medians": h.median([r.cpu_s for r in runs[a]]) / h.median([r.cpu_s for r in runs[b]]),
            "rounds_wall": [round(v, 4) for v in wr]}


def daily(args: Any) -> dict[str, Any]:
    """The daily part: returns the figures (also printed as a table)."""
    q = ["--quick"] if args.quick else []
    span = ["--start", "2024-01-01"] if args.quick else []
    draws = ["--draws", "50"] if args.quick else []
    mac = h.console_script("macroattr")
    me = [h.python(), "-m", "benchmarks.keep_the_lead"]
    with tempfile.TemporaryDirectory(prefix="bench-lead-") as tmp:
        tmp = Path(tmp)
        inputs, pbd, smd = tmp / "inputs.npz", tmp / "pybats.npz", tmp / "sm.npz"
        info = export_inputs(inputs, args.quick)
        print(f"daily: {info}", file=sys.stderr)
        runners = {
            "fit": lambda: h.run_child([*me, "--worker", "fit", *q], cwd=h.REPO).check(),
            "fit + 1,000 paths": lambda: h.run_child([*me, "--worker", "paths", *q], cwd=h.REPO).check(),
            "macroattr fit": lambda: h.run_child([mac, "fit", "--config", CONFIG, *span, "-q",
                                                  "--out", tmp / "fit.nc"], cwd=tmp).check(),
            "pybats": lambda: h.run_child([h.python(), "-m", "benchmarks.ref_pybats_daily", inputs],
                                          cwd=h.REPO).check(),
            "statsmodels TVP": lambda: h.run_child([h.python(), "-m", "benchmarks.ref_statsmodels_tvp",
                                                    inputs, *draws], cwd=h.REPO).check(),
        }
        # warm-up (untimed): numba's disk cache and the references' bytecode, as a user's
        # second run; also the check dumps
        runners["fit + 1,000 paths"]()
        runners["macroattr fit"]()
        pb0, sm0, checks = run_checks(inputs, pbd, smd, draws)
        runs = h.interleave(runners, args.repeats)
    tails = {k: [r.json_tail() for r in v] for k, v in runs.items()}
    st = {k: _stats(v) for k, v in runs.items()}
    r_pb = _ratios(runs, "fit", "pybats")
    r_sm = _ratios(runs, "fit + 1,000 paths", "statsmodels TVP")
    r_cli_pb = _ratios(runs, "macroattr fit", "pybats")
    r_cli_sm = _ratios(runs, "macroattr fit", "statsmodels TVP")
    header = ["contender", "wall s (median)", "CPU s (median)", "walls", "loads", "peak RSS MB"]
    rows = [[k, v["wall_s"], v["cpu_s"], " ".join(f"{w:.2f}" for w in v["walls"]),
             " ".join(f"{x:.1f}" for x in v["loads"]), v["peak_rss_mb"]] for k, v in st.items()]
    targets = [
        h.target("exact daily fit / pybats, wall (median of per-round ratios)", r_pb["wall_per_round"],
                 "<= 0.15", r_pb["wall_per_round"] <= 0.15, ".3f"),
        h.target("exact daily fit + 1,000 paths / statsmodels TVP + 1,000 draws, wall", r_sm["wall_per_round"],
                 "<= 0.2", r_sm["wall_per_round"] <= 0.2, ".3f"),
        h.target("exact daily fit / pybats, CPU (median of per-round ratios)", r_pb["cpu_per_round"],
                 "<= 0.15", r_pb["cpu_per_round"] <= 0.15, ".3f"),
        h.target("exact daily fit + 1,000 paths / statsmodels TVP, CPU", r_sm["cpu_per_round"],
                 "<= 0.2", r_sm["cpu_per_round"] <= 0.2, ".3f"),
        h.target("pybats computes the same filter (max |m diff|, check point)", checks["pybats_max_abs_diff_m"],
                 f"<= {TOL_MEAN:g}", checks["pybats_ok"], ".2e"),
        h.target("statsmodels' filter = macroattr's (|loglike diff|, static known variance)",
                 abs(checks["statsmodels_loglike_static_known"] - checks["macroattr_log_ml_static_known"]),
                 f"<= {TOL_LOGML:g} relative", checks["statsmodels_ok"], ".2e"),
    ]
    return {"header": header, "rows": rows, "targets": targets,
            "data": {"inputs": info, "contenders": st, "children": tails, "checks": checks,
                     "ratios": {"fit/pybats": r_pb, "fit+paths/statsmodels": r_sm,
                                "macroattr fit/pybats": r_cli_pb, "macroattr fit/statsmodels": r_cli_sm},
                     "reference_warmup": {"pybats": pb0.json_tail(), "statsmodels": sm0.json_tail()}}}


def static(args: Any) -> dict[str, Any]:
    """The static monthly part: returns the figures."""
    tiny = ["--chains", "2", "--draws", "50", "--tune", "50"] if args.quick else []
    mac = h.console_script("macroattr")
    with tempfile.TemporaryDirectory(prefix="bench-lead-m-") as tmp:
        from macroattr.data_pipelines import build_panel

        panel_file = Path(tmp) / "panel_m.csv"
        build_panel(freq="M").to_file(panel_file)
        fit_file = Path(tmp) / "fit.nc"
        ref = [h.python(), "-m"]
        runners = {
            "macroattr fit (static monthly)": lambda: h.run_child(
                [mac, "fit", "--config", STATIC, "--panel", panel_file, "-q", "--out", fit_file, *tiny],
                cwd=tmp).check(),
            "pm.sample()": lambda: h.run_child([*ref, "benchmarks.ref_pymc_static", panel_file, *tiny],
                                               cwd=h.REPO).check(),
            "pm.sample(nuts_sampler='nutpie')": lambda: h.run_child(
                [*ref, "benchmarks.ref_pymc_static", panel_file, "--nuts-sampler", "nutpie", *tiny],
                cwd=h.REPO).check(),
            "bambi": lambda: h.run_child([*ref, "benchmarks.ref_bambi_static", panel_file, *tiny],
                                         cwd=h.REPO).check(),
            # yardstick: what the static fit pays before sampling for nutpie's sampler module
            # (it imports ArviZ, and ArviZ matplotlib and scipy.stats)
            "yardstick: python -c 'import nutpie'": lambda: h.run_child(
                [h.python(), "-c", "import nutpie"], cwd=h.REPO).check(),
        }
        for fn in runners.values():  # warm-up (untimed): caches as a user's second run
            fn()
        runs = h.interleave(runners, args.repeats)
        stats = h.fit_stats(fit_file)
    tails = {k: [r.json_tail() for r in v] for k, v in runs.items()}
    st = {k: _stats(v) for k, v in runs.items()}
    first = "macroattr fit (static monthly)"
    ratios = {k: _ratios(runs, first, k) for k in runs if k != first}
    header = ["contender", "wall s (median)", "CPU s (median)", "walls", "loads", "peak RSS MB",
              "min bulk ESS", "divergences", "macroattr / this (wall, per round)"]
    rows = []
    for k, v in st.items():
        t = tails[k][-1]
        ess = stats["ess_bulk_min"] if k == first else t.get("ess_bulk_min")
        div = stats["divergences"] if k == first else t.get("divergences")
        rows.append([k, v["wall_s"], v["cpu_s"], " ".join(f"{w:.2f}" for w in v["walls"]),
                     " ".join(f"{x:.1f}" for x in v["loads"]), v["peak_rss_mb"], ess, div,
                     "1" if k == first else f"{ratios[k]['wall_per_round']:.3f}"])
    r = ratios["pm.sample()"]["wall_per_round"]
    targets = [h.target("static monthly fit / pm.sample(), wall (median of per-round ratios)", r,
                        "<= 0.35", r <= 0.35, ".3f"),
               h.target("static monthly fit / pm.sample(), CPU (median of per-round ratios)",
                        ratios["pm.sample()"]["cpu_per_round"], "<= 0.35",
                        ratios["pm.sample()"]["cpu_per_round"] <= 0.35, ".3f")]
    return {"header": header, "rows": rows, "targets": targets,
            "data": {"contenders": st, "children": tails, "ratios": ratios, "macroattr_fit": stats}}


def main(argv: list[str] | None = None) -> None:
    ap = h.parser(__doc__.splitlines()[0])
    ap.add_argument("--worker", choices=("fit", "paths"), default=None, help=_hidden())
    ap.add_argument("--only", nargs="+", choices=("daily", "static"), default=["daily", "static"])
    ap.add_argument("--checks-only", action="store_true",
                    help="only check that the references compute the same filter (no timing)")
    args = h.parse(ap, argv)
    if args.worker:
        worker(args.worker, args.quick)
        return
    if args.checks_only:
        checks_only(args)
        return
    rows, targets, data = [], [], {}
    for part in args.only:
        res = daily(args) if part == "daily" else static(args)
        print(f"\n#### {part}\n")
        print("| " + " | ".join(res["header"]) + " |\n|" + "---|" * len(res["header"]))
        for r in res["rows"]:
            print("| " + " | ".join(h.fmt(c) for c in r) + " |")
        targets += res["targets"]
        data[part] = res["data"]
        rows.append([part, ", ".join(res["data"]["contenders"])])
    h.report("keep_the_lead" + ("" if len(args.only) == 2 else "_" + args.only[0]), args,
             ["part", "contenders (fresh processes, interleaved)"], rows, targets, data)


def _hidden() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
