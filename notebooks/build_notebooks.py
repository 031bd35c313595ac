"""Maintainer script: write the economists' notebooks from the cell text below.

The notebooks are stored without outputs, with the ``python3`` kernelspec and one cell tagged
``parameters`` (papermill injects overrides after it; the test suite injects tiny draws).
Edit the text here, then regenerate::

    .venv/bin/python notebooks/build_notebooks.py          # rewrite notebooks/*.ipynb
    .venv/bin/python notebooks/build_notebooks.py --check  # exit 1 if a notebook is stale

Cell ids are derived from the notebook name and position, so regenerating an unchanged
notebook gives a byte-identical file.

Long module: it is a maintainer script holding the source cells of every shipped notebook;
users never import it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = """\
import macroattr.notebook

macroattr.notebook.setup()  # macroattr errors print as the CLI's one line, not a traceback"""


def md(text: str) -> tuple[str, str, list[str]]:
    return ("markdown", text.strip("\n"), [])


def code(text: str, *tags: str) -> tuple[str, str, list[str]]:
    return ("code", text.strip("\n"), list(tags))


def params(text: str) -> tuple[str, str, list[str]]:
    return code(text, "parameters")


SAMPLER_PARAMS = """\
# Parameters: papermill (or you) can override any of these.
METHOD = "nuts"   # "nuts": full posterior; "exact": instant conjugate preview (static, normal errors)
DRAWS = 1000      # draws per chain
TUNE = 1000       # tuning steps per chain (NUTS only)
CHAINS = 4
SEED = 20240701   # same seed, same draws"""


# --------------------------------------------------------------------------- 01 quickstart
QUICKSTART = [
    md("""
# Quickstart: what drove small caps against large caps last quarter?

The target is the **Russell 2000 minus S&P 500** relative return, in percentage points (pp) of
log return per month. The model splits it into an intercept (`alpha`), four macro groups
(`rates`, `inflation`, `leverage`, `political`) and a `residual`, draw by draw, so the
pieces add up exactly to what the market did. Everything here runs on the snapshot of data
shipped with the package: no network, no FRED key.
"""),
    params(SAMPLER_PARAMS + """
REPORT_DIR = "../reports/build"           # where render_report writes the HTML
FIT_PATH = "build/quickstart_fit.nc"      # the fit is saved here for the CLI"""),
    code(SETUP + """
from macroattr.data_pipelines import build_panel
from macroattr.models import ModelConfig, fit_model
from macroattr.reports import render_report"""),
    md("""
## The panel

One row per month: `rel_return` and the factors, on the span where all of them exist. The
table says which group each column belongs to, its unit and where each series starts.
"""),
    code("""
panel = build_panel(freq="M")
panel"""),
    code("""
panel.summary().round(3)"""),
    md("""
## A static monthly fit

`configs/static_monthly.toml` holds the model this notebook fits: static betas with partial
pooling inside a group, Student-t errors, weakly informative priors on the standardised scale.
(The product's default, `configs/default.toml` and `macroattr run`, is the daily state-space
model with time-varying betas and volatility: `ModelConfig.default()`; notebook 03 uses it.) Coefficients are
reported back in natural units (pp of relative return per 100 bp of yield, per pp of CPI
surprise, ...).
"""),
    code("""
config = ModelConfig.shipped("static_monthly").override(method=METHOD, draws=DRAWS, tune=TUNE, chains=CHAINS,
                                        seed=SEED)
fit = fit_model(panel, config)
fit"""),
    md("""
Read the convergence gate before any number: a failed gate means the draws cannot be trusted
yet (more tuning, more draws), and every table and report says so.
"""),
    code("""
print(fit.summary.gate())
fit.summary.coefficients().round(3)"""),
    md("""
## The latest quarter

A quarter's attribution is the sum of its three months, draw by draw. The snapshot may end
inside a quarter, so we take the last quarter with all three months.
"""),
    code("""
quarter = fit.quarters[-1]
attribution = fit.summary.attribution(freq="Q", hdi=0.9)
attribution[attribution["period"] >= "2023Q1"]"""),
    code("""
latest = attribution[attribution["period"] == quarter]
print(f"{quarter}: Russell 2000 minus S&P 500, pp (mean, median, 90% HDI)")
print(latest.to_string(index=False))"""),
    md("""
The `total` row is the observed relative return; the components add up to it. A wide
`residual` relative to the groups is the usual finding: macro factors explain only a small part
of monthly small-cap relative performance, and the report says so.
"""),
    code("""
fit.plot.waterfall(quarter)"""),
    code("""
recent = fit.quarters[-12:]   # the last three years
fit.plot.contributions(periods=recent)"""),
    md("""
## The report

The same call `macroattr report` makes: one self-contained HTML file per quarter, plus an
index of every rendered quarter. Saving the fit lets anyone re-render or re-read it from the
command line: `macroattr attribution --fit build/quickstart_fit.nc --out attribution.csv`.
"""),
    code("""
from pathlib import Path

Path(FIT_PATH).parent.mkdir(parents=True, exist_ok=True)
fit.save(FIT_PATH)
report = render_report(fit, quarter=quarter, out_dir=REPORT_DIR)
print(f"wrote {report} and {FIT_PATH}")"""),
]


