"""``macroattr backtest`` and ``macroattr grid``: many independent fits on Dask.

Both run their tasks on a local Dask cluster (one single-threaded worker process per
core, ``--workers N`` to change) or on a running scheduler (``--scheduler tcp://HOST:8786``);
finished tasks are cached by content hash in ``--cache-dir`` (default ``.cache``) so a
re-run skips them. See :mod:`macroattr.jobs.executor`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from macroattr.cli._out import result, status, warn
from macroattr.cli._app import app
from macroattr.cli.options import (CacheDir, Chains, ConfigFile, Draws, Method, Quiet, Scheduler,
                                   Serial, Source, Store, Tune, Workers)


def _executor(scheduler: str | None, workers: int | None, serial: bool):  # noqa: ANN202
    from macroattr.jobs.executor import Executor

    if serial and scheduler:
        from macroattr.core.errors import InputError

        raise InputError("--serial runs in this process; leave out --scheduler")
    return Executor(scheduler=scheduler, workers=workers, serial=serial,
                    say=status)


def _cache(cache_dir: Path | None) -> Path:
    from macroattr.jobs.cache import default_cache_dir

    return Path(cache_dir) if cache_dir is not None else default_cache_dir()


@app.command("backtest")
def backtest_cmd(
    start: Annotated[str, typer.Option("--start", help="First forecast period: 2005Q1, 2005-01, 2005.")],
    end: Annotated[str, typer.Option("--end", help="Last forecast period: 2024Q4, 2024-12, 2024.")],
    out: Annotated[Path, typer.Option("--out", help="Output directory (scores.csv, summary.csv, "
                                      "tasks.csv, coefficients.csv, backtest.html).")],
    config: ConfigFile = None,
    window: Annotated[str, typer.Option("--window", help="expanding or rolling:N (N periods).")] = "expanding",
    step: Annotated[str, typer.Option("--step", help="Time between origins: 1M, 1Q, 1Y.")] = "1Q",
    as_of_origins: Annotated[bool, typer.Option("--as-of-origins", help="Build each origin's panel as "
                                                "published on that day (store vintages).")] = False,
    panel: Annotated[Path | None, typer.Option("--panel", help="A panel file instead of building "
                                               "panels from the config's panel table.")] = None,
    source: Source = "snapshot",
    store: Store = None,
    method: Method = None,
    draws: Draws = None,
    tune: Tune = None,
    chains: Chains = None,
    prob: Annotated[float, typer.Option("--prob", help="Mass of the forecast intervals.")] = 0.9,
    scheduler: Scheduler = None,
    workers: Workers = None,
    serial: Serial = False,
    cache_dir: CacheDir = None,
    quiet: Quiet = False,
) -> None:
    """Fit on data up to each origin, forecast the next periods, score against references."""
    from macroattr.jobs.run_config import load_run_config
    from macroattr.core.errors import InputError
    from macroattr.jobs.backtest import check_out, run_backtest
    from macroattr.jobs.inputs import SOURCES

    if source not in SOURCES:
        raise InputError(f"--source {source!r} is not one of {', '.join(SOURCES)}")
    check_out(out)
    # a remote scheduler is reached first (an unreachable one fails in seconds); a local
    # cluster starts only when a task needs computing (bad input never waits for it)
    with _executor(scheduler, workers, serial) as ex:
        rc = load_run_config(config)
        if any(v is not None for v in (method, draws, tune, chains)):
            rc = rc.model_copy(update={"model": rc.model.override(method=method, draws=draws,
                                                                   tune=tune, chains=chains)})
        bt = run_backtest(rc, start=start, end=end, window=window, step=step,
                          as_of_origins=as_of_origins, panel_file=panel, source=source,
                          store=store, executor=ex, cache_dir=_cache(cache_dir), prob=prob,
                          say=status)
    from macroattr.reports.evaluation import write_backtest

    paths = write_backtest(bt, out, title=f"Backtest {start}..{end} ({window}, step {step})")
    for note in bt.notes:
        status(f"note: {note}")
    _print_outcome(bt, paths)


def _print_outcome(bt, paths) -> None:  # noqa: ANN001
    from macroattr.core.errors import ConvergenceError

    summ = bt.summary()
    if not summ.empty:
        result(summ.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    failed = bt.tasks[bt.tasks["status"] == "failed"] if not bt.tasks.empty else bt.tasks
    for _, r in failed.iterrows():
        result(f"FAILED {r['label']}: {r['reason']}")
    cached = int((bt.tasks["status"] == "cached").sum()) if not bt.tasks.empty else 0
    result(f"{len(bt.tasks) - len(failed)} of {len(bt.tasks)} tasks done"
               + (f" ({cached} from the cache)" if cached else "") + "; wrote "
               + ", ".join(str(p) for p in paths))
    if len(bt.tasks) and len(failed) == len(bt.tasks):
        from macroattr.core.errors import InputError

        first = str(failed.iloc[0]["reason"])
        err = ConvergenceError if "convergence" in first else InputError
        raise err(f"all {len(failed)} origins failed, no scores (first: {first}); "
                  f"see {paths[2]}")


@app.command("grid")
def grid_cmd(
    specs: Annotated[Path, typer.Option("--specs", help="Specification file (TOML: a grid table and spec entries; see the README).")],
    out: Annotated[Path, typer.Option("--out", help="Output directory (comparison.csv, attribution.csv, "
                                      "placebo.csv, grid.html).")],
    quarter: Annotated[str | None, typer.Option("--quarter", help="Headline quarter, e.g. 2024Q3 "
                                                "(default: the file's, else the latest shared one).")] = None,
    placebo: Annotated[str | None, typer.Option("--placebo", help="Add a circularly shifted copy of "
                                                "this factor to every spec and count credible placebos.")] = None,
    placebo_shifts: Annotated[int | None, typer.Option("--placebo-shifts", help="Shifts per spec.")] = None,
    source: Source = "snapshot",
    store: Store = None,
    method: Method = None,
    draws: Draws = None,
    tune: Tune = None,
    chains: Chains = None,
    scheduler: Scheduler = None,
    workers: Workers = None,
    serial: Serial = False,
    cache_dir: CacheDir = None,
    quiet: Quiet = False,
) -> None:
    """Fit every specification as an independent task; compare, stack, check placebos."""
    from macroattr.core.errors import InputError
    from macroattr.jobs.backtest import check_out
    from macroattr.jobs.grid import load_specs, run_grid
    from macroattr.jobs.inputs import SOURCES
    from macroattr.reports.evaluation import write_grid

    if source not in SOURCES:
        raise InputError(f"--source {source!r} is not one of {', '.join(SOURCES)}")
    overrides = {k: v for k, v in dict(method=method, draws=draws, tune=tune, chains=chains).items()
                 if v is not None}
    with _executor(scheduler, workers, serial) as ex:
        spec = load_specs(specs, overrides=overrides, quarter=quarter, placebo=placebo,
                          placebo_shifts=placebo_shifts)
        made = not out.exists()
        check_out(out)
        try:
            grid = run_grid(spec, executor=ex, cache_dir=_cache(cache_dir), source=source,
                            store=store, say=status)
        except BaseException:
            if made:  # refused or stopped: leave no empty output folder behind
                import contextlib

                with contextlib.suppress(OSError):
                    out.rmdir()
            raise
    paths = write_grid(grid, out)
    for note in grid.notes:
        status(f"note: {note}")
    cols = [c for c in ("spec", "status", "elpd_loo", "lpds_one_step", "bt_log_score", "bt_crps",
                        "stacking_weight")
            if c in grid.comparison.columns]
    result(grid.comparison[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    st = grid.attribution[grid.attribution["spec"] == "stacked"] if not grid.attribution.empty else None
    if st is not None and len(st):
        result(f"\nstacked attribution of {grid.quarter} (pp, mean [{100 * grid.hdi:.3g}% HDI]):")
        for r in st.itertuples():
            result(f"  {r.component:<12} {r.mean:+7.2f} [{r.hdi_low:+.2f}, {r.hdi_high:+.2f}]")
    for _, r in grid.comparison.iterrows():
        if r["status"] == "failed":
            result(f"FAILED {r['spec']}: {r['reason']}")
    result("wrote " + ", ".join(str(p) for p in paths))
