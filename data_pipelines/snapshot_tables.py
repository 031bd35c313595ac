"""Maintainer script, part 2: the snapshot's event tables read from ``../shared/data/raw``.

Used by :mod:`macroattr.data_pipelines.snapshot_build` (``make snapshot``); users never run it.
Each reader returns VALUES only (no file is re-published) and checks what the raw sources let it
check; :func:`overlap_checks` returns the printable cross-checks (the test suite re-runs them).

* :func:`read_election_odds` — the Republican candidate's market-implied win probability, one row
  per quote: ``source, cycle, time_utc, p_rep`` (0..1). PredictIt's 2016 party-control market is
  NOT read (supplied under a research agreement: tests and research only, not embeddable).
* :func:`read_cpi_consensus` — actual (as first printed) and consensus m/m of headline and core
  CPI per release: ``release_date, ref_month, event (headline|core), actual, consensus, source``.
* :func:`read_fomc_proxy` — the one-day fed funds futures proxy for the 2026 FOMC announcements
  (daily ZQ closes; the 30-minute file ends 2025-12).
* :func:`read_calendar_2026` — the 2026 CPI release days and FOMC decision days.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from macroattr.core.errors import InputError

__all__ = ["ODDS_SOURCES", "overlap_checks", "read_calendar_2026", "read_cpi_consensus", "read_election_odds",
           "read_fomc_proxy"]

ET = "America/New_York"
#: source -> (cycle, reader description); the order is the precedence where two cover a session
ODDS_SOURCES = {
    "polymarket": "Polymarket 'Presidential Election Winner 2024', daily 00:00 UTC snapshot",
    "predictit": "PredictIt market 2721 'Which party will win the 2020 presidential election?', hourly close",
    "oddschecker": "oddschecker bookmaker-implied probability (harmonic mean over bookmakers), daily",
    "fivethirtyeight": "FiveThirtyEight 2020 forecast model (polls-plus), daily run",
}
ODDS_FILES = {
    "polymarket": ("election_odds/polymarket_pres2024_daily.csv", "ngu-khoi/prediction-market-visualization",
                   "app/data/polymarket/polymarket-price-data-daily.csv", "8ec717719b8e2029e2b628e9e592f3f0add9d444"),
    "predictit": ("election_odds/predictit_2721_which_party_wins_presidency_2020_hourly.csv", "k5cents/predelect",
                  "bet2020.zip:extra_markets_2020.tsv", "4714b11abb7df25fe7df0026e6e2771fd9d03daf"),
    "oddschecker": ("election_odds/oddschecker_2016_donald-trump.json + oddschecker_2016_hillary-clinton.json",
                    "radekstepan/politics-2016", "data/odds/donald-trump.json, data/odds/hillary-clinton.json",
                    "9d2dd9b1da7f5cbb9a0d8268b463ca06b6276674"),
    "fivethirtyeight": ("election_odds/fivethirtyeight_presidential_national_toplines_2020.csv",
                        "ohawkins/DPiR-Final-Project (copy of fivethirtyeight/data)",
                        "presidential_national_toplines_2020_nov2.csv", "8295256fdef9d2542efc55321513a7407516badf"),
}
#: the oddschecker history is sparse before mid-2015 (gaps of weeks); the cycle starts after the last
#: gap of more than this many days
ODDS_MAX_GAP_DAYS = 7


def _need(path: Path) -> Path:
    if not path.is_file():
        raise InputError(f"raw file {path} not found; pass --raw pointing at ../shared/data/raw")
    return path


def _utc(ts: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Timezone-aware times as naive UTC datetime64[ns]."""
    return pd.DatetimeIndex(ts).tz_convert("UTC").tz_localize(None).to_numpy("datetime64[ns]")


def _polymarket(raw: Path) -> pd.DataFrame:
    df = pd.read_csv(_need(raw / ODDS_FILES["polymarket"][0]), dtype=str)
    when = pd.to_datetime(df["Date (UTC)"], format="%m-%d-%Y %H:%M").dt.tz_localize("UTC")
    prices = df.drop(columns=["Date (UTC)", "Timestamp (UTC)"]).apply(pd.to_numeric)
    total = prices.sum(axis=1)
    keep = ~(prices.fillna(0.5).eq(0.5).all(axis=1))  # the first row holds placeholder 0.5 values only
    keep &= prices["Donald Trump"].notna()
    return pd.DataFrame({"source": "polymarket", "cycle": 2024, "time_utc": _utc(when[keep]),
                         "p_rep": (prices["Donald Trump"] / total)[keep].to_numpy("float64"),
                         "p_rep_raw": prices["Donald Trump"][keep].to_numpy("float64")})