# --------------------------------------------------------------------------- 02 refit
REFIT = [
    md("""
# Refit and compare: priors, factors, static vs time-varying betas

How much of an attribution is the data and how much is the specification? Here we refit the
static monthly model three ways and fit the state-space model (time-varying betas and
volatility, the product's default kind) on the same months, compare their out-of-sample
predictive fit and look at how the latest quarter's split moves.
"""),
    params(SAMPLER_PARAMS + """
START = "2004-01-01"   # common start: the 5-year breakeven exists from 2003"""),
    code(SETUP + """
import pandas as pd

from macroattr.data_pipelines import build_panel, catalog
from macroattr.models import ModelConfig, compare, fit_model
from macroattr.core.periods import complete_quarters"""),
    md("""
One panel holds every column any of the variants uses, so all fits see exactly the same
months (LOO can only compare models of the same observations). Each configuration picks its
factors from it.
"""),
    code("""
panel = build_panel(freq="M", start=START, factors=[*catalog.DEFAULT_FACTORS, "d_breakeven_5y"])
base = ModelConfig.shipped("static_monthly").override(method=METHOD, draws=DRAWS, tune=TUNE, chains=CHAINS,
                                      seed=SEED)
variants = {
    "default": base,
    "tight priors": base.override(beta_sd=0.1, group_sd=0.1),
    "+ breakeven": base.override(groups={**base.groups,
                                         "inflation": ["cpi_surprise", "d_breakeven_5y"]}),
    "state space": base.override(betas="state_space", method="exact"),
}
panel"""),
    md("""
Fitting. Changing only a prior value reuses the compiled sampler; a new factor compiles
once. The state-space fit is exact (the discount grid weighted by its marginal likelihood, a
forward filter and a backward sampler): seconds, no MCMC.

Read each fit's convergence gate first. A fit that fails it is marked **gate FAILED** in
every table below: its numbers are not results (more tuning or draws first).
"""),
    code("""
fits = {name: fit_model(panel, cfg) for name, cfg in variants.items()}
label = {}
for name, f in fits.items():
    gate = f.diagnostics.gate
    label[name] = name if gate.passed else f"{name} (gate FAILED)"
    print(f"{name:>13}: {gate.line()}")
failed = [name for name in fits if label[name] != name]
if failed:
    print(f"WARNING: {', '.join(failed)} failed the convergence gate: do not read their numbers as results")"""),
    md("""
## Coefficients

Posterior means in natural units. The tight variant sets `beta_sd` and `group_sd` to 0.1
instead of 0.5, shrinking toward zero: where an estimate moves a lot, the prior is doing work
the data does not. For the state-space model these are averages over the span.
"""),
    code("""
coefs = pd.DataFrame({label[name]: f.coefficients().set_index("factor")["mean"]
                      for name, f in fits.items()})
units = fits["+ breakeven"].coefficients().set_index("factor")["unit"]
coefs = coefs.reindex(units.index)
coefs["unit"] = units
coefs.round(3)"""),
    md("""
## Out-of-sample fit

The static fits by PSIS-LOO: higher `elpd_loo` is better; a difference smaller than about two
of its standard errors (`dse`) is not a difference. Pareto-k above 0.7 marks months LOO cannot
judge reliably.
"""),
    code("""
compare({label[name]: f for name, f in fits.items() if not f.state_space})"""),
    md("""
With the state-space fit among them, `compare` ranks by one-step-ahead log predictive density
(LPDS: each month predicted from the months before it) instead, and says why: a state-space
fit's betas move every month, so leaving one month out is not approximated by its posterior.
The static fits enter through the same filter with no time variation.
"""),
    code("""
from macroattr.models.analysis.comparison import LPDS_NOTE

print(LPDS_NOTE)
compare({label[name]: f for name, f in fits.items()})"""),
    md("""
## How the latest quarter's attribution moves

Mean contribution of each component in pp. The `total` is the same in every column (it is the
data); what moves is the split between the groups and the residual.
"""),
    code("""
quarter = complete_quarters(panel.data.index)[-1]
moves = pd.DataFrame({
    label[name]: f.attribution("Q").query("period == @quarter").set_index("component")["mean"]
    for name, f in fits.items()
})
print(f"{quarter}, pp")
moves.round(2)"""),
    md("""
The state-space betas over time (posterior mean and 90% band): a rates beta that changes sign
across regimes is the reason to prefer a time-varying model when LOO agrees.
`fits["state space"].p_varies()` gives, per factor, the posterior probability that its beta
drifts at all.
"""),
    code("""
fits["state space"].plot.coefficients()"""),
]


