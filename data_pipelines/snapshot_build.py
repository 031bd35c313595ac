"""Maintainer script: build the embedded snapshot from the raw files in ``../shared/data/raw``.

Run ``python -m macroattr.data_pipelines.snapshot_build --raw ../shared/data/raw`` (or ``make snapshot``).
Users never run this: the package ships its output in ``data_pipelines/snapshot/``:

``daily.parquet``
    long table ``date, series_id, value`` for the daily series (only dates with a value;
    blank / ``"."`` cells in the raw files mean "no observation" and are dropped).
``monthly.parquet``
    the same for monthly series, ``date`` = first day of the reference month (FRED's convention).
``provenance.csv``
    one row per series: id, title, units, frequency, source file / repository / commit,
    first and last date, rows, terms, notes, snapshot date.
``PROVENANCE.md``
    the same table for humans, plus the splice rules and caveats.

Only the series the default model needs are kept, from December 1987 (so that January 1988
returns and changes can be computed) except CPI, which starts in 1977 so the real-time CPI
forecast has a ten-year warm-up window. ICE BofA series (e.g. BAMLH0A0HYM2) are never included:
ICE's terms forbid redistribution.

Raw-file quirks handled here (see the raw ``PROVENANCE.md``): ``DFF.csv`` has a lower-case
``date,dff`` header; FRED CSVs mark missing days with blank cells; CPIAUCSL has a genuine blank
for 2025-10 (no October 2025 print); the alitalbi Yahoo files (``IWM.csv``, ``SPY.csv``) hold
dividend-ADJUSTED closes (total-return proxies) while ``^RUT``/``^GSPC`` are price indices;
BAA10Y is spliced from two identical FRED downloads (the second extends the first); the monthly
EPU index is the ``News_Based_Policy_Uncert_Index`` column of the workbook's
"Legacy Three Component EPU" sheet (= FRED USEPUINDXM).

Long module: a maintainer script, run once per snapshot, that reads every raw file kind;
users never import it.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from macroattr.core.errors import InputError
from macroattr.core.io import atomic_path

SNAPSHOT_DIR = Path(__file__).with_name("snapshot")
SNAPSHOT_DATE = "2026-12-01"  # the date the newest raw files were collected (raw PROVENANCE.md, second batch)
START = "1987-12-01"
CPI_START = "1977-01-01"
TABLES_DATE = "2026-12-01"  # calendars and policy surprises were added to the raw directory then

FRED_TERMS = "FRED Terms of Use (public-domain-style series; cite FRED, Federal Reserve Bank of St. Louis)"
YAHOO_TERMS = "Data via Yahoo Finance: personal / non-commercial use; index (c) its provider"
EPU_TERMS = (
    "Baker, Bloom & Davis, www.PolicyUncertainty.com: free use with attribution to the authors, "
    "the paper ('Measuring Economic Policy Uncertainty') and the website"
)
MOODYS = "; Moody's data reprinted on FRED with permission"


@dataclass(frozen=True)
class Segment:
    """A later download that extends (or, from ``since``, revises) a series.

    ``reader``: ``csv`` (first column = ISO date), ``fredmd``, ``epu_xlsx``. The overlap with the
    series so far must agree within ``tol`` (absolute) or ``rel_tol`` (relative) on every common
    date before ``since``; from ``since`` on the segment's values win (a newer vintage of the
    newest observations), else only its dates after the series' end are appended.
    """

    file: str
    repo: str
    commit: str
    column: str
    reader: str = "csv"
    tol: float = 1e-9
    rel_tol: float | None = None
    since: str | None = None


@dataclass(frozen=True)
class RawSpec:
    """Where one snapshot series comes from and what it is."""

    series_id: str
    title: str
    units: str
    freq: str  # "daily" | "monthly"
    file: str
    repo: str
    repo_path: str
    commit: str
    column: str
    terms: str
    start: str = START
    notes: str = ""
    extend_file: str | None = None  # a second download appended after the first one ends
    extend_repo: str | None = None
    until: str | None = None  # the first file's rows after this date are not used
    segments: tuple[Segment, ...] = ()


ANDREWS = "e7007544df682517c43270f1933cadd87803c1a2"
HELIAR = "ea74518ee9fe9db8136ddcf28a3fe96894aab061"
FREEGGIT = "068b0024f075407a8e46d915cbdf6aaafb05fe0f"
KITTY = "30892cf3bea1b83ab56a5cfb16e612a4ca80d154"
HULL = "523cdd7b951fda2738bbef749c265041cfba5f88"
DRROB = "005b3915a0af95392f0afce186c91535710e1e67"
def _andrews(column: str, file: str | None = None) -> Segment:
    """The 2026-07 FRED download of andrewsrh2006-droid/transformer-signal-tool (one CSV per
    series, named by its FRED id)."""
    return Segment(f"fresh_2026/fred_andrewsrh_2026-07/{file or column}.csv",
                   "andrewsrh2006-droid/transformer-signal-tool", ANDREWS, column)


def _heliar(file: str, column: str) -> Segment:
    """A column of a heliar-k/market-base FRED download (several series per CSV)."""
    return Segment(f"fresh_2026/heliar_market_base/{file}", "heliar-k/market-base", HELIAR, column)


def _moodys_monthly(series: str, title: str) -> RawSpec:
    """A Moody's monthly yield (AAA, BAA): open-datahub's FRED copy, extended by FRED-MD
    vintage 2025-02, then the 2026 downloads."""
    return RawSpec(
        series, title, "percent", "monthly", f"fred_monthly/{series}.csv",
        "open-datahub/interest_rate", f"{series}.csv", "7ad44b5b4331a572e73398e0fb8246a04bc37124",
        series, FRED_TERMS + MOODYS,
        notes=f"extended after 2023-11 with FRED-MD vintage 2025-02 column {series} (identical on 779 common "
              "months; rishabhmandayam/inflation_ml data/current.csv @770edba6), then andrewsrh2006-droid/"
              "transformer-signal-tool @e7007544 (to 2026-06) and heliar-k/market-base fred/credit/credit.csv "
              "@ea74518e (to 2026-07), identical on common months",
        extend_file="fredmd/fredmd_vintage_2025-02.csv", extend_repo="rishabhmandayam/inflation_ml",
        segments=(_andrews(series), _heliar("fred__credit__credit.csv", series)))


#: the total-return splice: adjusted closes where a cross-checked copy exists, raw closes where no
#: distribution falls (IWM and SPY go ex-dividend in March, June, September and December only)
TR_HULL_FROM = "2024-06-27"
TR_RAW_FROM = "2026-07-03"
TR_NOTES = ("total-return index chain-linked from daily returns: alitalbi dividend-adjusted closes to 2024-06-26; "
            "8wy88kzpj9-pixel/hull-price-pipeline adjusted closes @523cdd7b 2024-06-27..2026-07-02 (dividend steps "
            "on the true ex-dates, e.g. IWM 2025-09-16; the alitalbi copy misplaces them in Sep-Nov 2025); "
            "kittycapital/etf-seasonality RAW closes @30892cf3 2026-07-03..2026-08-21 (no ex-dividend day falls "
            "there: the DrRobAnthony/market-data adjusted excerpt @005b3915 has raw-close returns on its common "
            "days). Levels are those of alitalbi to 2024-06-26 and chain-linked after; returns are what count")


def TR_SEGMENTS(ticker: str) -> tuple[Segment, ...]:  # noqa: N802 - a table, read like a constant
    """The sources of the IWM / SPY total-return splice (see :func:`_total_return`)."""
    return (Segment(f"fresh_2026/etf_adj_hullpipeline/{ticker}.csv", "8wy88kzpj9-pixel/hull-price-pipeline", HULL,
                    "Close", reader="hull", since=TR_HULL_FROM),
            Segment(f"fresh_2026/etf_raw_kittycapital/{ticker}.csv", "kittycapital/etf-seasonality", KITTY, "Close",
                    reader="raw_close", since=TR_RAW_FROM))


SPECS: tuple[RawSpec, ...] = (
    RawSpec("^RUT", "Russell 2000 price index (close)", "index level", "daily",
            "equity_yahoo/RUT.csv", "alitalbi/storage_data_fy", "^RUT.csv",
            "941406838f8b8a613f95450e8df70f806c1de58a", "Close", YAHOO_TERMS,
            notes="price index, no dividends; used for the target before IWM/SPY exist; to 2026-02-20 from "
                  "alitalbi (its 2026-02-23 row is intraday), then heliar-k/market-base indices/RUT.csv close "
                  "@ea74518e (within 0.05% of Yahoo's ^RUT on 2,400+ common days)",
            until="2026-02-20",
            segments=(Segment("fresh_2026/heliar_market_base/indices__RUT.csv", "heliar-k/market-base", HELIAR,
                              "close", rel_tol=6e-4),)),
    RawSpec("^GSPC", "S&P 500 price index (close)", "index level", "daily",
            "equity_yahoo/GSPC_1927_2023.csv", "fja05680/stock_market_calendar", "^GSPC.csv",
            "7041e86bf1f3a18c7b0a24a2fbb27031dc1388c5", "Close", YAHOO_TERMS,
            notes="price index, no dividends; fja05680 file to 2023-12-28, then heliar-k/market-base "
                  "indices/SPX.csv close @ea74518e (identical within 0.001 on 1,889 common days)",
            segments=(Segment("fresh_2026/heliar_market_base/indices__SPX.csv", "heliar-k/market-base", HELIAR,
                              "close", tol=1e-3),)),
    RawSpec("IWM", "iShares Russell 2000 ETF, total-return index (dividend-adjusted closes, chain-linked)",
            "USD (adjusted)", "daily", "equity_yahoo/IWM.csv", "alitalbi/storage_data_fy", "IWM.csv",
            "941406838f8b8a613f95450e8df70f806c1de58a", "Close", YAHOO_TERMS, notes=TR_NOTES,
            segments=TR_SEGMENTS("IWM")),
    RawSpec("SPY", "SPDR S&P 500 ETF, total-return index (dividend-adjusted closes, chain-linked)",
            "USD (adjusted)", "daily", "equity_yahoo/SPY.csv", "alitalbi/storage_data_fy", "SPY.csv",
            "941406838f8b8a613f95450e8df70f806c1de58a", "Close", YAHOO_TERMS, notes=TR_NOTES,
            segments=TR_SEGMENTS("SPY")),
    RawSpec("DGS2", "2-year Treasury constant-maturity yield", "percent", "daily",
            "fred_rates/DGS2.csv", "SahilB21/yieldcurvepca", "DGS2.csv",
            "c066afa28bdd0b3977f55bf9f3d572562484c00f", "DGS2", FRED_TERMS),
    RawSpec("DGS6MO", "6-month Treasury constant-maturity yield", "percent", "daily",
            "fred_rates/DGS6MO.csv", "SahilB21/yieldcurvepca", "DGS6MO.csv",
            "c066afa28bdd0b3977f55bf9f3d572562484c00f", "DGS6MO", FRED_TERMS),
    RawSpec("DGS3MO", "3-month Treasury constant-maturity yield", "percent", "daily",
            "fred_rates/DGS3MO.csv", "SahilB21/yieldcurvepca", "DGS3MO.csv",
            "c066afa28bdd0b3977f55bf9f3d572562484c00f", "DGS3MO", FRED_TERMS,
            notes="with DGS6MO, the opt-in yield-based policy path DGS6MO - DGS3MO"),
    RawSpec("DFF", "Effective federal funds rate (daily, 7-day)", "percent", "daily",
            "fred_rates/DFF.csv", "bellingxu/timing_spx", "DFF.csv",
            "9de6aac6a167a64b54793c0328c8f94f332b9a8c", "dff", FRED_TERMS,
            notes="lower-case header in the raw file; starts 1994-01-01"),
    RawSpec("T5YIE", "5-year breakeven inflation rate", "percent", "daily",
            "breakeven/T5YIE.csv", "nastarankh99/yield-curve-forecasting", "T5YIE.csv",
            "f79b7351de389a0d40d5df309cce0c93dc69c12d", "T5YIE", FRED_TERMS, start="2003-01-01",
            notes="extended with the FRED downloads of andrewsrh2006-droid/transformer-signal-tool data/raw/T5YIE.csv "
                  "@e7007544 (to 2026-07-10) and heliar-k/market-base fred/inflation/inflation.csv @ea74518e (to "
                  "2026-08-21); identical on every common day",
            segments=(_andrews("T5YIE"),
                      _heliar("fred__inflation__inflation.csv", "T5YIE"))),
    RawSpec("BAA10Y", "Moody's Baa corporate yield minus 10-year Treasury (daily)", "percent", "daily",
            "credit/BAA10Y.csv", "SPNE/HV-Case-Study", "BAA10Y.csv",
            "095e83eab9d44af83fb205c36c78596ee91d857b", "BAA10Y", FRED_TERMS + MOODYS,
            notes="extended after 2025-03-31 with a second identical FRED download "
                  "(Noptus/arma_garch_credit_spread BAA10Y.csv @550e5891), then andrewsrh2006-droid/"
                  "transformer-signal-tool @e7007544 (to 2026-07-09), heliar-k/market-base fred/credit/credit.csv "
                  "@ea74518e (to 2026-08-20) and freeggit/pruefstand-daten data/fred/BAA10Y.csv @068b0024 (a "
                  "length-checked tail excerpt, to 2026-09-30); identical on every common day",
            extend_file="credit/BAA10Y_2010_2025.csv", extend_repo="Noptus/arma_garch_credit_spread",
            segments=(_andrews("BAA10Y"),
                      _heliar("fred__credit__credit.csv", "BAA10Y"),
                      Segment("fresh_2026/fred_freeggit_excerpts/BAA10Y_excerpt_2026-07-06_2026-09-30.csv",
                              "freeggit/pruefstand-daten", FREEGGIT, "BAA10Y"))),
    RawSpec("USEPUINDXD", "Economic policy uncertainty index, daily news-based", "index", "daily",
            "epu/USEPUINDXD.csv", "GothamAnalytics-7/ASTP", "data/USEPUINDXD.csv",
            "49931cb18bd88b54eb5c9d59484ec00af3d5d5bb", "USEPUINDXD", EPU_TERMS,
            notes="the newest vintage wins where downloads differ (the newest month of daily EPU is revised at "
                  "every download): GothamAnalytics to 2025-02-10; angelicavanti-ux/Geop-Model "
                  "data/raw/USEPUINDXD.csv @29672f88 (verified rebuild) 2025-02-11..2026-07-01 (identical to "
                  "Gotham on 2,963 earlier common days); freeggit/pruefstand-daten @068b0024 (length-checked "
                  "excerpt) 2026-07-02..2026-09-30 (identical to angelicavanti 2026-06-01..07-01); the last "
                  "~month is itself an early vintage",
            segments=(Segment("fresh_2026/epu_daily_angelicavanti/USEPUINDXD_2017_2026-07-27_commit29672f88.csv",
                              "angelicavanti-ux/Geop-Model", "29672f88908b39df9005d3dcb338e32a1b641fc1", "USEPUINDXD",
                              since="2025-02-11"),
                      Segment("fresh_2026/epu_daily_freeggit_excerpt/USEPUINDXD_excerpt_2026-06-01_2026-09-30.csv",
                              "freeggit/pruefstand-daten", FREEGGIT, "USEPUINDXD", since="2026-07-02"))),
    RawSpec("FEDFUNDS", "Effective federal funds rate, monthly average", "percent", "monthly",
            "fred_monthly/FEDFUNDS.csv",
            "bhoomi-panchal-analytics/Regime-Aware-Tail-Risk-Constrained-Portfolio-System",
            "FEDFUNDS.csv", "f0e5c83edc4f8cf5c79db704babd474c60dab20d", "FEDFUNDS", FRED_TERMS,
            notes="used for the policy path before DFF starts (1994)"),
    RawSpec("CPIAUCSL", "CPI for all urban consumers, all items, seasonally adjusted",
            "index 1982-84=100", "monthly", "fred_monthly/CPIAUCSL.csv",
            "bhoomi-panchal-analytics/Regime-Aware-Tail-Risk-Constrained-Portfolio-System",
            "CPIAUCSL.csv", "f0e5c83edc4f8cf5c79db704babd474c60dab20d", "CPIAUCSL", FRED_TERMS,
            start=CPI_START,
            notes="2025-10 genuinely blank (no October 2025 print); single download vintage "
                  "(latest seasonal factors), not first releases; extended to 2026-07 with column CPI of "
                  "heliar-k/market-base fred/inflation/inflation.csv @ea74518e (identical on 948 common months)",
            segments=(_heliar("fred__inflation__inflation.csv", "CPI"),)),
    RawSpec("CPILFESL", "CPI for all urban consumers less food and energy (core), seasonally adjusted",
            "index 1982-84=100", "monthly", "fred_monthly/CPILFESL.csv",
            "bhoomi-panchal-analytics/Regime-Aware-Tail-Risk-Constrained-Portfolio-System",
            "CPILFESL.csv", "f0e5c83edc4f8cf5c79db704babd474c60dab20d", "CPILFESL", FRED_TERMS,
            start=CPI_START,
            notes="for the AR(1) fallback of the core CPI surprise; 2025-10 blank; extended to 2026-07 with column "
                  "CORE_CPI of heliar-k/market-base fred/inflation/inflation.csv @ea74518e (identical on common months)",
            segments=(_heliar("fred__inflation__inflation.csv", "CORE_CPI"),)),
    RawSpec("BAA10YM", "Moody's Baa corporate yield minus 10-year Treasury (monthly average)",
            "percent", "monthly", "fred_monthly/BAA10YM.csv", "open-datahub/interest_rate",
            "BAA10YM.csv", "7ad44b5b4331a572e73398e0fb8246a04bc37124", "BAA10YM",
            FRED_TERMS + MOODYS, notes="used for the credit spread before BAA10Y daily starts (1994-10); extended "
                                       "to 2026-06 with andrewsrh2006-droid/transformer-signal-tool @e7007544 "
                                       "(identical on 848 common months)",
            segments=(_andrews("BAA10YM"),)),
    _moodys_monthly("AAA", "Moody's seasoned Aaa corporate bond yield (monthly average)"),
    _moodys_monthly("BAA", "Moody's seasoned Baa corporate bond yield (monthly average)"),
    RawSpec("USEPUINDXM", "Economic policy uncertainty index, monthly news-based", "index", "monthly",
            "epu/US_Policy_Uncertainty_Data.xlsx", "janvoss/Wirtschaftspolitik",
            "US_Policy_Uncertainty_Data.xlsx", "09128709b089048d36f981084bffe7f62eada1ab",
            "News_Based_Policy_Uncert_Index", EPU_TERMS,
            notes="sheet 'Legacy Three Component EPU', column News_Based_Policy_Uncert_Index (= FRED USEPUINDXM); "
                  "from 2025-08 the newer workbook of bosetridib/NonParametric_IRF_kNN @2e24fa70 (to 2026-01; "
                  "identical on 1,507 earlier months, 2025-08/09 revised)",
            segments=(Segment("fresh_2026/epu_monthly_bosetridib/US_Policy_Uncertainty_Data.xlsx",
                              "bosetridib/NonParametric_IRF_kNN", "2e24fa7057b4f91354c4ea958955dc85ccdf1e42",
                              "News_Based_Policy_Uncert_Index", reader="epu_xlsx", tol=1e-4, since="2025-08-01"),)),
)


CALENDAR_TERMS = "public schedule facts (BLS / Federal Reserve); transcribed listing, cite the publisher"
SURPRISE_TERMS = (
    "research data compiled from published high-frequency surprises: cite Kuttner (2001), "
    "Gurkaynak, Sack & Swanson (2005) and Bauer & Swanson (2023); values only, file not re-published"
)
SURPRISE_COLUMNS = ("MP1", "FF1", "FF4", "ED1", "ED2", "ED3", "ED4", "UST3M", "UST2Y")


@dataclass(frozen=True)
class TableSpec:
    """A non-series snapshot table (a calendar or the policy surprises) and where it comes from."""

    table: str
    title: str
    units: str
    file: str
    repo: str
    repo_path: str
    commit: str
    terms: str
    notes: str = ""


TABLE_SPECS: tuple[TableSpec, ...] = (
    TableSpec("cpi_release", "BLS CPI release day per reference month (08:30 ET)", "date",
              "calendars/cpi_release_dates.csv", "(transcribed BLS schedule)", "calendars/cpi_release_dates.csv",
              "", CALENDAR_TERMS,
              "2003-12..2025-11 from the transcribed listing (2007-02 and 2007-07 corrected to 2007-03-16 and "
              "2007-08-15, the days the contemporaneous ForexFactory calendar records the prints), 2025-12..2026-11 from shmoney2/kalshi-cpi-prereg "
              "cpi_release_dates.csv @fd9e61c4 (identical on 53 common months; 2026-09..12 schedule only); "
              "shutdown delays kept (Sep 2013 CPI 2013-10-30; Sep 2025 CPI 2025-10-24); no October 2025 "
              "print; before 2004 the package uses an approximate rule"),
    TableSpec("fomc", "FOMC policy statement days (scheduled / unscheduled)", "date",
              "calendars/fomc_announcements.csv", "(transcribed Federal Reserve schedule)",
              "calendars/fomc_announcements.csv", "", CALENDAR_TERMS,
              "2004-01-28..2025-12-10, every day cross-checked against the announcement days of the policy "
              "surprise file; plus the 2026 decision days (01-28, 03-18, 04-29, 06-17, 07-29 held; 09-16, 10-28, "
              "12-09 scheduled) from vtasca/fed-statement-scraping release_calendar.txt @1091d731 and the Fed "
              "statements in heliar-k/market-base"),
    TableSpec("policy_surprises", "FOMC high-frequency (30-minute window) policy surprises", "pp",
              "policy_surprises/fomc_hf_surprises_mp1.csv", "paulbousquet/data", "mpsur/mp1.csv",
              "9b34b451e35e8b6903f4ec31784c92c619832c1c", SURPRISE_TERMS,
              "one row per month with an FOMC decision: main announcement day (mainstr), all announcement "
              "days (liststr), MP1 (Kuttner-scaled current-month fed funds futures), FF1, FF4 (fed funds "
              "futures 1 and 4), ED1-ED4 (eurodollar/SOFR futures 1-4), UST3M, UST2Y (Treasury yields); all pp "
              "changes in the announcement window; blank = not in the file; plus the 2026 announcements "
              "(window = '1-day ZQ proxy ...'): one-day changes of 100 - price of the daily fed funds futures "
              "closes in heliar-k/market-base data/commodities/ZQ @ea74518e, the first contract month after the "
              "meeting's month as MP1 and the furthest held (2027-03) as ED4 - a documented proxy, not a "
              "30-minute window"),
    TableSpec("election_odds", "Market-implied probability that the Republican candidate wins the presidency",
              "probability (0-1)", "election_odds/ (polymarket, predictit 2721, oddschecker, fivethirtyeight)",
              "ngu-khoi/prediction-market-visualization + k5cents/predelect + radekstepan/politics-2016 + "
              "fivethirtyeight/data (via ohawkins/DPiR-Final-Project)", "see the raw PROVENANCE.md", "",
              "publishers' market prices / model output (Polymarket, PredictIt, oddschecker, FiveThirtyEight); "
              "attribute the publisher; values only, the files are not re-published; redistribution rights of the "
              "compilations unclear. PredictIt 2016 party-control (research agreement) is NOT embedded",
              "one row per quote: source, cycle, time_utc, p_rep (normalised), p_rep_raw (as printed). Polymarket "
              "2024 daily 00:00 UTC snapshots (Trump / sum of all candidates); PredictIt 2020 hourly closes (R / "
              "sum of D, R, L, G); oddschecker 2016 daily (Trump / (Trump + Clinton): bookmaker margin removed; "
              "from 2015-06, the history before is sparse; a date-only value is read as the odds at that day's "
              "close); FiveThirtyEight 2020 real-time runs from the 2020-08-11 launch (back-filled runs left out)"),
    TableSpec("cpi_consensus", "US CPI m/m: actual as first printed and consensus, headline and core", "pp",
              "cpi_consensus/us_cpi_consensus_2007_2026.csv + fresh_2026/cpi_consensus_investing_owxiang/"
              "us_cpi_rows_investing_2023_2026.csv",
              "msanzsanz/PFM_EconomicNewsImpact + ehsanrs2/forexfactory-scraper + owxiang/forex-news",
              "see the raw PROVENANCE.md", "4ca4a1631da55f4120affe0953cd0518f9ea3087",
              "ForexFactory / investing.com calendar figures (their terms not stated); values only",
              "one row per release and event (headline, core): release_date (ET), ref_month (BLS calendar), "
              "actual, consensus, source; ForexFactory 2007-01..2026-01 (no 2019, no m/m for some 2020-21 "
              "releases), investing.com from 2026-01-13 to 2026-08-12 (identical to ForexFactory on every "
              "common row); no m/m for November 2025 (BLS published none)"),
)


def _read_csv_series(path: Path, column: str) -> pd.Series:
    """Read one value column of a raw CSV as a float Series on a DatetimeIndex (blanks dropped)."""
    if not path.is_file():
        raise InputError(f"raw file {path} not found; pass --raw pointing at ../shared/data/raw")
    df = pd.read_csv(path, na_values=["", "."], keep_default_na=False)
    date_col = df.columns[0]
    if column not in df.columns:
        raise InputError(f"raw file {path} has no column {column!r} (columns: {', '.join(df.columns)})")
    dates = pd.to_datetime(df[date_col], format="%Y-%m-%d")
    values = pd.to_numeric(df[column], errors="raise").astype("float64")
    s = pd.Series(values.to_numpy(), index=pd.DatetimeIndex(dates, name="date"), name=column)
    s = s.dropna()
    if s.index.has_duplicates or not s.index.is_monotonic_increasing:
        raise InputError(f"raw file {path}: dates are duplicated or unsorted")
    return s


def _read_fredmd_series(path: Path, column: str) -> pd.Series:
    """One column of a FRED-MD file (row 2 = transform codes, dates ``M/D/YYYY``), blanks dropped."""
    if not path.is_file():
        raise InputError(f"raw file {path} not found; pass --raw pointing at ../shared/data/raw")
    df = pd.read_csv(path, skiprows=[1])
    df = df[df["sasdate"].notna()]
    dates = pd.to_datetime(df["sasdate"], format="%m/%d/%Y")
    s = pd.Series(pd.to_numeric(df[column]).to_numpy("float64"), index=pd.DatetimeIndex(dates, name="date"),
                  name=column)
    return s.dropna()


def _read_epu_monthly(path: Path, column: str) -> pd.Series:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    ws = wb["Legacy Three Component EPU"]
    rows = ws.iter_rows(values_only=True)
    header = list(next(rows))
    j = header.index(column)
    dates, values = [], []
    for row in rows:
        year, month = row[0], row[1]
        if year is None or month is None or not str(year).strip().isdigit():
            continue  # the source/attribution footer
        dates.append(pd.Timestamp(int(year), int(month), 1))
        values.append(float(row[j]))
    wb.close()
    return pd.Series(values, index=pd.DatetimeIndex(dates, name="date"), name=column).sort_index()


def _read_hull(path: Path) -> pd.Series:
    """A yfinance multi-index CSV (``Price,Close`` / ``Ticker,X`` / ``Date,`` then ``date,close``)."""
    if not path.is_file():
        raise InputError(f"raw file {path} not found; pass --raw pointing at ../shared/data/raw")
    df = pd.read_csv(path, skiprows=3, header=None, names=["date", "close"])
    return pd.Series(df["close"].to_numpy("float64"),
                     index=pd.DatetimeIndex(pd.to_datetime(df["date"], format="%Y-%m-%d"), name="date")).dropna()


def _read_segment(seg: Segment, raw: Path) -> pd.Series:
    path = raw / seg.file
    if seg.reader == "fredmd":
        return _read_fredmd_series(path, seg.column)
    if seg.reader == "epu_xlsx":
        return _read_epu_monthly(path, seg.column)
    if seg.reader == "hull":
        return _read_hull(path)
    return _read_csv_series(path, seg.column)


def _total_return(spec: RawSpec, base: pd.Series, raw: Path) -> pd.Series:
    """Chain-link daily log returns: base adjusted closes, then each segment from its ``since``.

    Checks: the hull adjusted returns equal the raw-close returns except on days with a
    distribution step, and every such step falls in March, June, September or December; the raw
    closes carry no step after :data:`TR_RAW_FROM` (their returns equal the DrRobAnthony adjusted
    excerpt's on the common days).
    """
    hull = _read_segment(spec.segments[0], raw)
    rawc = _read_segment(spec.segments[1], raw)
    r_hull, r_raw = np.log(hull).diff().dropna(), np.log(rawc).diff().dropna()
    common = r_hull.index.intersection(r_raw.index)
    steps = (r_hull[common] - r_raw[common])
    steps = steps[steps.abs() > 1e-4]
    if not steps.index.month.isin([3, 6, 9, 12]).all():
        raise InputError(f"{spec.series_id}: a dividend step of the adjusted closes falls outside Mar/Jun/Sep/Dec "
                         f"({steps.index[~steps.index.month.isin([3, 6, 9, 12])][0]:%Y-%m-%d})")
    tail = f"fresh_2026/etf_adj_drrobanthony_excerpt/{spec.series_id}_excerpt_"
    exc = sorted(raw.glob(tail + "*.csv"))
    if exc:
        df = pd.read_csv(exc[0], header=None, names=["date", "open", "high", "low", "close", "volume"])
        adj = pd.Series(df["close"].to_numpy("float64"), index=pd.DatetimeIndex(pd.to_datetime(df["date"])))
        r_adj = np.log(adj).diff().dropna()
        c2 = r_adj.index.intersection(r_raw.index)
        if len(c2) and float((r_adj[c2] - r_raw[c2]).abs().max()) > 1e-5:
            raise InputError(f"{spec.series_id}: raw closes and the adjusted excerpt disagree after {TR_RAW_FROM}")
    r_base = np.log(base).diff()
    hull_from, raw_from = pd.Timestamp(TR_HULL_FROM), pd.Timestamp(TR_RAW_FROM)
    parts = [r_base[r_base.index < hull_from].iloc[1:],
             r_hull[(r_hull.index >= hull_from) & (r_hull.index < raw_from)],
             r_raw[r_raw.index >= raw_from]]
    r = pd.concat(parts)
    if r.index.has_duplicates or not r.index.is_monotonic_increasing:
        raise InputError(f"{spec.series_id}: the total-return splice has overlapping dates")
    gap_hull = r_base.index[(r_base.index >= hull_from)].intersection(r_hull.index)
    if len(gap_hull) == 0 or r_hull.index[0] > hull_from:
        raise InputError(f"{spec.series_id}: the hull adjusted closes do not start by {TR_HULL_FROM}")
    level = float(base.iloc[0]) * np.exp(r.cumsum())
    out = pd.concat([base.iloc[:1], level])
    out.index.name = "date"
    return out


def read_raw(spec: RawSpec, raw: Path) -> pd.Series:
    """Return the snapshot series for ``spec`` from the raw directory (already trimmed)."""
    path = raw / spec.file
    if spec.file.endswith(".xlsx"):
        s = _read_epu_monthly(path, spec.column)
    else:
        s = _read_csv_series(path, spec.column)
    if spec.until:
        s = s[s.index <= pd.Timestamp(spec.until)]
    if spec.extend_file:
        reader = _read_fredmd_series if spec.extend_file.startswith("fredmd/") else _read_csv_series
        ext = reader(raw / spec.extend_file, spec.column)
        common = s.index.intersection(ext.index)
        diff = float((s[common] - ext[common]).abs().max()) if len(common) else 0.0
        if diff > 1e-9:
            raise InputError(
                f"{spec.series_id}: {spec.file} and {spec.extend_file} disagree by {diff} on overlap"
            )
        s = pd.concat([s, ext[ext.index > s.index.max()]])
    if spec.series_id in ("IWM", "SPY"):
        s = _total_return(spec, s, raw)
    else:
        for seg in spec.segments:
            ext = _read_segment(seg, raw)
            since = pd.Timestamp(seg.since) if seg.since else None
            common = s.index.intersection(ext.index)
            if since is not None:
                common = common[common < since]
            if len(common):
                a, b = s[common], ext[common]
                bad = (a - b).abs() > seg.tol if seg.rel_tol is None else ((a / b) - 1).abs() > seg.rel_tol
                if bad.any():
                    d = common[bad.to_numpy()][0]
                    raise InputError(f"{spec.series_id}: {seg.file} disagrees with the series so far on {d:%Y-%m-%d} "
                                     f"({a[d]} vs {b[d]}; {int(bad.sum())} of {len(common)} common dates)")
            if since is not None:
                s = pd.concat([s[s.index < since], ext[ext.index >= since]])
            else:
                s = pd.concat([s, ext[ext.index > s.index.max()]])
    s = s[s.index >= pd.Timestamp(spec.start)]
    s.name = spec.series_id
    return s


def _mdy_or_iso(text: str) -> pd.Timestamp:
    text = text.strip()
    return pd.Timestamp(pd.to_datetime(text, format="%Y-%m-%d" if "-" in text else "%m/%d/%Y"))


def read_tables(raw: Path) -> dict[str, pd.DataFrame]:
    """The calendars and policy surprises from the raw directory, checked.

    Returns ``{"calendars": long table calendar, date, ref_month, kind; "policy_surprises": one row
    per announcement month: month, date (main day), days ("YYYY-MM-DD;..."), mp1, ff1, ff4, ed2, ed3, ed4}``.
    """
    cpi = pd.read_csv(raw / "calendars/cpi_release_dates.csv", dtype=str)
    ref = pd.to_datetime(cpi["reference_month"], format="%Y-%m")
    rel = pd.to_datetime(cpi["release_date"], format="%Y-%m-%d")
    if ref.duplicated().any() or (rel < ref + pd.offsets.MonthBegin(1)).any():
        raise InputError("calendars/cpi_release_dates.csv: duplicate month or a release inside its month")
    fomc = pd.read_csv(raw / "calendars/fomc_announcements.csv", dtype=str)
    fdate = pd.to_datetime(fomc["date"], format="%Y-%m-%d")
    if fdate.duplicated().any() or not set(fomc["kind"]) <= {"scheduled", "unscheduled"}:
        raise InputError("calendars/fomc_announcements.csv: duplicate day or unknown kind")
    from macroattr.data_pipelines import snapshot_tables as st

    cpi_all, fomc_all, checks = st.read_calendar_2026(raw, pd.Series(rel.to_numpy(), index=pd.DatetimeIndex(ref)),
                                                      pd.DatetimeIndex(fdate))
    kinds = pd.Series(fomc["kind"].to_numpy(), index=pd.DatetimeIndex(fdate)).reindex(fomc_all, fill_value="scheduled")
    cons, cchecks = st.read_cpi_consensus(raw, cpi_all)
    checks += cchecks
    # the contemporaneous consensus calendar records the print on its day; where the transcribed
    # listing is 1-3 days off (2007-03, 2007-08: years not double-checked there) the listing is corrected
    own = cons.drop_duplicates("ref_month").set_index("ref_month")["release_date"]
    off = own[own.index.isin(cpi_all.index)]
    off = off[off.to_numpy() != cpi_all[off.index].to_numpy()]
    cpi_all = cpi_all.copy()
    cpi_all[off.index] = off.to_numpy()
    if len(off):
        checks.append("CPI calendar corrected to the consensus calendar's release day for reference months "
                      + ", ".join(f"{m:%Y-%m} ({d:%Y-%m-%d})" for m, d in off.items()))
    cal = pd.concat([
        pd.DataFrame({"calendar": "cpi_release", "date": cpi_all.to_numpy(), "ref_month": cpi_all.index,
                      "kind": "release"}),
        pd.DataFrame({"calendar": "fomc", "date": fomc_all, "ref_month": pd.NaT, "kind": kinds.to_numpy()}),
    ], ignore_index=True)
    cal["date"] = cal["date"].astype("datetime64[ns]")
    cal["ref_month"] = cal["ref_month"].astype("datetime64[ns]")
    cal["calendar"] = cal["calendar"].astype("category")

    raw_s = pd.read_csv(raw / "policy_surprises/fomc_hf_surprises_mp1.csv", dtype=str, keep_default_na=False)
    raw_s = raw_s[raw_s["possible"].str.strip() == "1"]
    month = pd.to_datetime(raw_s["Date"], format="%m/%d/%Y")
    main = raw_s["mainstr"].map(_mdy_or_iso)
    days = raw_s["liststr"].map(lambda t: ";".join(f"{_mdy_or_iso(x):%Y-%m-%d}" for x in t.split(",") if x.strip()))
    sur = pd.DataFrame({"month": month.to_numpy("datetime64[ns]"), "date": main.to_numpy("datetime64[ns]"),
                        "days": days.to_numpy()})
    for col in SURPRISE_COLUMNS:
        sur[col.lower()] = pd.to_numeric(raw_s[col].replace("", np.nan)).to_numpy("float64")
    if ((sur["date"].dt.to_period("M") != sur["month"].dt.to_period("M"))).any():
        raise InputError("policy_surprises: a main announcement day falls outside its row's month")
    sur["window"] = "30-min"
    end = pd.Timestamp(sur["month"].max()) + pd.offsets.MonthEnd(0)
    proxy, pchecks = st.read_fomc_proxy(raw, pd.DatetimeIndex(fomc_all), end)
    checks += pchecks
    if len(proxy):
        extra = pd.DataFrame({"month": proxy["date"].dt.to_period("M").dt.start_time.to_numpy("datetime64[ns]"),
                              "date": proxy["date"].to_numpy("datetime64[ns]"),
                              "days": proxy["date"].dt.strftime("%Y-%m-%d").to_numpy()})
        for col in SURPRISE_COLUMNS:
            extra[col.lower()] = np.nan
        extra["mp1"] = proxy["near"].to_numpy("float64")
        extra["ed4"] = proxy["far"].to_numpy("float64")
        extra["window"] = [f"1-day ZQ proxy (near {a}, far {b})" for a, b in
                           zip(proxy["near_contract"], proxy["far_contract"], strict=True)]
        sur = pd.concat([sur, extra], ignore_index=True)
    odds = st.read_election_odds(raw)
    checks += st.overlap_checks(raw, odds)
    return {"calendars": cal, "policy_surprises": sur.reset_index(drop=True), "election_odds": odds,
            "cpi_consensus": cons, "checks": checks}


def table_checks(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Printable cross-checks of the calendars against the policy-surprise file."""
    cal, sur = tables["calendars"], tables["policy_surprises"]
    fomc = pd.DatetimeIndex(cal.loc[cal["calendar"] == "fomc", "date"])
    listed = pd.DatetimeIndex(pd.to_datetime(";".join(sur["days"]).split(";")))
    main = pd.DatetimeIndex(sur["date"])
    out = [f"FOMC calendar: {len(fomc)} days, {int(fomc.isin(listed).sum())} among the surprise file's "
           f"announcement days, {int(fomc.isin(main).sum())} its main days"]
    row = sur.loc[sur["date"] == pd.Timestamp("2024-09-18")]
    out.append(f"policy surprise 2024-09-18: MP1 {float(row['mp1'].iloc[0]):+.3f} pp, ED4 {float(row['ed4'].iloc[0]):+.3f} pp")
    cpi = cal[cal["calendar"] == "cpi_release"].set_index("ref_month")["date"]
    out.append(f"CPI calendar: {len(cpi)} releases {cpi.index.min():%Y-%m}..{cpi.index.max():%Y-%m}; "
               f"June 2024 CPI on {cpi[pd.Timestamp('2024-06-01')]:%Y-%m-%d}, September 2013 on "
               f"{cpi[pd.Timestamp('2013-09-01')]:%Y-%m-%d}")
    return out


def cross_checks(raw: Path, series: dict[str, pd.Series]) -> list[str]:
    """Compare snapshot series with independent downloads; return printable lines."""
    out = []

    def ret(s: pd.Series) -> pd.Series:
        return np.log(s).diff().dropna()

    for sid, f, col in (("^RUT", "equity_yahoo/xjcarter_RUT.csv", "Close"),
                        ("^GSPC", "equity_yahoo/xjcarter_GSPC.csv", "Close"),
                        ("IWM", "equity_yahoo/xjcarter_IWM.csv", "Adj Close"),
                        ("SPY", "equity_yahoo/xjcarter_SPY.csv", "Adj Close")):
        other = _read_csv_series(raw / f, col)
        a, b = ret(series[sid]), ret(other)
        common = a.index.intersection(b.index)
        d = (a[common] - b[common]).abs()
        out.append(f"{sid}: daily log returns vs {f}: {len(common)} common days, "
                   f"median |diff| {d.median():.2e}, 99th pct {d.quantile(0.99):.2e}")
    cpi2 = _read_csv_series(raw / "fred_monthly/CPIAUCSL_1985.csv", "CPIAUCSL")
    common = series["CPIAUCSL"].index.intersection(cpi2.index)
    out.append(f"CPIAUCSL vs CPIAUCSL_1985.csv: max |diff| "
               f"{(series['CPIAUCSL'][common] - cpi2[common]).abs().max():.3f} index points "
               f"on {len(common)} months (seasonal-factor vintages)")
    return out


def _long(series: list[pd.Series]) -> pd.DataFrame:
    frames = [pd.DataFrame({"date": s.index.astype("datetime64[ns]"), "series_id": s.name,
                            "value": s.to_numpy("float64")}) for s in series]
    df = pd.concat(frames, ignore_index=True)
    df["series_id"] = df["series_id"].astype("category")
    return df


def _provenance_rows(series: dict[str, pd.Series]) -> list[dict[str, str]]:
    rows = []
    for spec in SPECS:
        s = series[spec.series_id]
        src = " + ".join([spec.file] + ([spec.extend_file] if spec.extend_file else []) + [g.file for g in spec.segments])
        repos = [spec.repo] + ([spec.extend_repo] if spec.extend_repo else []) + [g.repo for g in spec.segments]
        repo = " + ".join(dict.fromkeys(repos))
        rows.append({
            "series_id": spec.series_id, "title": spec.title, "units": spec.units,
            "frequency": spec.freq, "source_file": src, "source_repo": repo,
            "source_path": spec.repo_path, "commit": spec.commit,
            "first": s.index.min().strftime("%Y-%m-%d"), "last": s.index.max().strftime("%Y-%m-%d"),
            "rows": str(len(s)), "terms": spec.terms, "notes": spec.notes,
            "snapshot_date": SNAPSHOT_DATE,
        })
    return rows


PROVENANCE_HEADER = """# Embedded snapshot — provenance

Built by `python -m macroattr.data_pipelines.snapshot_build --raw ../shared/data/raw` (`make snapshot`) from
raw files collected up to {snapshot_date} (byte-for-byte copies of files in the named public repositories at
the named commits, or length-checked row copies where `../shared/data/raw/fresh_2026/*/SOURCE.md` says so;
see `../shared/data/raw/PROVENANCE.md`). Only values are copied, no code or prose. Values are re-serialised unchanged into
`daily.parquet` / `monthly.parquet` (long format `date, series_id, value`; blank raw cells dropped).
`provenance.csv` holds this table in machine-readable form.

Not included: ICE BofA option-adjusted spreads (BAMLH0A0HYM2, BAMLC0A0CM) — ICE's terms forbid
redistribution; fetch them from FRED or supply them yourself.

## How the package uses these series
- **Target** `rel_return` = 100 × [log(1+r_small) − log(1+r_large)] in pp, month-end to month-end
  (last common trading day's close of each month) or close to close. IWM/SPY are total-return
  indices chain-linked from daily returns of cross-checked sources (see their notes: the older
  adjusted copy put the Sep–Nov 2025 dividend steps on the wrong days; the hull copy has them on the
  ex-dates, e.g. IWM 2025-09-16, and no step on 2025-11-17). Splice rule: a period uses the
  IWM/SPY total-return indices when both ETFs have closes at both endpoints of the period, else
  the ^RUT/^GSPC price indices (which omit dividends: before June 2000 the target is a price-return
  spread). Each panel records the source of every period as run-length spans (`target_sources`).
- **Policy surprises** (default rates factors `mp_target`, `mp_path`): the 30-minute futures
  surprises of `policy_surprises.parquet` on each FOMC announcement day (daily) or summed within the
  month (monthly), 0 elsewhere. The 2026 announcements (01-28 .. 07-29) use a ONE-DAY fed funds
  futures proxy (daily ZQ closes; `window` column of the table), flagged in the panel notes. The
  opt-in yield-based `d_policy_path` is the change in DGS6MO −
  DGS3MO (the former DGS6MO − DFF was mostly effective-funds-rate noise).
- **CPI release days**: the BLS calendar of `calendars.parquet` (2004–2026); outside it an
  approximate rule, flagged in the panel's notes.
- **CPI surprise** (default `cpi_surprise`, opt-in core `cpi_core_surprise`): actual (as first
  printed) minus consensus m/m from `cpi_consensus.parquet` (2007-01 .. 2026-08 releases); where no
  consensus is held (2019, some 2020–21 releases, before 2007, November 2025) the real-time AR(1)
  surprise of CPIAUCSL / CPILFESL, flagged per print in the panel notes.
- **Election odds** (default `d_rep_win_prob`, political): `election_odds.parquet`, aligned to the
  equity close by `macroattr.data_pipelines.election`.
- **Baa − Aaa** (opt-in `d_baa_aaa`, monthly): BAA − AAA monthly averages. The ICE BofA high-yield
  OAS (opt-in `d_hy_oas`) is read only from the user's FRED store.
- **Market control** (opt-in `mkt_return`, group "market (not macro)"): the S&P 500 leg of the target.
- **Credit spread**: BAA10Y month-end (daily) where it exists at both endpoints (from 1994-10),
  else the change in BAA10YM (monthly average).
- **EPU**: monthly panels use USEPUINDXM (the daily index is a one-day newspaper count, too noisy to
  sample at month end); daily panels use USEPUINDXD (to 2026-09-30; its newest month is an early vintage).
- **Not fresher than the raw files**: DGS2/DGS3MO/DGS6MO end 2026-04-17 and DFF 2026-03-26 (no newer
  copy in the raw directory), so a default panel with `d_2y` ends there unless `stale="drop"`.
- **CPI** starts in 1977 so the real-time forecast behind the CPI surprise has a ten-year window.

## Cross-checks at build time
{checks}

## Series
| series | title | units | freq | first | last | rows | source file | repository @ commit | terms | notes |
|---|---|---|---|---|---|---|---|---|---|---|
"""


TABLES_HEADER = """
## Tables (`calendars.parquet`, `policy_surprises.parquet`, `election_odds.parquet`, `cpi_consensus.parquet`, `tables.csv`)
Release and announcement DAYS are public facts; the policy surprises, election odds and CPI
consensus figures are values only (no file is re-published). PredictIt's 2016 party-control
market (research agreement) and the ICE BofA spreads are not embedded. Before 2004 (and after the calendar ends) CPI release days follow the
approximate rule of `macroattr.data_pipelines.releases` and panels say so in their notes.

| table | title | first | last | rows | source file | repository @ commit | terms | notes |
|---|---|---|---|---|---|---|---|---|
"""


def _write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    with atomic_path(path) as tmp:
        tmp.write_text(buf.getvalue(), encoding="utf-8")


def _table_rows(tables: dict[str, pd.DataFrame]) -> list[dict[str, str]]:
    cal, sur = tables["calendars"], tables["policy_surprises"]
    dates = {"cpi_release": cal.loc[cal["calendar"] == "cpi_release", "date"],
             "fomc": cal.loc[cal["calendar"] == "fomc", "date"], "policy_surprises": sur["date"],
             "election_odds": tables["election_odds"]["time_utc"],
             "cpi_consensus": tables["cpi_consensus"]["release_date"]}
    rows = []
    for spec in TABLE_SPECS:
        d = dates[spec.table]
        rows.append({"table": spec.table, "title": spec.title, "units": spec.units, "source_file": spec.file,
                     "source_repo": spec.repo, "source_path": spec.repo_path, "commit": spec.commit,
                     "first": f"{d.min():%Y-%m-%d}", "last": f"{d.max():%Y-%m-%d}", "rows": str(len(d)),
                     "terms": spec.terms, "notes": spec.notes, "snapshot_date": TABLES_DATE})
    return rows


def build(raw: Path, out: Path = SNAPSHOT_DIR) -> dict[str, pd.Series]:
    """Build the snapshot files from ``raw`` into ``out``; return the series written."""
    raw = Path(raw)
    if not (raw / "PROVENANCE.md").is_file():
        raise InputError(f"{raw} does not look like the raw data directory (no PROVENANCE.md); "
                         "pass --raw ../shared/data/raw")
    from macroattr.data_pipelines.catalog import check_embeddable

    for spec in SPECS:  # before reading anything: the catalog refuses ICE BofA series
        check_embeddable(spec.series_id)
    series = {spec.series_id: read_raw(spec, raw) for spec in SPECS}
    checks = cross_checks(raw, series)
    out.mkdir(parents=True, exist_ok=True)
    daily = _long([series[s.series_id] for s in SPECS if s.freq == "daily"])
    monthly = _long([series[s.series_id] for s in SPECS if s.freq == "monthly"])
    with atomic_path(out / "daily.parquet") as tmp:
        daily.to_parquet(tmp, index=False, compression="zstd")
    with atomic_path(out / "monthly.parquet") as tmp:
        monthly.to_parquet(tmp, index=False, compression="zstd")
    tables = read_tables(raw)
    checks += tables.pop("checks") + table_checks(tables)
    for name, df in tables.items():
        with atomic_path(out / f"{name}.parquet") as tmp:
            df.to_parquet(tmp, index=False, compression="zstd")
    rows = _provenance_rows(series)
    _write_csv(out / "provenance.csv", rows)
    trows = _table_rows(tables)
    _write_csv(out / "tables.csv", trows)
    md = PROVENANCE_HEADER.format(snapshot_date=SNAPSHOT_DATE,
                                  checks="\n".join(f"- {c}" for c in checks))
    for r in rows:
        md += (f"| {r['series_id']} | {r['title']} | {r['units']} | {r['frequency']} | {r['first']} | "
               f"{r['last']} | {r['rows']} | {r['source_file']} | {r['source_repo']} @ "
               f"{r['commit'][:10]} | {r['terms']} | {r['notes']} |\n")
    md += TABLES_HEADER
    for r in trows:
        at = f" @ {r['commit'][:10]}" if r["commit"] else ""
        md += (f"| {r['table']} | {r['title']} | {r['first']} | {r['last']} | {r['rows']} | {r['source_file']} | "
               f"{r['source_repo']}{at} | {r['terms']} | {r['notes']} |\n")
    with atomic_path(out / "PROVENANCE.md") as tmp:
        tmp.write_text(md, encoding="utf-8")
    for c in checks:
        print(c)
    return series


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point of the maintainer script."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--raw", default="../shared/data/raw", help="raw data directory")
    p.add_argument("--out", default=str(SNAPSHOT_DIR), help="snapshot directory to write")
    args = p.parse_args(argv)
    try:
        series = build(Path(args.raw), Path(args.out))
    except InputError as exc:
        print(f"snapshot_build: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(series)} series to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