def _predictit(raw: Path) -> pd.DataFrame:
    df = pd.read_csv(_need(raw / ODDS_FILES["predictit"][0]))
    wide = df.pivot_table(index="time", columns="party", values="close", aggfunc="last")
    wide = wide.dropna(subset=["R", "D"])
    when = pd.to_datetime(wide.index, format="%Y-%m-%dT%H:%M:%SZ", utc=True)
    total = wide.sum(axis=1)
    return pd.DataFrame({"source": "predictit", "cycle": 2020, "time_utc": _utc(when),
                         "p_rep": (wide["R"] / total).to_numpy("float64"), "p_rep_raw": wide["R"].to_numpy("float64")})


def _oddschecker(raw: Path) -> pd.DataFrame:
    def one(name: str) -> pd.Series:
        d = json.loads(_need(raw / f"election_odds/oddschecker_2016_{name}.json").read_text(encoding="utf-8"))["d"]
        return pd.Series({pd.Timestamp(x["d"]): float(x["m"]) for x in d}).sort_index()

    trump, clinton = one("donald-trump"), one("hillary-clinton")
    both = pd.concat([trump, clinton], axis=1, keys=["t", "c"], sort=True).dropna()
    gaps = both.index.to_series().diff().dt.days
    big = gaps[(gaps > ODDS_MAX_GAP_DAYS) & (gaps.index < pd.Timestamp("2016-01-01"))]
    if len(big):
        both = both[both.index >= big.index[-1]]
    # a date only: the value of day D is read as the odds at D's close (16:00 ET); see the factor docs
    when = pd.DatetimeIndex(both.index + pd.Timedelta(hours=16)).tz_localize(ET)
    return pd.DataFrame({"source": "oddschecker", "cycle": 2016, "time_utc": _utc(when),
                         "p_rep": (both["t"] / (both["t"] + both["c"])).to_numpy("float64"),
                         "p_rep_raw": (both["t"] / 100.0).to_numpy("float64")})


def _fivethirtyeight(raw: Path) -> pd.DataFrame:
    df = pd.read_csv(_need(raw / ODDS_FILES["fivethirtyeight"][0]), dtype=str)
    stamp = df["timestamp"].str.replace(r"\s+", " ", regex=True).str.strip()
    when = pd.to_datetime(stamp, format="%H:%M:%S %d %b %Y").dt.tz_localize(ET)
    if (df["candidate_inc"] != "Trump").any():
        raise InputError("fivethirtyeight toplines: candidate_inc is not Trump on every row")
    # rows for model dates before the launch were back-filled later (timestamp days after the model
    # date): not real time, left out
    model_day = pd.to_datetime(df["modeldate"], format="%m/%d/%Y")
    live = (when.dt.tz_localize(None).dt.normalize() - model_day).dt.days.between(0, 1)
    df, when = df[live], when[live]
    p = pd.to_numeric(df["ecwin_inc"])
    out = pd.DataFrame({"source": "fivethirtyeight", "cycle": 2020, "time_utc": _utc(when),
                        "p_rep": p.to_numpy("float64"), "p_rep_raw": p.to_numpy("float64")})
    return out.sort_values("time_utc")


def read_election_odds(raw: Path) -> pd.DataFrame:
    """All embeddable election-odds quotes, sorted by source and time.

    Normalisation (``p_rep``): Polymarket = Trump's Yes price / the sum of all candidates' prices
    in the row (the row sums are 0.97-1.03 outside the first weeks); PredictIt = the R contract's
    close / the sum of the D, R, L, G closes that hour (they sum to about 1.06: the market's
    overround); oddschecker = Trump / (Trump + Clinton) of the bookmaker-implied probabilities
    (removes the bookmakers' margin, T + C about 104-105%); FiveThirtyEight = the model's Trump
    electoral-college win probability as published. ``p_rep_raw`` keeps the printed value.
    """
    frames = [_polymarket(raw), _predictit(raw), _oddschecker(raw), _fivethirtyeight(raw)]
    out = pd.concat(frames, ignore_index=True)
    if ((out["p_rep"] <= 0) | (out["p_rep"] >= 1)).any():
        raise InputError("election odds: a normalised probability outside (0, 1)")
    for src, g in out.groupby("source", sort=False):
        if g["time_utc"].duplicated().any():
            raise InputError(f"election odds: duplicate quote times in {src}")
    out["source"] = out["source"].astype("category")
    out["cycle"] = out["cycle"].astype("int16")
    return out.reset_index(drop=True)