# --------------------------------------------------------------------------- 03 July 2024
JULY = [
    md("""
# The July 2024 rotation: what can the macro factors explain?

On 11 July 2024 the June CPI print came in soft (headline prices fell on the month) and the
2-year yield dropped. Over five sessions, 10 to 16 July, the Russell 2000 beat the S&P 500 by
about 9 pp: a record run for small caps against large. We ask the **main fit** (the daily
state-space model `macroattr run` fits and caches, the one behind the report and the CLI) with
`fit.event` how much of that window the rates, inflation, credit and uncertainty factors
account for, how unusual it was under the model, and what the model would have said in real
time. A shorter fit is a different question; the last section asks it, and says how the
answer differs.
"""),
    params("""
# Parameters: papermill (or you) can override any of these.
SOURCE = "auto"                # data of the main fit: as `macroattr run` (no key: the snapshot)
WINDOW_START = "2024-07-10"
WINDOW_END = "2024-07-16"
WINDOW_CSV = "build/july_2024_window.csv"   # the window's attribution, full precision
SHORT_START = "2021-01-04"     # the last section: a fit on the post-2020 regime only\""""),
    code(SETUP + """
from pathlib import Path

from macroattr.models.analysis.scenarios import run_scenarios
from macroattr.jobs.run import main_fit"""),
    code("""
main = main_fit(source=SOURCE)   # the cached fit of `macroattr run` (fitted once if absent)
fit = main.fit
print(main.describe())
print(fit.summary.gate())        # read before any number
fit.panel.data.loc[WINDOW_START:WINDOW_END].round(3)"""),
    md("""
The factor moves are small next to the target: the 2-year yield fell about 20 bp over the
window and the Baa spread barely moved. The daily panel dates each CPI print on its BLS
release day (the embedded release calendar), so June's surprise sits on 11 July.

## The window as a whole

`fit.event` sums every posterior draw's contributions over the window's sessions before
summarising, so the trend (the state-space model's time-varying intercept), the groups and the
residual add up to the observed window return draw by draw, and the intervals are honest (HDIs
of daily pieces do not add). It also marks the release days inside the window and says how
unusual the total is under the model. These are the numbers of `macroattr event --start
2024-07-10 --end 2024-07-16` and of the 2024Q3 report's event section.
"""),
    code("""
ev = fit.event(WINDOW_START, WINDOW_END)
Path(WINDOW_CSV).parent.mkdir(parents=True, exist_ok=True)
ev.table().to_csv(WINDOW_CSV, index=False, float_format="%.12g")
print(f"relative return over the window: {ev.observed:+.2f} pp in {len(ev.sessions)} sessions")
ev"""),
    code("""
table = ev.table()
table["share of total, %"] = 100 * table["mean"] / ev.observed
table.round(2)"""),
    code("""
print(ev.share_text())
print(f"the macro groups carry {ev.explained_share():.0f}% of the move (posterior mean)")"""),
    md("""
## Day by day

Each session's contributions, with the CPI release marked. `ev.daily_table()` is the same
tidy table as `fit.attribution(freq="D")`, restricted to the window.
"""),
    code("""
ev.plot()"""),
    code("""
print(ev.tail_text())"""),
    md("""
## Revised and real time

The state-space model lets every beta and the volatility drift, and keeps two estimates of
each day: **revised** (smoothed, with all the data) and **real time** (filtered, with data to
that day only: what the model said then).
"""),
    code("""
both = ev.table().set_index("component")[["mean", "hdi_low", "hdi_high"]].join(
    ev.table(estimate="real time").set_index("component")[["mean", "hdi_low", "hdi_high"]],
    lsuffix=" (revised)", rsuffix=" (real time)")
both.round(2)"""),
    md("""
## What if it happened again?

The shipped "soft CPI" scenario (a print 0.2 pp below the forecast with the 2-year yield 10 bp
lower) through the main fit's betas at its end, every other factor unchanged: the model's
predictive distribution for one session (`macroattr scenario --scenario "soft CPI"`).
"""),
    code("""
(soft,), _ = run_scenarios(fit, names=["soft CPI"])
soft"""),
    md("""
## A shorter span is a different question

Fitting only the post-2020 regime asks something else: what the factors explain if the
betas had to be learnt from 2021 on. The prior is the same (it is set in natural units, not
from the span), but the data are fewer, so the betas move more. The answer is stated beside
the main fit's.
"""),
    code("""
short = main_fit(source=SOURCE, panel={"start": SHORT_START}).fit
sev = short.event(WINDOW_START, WINDOW_END)
print(f"fit {short.span[0]}..{short.span[1]} (not the main fit): {sev.share_text()}")
print(f"main fit {fit.span[0]}..{fit.span[1]}: {ev.share_text()}")"""),
    md("""
## What the factors cannot see

Read the residual for what it is. The model only knows the daily moves in yields, the FOMC
futures surprises (none fell in this window), the CPI surprise on its release day, the credit
spread and policy uncertainty. The July rotation was mostly
something else: crowded positioning (long mega-cap technology, short small caps) being unwound,
short covering, fund flows and rebalancing into a beaten-down segment. None of these is a macro
factor in the panel, so they land in the residual, and the window's total sits far in the
tail of what the model expects. A macro share well below half is the honest answer, not a
failure of the fit: the rates and CPI moves were real (the CPI release day carries most of
the macro part) but worth only a minority of the rally at the estimated betas.
"""),
]


