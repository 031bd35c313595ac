"""Benchmark: what the wave's two new factors add on the real daily panel (issue 21).

Not a speed benchmark: a statistical one, on the embedded snapshot, over the span the CPI consensus
covers (2007-01-01 to the panel's end), with the default config's panel rules (``stale = "carry"``).

Compared, each on the same days:

* **CPI surprise**: actual minus the market consensus (the default) against the real-time AR(1)
  surprise (the embedded consensus switched off, as before this wave);
* **election odds**: the default factors with and without ``d_rep_win_prob``.

Reported for each: OLS R² of ``rel_return`` on all factors; the CPI-day regression (days with a
non-zero surprise, ``rel_return`` on the surprise) slope and its Newey–West (HAC, 5 lags) t statistic; and the
exact state-space fit's one-step-ahead log predictive density summed over the span (LPDS, nats;
the difference is what the factor adds out of sample).

Usage::

    .venv/bin/python -m benchmarks.new_factors            # markdown to stdout
"""

from __future__ import annotations

import platform
from datetime import UTC, datetime

import numpy as np
import pandas as pd

START = "2007-01-01"


def _panel(consensus: bool):
    from macroattr.jobs.run_config import load_run_config
    from macroattr.configs import config_path
    from macroattr.data_pipelines import cpi
    from macroattr.jobs.inputs import build_config_panel

    rc = load_run_config(config_path("default"))
    original = cpi.consensus_table
    if not consensus:
        empty = original().iloc[:0]
        cpi.consensus_table = lambda event="headline": empty
    try:
        panel, cfg = build_config_panel(rc.model, rc.panel.updated(start=START), source="snapshot")
    finally:
        cpi.consensus_table = original
    return panel, cfg


def _scores(panel, cfg, drop: tuple[str, ...] = ()) -> dict:
    import statsmodels.api as sm

    from macroattr.models import fit_model

    groups = {g: [c for c in cols if c not in drop] for g, cols in cfg.groups.items()}
    groups = {g: cols for g, cols in groups.items() if cols}
    cfg = cfg.model_copy(update={"groups": groups})
    df = panel.data
    X = sm.add_constant(df[cfg.factors])
    ols = sm.OLS(df["rel_return"], X).fit()
    days = df[df["cpi_surprise"] != 0]
    cpi_day = sm.OLS(days["rel_return"], sm.add_constant(days[["cpi_surprise"]])).fit(
        cov_type="HAC", cov_kwds={"maxlags": 5})
    fit = fit_model(panel, cfg.override(method="exact", draws=200))
    lpds = float(fit.one_step_ahead()["log_score"].sum())
    return {"r2": float(ols.rsquared), "cpi_days": int(len(days)),
            "cpi_slope": float(cpi_day.params["cpi_surprise"]),
            "cpi_t_hac": float(cpi_day.tvalues["cpi_surprise"]), "lpds": lpds, "days": int(len(df))}


def main() -> None:
    import os

    cons, cfg = _panel(consensus=True)
    ar1, cfg1 = _panel(consensus=False)
    rows = {
        "default (consensus CPI surprise, election odds)": _scores(cons, cfg),
        "AR(1) CPI surprise instead": _scores(ar1, cfg1),
        "default without election odds": _scores(cons, cfg, drop=("d_rep_win_prob",)),
    }
    load = os.getloadavg()[0]
    print(f"# new factors on the daily panel, {START}..{cons.data.index[-1]:%Y-%m-%d} "
          f"({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, load {load:.1f})\n")
    print("| variant | days | OLS R² | days with a non-zero CPI surprise | CPI-day slope (pp per pp) | HAC t | LPDS (nats) |")
    print("|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['days']} | {r['r2']:.4f} | {r['cpi_days']} | {r['cpi_slope']:+.3f} | "
              f"{r['cpi_t_hac']:+.2f} | {r['lpds']:.1f} |")
    base = rows["default (consensus CPI surprise, election odds)"]["lpds"]
    print(f"\nLPDS gain of the consensus surprise over AR(1): "
          f"{base - rows['AR(1) CPI surprise instead']['lpds']:+.1f} nats; of the election odds: "
          f"{base - rows['default without election odds']['lpds']:+.1f} nats")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
