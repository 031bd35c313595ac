"""Reference: the exact daily fit's discount grid written with pybats, as a user would.

The model of ``configs/default.toml``'s exact method: alpha and every beta a random walk
with one state discount ``delta_beta`` (``R_t = C_{t-1} / delta_beta``), the observation
variance drifting with a variance discount ``delta_v`` (normal / inverse-gamma, West &
Harrison), over the same grid of discount pairs. For each grid point a pybats normal DLM
(``pybats.dglm.dlm``; every state element one regression block, so the one discount covers
the whole state as in macroattr) is updated day by day; its one-step-ahead Student-t
predictive (pybats' ``param1``/``param2`` and the degrees of freedom before the update) gives
the log marginal likelihood; the grid points are weighted by it and the filtered states
averaged with those weights.

Inputs come from an ``.npz`` written by :mod:`benchmarks.keep_the_lead` (``y`` and ``F`` on
macroattr's scaled units, the prior ``m0, C0, n0, d0`` with ``C0`` in units of the
observation variance, the two discount grids), so the reference does not pay for building
the panel: that favours the reference. pybats' first step uses its prior ``R0`` as is and
its ``n0`` undiscounted, while macroattr discounts the prior too, so ``R0 = C0 S0 /
delta_beta`` and ``n0 = delta_v n0``: then both compute the same filter.

Prints one JSON line: in-process seconds, the filter seconds, log marginal likelihood per
grid point. ``--dump FILE`` also writes the filtered means and predictive of one grid point
(``--check-point``) for the equality check in :mod:`benchmarks.keep_the_lead`.

Usage::

    python -m benchmarks.ref_pybats_daily INPUTS.npz [--dump out.npz --check-point 0.999 0.94]
"""

from __future__ import annotations

import argparse
import json
import time

T0 = time.perf_counter()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("inputs")
    ap.add_argument("--dump", default=None)
    ap.add_argument("--check-point", type=float, nargs=2, default=None)
    a = ap.parse_args()

    import numpy as np
    from pybats.dglm import dlm
    from scipy import stats
    from scipy.special import logsumexp

    z = np.load(a.inputs)
    y, F = z["y"], z["F"]
    m0, C0, n0, d0 = z["m0"], z["C0"], float(z["n0"]), float(z["d0"])
    T, p = F.shape
    S0 = d0 / n0
    t1 = time.perf_counter()
    log_ml, pts, ms = [], [], []
    dump: dict[str, np.ndarray] = {}
    for db in z["beta_discounts"]:
        for dv in z["variance_discounts"]:
            mod = dlm(a0=m0.copy(), R0=C0 * S0 / db, nregn=p, ntrend=0, deltrend=db, delregn=db,
                      delVar=dv, n0=dv * n0, s0=S0)
            m = np.empty((T, p))
            f, q, df = np.empty(T), np.empty(T), np.empty(T)
            for t in range(T):
                df[t] = mod.n
                mod.update(y=y[t], X=F[t])
                f[t], q[t] = float(np.ravel(mod.param1)[0]), float(np.ravel(mod.param2)[0])
                m[t] = mod.m.ravel()
            ll = stats.t.logpdf(y, df=df, loc=f, scale=np.sqrt(q))
            log_ml.append(float(ll.sum()))
            pts.append((float(db), float(dv)))
            ms.append(m)
            if a.check_point is not None and np.allclose((db, dv), a.check_point):
                dump = {"m": m, "f": f, "q": q, "df": df, "ll": ll}
    # the filtered states averaged over the grid with the marginal likelihood weights; a grid
    # point whose filter broke down numerically (non-finite log density: at the fastest state
    # discount the covariance of a factor that is 0 for long stretches blows up) is no
    # evidence and leaves the grid, as in macroattr
    lw = np.asarray(log_ml)
    ok = np.isfinite(lw)
    w = np.zeros_like(lw)
    w[ok] = np.exp(lw[ok] - logsumexp(lw[ok]))
    mean_m = np.einsum("g,gtp->tp", w[ok], np.asarray(ms)[ok])
    t2 = time.perf_counter()
    if a.dump:
        np.savez(a.dump, mean_m=mean_m, weights=w, log_ml=lw, **dump)
    print(json.dumps({"in_process_s": time.perf_counter() - T0, "filter_s": t2 - t1,
                      "grid_points": len(pts), "failed": [pts[g] for g in np.flatnonzero(~ok)],
                      "days": T, "log_ml": [float(v) if np.isfinite(v) else None for v in lw],
                      "best": pts[int(np.nanargmax(np.where(ok, lw, np.nan)))]}))


if __name__ == "__main__":
    main()