# -- CPI consensus -------------------------------------------------------------------------------
FF_FILE = "cpi_consensus/us_cpi_consensus_2007_2026.csv"
INV_FILE = "fresh_2026/cpi_consensus_investing_owxiang/us_cpi_rows_investing_2023_2026.csv"
_FF_EVENTS = {"CPI m/m": "headline", "Core CPI m/m": "core"}
_INV_EVENTS = {"CPI (MoM)": "headline", "Core CPI (MoM)": "core"}
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                       "Nov", "Dec"), start=1)}


def _pct(col: pd.Series) -> pd.Series:
    return pd.to_numeric(col.astype(str).str.strip().str.rstrip("%").replace({"": np.nan, "nan": np.nan}),
                         errors="raise")


def _forexfactory(raw: Path) -> pd.DataFrame:
    df = pd.read_csv(_need(raw / FF_FILE), dtype=str, keep_default_na=False)
    df = df[df["event"].isin(_FF_EVENTS)]
    return pd.DataFrame({"release_date": pd.to_datetime(df["release_date_et"], format="%Y-%m-%d"),
                         "event": df["event"].map(_FF_EVENTS), "actual": _pct(df["actual"]),
                         "consensus": _pct(df["forecast"]), "source": "ForexFactory", "ref_label": ""})


def _investing(raw: Path) -> pd.DataFrame:
    df = pd.read_csv(_need(raw / INV_FILE), dtype=str, keep_default_na=False)
    m = df["event"].str.extract(r"^(.*) \((\w{3})\)$")
    df = df.assign(kind=m[0], mon=m[1])
    df = df[df["kind"].isin(_INV_EVENTS)]
    return pd.DataFrame({"release_date": pd.to_datetime(df["release_date"], format="%Y-%m-%d"),
                         "event": df["kind"].map(_INV_EVENTS), "actual": _pct(df["actual"]),
                         "consensus": _pct(df["forecast"]), "source": "investing.com", "ref_label": df["mon"]})


