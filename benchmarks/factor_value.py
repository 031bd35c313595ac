"""Benchmark: what each new factor adds on the real panels (issue 12).

Not a speed benchmark: a statistical one, on the embedded snapshot (plus the ICE high-yield OAS
from ``../shared/data/raw``, loaded into a throw-away FRED store, because it may not be embedded).
OLS of ``rel_return`` on factor sets, reporting for each

* in-sample R² and the t statistic of the added factor(s) (HC1 robust);
* leave-one-out fit: LOO R² = 1 − PRESS / SST and the Gaussian LOO log predictive density per
  period (closed form from the hat matrix, no refits);
* a time split: fit up to ``--split`` (default 2012-12-31), R² of the predictions after it
  (1 − SSE / Σ(y − ȳ_train)²), i.e. the factor's contemporaneous explanatory power out of sample.

Sections: (1) leverage — Baa − 10y alone vs + Baa − Aaa vs + HY OAS (monthly and daily);
(2) policy — the old yield proxy Δ(DGS6MO − DFF) vs the futures surprises (correlation with
−ΔDFF, 2024-09-18, R²); (3) CPI release days — Δ2y on the surprise on the BLS day vs the old
15th-of-the-month rule; (4) the market control.

Usage::

    .venv/bin/python -m benchmarks.factor_value                  # markdown to stdout
    .venv/bin/python -m benchmarks.factor_value --save           # + benchmarks/results/factor_value.json
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

RAW = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "raw"
BASE = ["d_2y", "mp_target", "mp_path", "cpi_surprise", "d_baa_spread", "dlog_epu"]


def ols_scores(df: pd.DataFrame, xcols: list[str], split: str, test: list[str] = ()) -> dict:
    """R², robust t of ``test`` columns, LOO R² / LPD per period, and time-split out-of-sample R²."""
    import statsmodels.api as sm

    y = df["rel_return"].to_numpy()
    X = sm.add_constant(df[xcols].to_numpy(), has_constant="add")
    n, p = X.shape
    fit = sm.OLS(y, X).fit()
    rob = fit.get_robustcov_results("HC1")
    h = fit.get_influence().hat_matrix_diag
    e = fit.resid
    loo_e = e / (1 - h)
    sst = ((y - y.mean()) ** 2).sum()
    s2_i = ((n - p) * fit.mse_resid - e**2 / (1 - h)) / (n - p - 1)
    var_i = s2_i / (1 - h)
    lpd = float(np.mean(-0.5 * (np.log(2 * np.pi * var_i) + loo_e**2 / var_i)))
    cut = df.index <= pd.Timestamp(split)
    tr = sm.OLS(y[cut], X[cut]).fit()
    pred = X[~cut] @ tr.params
    oos = 1 - ((y[~cut] - pred) ** 2).sum() / ((y[~cut] - y[cut].mean()) ** 2).sum()
    tvals = {c: float(rob.tvalues[1 + xcols.index(c)]) for c in test}
    return {"n": int(n), "r2": float(fit.rsquared), "loo_r2": float(1 - (loo_e**2).sum() / sst),
            "loo_lpd": lpd, "oos_r2": float(oos), "t": tvals}


def hy_store(tmp: Path) -> Path | None:
    """A FRED store holding BAMLH0A0HYM2 from the raw file (ICE terms: never the snapshot)."""
    from macroattr.data_pipelines.fred.store import SeriesStore

    f = RAW / "credit" / "BAMLH0A0HYM2.csv"
    if not f.is_file():
        return None
    raw = pd.read_csv(f, na_values=["", "."], keep_default_na=False)
    s = pd.Series(raw.iloc[:, 1].to_numpy("float64"), index=pd.to_datetime(raw.iloc[:, 0])).dropna()
    st = SeriesStore(tmp / "store")
    st.write("BAMLH0A0HYM2", s, {"title": "ICE BofA US High Yield Index Option-Adjusted Spread (raw copy)"})
    return st.path


def leverage(store: Path | None, split: str) -> list[dict]:
    from macroattr.data_pipelines import build_panel

    rows = []
    sets = [("Baa-10y (default)", []), ("+ Baa-Aaa", ["d_baa_aaa"])]
    if store is not None:
        sets += [("+ HY OAS", ["d_hy_oas"]), ("+ Baa-Aaa + HY OAS", ["d_baa_aaa", "d_hy_oas"])]
    every = sorted({c for _, add in sets for c in add})
    m = build_panel(freq="M", factors=BASE + every, source="auto", store=store, start="1997-01-31",
                    end="2024-12-31").data
    for label, add in sets:
        rows.append({"panel": "monthly", "set": label, **ols_scores(m, BASE + add, split, add)})
    if store is not None:
        d = build_panel(freq="D", factors=BASE + ["d_hy_oas"], source="auto", store=store, start="1997-01-02",
                        end="2024-12-31").data
        for label, add in (("Baa-10y (default)", []), ("+ HY OAS", ["d_hy_oas"])):
            rows.append({"panel": "daily", "set": label, **ols_scores(d, BASE + add, split, add)})
    return rows


def policy(split: str) -> dict:
    from macroattr.data_pipelines import build_panel
    from macroattr.data_pipelines.sources import get_series
    from macroattr.data_pipelines.transforms import align_asof, month_end_sample

    six, dff = (get_series(i)[0] for i in ("DGS6MO", "DFF"))
    out: dict = {}
    d = build_panel(freq="D", factors="mp_target,mp_path,d_policy_path", start="1995-01-03", end="2024-12-31").data
    cal = d.index
    ddff = align_asof(dff, cal).diff()
    old = (align_asof(six, cal) - align_asof(dff, cal)).diff()
    out["daily_corr_with_minus_dDFF"] = {
        "old d(DGS6MO-DFF)": float(old.corr(-ddff)), "new d_policy_path d(DGS6MO-DGS3MO)": float(d["d_policy_path"].corr(-ddff)),
        "mp_target": float(d["mp_target"].corr(-ddff)), "mp_path": float(d["mp_path"].corr(-ddff))}
    out["2024-09-18"] = {"old d(DGS6MO-DFF)": float(old["2024-09-18"]), "mp_target": float(d.loc["2024-09-18", "mp_target"]),
                         "mp_path": float(d.loc["2024-09-18", "mp_path"])}
    m = build_panel(freq="M", factors=BASE + ["d_policy_path"], start="1995-01-31", end="2024-12-31").data
    me_old = (month_end_sample(six) - month_end_sample(dff)).diff().reindex(m.index)
    me_dff = month_end_sample(dff).diff().reindex(m.index)
    out["monthly_corr_with_minus_dDFF"] = {"old d(DGS6MO-DFF)": float(me_old.corr(-me_dff)),
                                           "new d_policy_path": float(m["d_policy_path"].corr(-me_dff)),
                                           "mp_target": float(m["mp_target"].corr(-me_dff))}
    m = m.assign(old_policy_path=me_old)
    rest = ["d_2y", "cpi_surprise", "d_baa_spread", "dlog_epu"]
    out["monthly_ols"] = {
        "old default (d_2y, d(DGS6MO-DFF), ...)": ols_scores(m, ["d_2y", "old_policy_path", *rest[1:]], split,
                                                             ["old_policy_path"]),
        "new default (d_2y, mp_target, mp_path, ...)": ols_scores(m, BASE, split, ["mp_target", "mp_path"]),
    }
    return out


def cpi_days() -> dict:
    from macroattr.data_pipelines import build_panel
    from macroattr.data_pipelines.cpi import cpi_surprise
    from macroattr.data_pipelines.releases import cpi_release_date
    from macroattr.data_pipelines.sources import get_series
    import statsmodels.api as sm

    d = build_panel(freq="D", factors="d_2y,cpi_surprise", start="2004-01-02", end="2024-12-31").data
    tab = cpi_surprise(get_series("CPIAUCSL")[0])["surprise"].dropna()
    tab = tab["2003-12-01":"2024-11-01"]
    vals = np.zeros(len(d.index))
    pos = d.index.searchsorted(cpi_release_date(tab.index))
    ok = pos < len(d.index)
    np.add.at(vals, pos[ok], tab.to_numpy()[ok])
    rule = pd.Series(vals, index=d.index)
    res = {}
    for label, x in (("BLS release day (new)", d["cpi_surprise"]), ("15th-of-month rule (old)", rule)):
        f = sm.OLS(d["d_2y"].to_numpy(), sm.add_constant(x.to_numpy())).fit(cov_type="HC1")
        res[label] = {"beta_pp_per_pp": float(f.params[1]), "t": float(f.tvalues[1]), "n_days": int(len(d))}
    return res


def market(split: str) -> list[dict]:
    from macroattr.data_pipelines import build_panel

    rows = []
    for freq, start in (("M", "1995-01-31"), ("M", "2010-01-31"), ("D", "1995-01-03"), ("D", "2010-01-04")):
        p = build_panel(freq=freq, factors=BASE + ["mkt_return"], start=start, end="2024-12-31").data
        base = [c for c in BASE if c in p]
        for label, cols in (("macro factors", base), ("+ mkt_return (market, not macro)", base + ["mkt_return"])):
            rows.append({"panel": f"{ {'M': 'monthly', 'D': 'daily'}[freq]} {start[:4]}-2024", "set": label,
                         **ols_scores(p, cols, split, ["mkt_return"] if "mkt_return" in cols else [])})
    return rows


def _table(rows: list[dict]) -> str:
    out = ["| panel | factors | n | R² | LOO R² | LOO LPD / period | out-of-sample R² | t (added) |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        t = ", ".join(f"{k} {v:+.1f}" for k, v in r["t"].items()) or "-"
        out.append(f"| {r['panel']} | {r['set']} | {r['n']} | {r['r2']:.3f} | {r['loo_r2']:.3f} | {r['loo_lpd']:.3f} | "
                   f"{r['oos_r2']:.3f} | {t} |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", default="2012-12-31", help="last training period of the time split")
    ap.add_argument("--save", action="store_true", help="also write benchmarks/results/factor_value.json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = hy_store(Path(tmp))
        lev = leverage(store, args.split)
    pol, cpi, mkt = policy(args.split), cpi_days(), market(args.split)
    print(f"# factor value, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, split {args.split}")
    print("\n## Leverage\n" + _table(lev))
    print("\n## Policy\n" + json.dumps(pol, indent=1, default=float))
    print("\n## CPI release days: daily d_2y on cpi_surprise (2004-2024)\n" + json.dumps(cpi, indent=1))
    print("\n## Market control\n" + _table(mkt))
    if args.save:
        path = Path(__file__).with_name("results") / "factor_value.json"
        path.write_text(json.dumps({"date": f"{datetime.now(UTC):%Y-%m-%dT%H:%M}Z", "split": args.split,
                                    "leverage": lev, "policy": pol, "cpi_days": cpi, "market": mkt},
                                   indent=1, default=float))
        print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