# --------------------------------------------------------------------------- 04 BYO data
BYO = [
    md("""
# Bring your own data: another index pair and an event calendar

Users normally bring index levels from Bloomberg or FactSet. So that this notebook runs
anywhere, we write the example files from the package's own snapshot: the **price** indices
^RUT and ^GSPC (no dividends) instead of the dividend-adjusted ETFs the default target uses
since 2000. The snapshot's ^GSPC file ends in December 2023, so this panel does too. The event
calendar marks US presidential elections, the COVID crash and the failure of Silicon Valley
Bank.
"""),
    params(SAMPLER_PARAMS + """
WORK_DIR = "build/byo_data"   # where the example CSV files are written"""),
    code(SETUP + """
from pathlib import Path

import pandas as pd

from macroattr.data_pipelines import build_panel
from macroattr.data_pipelines.sources import get_series
from macroattr.models import ModelConfig, fit_model

work = Path(WORK_DIR)
work.mkdir(parents=True, exist_ok=True)"""),
    md("""
## The files

A target file has a header and one row per date: `date,small,large` (levels) or
`date,rel_return` (pp per period). An event file is `date,label`; each label becomes a 0/1
factor `event_<label>` in the political group.
"""),
    code("""
small, _ = get_series("^RUT")
large, _ = get_series("^GSPC")
levels = pd.concat({"small": small, "large": large}, axis=1).dropna()
levels.index = levels.index.strftime("%Y-%m-%d")
target_csv = work / "rut_gspc_levels.csv"
levels.to_csv(target_csv, index_label="date")

events = pd.DataFrame({"date": ["1992-11-03", "1996-11-05", "2000-11-07", "2004-11-02",
                                "2008-11-04", "2012-11-06", "2016-11-08", "2020-11-03",
                                "2020-03-16", "2023-03-10"],
                       "label": ["US election"] * 8 + ["COVID crash", "SVB failure"]})
events_csv = work / "events.csv"
events.to_csv(events_csv, index=False)
print(target_csv.read_text().splitlines()[:3])
print(events_csv.read_text())"""),
    code("""
panel = build_panel(freq="M", target_csv=target_csv, events_csv=events_csv)
panel"""),
    md("""
How different is the price-index pair from the default (dividend-adjusted ETF) target? Since
mid-2000 the gap is mostly the dividend-yield difference between large and small caps.
"""),
    code("""
default = build_panel(freq="M", end=str(panel.data.index[-1].date()))
both = pd.concat({"price indices": panel.data["rel_return"],
                  "default target": default.data["rel_return"]}, axis=1).dropna().loc["2001":]
gap = (both["price indices"] - both["default target"])
print(f"{len(both)} common months; mean gap {12 * gap.mean():+.2f} pp a year, "
      f"correlation {both.corr().iloc[0, 1]:.3f}")"""),
    md("""
## Fit with the events

Each event indicator gets its own beta in the `political` group: the relative return in the
month of the event beyond what the macro factors explain, in pp per event.
"""),
    code("""
config = ModelConfig.shipped("static_monthly").override(
    groups={**ModelConfig.shipped("static_monthly").groups,
            "political": ["dlog_epu", *[c for c in panel.factors if c.startswith("event_")]]},
    method=METHOD, draws=DRAWS, tune=TUNE, chains=CHAINS, seed=SEED)
fit = fit_model(panel, config)
print(fit.summary.gate())  # a FAILED gate: these are not results yet (more tuning or draws)
fit.summary.coefficients().round(3)"""),
    code("""
attribution = fit.summary.attribution(freq="Q")
attribution.query("period in ['2008Q4', '2016Q4', '2020Q1', '2020Q4', '2023Q1']")"""),
    md("""
An event label marks one to eight months, so its beta is weakly identified: look at the width
of its interval before reading anything into its mean.

## When a file is wrong

Errors name the file, the line or column at fault and what to do, in one line: the same line
`macroattr data panel --target-csv ...` prints. After `macroattr.notebook.setup()` a failing
cell shows just that line. Here a vendor export with its own column names; we catch the error
so that the notebook still runs top to bottom (the pattern for checking a folder of files):
"""),
    code("""
from macroattr.core.errors import MacroattrError

bad_csv = work / "vendor_export.csv"
levels.rename(columns={"small": "RTY Index", "large": "SPX Index"}).to_csv(bad_csv, index_label="date")
try:
    build_panel(freq="M", target_csv=bad_csv)
except MacroattrError as err:
    print(macroattr.notebook.error_line(err))"""),
    md("""
Rename the columns to `small` and `large` (or give `rel_return` directly) and the panel builds.
"""),
]