def read_cpi_consensus(raw: Path, release_days: pd.Series) -> tuple[pd.DataFrame, list[str]]:
    """Actual and consensus m/m per release and event, and the checks made.

    ``release_days`` maps reference month -> release day (the BLS calendar, 2026 included); each
    consensus row gets its reference month from it (a release day not in the calendar is an error).
    ForexFactory rows come first; investing.com rows fill the releases ForexFactory lacks
    (2026-01-13 onward: its rows there are blank); on common rows the two must agree exactly.
    Rows without both an actual and a consensus are dropped (the AR(1) surprise covers them).
    """
    ff, inv = _forexfactory(raw), _investing(raw)
    by_day = pd.Series(release_days.index, index=pd.DatetimeIndex(release_days.to_numpy()))
    checks = []
    key = ["release_date", "event"]
    both = ff.merge(inv, on=key, suffixes=("_ff", "_inv"))
    for col in ("actual", "consensus"):
        ok = both[f"{col}_ff"].notna() & both[f"{col}_inv"].notna()
        bad = both[ok & (both[f"{col}_ff"] != both[f"{col}_inv"])]
        if len(bad):
            raise InputError(f"CPI consensus: ForexFactory and investing.com disagree on {col} for "
                             f"{bad.iloc[0]['release_date']:%Y-%m-%d} {bad.iloc[0]['event']}")
        checks.append(f"CPI consensus: ForexFactory vs investing.com {col}: identical on {int(ok.sum())} common rows")
    ff_ok = ff.dropna(subset=["actual", "consensus"])
    have = set(zip(ff_ok["release_date"], ff_ok["event"], strict=True))
    extra = inv[[(d, e) not in have for d, e in zip(inv["release_date"], inv["event"], strict=True)]]
    out = pd.concat([ff_ok, extra.dropna(subset=["actual", "consensus"])], ignore_index=True)
    cal_days = pd.DatetimeIndex(by_day.index)
    pos = np.clip(cal_days.searchsorted(out["release_date"]), 1, len(cal_days) - 1)
    near = np.where((cal_days[pos] - pd.DatetimeIndex(out["release_date"])).days.to_numpy()
                    <= (pd.DatetimeIndex(out["release_date"]) - cal_days[pos - 1]).days.to_numpy(), pos, pos - 1)
    gap = np.abs((cal_days[near] - pd.DatetimeIndex(out["release_date"])).days.to_numpy())
    if (gap > 3).any():
        d = out["release_date"].iloc[int(np.flatnonzero(gap > 3)[0])]
        raise InputError(f"CPI consensus: release day {d:%Y-%m-%d} is not within 3 days of a CPI release calendar day")
    off = sorted({(f"{a:%Y-%m-%d}", f"{b:%Y-%m-%d}") for a, b, g in
                  zip(out["release_date"], cal_days[near], gap, strict=True) if g})
    checks.append(f"CPI consensus: {len(off)} release day(s) differ from the transcribed calendar by 1-3 days "
                  "(the consensus calendar's day is used for those prints): "
                  + ", ".join(f"{a} (calendar {b})" for a, b in off))
    out["ref_month"] = by_day.iloc[near].to_numpy("datetime64[ns]")
    lab = out["ref_label"] != ""
    wrong = out[lab & (out["ref_month"].dt.month != out["ref_label"].map(_MONTHS))]
    if len(wrong):
        raise InputError(f"CPI consensus: investing.com reference month disagrees with the calendar on "
                         f"{wrong.iloc[0]['release_date']:%Y-%m-%d}")
    checks.append(f"CPI consensus: {int(lab.sum())} investing.com rows name the same reference month as the "
                  "BLS calendar")
    out = out.drop(columns="ref_label").sort_values(["release_date", "event"]).reset_index(drop=True)
    if out.duplicated(["ref_month", "event"]).any():
        raise InputError("CPI consensus: two rows for one reference month and event")
    row = out[(out["release_date"] == "2024-07-11")].set_index("event")
    checks.append("CPI consensus 2024-07-11 (June 2024): headline {:+.1f} vs {:+.1f}, core {:+.1f} vs {:+.1f}".format(
        row.loc["headline", "actual"], row.loc["headline", "consensus"], row.loc["core", "actual"],
        row.loc["core", "consensus"]))
    out["event"] = out["event"].astype("category")
    out["source"] = out["source"].astype("category")
    return out, checks


# -- 2026 calendars and the futures proxy -----------------------------------------------------------
CAL26_CPI = "fresh_2026/cpi_release_dates_2026/cpi_release_dates.csv"
CAL26_FOMC = "fresh_2026/fomc_calendar_2026/fomc_2026_meetings.csv"
ZQ_DIR = "fresh_2026/heliar_market_base/zq_daily"


def read_calendar_2026(raw: Path, cpi_old: pd.Series, fomc_old: pd.DatetimeIndex
                       ) -> tuple[pd.Series, pd.DatetimeIndex, list[str]]:
    """The CPI calendar and FOMC days extended with the 2026 listings (overlaps must be identical)."""
    new = pd.read_csv(_need(raw / CAL26_CPI), dtype=str)
    ref = pd.to_datetime(new["reference_month"], format="%Y-%m")
    rel = pd.Series(pd.to_datetime(new["release_date"], format="%Y-%m-%d").to_numpy(), index=ref)
    common = rel.index.intersection(cpi_old.index)
    if (rel[common] != cpi_old[common]).any():
        raise InputError(f"{CAL26_CPI} disagrees with calendars/cpi_release_dates.csv on a common month")
    cpi = pd.concat([cpi_old, rel[rel.index > cpi_old.index.max()]]).sort_index()
    fomc_new = pd.DatetimeIndex(pd.to_datetime(pd.read_csv(_need(raw / CAL26_FOMC), dtype=str)["decision_date"]))
    fomc = fomc_old.union(fomc_new[fomc_new > fomc_old.max()])
    checks = [f"CPI calendar 2026 listing: {len(common)} common reference months identical; adds "
              f"{len(cpi) - len(cpi_old)} releases to {cpi.iloc[-1]:%Y-%m-%d}",
              f"FOMC 2026: {len(fomc) - len(fomc_old)} decision days "
              + ", ".join(f"{d:%m-%d}" for d in fomc[fomc > fomc_old.max()])]
    return cpi, fomc, checks


