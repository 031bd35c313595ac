"""State-space betas (``configs/default.toml``): exact method against the daily TV fit.

Measures, side by side in one run (fresh child processes, repeats interleaved):

- in process (one child: panel built, one warm-up fit, then timed repeats): the exact
  daily fit (filter over the discount grid, weights, draw allocation), the first quarterly
  attribution after it (draws the 1,000 smoothed paths), a filtered (real-time) quarterly
  attribution, and the exact monthly state-space fit;
- ``macroattr fit --config configs/default.toml`` as a fresh process (wall, peak
  RSS, saved file size);
- ``macroattr run`` with that config: cold (empty fit cache) and reusing the cached fit;
- the reference: ``macroattr fit --config benchmarks/configs/knot_grid_daily.toml`` (NUTS on a knot
  grid), one run by default (minutes).

Targets (issue 11): exact daily <= 1 s in process and <= 5 s as a fresh process, monthly
exact <= 0.2 s in process, peak RSS <= 1 GB, saved fit <= 50 MB, ``make run`` <= 30 s cold
and <= 5 s reusing the fit.

With ``--nuts``: the ``nuts`` method instead (NUTS over the two discounts,
:mod:`macroattr.models.statespace.nuts`): ``macroattr fit --config
configs/default.toml --method nuts`` (4 chains) as a fresh process against the
exact fresh fit in the same run, with divergences, R-hat, leapfrog steps and the measured
time of one likelihood + gradient evaluation (target: <= 30 s, 0 divergences, R-hat <= 1.01).

Usage::

    python -m benchmarks.statespace [--repeats 3] [--ref-repeats 1] [--quick] [--no-ref]
    python -m benchmarks.statespace --nuts [--repeats 3]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import _harness as h

CONFIG = h.REPO / "configs" / "default.toml"
REFERENCE = h.REPO / "benchmarks" / "configs" / "knot_grid_daily.toml"


def worker(quick: bool, repeats: int) -> None:
    """In-process timings (run in a child): prints one JSON line."""
    import numpy as np

    from macroattr.jobs.run_config import load_run_config
    from macroattr.data_pipelines import build_panel
    from macroattr.models import fit_model
    from macroattr.jobs.inputs import build_config_panel

    rc = load_run_config(CONFIG)
    settings = rc.panel.updated(start="2024-01-01") if quick else rc.panel
    panel, cfg = build_config_panel(rc.model, settings)
    monthly = build_panel(freq="M")
    fit_model(panel, cfg)  # warm-up: numba kernels from the disk cache, first imports
    out: dict[str, list[float]] = {"fit_s": [], "fit_plus_q_s": [], "filtered_q_s": [],
                                   "monthly_fit_s": []}
    for _ in range(repeats):
        t0 = time.perf_counter()
        fit = fit_model(panel, cfg)
        t1 = time.perf_counter()
        q = fit.attribution("Q")
        t2 = time.perf_counter()
        fit.attribution("Q", estimate="filtered")
        t3 = time.perf_counter()
        fit_model(monthly, cfg)
        t4 = time.perf_counter()
        out["fit_s"].append(t1 - t0)
        out["fit_plus_q_s"].append(t2 - t0)
        out["filtered_q_s"].append(t3 - t2)
        out["monthly_fit_s"].append(t4 - t3)
    extra = {}
    if "d_2y" in fit.design.factors and not quick:
        for a, z in (("2003", "2012"), ("2022", "2024")):
            b = fit.betas(f"{a}-01-01", f"{z}-12-31", draws=True).sel(factor="d_2y")
            seg = b.mean("time").values.ravel()
            extra[f"d_2y_{a}_{z}"] = [float(seg.mean()), *map(float, np.quantile(seg, [0.05, 0.95]))]
    osa, st = fit.one_step_ahead(), fit.one_step_ahead(static=True)
    print(json.dumps({**{k: float(np.median(v)) for k, v in out.items()},
                      "days": fit.design.n_obs, "draws": fit.n_samples,
                      "grid_points": int(fit.posterior.sizes["grid"]),
                      "lpds": float(osa["log_score"].sum()), "lpds_static": float(st["log_score"].sum()),
                      "quarters": int(q["period"].nunique()), **extra}))


def grad_worker(quick: bool) -> None:
    """Time one log-likelihood + gradient evaluation on the daily panel (child): one JSON line."""
    import numpy as np

    from macroattr.jobs.run_config import load_run_config
    from macroattr.models.statespace import paths as ss
    from macroattr.models.estimation.design import build_design
    from macroattr.models.statespace.grad import loglik_grad
    from macroattr.jobs.inputs import build_config_panel

    rc = load_run_config(CONFIG)
    settings = rc.panel.updated(start="2024-01-01") if quick else rc.panel
    panel, cfg = build_config_panel(rc.model, settings)
    d = build_design(panel, cfg)
    ys, F = ss._scaled(d, ss.prior_scales(d, cfg.state_space.scale_years))
    pr = ss._prior(cfg, F.shape[1])
    loglik_grad(ys, F, 0.9995, 0.98, pr)
    ts = []
    for _ in range(7):
        t0 = time.perf_counter()
        for _ in range(20):
            loglik_grad(ys, F, 0.9995, 0.98, pr)
        ts.append((time.perf_counter() - t0) / 20)
    print(json.dumps({"grad_ms": 1e3 * float(np.median(ts)), "days": d.n_obs}))


def nuts_main(args: Any) -> None:
    """Fresh-process nuts fit against the exact fit, same run, repeats interleaved."""
    span = ["--start", "2024-01-01"] if args.quick else []
    mac = h.console_script("macroattr")
    with tempfile.TemporaryDirectory(prefix="bench-ssn-") as tmp:
        nuts_fit, ex_fit = Path(tmp) / "n.nc", Path(tmp) / "e.nc"
        runs = h.interleave({
            "nuts": lambda: h.run_child([mac, "fit", "--config", CONFIG, "--method", "nuts", *span,
                                         "--out", nuts_fit]).check(),
            "exact": lambda: h.run_child([mac, "fit", "--config", CONFIG, *span,
                                          "--out", ex_fit]).check()}, args.repeats)
        g = h.run_child([h.python(), "-m", "benchmarks.statespace", "--grad-worker",
                         *(["--quick"] if args.quick else [])], cwd=h.REPO).check().json_tail()
        st = h.fit_stats(nuts_fit)
        from macroattr.models import load_fit

        f = load_fit(str(nuts_fit))
        steps = f.sample_stats["n_steps"].values
        pv = {k: round(float(v), 3) for k, v in f.p_varies().items()}
        post = {k: [float(f.posterior[k].median()), *map(float, f.posterior[k].quantile([0.05, 0.95]).values)]
                for k in ("delta_beta", "delta_v")}
    walls = {k: [r.wall_s for r in v] for k, v in runs.items()}
    wn, we = h.median(walls["nuts"]), h.median(walls["exact"])
    tune = f.config.sampler.tune
    n_grad = float(steps.mean()) * steps.shape[0] * (steps.shape[1] + tune)
    header = ["run", "wall s (median)", "peak RSS MB", "divergences", "max R-hat", "min bulk ESS"]
    rows = [["macroattr fit --method nuts (4 chains), fresh process", wn,
             max(r.maxrss_mb for r in runs["nuts"]), st["divergences"], st["rhat_max"], st["ess_bulk_min"]],
            ["macroattr fit (exact), fresh process, same run", we,
             max(r.maxrss_mb for r in runs["exact"]), "", "", ""]]
    targets = [h.target("nuts daily fresh process s", wn, "<= 30", wn <= 30),
               h.target("nuts divergences", st["divergences"], "0", st["divergences"] == 0, ".0f"),
               h.target("nuts max R-hat", st["rhat_max"], "<= 1.01", st["rhat_max"] <= 1.01, ".3f")]
    h.report("statespace_nuts", args, header, rows, targets, {
        "walls": walls, "grad_ms": g["grad_ms"], "days": g["days"],
        "leapfrog_per_draw": float(steps.mean()), "gradients_est": n_grad,
        "gradient_core_s_est": n_grad * g["grad_ms"] / 1e3, "timings": st["timings"],
        "p_varies": pv, "discounts_median_90": post,
        "loads": {k: [r.load_before for r in v] for k, v in runs.items()}})
    print(f"\none likelihood + gradient: {g['grad_ms']:.2f} ms on {g['days']} days; "
          f"{steps.mean():.2f} leapfrog steps per draw; ~{n_grad:.0f} gradients "
          f"(tuning included) = ~{n_grad * g['grad_ms'] / 1e3:.1f} core-s; "
          f"fit timings {st['timings']}; P(varies) {pv}; discounts {post}")


def main(argv: list[str] | None = None) -> None:
    ap = h.parser(__doc__.splitlines()[0])
    ap.add_argument("--worker", action="store_true", help=argparse_hidden())
    ap.add_argument("--ref-repeats", type=int, default=1, help="repeats of the reference fit")
    ap.add_argument("--no-ref", action="store_true", help="skip the reference (NUTS) fit")
    ap.add_argument("--nuts", action="store_true", help="benchmark the nuts method instead")
    ap.add_argument("--grad-worker", action="store_true", help=argparse_hidden())
    args = h.parse(ap, argv)
    if args.worker:
        worker(args.quick, args.repeats)
        return
    if args.grad_worker:
        grad_worker(args.quick)
        return
    if args.nuts:
        nuts_main(args)
        return
    span = ["--start", "2024-01-01"] if args.quick else []
    mac = h.console_script("macroattr")
    with tempfile.TemporaryDirectory(prefix="bench-ss-") as tmp:
        tmp = Path(tmp)
        ss_fit, ref_fit = tmp / "ss.nc", tmp / "ref.nc"

        def inproc() -> h.ChildRun:
            cmd = [h.python(), "-m", "benchmarks.statespace", "--worker", "--repeats", "3"]
            return h.run_child(cmd + (["--quick"] if args.quick else []), cwd=h.REPO).check()

        def fresh_fit() -> h.ChildRun:
            return h.run_child([mac, "fit", "--config", CONFIG, *span, "--out", ss_fit]).check()

        def run_cold() -> h.ChildRun:
            cache = tmp / f"cache-{time.monotonic_ns()}"
            return h.run_child([mac, "run", "--config", CONFIG, *span, "--cache-dir", cache,
                                "--out", tmp / "build"], cwd=tmp).check()

        def run_reuse() -> h.ChildRun:
            return h.run_child([mac, "run", "--config", CONFIG, *span, "--cache-dir",
                                tmp / "cache-reuse", "--out", tmp / "build"], cwd=tmp).check()

        run_reuse()  # fills the cache the timed reuse runs read
        print(f"state space: {args.repeats} repeats", file=sys.stderr)
        runs = h.interleave({"in process": inproc, "fresh fit": fresh_fit, "run cold": run_cold,
                             "run reuse": run_reuse}, args.repeats)
        ref_runs: list[h.ChildRun] = []
        if not args.no_ref:
            tiny = ["--chains", "2", "--draws", "50", "--tune", "50"] if args.quick else []
            ref_runs = h.interleave({"reference": lambda: h.run_child(
                [mac, "fit", "--freq", "D", "--config", REFERENCE, "--start", "2000-01-01",
                 *span, "--out", ref_fit, *tiny]).check()}, args.ref_repeats)["reference"]
        ss = h.fit_stats(ss_fit)
        ref = h.fit_stats(ref_fit) if ref_runs else {}
    ip = [r.json_tail() for r in runs["in process"]]

    def med(key: str) -> float:
        return h.median([x[key] for x in ip])

    def wall(name: str) -> float:
        return h.median([r.wall_s for r in runs[name]])

    def rss(name: str) -> float:
        return max(r.maxrss_mb for r in runs[name])

    ref_wall = h.median([r.wall_s for r in ref_runs]) if ref_runs else float("nan")
    header = ["run", "wall s (median)", "peak RSS MB", "fit file MB", "vs reference"]
    rows = [
        ["exact daily fit, in process", med("fit_s"), rss("in process"), "", ""],
        ["exact daily fit + first quarterly attribution, in process", med("fit_plus_q_s"), "", "", ""],
        ["filtered quarterly attribution, in process", med("filtered_q_s"), "", "", ""],
        ["exact monthly fit, in process", med("monthly_fit_s"), "", "", ""],
        ["macroattr fit (state space, exact), fresh process", wall("fresh fit"), rss("fresh fit"),
         ss["size_mb"], f"{wall('fresh fit') / ref_wall:.3f}x" if ref_runs else ""],
        ["macroattr run, cold (fit + report)", wall("run cold"), rss("run cold"), "", ""],
        ["macroattr run, reusing the fit", wall("run reuse"), rss("run reuse"), "", ""],
    ]
    if ref_runs:
        rows.append(["reference: macroattr fit daily_time_varying (NUTS)", ref_wall,
                     max(r.maxrss_mb for r in ref_runs), ref.get("size_mb"), "1x"])
    peak = max(rss("in process"), rss("fresh fit"), rss("run cold"))
    targets = [
        h.target("exact daily in process s", med("fit_s"), "<= 1", med("fit_s") <= 1),
        h.target("exact daily fresh process s", wall("fresh fit"), "<= 5", wall("fresh fit") <= 5),
        h.target("exact monthly in process s", med("monthly_fit_s"), "<= 0.2",
                 med("monthly_fit_s") <= 0.2, ".3f"),
        h.target("peak RSS MB", peak, "<= 1024", peak <= 1024, ".0f"),
        h.target("saved fit MB", ss["size_mb"], "<= 50", ss["size_mb"] <= 50, ".1f"),
        h.target("make run cold s", wall("run cold"), "<= 30", wall("run cold") <= 30),
        h.target("make run reusing the fit s", wall("run reuse"), "<= 5", wall("run reuse") <= 5),
    ]
    h.report("statespace", args, header, rows, targets, {
        "in_process": ip, "fresh_fit_walls": [r.wall_s for r in runs["fresh fit"]],
        "run_cold_walls": [r.wall_s for r in runs["run cold"]],
        "run_reuse_walls": [r.wall_s for r in runs["run reuse"]],
        "reference_walls": [r.wall_s for r in ref_runs], "reference_fit": ref, "fit": ss,
        "loads": {k: [r.load_before for r in v] for k, v in runs.items()}})


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
