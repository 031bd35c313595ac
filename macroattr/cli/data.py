"""``macroattr data panel | factors``: build a model-ready panel, list the factor catalog.

Bad input (unknown factor, no common data, malformed user CSV, a span before a factor exists)
exits 2 with one line; no output file is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from macroattr.cli._app import data_app


@data_app.command("panel")
def panel_cmd(
    out: Annotated[Path, typer.Option("--out", help="Output file, .csv or .parquet (+ FILE.meta.json).")],
    freq: Annotated[str, typer.Option("--freq", help="M (monthly, month end) or D (daily, close to close).")] = "M",
    start: Annotated[str | None, typer.Option("--start", help="First period, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last period, YYYY-MM-DD.")] = None,
    factors: Annotated[
        str | None, typer.Option("--factors", help="Comma-separated catalog names (default: the catalog defaults, see `data factors`).")
    ] = None,
    source: Annotated[str, typer.Option("--source", help="snapshot (embedded), fred (local store) or auto.")] = "snapshot",
    store: Annotated[Path | None, typer.Option("--store", help="FRED store folder for --source fred/auto.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Only data published by this date, YYYY-MM-DD.")] = None,
    target_csv: Annotated[
        Path | None, typer.Option("--target-csv", help="Own target: date,small,large levels or date,rel_return (pp).")
    ] = None,
    futures_csv: Annotated[
        Path | None, typer.Option("--futures-csv", help="Fed-funds futures date,price[,announcement]: target "
                                  "surprise (1-day change of 100 - price) on announcement days after the "
                                  "embedded surprise file ends.")
    ] = None,
    consensus_csv: Annotated[
        Path | None, typer.Option("--consensus-csv", help="CPI consensus date,consensus[,release_date] (m/m, pp).")
    ] = None,
    events_csv: Annotated[
        Path | None, typer.Option("--events-csv", "--events",
                                  help="Events date,label (indicator factors event_<label>) or a built-in "
                                       "calendar: builtin:fomc (FOMC announcement days), builtin:cpi, "
                                       "builtin:russell_recon (June reconstitution days).")
    ] = None,
    odds_csv: Annotated[
        Path | None, typer.Option("--odds-csv", help="Election odds date,probability (P(Republican wins), 0..1, at "
                                  "each session's close): extends and takes precedence in d_rep_win_prob.")
    ] = None,
    stale: Annotated[str, typer.Option("--stale", help="Factors ending more than a period before the target: "
                                       "trim (panel stops there; default), drop (leave them out) or carry "
                                       "(0 after their last value).")] = "trim",
) -> None:
    """Build the panel of rel_return (pp) and macro factors and write it to --out."""
    from macroattr.data_pipelines import build_panel
    from macroattr.core.io import check_destination
    from macroattr.data_pipelines.panel import _kind, _meta_path

    _kind(out)  # reject a bad extension before doing any work
    inputs = [target_csv, futures_csv, consensus_csv, events_csv, odds_csv]
    check_destination(out, inputs=inputs)  # a directory, an input, a read-only place
    check_destination(_meta_path(out), inputs=inputs, option="--out sidecar")
    panel = build_panel(freq=freq, start=start, end=end, factors=factors, source=source, as_of=as_of,
                        target_csv=target_csv, futures_csv=futures_csv, consensus_csv=consensus_csv,
                        events_csv=events_csv, store=store, stale=stale, odds_csv=odds_csv)
    panel.to_file(out)
    m = panel.meta
    typer.echo(f"{panel._headline()}")
    for g, cols in m["groups"].items():
        typer.echo(f"  {m.get('group_labels', {}).get(g, g):<10} " + ", ".join(f"{c} [{m['units'][c]}]" for c in cols))
    typer.echo("  target     " + "; ".join(f"{s['source']} {s['first']}..{s['last']}" for s in m["target_sources"]))
    fr = m["freshness"]
    typer.echo(f"  data to {fr['data_to']} (limited by {fr['limited_by']}); last values: "
               + ", ".join(f"{c} {d}" for c, d in fr["last_obs"].items()))
    for note in m["notes"]:
        typer.echo(f"  note: {note}")
    typer.echo(f"wrote {out} and {out.name}.meta.json")


@data_app.command("factors")
def factors_cmd() -> None:
    """List the factor catalog: name, group, unit, first period (monthly/daily), default set, last values."""
    from macroattr.data_pipelines import catalog

    tab = catalog.table()
    typer.echo(f"{'factor':<15} {'group':<19} {'unit':<11} {'from (M)':<11} {'from (D)':<11} {'default':<8} "
               "last observation (embedded snapshot)")
    for name, r in tab.iterrows():
        typer.echo(f"{name:<15} {r['group_label']:<19} {r['unit']:<11} {r['first_monthly'] or '-':<11} "
                   f"{r['first_daily'] or '-':<11} {'yes' if r['default'] else 'no':<8} {r['last_obs']}")
    typer.echo("a panel ends at its earliest-ending column: `data panel` prints 'data to DATE (limited by ...)'; "
               "a factor ending more than a period before the target needs --stale drop|carry to be left out or "
               "carried (default trim: the panel stops there)")
    typer.echo("plus event_<label> (political, 0/1) for each label of --events-csv (or --events builtin:fomc); "
               "details: python -c 'from macroattr.data_pipelines import catalog; print(catalog.table())'")
