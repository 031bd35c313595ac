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
        str | None, typer.Option("--factors", help="Comma-separated catalog names (default: the five long-history factors).")
    ] = None,
    source: Annotated[str, typer.Option("--source", help="snapshot (embedded), fred (local store) or auto.")] = "snapshot",
    store: Annotated[Path | None, typer.Option("--store", help="FRED store folder for --source fred/auto.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Only data published by this date, YYYY-MM-DD.")] = None,
    target_csv: Annotated[
        Path | None, typer.Option("--target-csv", help="Own target: date,small,large levels or date,rel_return (pp).")
    ] = None,
    futures_csv: Annotated[
        Path | None, typer.Option("--futures-csv", help="Fed-funds futures date,price: policy path = 100 - price.")
    ] = None,
    consensus_csv: Annotated[
        Path | None, typer.Option("--consensus-csv", help="CPI consensus date,consensus[,release_date] (m/m, pp).")
    ] = None,
    events_csv: Annotated[
        Path | None, typer.Option("--events-csv", help="Events date,label: indicator factors event_<label>.")
    ] = None,
) -> None:
    """Build the panel of rel_return (pp) and macro factors and write it to --out."""
    from macroattr.data_pipelines import build_panel
    from macroattr.data_pipelines.panel import _kind

    _kind(out)  # reject a bad extension before doing any work
    panel = build_panel(freq=freq, start=start, end=end, factors=factors, source=source, as_of=as_of,
                        target_csv=target_csv, futures_csv=futures_csv, consensus_csv=consensus_csv,
                        events_csv=events_csv, store=store)
    panel.to_file(out)
    m = panel.meta
    typer.echo(f"{panel._headline()}")
    for g, cols in m["groups"].items():
        typer.echo(f"  {g:<10} " + ", ".join(f"{c} [{m['units'][c]}]" for c in cols))
    typer.echo("  target     " + "; ".join(f"{s['source']} {s['first']}..{s['last']}" for s in m["target_sources"]))
    for note in m["notes"]:
        typer.echo(f"  note: {note}")
    typer.echo(f"wrote {out} and {out.name}.meta.json")


@data_app.command("factors")
def factors_cmd() -> None:
    """List the factor catalog: name, group, unit, first period (monthly/daily), default set."""
    from macroattr.data_pipelines import catalog

    tab = catalog.table()
    typer.echo(f"{'factor':<16} {'group':<10} {'unit':<11} {'from (M)':<11} {'from (D)':<11} {'default':<8} fred ids")
    for name, r in tab.iterrows():
        typer.echo(f"{name:<16} {r['group']:<10} {r['unit']:<11} {r['first_monthly']:<11} {r['first_daily']:<11} "
                   f"{'yes' if r['default'] else 'no':<8} {r['fred_ids']}")
    typer.echo("plus event_<label> (political, 0/1) for each label of --events-csv; "
               "details: python -c 'from macroattr.data_pipelines import catalog; print(catalog.table())'")
