"""Benchmark: fit + 1,000 smoothed paths as the number of days (and factors) grows.

Each case is a **fresh child process** (wall and peak RSS from ``os.wait4``) that fits the
exact state-space model on a synthetic daily panel (standard-normal factors, a drifting
beta, drifting volatility; the shipped default's discount grid) of ``days`` rows and draws
the 1,000 revised paths once (``GridFilter.sample_smoothed``), timing the backward sampler
alone too. Also times, in one child, the blocked sampler against the draw-by-draw loop it
replaced (same draws, bit for bit) at each length.

The exponent in days is the slope of log(time) on log(days) over the lengths run.

Usage::

    .venv/bin/python -m benchmarks.paths_scaling               # 1x, 2x, 4x, 8x of 6,335 days
    .venv/bin/python -m benchmarks.paths_scaling --factors 24 --mult 1
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from benchmarks import _harness as H

REAL_DAYS = 6335


def _worker(days: int, factors: int, compare: bool, moments: str = "auto") -> dict:
    from macroattr.models.config import ModelConfig
    from macroattr.models.statespace import backward as K
    from macroattr.models.statespace.dlm import DLMPrior, grid_filter

    rng = np.random.default_rng(0)
    F = np.column_stack([np.ones(days), rng.normal(size=(days, factors))])
    beta = np.sin(np.linspace(0, 6, days))
    vol = np.exp(0.5 * np.sin(np.linspace(0, 20, days)))
    y = beta * F[:, 1] + 0.2 * F[:, 2:].sum(axis=1) * 0.1 + vol * rng.normal(size=days)
    ss = ModelConfig.shipped("default").state_space
    t0 = time.perf_counter()
    gf = grid_filter(y, F, ss.beta_discounts, ss.variance_discounts,
                     DLMPrior.conjugate(factors + 1),
                     keep_moments={"auto": None, "keep": True, "lean": False}[moments])
    t_filter = time.perf_counter() - t0
    gi = gf.allocate(1000, seed=1)
    t1 = time.perf_counter()
    theta, v = gf.sample_smoothed(gi, seed=1)
    t_paths = time.perf_counter() - t1
    out = {"days": days, "factors": factors, "grid": len(gf.deltas), "filter_s": t_filter,
           "moments": "kept" if gf.keeps_moments else "lean", "drawn": len(np.unique(gi)),
           "paths_s": t_paths, "paths_bytes": int(theta.nbytes + v.nbytes)}
    if compare:  # the previous draw-by-draw loop on the heaviest grid point's draws
        from tests.models.test_backward_blocked import _reference

        g = int(np.argmax(gf.weights))
        r = gf.filtered(g)
        _reference(r.m[:50], r.L[:50], r.n[:50], r.d[:50], r.delta_beta, r.delta_v, 1, g, 49, 2)
        a = time.perf_counter()
        th_old, _ = _reference(r.m, r.L, r.n, r.d, r.delta_beta, r.delta_v, 1, g, days - 1, 1000)
        out["old_loop_s"] = time.perf_counter() - a
        th_new = np.empty_like(th_old)
        v_new = np.empty((1000, days), np.float32)
        a = time.perf_counter()
        K.backward_sample(r.m, r.L, r.n, r.d, r.delta_beta, r.delta_v, 1, g, days - 1, th_new, v_new)
        out["blocked_s"] = time.perf_counter() - a
        out["bit_identical"] = bool(np.array_equal(th_old, th_new))
        del th_old, th_new
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mult", type=int, nargs="*", default=[1, 2, 4, 8])
    ap.add_argument("--factors", type=int, default=6)
    ap.add_argument("--compare", action="store_true", help="also time the old draw-by-draw loop")
    ap.add_argument("--moments", choices=["auto", "keep", "lean"], nargs="*", default=["auto"],
                    help="the grid's filtered moments: held for every grid point, recomputed per "
                         "drawn grid point (lean), or by size (auto: dlm.KEEP_MOMENTS_BYTES)")
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    ap.add_argument("--save", action="store_true")
    args = ap.parse_args(argv)
    if args.worker:
        w = args.worker
        print(json.dumps(_worker(int(w[0]), int(w[1]), bool(int(w[2])), w[3])))
        return 0
    rows = []
    for m in args.mult:
        for mode in args.moments:  # side by side, one fresh child each
            days = REAL_DAYS * m
            run = H.run_child([H.python(), "-m", "benchmarks.paths_scaling", "--worker", str(days),
                               str(args.factors), str(int(args.compare)), mode]).check()
            res = {**run.json_tail(), "wall_s": run.wall_s, "peak_mb": run.maxrss_mb,
                   "load": run.load_before}
            rows.append(res)
            print(json.dumps(res), file=sys.stderr)
    if len(args.mult) > 1 and len(args.moments) == 1:
        x = np.log([r["days"] for r in rows])
        for key in ("paths_s", "wall_s", "filter_s"):
            slope = np.polyfit(x, np.log([r[key] for r in rows]), 1)[0]
            print(f"exponent in days of {key}: {slope:.3f}")
    for r in rows:
        extra = (f", old loop {r['old_loop_s']:.2f} s, blocked {r['blocked_s']:.2f} s, "
                 f"bit-identical {r['bit_identical']}") if "old_loop_s" in r else ""
        print(f"{r['days']} days x {r['factors']} factors, moments {r['moments']}, "
              f"{r['drawn']} of {r['grid']} grid points drawn: filter {r['filter_s']:.2f} s, paths "
              f"{r['paths_s']:.2f} s, child wall {r['wall_s']:.2f} s, peak {r['peak_mb']:.0f} MB, "
              f"load {r['load']:.1f}{extra}")
    if args.save:
        (H.RESULTS_DIR / f"paths_scaling_k{args.factors}.json").write_text(
            json.dumps({"machine": H.machine(), "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
