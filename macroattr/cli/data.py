"""``macroattr data panel | factors``: build a model-ready panel, list the factor catalog.

Bad input (unknown factor, no common data, malformed user CSV, a span before a factor exists)
exits 2 with one line; no output file is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from macroattr.cli._out import result, status, warn
from macroattr.cli._app import data_app
from macroattr.cli.options import (ConsensusCsv, EventsCsv, FuturesCsv, OddsCsv, PanelAsOf,
                                   PanelEnd, PanelFactors, PanelFreq, PanelStale, PanelStart,
                                   AllowExtremeReturns,
                                   Quiet, Source, Store, TargetCsv, panel_overrides)
from macroattr.data_pipelines.settings import PanelSettings


@data_app.command("panel")
def panel_cmd(
    out: Annotated[Path, typer.Option("--out", help="Output file, .csv or .parquet (+ FILE.meta.json).")],
    freq: PanelFreq = PanelSettings.default("freq"),
    start: PanelStart = None,
    end: PanelEnd = None,
    factors: PanelFactors = None,
    source: Source = "snapshot",
    store: Store = None,
    as_of: PanelAsOf = None,
    target_csv: TargetCsv = None,
    futures_csv: FuturesCsv = None,
    consensus_csv: ConsensusCsv = None,
    events_csv: EventsCsv = None,
    odds_csv: OddsCsv = None,
    stale: PanelStale = PanelSettings.default("stale"),
    allow_extreme_returns: AllowExtremeReturns = False,
    quiet: Quiet = False,
) -> None:
    """Build the panel of rel_return (pp) and macro factors and write it to --out."""
    from macroattr.core.io import check_destination
    from macroattr.data_pipelines import build_panel
    from macroattr.data_pipelines.panel import Panel

    settings = PanelSettings.of(panel_overrides(locals()), "data panel", option_style=True)
    out, sidecar = Panel.files(out)  # a bad extension is refused before any work
    inputs = [target_csv, futures_csv, consensus_csv, events_csv, odds_csv]
    check_destination(out, inputs=inputs)  # a directory, an input, a read-only place
    check_destination(sidecar, inputs=inputs, option="--out sidecar")
    panel = build_panel(settings, source=source, store=store)
    panel.to_file(out)
    m = panel.meta
    result(panel.headline)
    for g, cols in m["groups"].items():
        result(f"  {m.get('group_labels', {}).get(g, g):<10} " + ", ".join(f"{c} [{m['units'][c]}]" for c in cols))
    result("  target     " + "; ".join(f"{s['source']} {s['first']}..{s['last']}" for s in m["target_sources"]))
    fr = m["freshness"]
    result(f"  data to {fr['data_to']} (limited by {fr['limited_by']}); last values: "
               + ", ".join(f"{c} {d}" for c, d in fr["last_obs"].items()))
    for note in m["notes"]:
        status(f"note: {note}")
    result(f"wrote {out} and {out.name}.meta.json")


@data_app.command("factors")
def factors_cmd() -> None:
    """List the factor catalog: name, group, unit, first period (monthly/daily), default set, last values."""
    from macroattr.data_pipelines import catalog

    tab = catalog.table()
    result(f"{'factor':<15} {'group':<19} {'unit':<11} {'from (M)':<11} {'from (D)':<11} {'default':<8} "
               "last observation (embedded snapshot)")
    for name, r in tab.iterrows():
        result(f"{name:<15} {r['group_label']:<19} {r['unit']:<11} {r['first_monthly'] or '-':<11} "
                   f"{r['first_daily'] or '-':<11} {'yes' if r['default'] else 'no':<8} {r['last_obs']}")
    result("a panel ends at its earliest-ending column: `data panel` prints 'data to DATE (limited by ...)'; "
               "a factor ending more than a period before the target needs --stale drop|carry to be left out or "
               "carried (default trim: the panel stops there)")
    result("plus event_<label> (political, 0/1) for each label of --events-csv (or --events builtin:fomc); "
               "details: python -c 'from macroattr.data_pipelines import catalog; print(catalog.table())'")