# --------------------------------------------------------------------------- quarterly report
REPORT = [
    md("""
# Quarterly attribution report

The main job as a notebook: by default it runs exactly what `make run` (`macroattr run`)
runs: the daily state-space model of `configs/default.toml`, read from the fit cache `run`
keeps (fitted once if absent), the latest complete quarter, the same page beside the other
shipped model's scenario cross-check. The numbers are those of `macroattr run` and
`macroattr attribution` to the last digit. Run it with papermill:

```
papermill notebooks/quarterly_report.ipynb out.ipynb -p quarter 2024Q4
```

or from Python with `reports.notebook.render_report_notebook(quarter=...)`. Another model:
`-p config configs/static_monthly.toml`; a saved fit: `-p fit_path fit.nc`.
"""),
    params("""
# Parameters
quarter = "latest"             # YYYYQn, or "latest" complete quarter (as `macroattr run`)
source = "auto"                # "auto" (FRED store when a key is set, else the snapshot), "fred", "snapshot"
config = ""                    # "" = the main job (configs/default.toml); or another model's TOML
fit_path = ""                  # a saved fit (.nc) to render instead of the main job
out_dir = "../reports/build"   # report directory (also gets index.html)
cache_dir = "../.cache"        # the fit cache `make run` keeps in the repository ("": $MACROATTR_CACHE_DIR or ./.cache)
headline_csv = ""              # also write the headline table here, full precision (optional)"""),
    code(SETUP + """
from macroattr.core.periods import resolve_quarter
from macroattr.models import load_fit
from macroattr.jobs.run import run_pipeline
from macroattr.reports import render_report"""),
    code("""
if fit_path:  # a saved fit, rendered as `macroattr report --fit` renders it
    fit = load_fit(fit_path)
    quarter = resolve_quarter(quarter, fit.quarters)
    report = render_report(fit, quarter=quarter, out_dir=out_dir)
else:         # the main job: `macroattr run` (the cached fit when there is one)
    run = run_pipeline(quarter, config=config or None, source=source, out_dir=out_dir,
                       cache_dir=cache_dir or None, progress=print)
    fit, quarter, report = run.fit, run.quarter, run.report
print(f"report: {report}")""", "report-path"),
    md("""
## The convergence gate

Read it before any number: a failed gate means the draws cannot be trusted yet, and the page,
the tables below and every CLI command say so.
"""),
    code("""
gate = fit.diagnostics.gate
print(gate.line() if gate.passed else f"WARNING: {gate.line()}: do not read the numbers below as results")"""),
    md("""
## Headline

The quarter's attribution, in pp of relative return: the trend (the state-space model's
time-varying intercept, not macro), the macro groups and the residual add up to the observed
total draw by draw. The table `macroattr attribution --out FILE` writes for the main fit.
"""),
    code("""
headline = fit.summary.attribution(freq="Q", periods=quarter)
if headline_csv:
    headline.to_csv(headline_csv, index=False, float_format="%.12g")
headline"""),
    code("""
fit.plot.waterfall(quarter)"""),
]

NOTEBOOKS = {
    "01_quickstart.ipynb": QUICKSTART,
    "02_refit_and_compare.ipynb": REFIT,
    "03_july_2024_rotation.ipynb": JULY,
    "04_bring_your_own_data.ipynb": BYO,
    "quarterly_report.ipynb": REPORT,
}


def build(name: str, cells: list[tuple[str, str, list[str]]]) -> nbformat.NotebookNode:
    """One notebook without outputs, python3 kernelspec, deterministic cell ids."""
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                       "name": "python3"},
        "language_info": {"name": "python"},
    }
    stem = name.removesuffix(".ipynb").replace("_", "-")
    for i, (kind, text, tags) in enumerate(cells):
        cell = new_markdown_cell(text) if kind == "markdown" else new_code_cell(text)
        cell.id = f"{stem[:40]}-{i:02d}"
        if tags:
            cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def render(name: str) -> str:
    return nbformat.writes(build(name, NOTEBOOKS[name])) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only report stale notebooks")
    args = ap.parse_args(argv)
    stale = []
    for name in NOTEBOOKS:
        path = HERE / name
        text = render(name)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if not args.check:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if args.check and stale:
        print(f"stale: {', '.join(stale)}; run python notebooks/build_notebooks.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