def _zq(raw: Path, month: pd.Timestamp) -> pd.Series | None:
    path = raw / ZQ_DIR / f"ZQ_{month:%Y%m}.csv"
    if not path.is_file():
        return None
    df = pd.read_csv(path)
    return pd.Series(100.0 - df["close"].to_numpy("float64"), index=pd.DatetimeIndex(pd.to_datetime(df["date"])))


def read_fomc_proxy(raw: Path, days: pd.DatetimeIndex, after: pd.Timestamp) -> tuple[pd.DataFrame, list[str]]:
    """One-day ZQ proxy surprises for the FOMC ``days`` after ``after`` (the 30-minute file's end).

    For an announcement on day d: ``near`` = the one-day change (d's close minus the previous
    session's close) of the implied rate ``100 - price`` of the first contract month AFTER d's month
    that the data hold (the meeting month's own contract is not in the data for Jan-Jun 2026, and
    its Kuttner scaling is unstable late in a month); ``far`` = the same change of the furthest
    contract held (2027-03). They stand in for MP1 and ED4 and are labelled a proxy everywhere.
    Returns rows ``date, near_contract, near, far_contract, far`` for the days the data cover.
    """
    rows, checks = [], []
    months = sorted(p.name.removeprefix("ZQ_").removesuffix(".csv") for p in (raw / ZQ_DIR).glob("ZQ_*.csv"))
    if not months:
        raise InputError(f"{raw / ZQ_DIR}: no ZQ_YYYYMM.csv files")
    far_m = pd.Timestamp(months[-1] + "01")
    far = _zq(raw, far_m)
    for d in days[days > after]:
        near_m = next((pd.Timestamp(m + "01") for m in months if pd.Timestamp(m + "01") > d), None)
        near = _zq(raw, near_m) if near_m is not None else None
        if near is None or d not in near.index or d not in far.index:
            continue
        pn, pf = near.index.get_loc(d), far.index.get_loc(d)
        if pn == 0 or pf == 0 or (d - near.index[pn - 1]).days > 4:
            continue
        rows.append({"date": d, "near_contract": f"{near_m:%Y-%m}", "near": float(near.iloc[pn] - near.iloc[pn - 1]),
                     "far_contract": f"{far_m:%Y-%m}", "far": float(far.iloc[pf] - far.iloc[pf - 1])})
    out = pd.DataFrame(rows)
    if len(out):
        checks.append("FOMC 2026 futures proxy (1-day ZQ change, pp): " + "; ".join(
            f"{r.date:%m-%d} near {r.near_contract} {r.near:+.3f}, far {r.far:+.3f}" for r in out.itertuples()))
    return out, checks


def overlap_checks(raw: Path, odds: pd.DataFrame) -> list[str]:
    """Cross-checks of the election-odds quotes against the files not embedded (printable).

    The Polymarket daily snapshot (00:00 UTC) against the Polymarket hourly export and Kalshi's
    hourly "Trump wins" closes at the same hour (Aug-Nov / Oct-Nov 2024).
    """
    poly = odds[odds["source"] == "polymarket"].set_index("time_utc")["p_rep_raw"]
    hourly = pd.read_csv(_need(raw / "election_odds/polymarket_pres2024_hourly_aug_nov.csv"), dtype=str)
    h = pd.Series(pd.to_numeric(hourly["Donald Trump"]).to_numpy(),
                  index=pd.to_datetime(hourly["Date (UTC)"], format="%m-%d-%Y %H:%M")).dropna()
    common = poly.index.intersection(h.index)
    d_h = (poly[common] - h[common]).abs()
    kal = pd.read_csv(_need(raw / "election_odds/kalshi_PRES-2024-DJT_hourly.csv"))
    k = pd.Series(kal["price_close"].to_numpy("float64") / 100.0, index=pd.to_datetime(kal["timestamp"]))
    ck = poly.index.intersection(k.index)
    corr = float(np.corrcoef(poly[ck].diff().dropna(), k[ck].diff().dropna())[0, 1]) if len(ck) > 3 else float("nan")
    return [f"election odds: Polymarket daily vs its hourly export at 00:00 UTC: {len(common)} common hours, "
            f"max |diff| {d_h.max():.4f}",
            f"election odds: Polymarket daily vs Kalshi 'Trump wins' close at 00:00 UTC: {len(ck)} common days, "
            f"corr of daily changes {corr:.3f}"]
