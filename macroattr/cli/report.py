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

from macroattr.cli._app import app

_OUT_HELP = "Report directory; also gets index.html and reports.json."
_PANEL = "Panel (overrides the config's panel table)"
_MODEL = "Model (overrides the config's model)"


@app.command("report")
def report_cmd(
    fit: Annotated[Path, typer.Option("--fit", help="Fit file (NetCDF) written by `macroattr fit`.")],
    quarter: Annotated[str, typer.Option("--quarter", help="YYYYQn (e.g. 2024Q3) or 'latest' "
                                         "(the last complete quarter of the fit).")] = "latest",
    out: Annotated[Path, typer.Option("--out", help=_OUT_HELP)] = Path("reports/build"),
    scenarios: Annotated[Path | None, typer.Option("--scenarios", help="Scenario TOML for the "
                                                   "scenarios and event-window sections (default: "
                                                   "the shipped standard set).")] = None,
    formats: Annotated[str, typer.Option(
        "--format", metavar="LIST",
        help="Comma-separated outputs: html (always), pdf (printed by headless Chromium), png "
             "(one per chart, for slides), xlsx (the page's tables).")] = "html",
    all_quarters: Annotated[bool, typer.Option(
        "--all", help="Render every complete quarter of the fit (ignores --quarter).")] = False,
    other_fit: Annotated[Path | None, typer.Option(
        "--other-fit", help="A fit of the other shipped model (e.g. configs/static_monthly.toml "
                            "beside the daily state-space fit): the scenarios show what it says "
                            "beside each effect and flag sign disagreements (`run` does this "
                            "itself).")] = None,
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
                    typer.echo(str(path))
            bar.advance(1, q)


@app.command("run")
def run_cmd(
    quarter: Annotated[str, typer.Option("--quarter", help="YYYYQn or 'latest' (last complete "
                                         "quarter in the data).")] = "latest",
    config: Annotated[Path | None, typer.Option("--config", help="Model configuration TOML "
                                                "(default configs/default.toml).")] = None,
    source: Annotated[str, typer.Option("--source", help="auto (FRED when FRED_API_KEY is set, "
                                        "else the embedded snapshot), fred or snapshot.")] = "auto",
    refit: Annotated[bool, typer.Option("--refit", help="Fit again even if a cached fit for the "
                                        "same panel, config and seed exists.")] = False,
    out: Annotated[Path, typer.Option("--out", help=_OUT_HELP)] = Path("reports/build"),
    cache_dir: Annotated[Path | None, typer.Option("--cache-dir", help="Where fits are cached "
                                                   "(default $MACROATTR_CACHE_DIR or .cache).")] = None,
    store: Annotated[Path | None, typer.Option("--store", help="FRED store folder for "
                                               "--source fred/auto.")] = None,
    scenarios: Annotated[Path | None, typer.Option("--scenarios", help="Scenario TOML for the "
                                                   "report's scenarios and event windows "
                                                   "(default: the shipped standard set).")] = None,
    freq: Annotated[str | None, typer.Option("--freq", help="Panel frequency M (monthly) or D "
                                             "(daily); overrides the config's panel freq.", rich_help_panel=_PANEL)] = None,
    start: Annotated[str | None, typer.Option("--start", help="First period of the panel, "
                                              "YYYY-MM-DD.", rich_help_panel=_PANEL)] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last period of the panel, YYYY-MM-DD.",
                                            rich_help_panel=_PANEL)] = None,
    factors: Annotated[str | None, typer.Option("--factors", help="Comma-separated catalog "
                                                "names (default: the model's groups).",
                                                rich_help_panel=_PANEL)] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Only data published by this "
                                              "date, YYYY-MM-DD.", rich_help_panel=_PANEL)] = None,
    target_csv: Annotated[Path | None, typer.Option("--target-csv", help="Own target: "
                                                    "date,small,large levels or date,rel_return (pp).",
                                                    rich_help_panel=_PANEL)] = None,
    futures_csv: Annotated[Path | None, typer.Option("--futures-csv", help="Fed-funds futures "
                                                     "date,price[,announcement]: target surprise after "
                                                     "the embedded FOMC surprise file ends.",
                                                     rich_help_panel=_PANEL)] = None,
    consensus_csv: Annotated[Path | None, typer.Option("--consensus-csv", help="CPI consensus "
                                                       "date,consensus[,release_date] (m/m, pp).",
                                                       rich_help_panel=_PANEL)] = None,
    events_csv: Annotated[Path | None, typer.Option("--events-csv", help="Events date,label: "
                                                    "indicator factors event_<label> (political).",
                                                    rich_help_panel=_PANEL)] = None,
    odds_csv: Annotated[Path | None, typer.Option("--odds-csv", help="Election odds date,probability "
                                                  "(P(Republican wins), 0..1, at each session's close): "
                                                  "extends d_rep_win_prob.", rich_help_panel=_PANEL)] = None,
    stale: Annotated[str | None, typer.Option("--stale", help="Factors ending more than a period before "
                                              "the target: trim (panel stops there), drop (leave them out; "
                                              "a group left empty is dropped) or carry (0 after their last "
                                              "value); default: the config's panel stale.",
                                              rich_help_panel=_PANEL)] = None,
    method: Annotated[str | None, typer.Option("--method", help="nuts or exact (conjugate, "
                                               "instant); overrides the config.",
                                               rich_help_panel=_MODEL)] = None,
    draws: Annotated[int | None, typer.Option("--draws", help="Draws per chain; overrides the "
                                              "config.", rich_help_panel=_MODEL)] = None,
    formats: Annotated[str, typer.Option(
        "--format", metavar="LIST", help="Comma-separated outputs: html (always), pdf, png, "
                                         "xlsx.")] = "html",
) -> None:
    """The main job: build the panel, fit (or reuse the cached fit), render the report.

    The panel comes from the config's panel table (monthly by default); the panel
    options below override it, as in `macroattr data panel`.
    """
    from macroattr.pipeline import run_pipeline
    from macroattr.reports.exports import parse_formats

    fmts = parse_formats(formats)
    if "pdf" in fmts or "png" in fmts:
        from macroattr.reports.exports import chromium_path

        chromium_path()  # no browser: say so before any work
    overrides = {"freq": freq, "start": start, "end": end, "factors": factors, "as_of": as_of,
                 "target_csv": target_csv, "futures_csv": futures_csv,
                 "consensus_csv": consensus_csv, "events_csv": events_csv, "odds_csv": odds_csv,
                 "stale": stale}
    result = run_pipeline(quarter=quarter, config=config, source=source, refit=refit,
                          out_dir=out, cache_dir=cache_dir, store=store, panel=overrides,
                          scenarios=scenarios, model={"method": method, "draws": draws},
                          formats=fmts)  # the report is composed once for every format
    typer.echo(str(result.report))
    for fmt in (f for f in fmts if f != "html"):
        for path in result.written.get(fmt, []):
            typer.echo(str(path))
