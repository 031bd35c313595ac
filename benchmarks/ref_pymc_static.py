"""Reference: the hand-written PyMC script an economist would write for the static model.

Plain PyMC on the same monthly panel file: standardised factors and target, Normal priors
on the intercept and coefficients, HalfNormal scale, Gamma degrees of freedom, Student-t
likelihood, and ``pm.sample()`` with PyMC's defaults (its NUTS, ``target_accept=0.8``,
``jitter+adapt_diag``, cores = min(4, CPUs)); only ``chains`` is set, to match macroattr's
4 x 1000 draws (``--nuts-sampler nutpie``: the same script with ``nuts_sampler="nutpie"``).
Ends like such a script ends: with ArviZ diagnostics of the posterior.
Prints one JSON line: in-process seconds, min bulk ESS, max R-hat, divergences.

Usage::

    python -m benchmarks.ref_pymc_static PANEL.csv [--chains 4 --draws 1000 --tune 1000]
"""

from __future__ import annotations

import argparse
import time

from benchmarks._reference_output import print_reference_result

T0 = time.perf_counter()

#: the factors of ``configs/static_monthly.toml`` (those the panel file has)
FACTORS = ["d_2y", "mp_target", "mp_path", "cpi_surprise", "d_baa_spread", "d_rep_win_prob",
           "dlog_epu"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("panel")
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--nuts-sampler", default="pymc",
                    help="pm.sample's nuts_sampler (pymc, or nutpie: the same script with one argument)")
    a = ap.parse_args()

    import pandas as pd
    import pymc as pm

    df = pd.read_csv(a.panel, index_col=0, parse_dates=True)
    X = df[[c for c in FACTORS if c in df]].to_numpy()
    X = (X - X.mean(0)) / X.std(0)
    y = df["rel_return"].to_numpy()
    y = (y - y.mean()) / y.std()
    with pm.Model(coords={"factor": [c for c in FACTORS if c in df]}):
        alpha = pm.Normal("alpha", 0, 1)
        beta = pm.Normal("beta", 0, 1, dims="factor")
        sigma = pm.HalfNormal("sigma", 1)
        nu = pm.Gamma("nu", 2, 0.1)
        pm.StudentT("y", nu=nu, mu=alpha + X @ beta, sigma=sigma, observed=y)
        t1 = time.perf_counter()
        idata = pm.sample(draws=a.draws, tune=a.tune, chains=a.chains, progressbar=False,
                          nuts_sampler=a.nuts_sampler)
        t2 = time.perf_counter()
    print_reference_result(idata, T0, t1, t2)


if __name__ == "__main__":
    main()
