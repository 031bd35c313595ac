"""Abrupt breaks (issue 20 item 4): revised 90% coverage of a simulated sign flip within +-60
days of the break, with and without the forecast monitor, and the monitor's false-alarm rate
on data without a break; the share of quarter-end first estimates of the d_2y beta whose 90%
interval excludes zero with the wrong sign (``--first-estimates``: only that and the
coverage).

Daily synthetic panels (``models.synthetic.simulate_panel``, 2,000 business days, the
shipped discount grids of ``configs/default.toml``, exact method, 2 x 100 draws); the d_2y
beta flips from +2 to -2 pp per pp half way; residual sd 1.5, 2 and 3 pp (the flip moves
the d_2y contribution by 1 pp of sd: from clear to hard to see in the noise).

Usage::

    python -m benchmarks.breaks [--seeds 8]
"""

from __future__ import annotations

import argparse
import json
import time


def _fit(seed: int, sigma: float, flip: bool, monitor: bool, nu: float | None = None):
    import numpy as np

    from macroattr.models import ModelConfig, fit_model
    from macroattr.models.synthetic import simulate_panel

    n = 2000
    path = np.where(np.arange(n) < n // 2, 2.0, -2.0) if flip else np.full(n, 2.0)
    panel, truth = simulate_panel(n=n, freq="D", seed=seed, sigma=sigma, nu=nu,
                                  beta_paths={"d_2y": path})
    ss = ModelConfig().state_space
    cfg = ModelConfig(groups=truth["groups"]).override(
        betas="state_space", method="exact", draws=100, chains=2,
        beta_discounts=ss.beta_discounts, variance_discounts=ss.variance_discounts,
        monitor=monitor)
    return fit_model(panel, cfg), path


def _coverage(fit, path, half: int = 60) -> float:
    import numpy as np

    b = fit.betas(draws=True).sel(factor="d_2y").stack(s=("chain", "draw")).transpose("s", "time").values
    lo, hi = np.quantile(b, [0.05, 0.95], axis=0)
    c = len(path) // 2
    win = np.r_[c - half:c + half]
    return float(np.mean((path[win] >= lo[win]) & (path[win] <= hi[win])))


def _wrong_sign(fit, path) -> dict[str, float]:
    """Share of quarter-end first estimates (filtered d_2y beta, data to that day) whose 90%
    interval excludes zero on the wrong side of the true beta: the subset mixture the page
    draws (honouring P(varies)) and the all-drifting models alone (the sampler before)."""
    import numpy as np

    from macroattr.core.periods import period_labels

    lab = period_labels(fit.design.dates, "Q").astype(str)
    te = np.flatnonzero(np.r_[lab[1:] != lab[:-1], True])
    te = te[te >= 250]  # after the first year
    k = list(fit.design.factors).index("d_2y") + 1
    scale = fit.paths.scales["y_sd"] / fit.paths.scales["x_sd"][k - 1]
    mix = np.stack([fit.paths.states(t, t + 1, "filtered")[0][:, 0, k] for t in te], axis=1)
    old = fit.paths.filter.sample_filtered(fit.paths.n_samples, fit.paths.seed)[0][:, te, k]
    out = {}
    for name, b in (("mixture", mix), ("all_drifting", old)):
        lo, hi = np.quantile(b.astype(np.float64) * scale, [0.05, 0.95], axis=0)
        truth = path[te]
        out[name] = float(np.mean(((lo > 0) & (truth < 0)) | ((hi < 0) & (truth > 0))))
    return out


def main() -> None:
    import numpy as np

    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--sigmas", type=float, nargs="*", default=[1.5, 2.0, 3.0])
    ap.add_argument("--first-estimates", action="store_true",
                    help="only the monitored fits: coverage and first-estimate wrong signs")
    args = ap.parse_args()
    t0 = time.perf_counter()
    for sigma in args.sigmas:
        on, off, lag, wrong = [], [], [], []
        for seed in range(args.seeds):
            fit, path = _fit(seed, sigma, True, True)
            on.append(_coverage(fit, path))
            wrong.append(_wrong_sign(fit, path))
            if args.first_estimates:
                continue
            iv = fit.interventions()
            brk = fit.design.dates[len(path) // 2]
            near = iv[(iv["onset"] - brk).abs() <= np.timedelta64(120, "D")]
            lag.append(None if not len(near) else int(np.searchsorted(fit.design.dates, near["onset"].iloc[0])
                                                        - len(path) // 2))
            off.append(_coverage(_fit(seed, sigma, True, False)[0], path))
        print(json.dumps({"sigma": sigma, "first_estimate_wrong_sign": {
            k: round(float(np.mean([w[k] for w in wrong])), 3) for k in wrong[0]}}), flush=True)
        if args.first_estimates:
            continue
        print(json.dumps({"sigma": sigma, "coverage_monitor": [round(x, 2) for x in on],
                          "mean_monitor": round(float(np.mean(on)), 3),
                          "coverage_plain": [round(x, 2) for x in off],
                          "mean_plain": round(float(np.mean(off)), 3),
                          "onset_minus_break_sessions": lag}), flush=True)
    fired, days = 0, 0
    for seed in range(0 if args.first_estimates else args.seeds):
        for nu in (None, 4.0):
            fit, path = _fit(100 + seed, 2.0, False, True, nu)
            fired += len(fit.interventions())
            days += len(path)
    if not days:
        return
    print(json.dumps({"no_break_interventions": fired, "days": days,
                      "per_1000_days": round(1000 * fired / days, 3),
                      "elapsed_s": round(time.perf_counter() - t0, 1)}), flush=True)


if __name__ == "__main__":
    main()
