"""The command-line options, declared once and shared by every command that takes them.

Each alias is an ``Annotated`` type: a command lists ``start: PanelStart = None`` and gets
the same flag, type and help as every other command with that option. The panel options are
the fields of :class:`~macroattr.data_pipelines.settings.PanelSettings` (same names, the help
is the field's help), so ``data panel``, ``run``, ``build_panel`` and a config's ``[panel]``
table cannot drift apart; :func:`panel_overrides` turns a command's panel options back into
settings. A new option used by more than one command is added here; one used by a single
command stays in that command's signature.

Importing this module is light (no pandas, no pydantic): ``macroattr --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from macroattr.data_pipelines.settings import PanelSettings

__all__ = [
    "AllowExtremeReturns", "CacheDir", "Chains", "ConfigFile", "ConsensusCsv", "Draws", "Estimate", "EventsCsv",
    "FitEnd", "FitFile", "FitStart", "Formats", "FuturesCsv", "Hdi", "JsonOutput", "Method",
    "OddsCsv", "OtherFit", "PanelAsOf", "PanelEnd", "PanelFactors", "PanelFreq", "PanelStale",
    "PanelStart", "Quiet", "ReadSource", "Refit", "Scenarios", "Scheduler", "Serial", "Source",
    "Store", "TargetCsv", "Tune", "Workers", "panel_overrides",
]


def _panel(name: str, kind: Any, *flags: str) -> Any:
    """The option of panel setting ``name``: ``--<name>`` and its help from PanelSettings."""
    flag = "--" + name.replace("_", "-")
    return Annotated[kind, typer.Option(flag, *flags, help=PanelSettings.describe(name))]


# ----------------------------------------------------------------- the panel (PanelSettings)
PanelFreq = _panel("freq", str | None)
PanelStart = _panel("start", str | None)
PanelEnd = _panel("end", str | None)
PanelFactors = _panel("factors", str | None)
PanelAsOf = _panel("as_of", str | None)
TargetCsv = _panel("target_csv", Path | None)
FuturesCsv = _panel("futures_csv", Path | None)
ConsensusCsv = _panel("consensus_csv", Path | None)
EventsCsv = _panel("events_csv", Path | None, "--events")
OddsCsv = _panel("odds_csv", Path | None)
PanelStale = _panel("stale", str | None)
AllowExtremeReturns = _panel("allow_extreme_returns", bool | None)

#: The command parameters that are panel settings (same names as the fields).
PANEL_PARAMS = tuple(PanelSettings.names())


def panel_overrides(arguments: dict[str, Any]) -> dict[str, Any]:
    """The panel settings among a command's ``arguments`` (``None``: not given)."""
    return {k: arguments[k] for k in PANEL_PARAMS if k in arguments}


# ----------------------------------------------------------------- where data and fits come from
Source = Annotated[str, typer.Option(
    "--source", help="Where the data come from: snapshot (embedded, offline), fred (the local "
                     "FRED store) or auto (the store where it holds a series, else the snapshot).")]
ReadSource = Annotated[str, typer.Option(
    "--source", help="Data for the fit: auto (the local FRED store where it holds a series, as "
                     "the last `run` left it, else the snapshot), fred or snapshot.")]
Store = Annotated[Path | None, typer.Option(
    "--store", help="FRED store folder (default: MACROATTR_STORE or the user cache dir).")]
CacheDir = Annotated[Path | None, typer.Option(
    "--cache-dir", help="Cache of fits and tasks (default $MACROATTR_CACHE_DIR or .cache).")]
ConfigFile = Annotated[Path | None, typer.Option(
    "--config", help="Model configuration TOML (default configs/default.toml: the daily "
                     "state-space model, the main job's).")]
FitFile = Annotated[Path | None, typer.Option(
    "--fit", help="Fit file (NetCDF); default: the main job's fit for the current data and "
                  "config (the one `macroattr run` caches; fitted once if absent).")]
OtherFit = Annotated[Path | None, typer.Option(
    "--other-fit", help="A fit of the other shipped model (e.g. configs/static_monthly.toml "
                        "beside the daily state-space fit): shown beside each scenario effect, "
                        "sign disagreements flagged.")]
FitStart = Annotated[str | None, typer.Option(
    "--fit-start", help="First day of a fit other than the main job's (its span is stated, "
                        "with how the answer differs from the main fit).")]
FitEnd = Annotated[str | None, typer.Option(
    "--fit-end", help="Last day of a fit other than the main job's (as --fit-start).")]
Refit = Annotated[bool, typer.Option(
    "--refit", help="Build the panel and fit again even when a cached fit for the same panel, "
    "config and seed exists.")]
Scenarios = Annotated[Path | None, typer.Option(
    "--scenarios", help="Scenario TOML (default: the shipped standard set).")]

# ----------------------------------------------------------------- model overrides
Method = Annotated[str | None, typer.Option(
    "--method", help="nuts or exact (closed form: the static conjugate model or the "
                     "state-space DLM); overrides the config.")]
Draws = Annotated[int | None, typer.Option("--draws", help="Draws per chain; overrides the config.")]
Tune = Annotated[int | None, typer.Option("--tune", help="Tuning steps per chain; overrides the config.")]
Chains = Annotated[int | None, typer.Option("--chains", help="Chains per fit; overrides the config.")]

# ----------------------------------------------------------------- reading a fit
Hdi = Annotated[float, typer.Option("--hdi", help="HDI probability (0 to 1).")]
Estimate = Annotated[str, typer.Option(
    "--estimate", help="revised (alias smoothed: with the whole span's data) or first estimate "
                       "(aliases filtered, 'real time': each period as estimated at its end; "
                       "state-space fits).")]
Formats = Annotated[str, typer.Option(
    "--format", metavar="LIST", help="Comma-separated outputs: html (always), pdf (printed by "
                                     "headless Chromium), png (one per chart), xlsx (the page's "
                                     "tables).")]

# ----------------------------------------------------------------- many fits (Dask)
Scheduler = Annotated[str | None, typer.Option(
    "--scheduler", help="Address of a running Dask scheduler (tcp://HOST:8786); default: a "
                        "local cluster on this machine.")]
Workers = Annotated[int | None, typer.Option(
    "--workers", help="Worker processes of the local cluster (default: one per usable core; "
                      "each runs one task at a time on one thread).")]
Serial = Annotated[bool, typer.Option(
    "--serial", help="Run the tasks one by one in this process (no Dask).")]

# ----------------------------------------------------------------- what is printed
Quiet = Annotated[bool, typer.Option(
    "--quiet", "-q", help="Print only the results (stdout), errors and warnings: no status "
                          "or progress lines on stderr.")]
JsonOutput = Annotated[bool, typer.Option(
    "--json", help="Print the result as one JSON document on stdout (schema: "
                   "docs in DEVELOPING.md, 'JSON output').")]
