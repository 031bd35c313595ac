"""``macroattr report`` and ``macroattr run``: render a fit's quarter, or go from data to report.

Both print the report's path on stdout (progress lines go to stderr) and exit 2
with one line on bad input: a quarter outside the fit's span, a file that is not a
fit, an output directory that cannot be written, a bad or unknown ``[panel]`` setting.
No partial HTML is left behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from macroattr.cli._out import result, status, warn
from macroattr.cli._app import app
from macroattr.cli.options import (CacheDir, ConfigFile, ConsensusCsv, Draws, EventsCsv,
                                   Formats, FuturesCsv, Method, OddsCsv, OtherFit, PanelAsOf,
                                   PanelEnd, PanelFactors, PanelFreq, PanelStale, PanelStart,
                                   AllowExtremeReturns,
                                   Quiet, Refit, Scenarios, Store, TargetCsv, panel_overrides)

_OUT_HELP = "Report directory; also gets index.html and reports.json."


@app.command("report")
def report_cmd(
    fit: Annotated[Path, typer.Option("--fit", help="Fit file (NetCDF) written by `macroattr fit`.")],
    quarter: Annotated[str, typer.Option("--quarter", help="YYYYQn (e.g. 2024Q3) or 'latest' "
                                         "(the last complete quarter of the fit).")] = "latest",
    out: Annotated[Path, typer.Option("--out", help=_OUT_HELP)] = Path("reports/build"),
    scenarios: Scenarios = None,
    formats: Formats = "html",
    all_quarters: Annotated[bool, typer.Option(
        "--all", help="Render every complete quarter of the fit (ignores --quarter).")] = False,
    other_fit: OtherFit = None,
    quiet: Quiet = False,
) -> None:
    """Render the quarterly HTML attribution report of a saved fit and refresh the index."""
    import sys

    from macroattr.models import load_fit
    from macroattr.core.periods import resolve_quarter
    from macroattr.reports.exports import export_report, parse_formats
    from macroattr.reports.render import check_out_dir

    fmts = parse_formats(formats)
    if quarter.strip().lower() != "latest" and not all_quarters:
        resolve_quarter(quarter, [quarter.strip().upper()])  # reject a malformed label early
    if ("pdf" in fmts or "png" in fmts):
        from macroattr.reports.exports import chromium_path

        chromium_path()  # no browser: say so before any work
    loaded = load_fit(str(fit))
    other = load_fit(str(other_fit)) if other_fit is not None else None
    other_label = ""
    if other is not None:
        a, b = other.span
        other_label = (f"the {other.config.model.betas.replace('_', '-')} {other.freq} model "
                       f"({other_fit}, {a}..{b})")
    if scenarios is not None:
        from macroattr.models.analysis.scenarios import load_scenarios

        load_scenarios(scenarios)  # a bad file fails before anything is written
    check_out_dir(out)
    quarters = list(loaded.quarters) if all_quarters else [quarter]
    if all_quarters and not quarters:
        resolve_quarter("latest", [])  # the one-line "no complete quarter" error
    from macroattr.core.progress import Progress

    with Progress(len(quarters), "report", unit="quarters", stream=sys.stderr,
                  enabled=len(quarters) > 1) as bar:
        for q in quarters:
            written = export_report(loaded, q, out, fmts, scenarios=scenarios, other=other,
                                    other_label=other_label)
            for fmt in ("html", "pdf", "png", "xlsx"):
                for path in written.get(fmt, []):
                    result(str(path))
            bar.advance(1, q)


@app.command("run")
def run_cmd(
    quarter: Annotated[str, typer.Option("--quarter", help="YYYYQn or 'latest' (last complete "
                                         "quarter in the data).")] = "latest",
    config: ConfigFile = None,
    source: Annotated[str, typer.Option("--source", help="auto (FRED when FRED_API_KEY is set, "
                                        "refreshed into the local store; else the embedded "
                                        "snapshot), fred or snapshot.")] = "auto",
    refit: Refit = False,
    out: Annotated[Path, typer.Option("--out", help=_OUT_HELP)] = Path("reports/build"),
    cache_dir: CacheDir = None,
    store: Store = None,
    scenarios: Scenarios = None,
    freq: PanelFreq = None,
    start: PanelStart = None,
    end: PanelEnd = None,
    factors: PanelFactors = None,
    as_of: PanelAsOf = None,
    target_csv: TargetCsv = None,
    futures_csv: FuturesCsv = None,
    consensus_csv: ConsensusCsv = None,
    events_csv: EventsCsv = None,
    odds_csv: OddsCsv = None,
    stale: PanelStale = None,
    allow_extreme_returns: AllowExtremeReturns = None,
    method: Method = None,
    draws: Draws = None,
    formats: Formats = "html",
    quiet: Quiet = False,
) -> None:
    """The main job: build the panel, fit (or reuse the cached fit), render the report.

    By default the daily state-space model of configs/default.toml: the daily
    panel from 2000 (stale factors carried), the latest complete quarter.
    The config's panel table sets the panel; --freq, --start, ..., --stale
    override it, as in `macroattr data panel`. Prints the report's path (and
    every other file written) on stdout; status lines go to stderr.
    """
    from macroattr.jobs.run import run_pipeline
    from macroattr.reports.exports import parse_formats

    fmts = parse_formats(formats)
    if "pdf" in fmts or "png" in fmts:
        from macroattr.reports.exports import chromium_path

        chromium_path()  # no browser: say so before any work
    overrides = panel_overrides(locals())
    done = run_pipeline(quarter=quarter, config=config, source=source, refit=refit,
                          out_dir=out, cache_dir=cache_dir, store=store, panel=overrides,
                          scenarios=scenarios, model={"method": method, "draws": draws},
                          formats=fmts, progress=status)  # composed once for every format
    result(str(done.report))
    for fmt in (f for f in fmts if f != "html"):
        for path in done.written.get(fmt, []):
            result(str(path))
