"""Reference: the same static Student-t regression in bambi, with bambi's defaults.

``bmb.Model("rel_return ~ d_2y + ... + dlog_epu", data, family="t").fit()`` (the seven factors
of ``configs/static_monthly.toml``) on the same monthly panel file (bambi's default priors, its
default PyMC sampler); only ``chains`` is set, to match macroattr's 4 x 1000 draws. Ends with
ArviZ diagnostics. Prints one JSON line like :mod:`benchmarks.ref_pymc_static`.

Usage::

    python -m benchmarks.ref_bambi_static PANEL.csv [--chains 4 --draws 1000 --tune 1000]
"""

from __future__ import annotations

import argparse
import time

from benchmarks._reference_output import print_reference_result

T0 = time.perf_counter()

#: the factors of ``configs/static_monthly.toml``
FORMULA = ("rel_return ~ d_2y + mp_target + mp_path + cpi_surprise + d_baa_spread + d_rep_win_prob"
           " + dlog_epu")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("panel")
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=1000)
    a = ap.parse_args()

    import bambi as bmb
    import pandas as pd

    df = pd.read_csv(a.panel, index_col=0, parse_dates=True)
    model = bmb.Model(FORMULA, df, family="t")
    t1 = time.perf_counter()
    idata = model.fit(draws=a.draws, tune=a.tune, chains=a.chains, progressbar=False)
    t2 = time.perf_counter()
    print_reference_result(idata, T0, t1, t2)


if __name__ == "__main__":
    main()
