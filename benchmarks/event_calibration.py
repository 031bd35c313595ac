"""Event-window tail probabilities on the real daily panel (issue 20): the out-of-sample
predictive of each non-overlapping 5-session window's total made at its eve
(``fit.paths.window_predictive``, what ``fit.event`` uses), over the whole span after the
first two years: the share of windows with a one-sided tail probability below 2.5% (5%
expected if calibrated, both tails) and the PIT's Kolmogorov-Smirnov statistic.

Usage::

    python -m benchmarks.event_calibration [--length 5]
"""

from __future__ import annotations

import json
import sys


def main(length: int = 5) -> None:
    import numpy as np
    from scipy import stats

    from benchmarks import _harness as h
    from macroattr.jobs.run_config import load_run_config
    from macroattr.models import fit_model
    from macroattr.models.statespace.forecast import mixture_cdf
    from macroattr.jobs.inputs import build_config_panel

    rc = load_run_config(h.REPO / "configs" / "default.toml")
    panel, cfg = build_config_panel(rc.model, rc.panel)
    fit = fit_model(panel, cfg)
    d = fit.design
    start = int(d.dates.searchsorted(d.dates[0] + np.timedelta64(730, "D")))
    pits, last = [], []
    for t0 in range(start, d.n_obs - length + 1, length):
        pr = fit.paths.window_predictive(t0, t0 + length)
        pits.append(mixture_cdf(pr, float(d.y[t0:t0 + length].sum())))
        if t0 >= d.n_obs - 148 * length:
            last.append(pits[-1])
    def summary(p):
        p = np.asarray(p)
        one = np.minimum(p, 1 - p)
        return {"windows": len(p), "one_sided_below_2.5pct": round(float(np.mean(one < 0.025)), 4),
                "pit_below_5pct": round(float(np.mean(p < 0.05)), 4),
                "pit_above_95pct": round(float(np.mean(p > 0.95)), 4),
                "ks_stat": round(float(stats.kstest(p, "uniform").statistic), 4),
                "ks_p": float(stats.kstest(p, "uniform").pvalue)}
    print(json.dumps({"length": length, "all": summary(pits), "last_148": summary(last)}))


if __name__ == "__main__":
    main(int(sys.argv[sys.argv.index("--length") + 1]) if "--length" in sys.argv else 5)
