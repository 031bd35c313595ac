"""``macroattr backtest`` end to end: panels per origin, tasks, gathering.

:func:`run_backtest` builds, for each origin, the panel **as it could be built at the
origin** (``build_panel(end=origin)``: factors such as the CPI surprise computed from data
up to the origin only; with ``as_of_origins`` also ``as_of=origin``, each series as
published that day, so the scores include data revisions), sends one
:func:`models.backtest.forecast_origin` task per origin to an
:class:`~macroattr.jobs.executor.Executor`, and gathers a :class:`models.backtest.Backtest`.
The realised values of the forecast periods (target and factors) come from the panel
built over the whole span (latest data).

For a state-space configuration (``[model] betas = "state_space"``) whose fit offers
``one_step_ahead()``, one fit over the whole span and its filter's one-step-ahead
predictive densities replace the per-origin refits (the output says so).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from macroattr.core.errors import InputError

__all__ = ["backtest_tasks", "gather_backtest", "one_pass_task", "run_backtest", "task_meta"]

#: The panel meta a fit task needs: what the design reads (frequency, groups, units; the catalog
#: columns and target sources that select the fixed reference scales of the priors, so a task's
#: fit has the same prior per factor as the main job's fit of the same data).
TASK_META_KEYS = ("freq", "groups", "units", "path", "factors", "target_sources")


def task_meta(meta: dict[str, Any], *extra: str) -> dict[str, Any]:
    """The part of a panel's ``meta`` shipped with a fit task (:data:`TASK_META_KEYS` + ``extra``)."""
    keep = (*TASK_META_KEYS, *extra)
    return {k: v for k, v in meta.items() if k in keep}


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def _load_inputs(config: Any, panel_file: str | os.PathLike[str] | None, source: str,
                 store: Any, say: Callable[[str], None]) -> tuple[Any, Any, Any]:
    """(run config, full panel, model config for it)."""
    from macroattr.jobs.run_config import RunConfig, load_run_config

    rc = config if isinstance(config, RunConfig) else load_run_config(config)
    if panel_file is not None:
        from macroattr.data_pipelines.panel import Panel

        panel = Panel.read(panel_file)
        panel.meta.setdefault("path", str(panel_file))
        return rc, panel, rc.model.for_panel(panel)
    from macroattr.jobs.inputs import build_config_panel

    panel, cfg = build_config_panel(rc.model, rc.panel, source=source, store=store,
                                    progress=lambda line: say(line.strip()))
    return rc, panel, cfg.for_panel(panel)


def backtest_tasks(rc: Any, panel: Any, cfg: Any, origins: list[Any], *, window: str,
                   prob: float, as_of_origins: bool, from_file: bool, source: str = "snapshot",
                   store: Any = None, label_prefix: str = "") -> list[Any]:
    """One :class:`~macroattr.jobs.executor.Task` per origin (panel built up to the origin)."""
    from macroattr.jobs.executor import Task, task_config, task_key
    from macroattr.models.evaluation.backtest import forecast_origin

    cfg_json = task_config(cfg)
    tasks = []
    full = panel.data
    for o in origins:
        iso = f"{o.date:%Y-%m-%d}"
        if from_file:
            data, meta = full.loc[full.index <= o.date], dict(panel.meta)
        else:
            from macroattr.jobs.inputs import build_config_panel

            # as published on the origin day: the origin's own period may not be out yet,
            # so the panel simply ends where the data published by then end
            settings = rc.panel.updated(as_of=iso) if as_of_origins else rc.panel.updated(end=iso)
            if rc.panel.start is None and cfg.start is None:
                settings = settings.updated(start=f"{full.index[0]:%Y-%m-%d}")
            # the main panel's factors, whatever was stale at its end (stale="drop" there)
            settings = settings.updated(factors=list(panel.factors), stale="trim")
            p, _ = build_config_panel(rc.model, settings, source=source, store=store)
            data, meta = p.data, dict(p.meta)
        if data.index.max() > o.date:  # the contract: nothing after the origin
            raise AssertionError(f"panel for origin {iso} runs past it")
        targets = full.loc[o.targets]
        meta = task_meta(meta, "as_of")
        key = task_key("backtest-origin", data, meta, cfg_json, iso, targets, window, prob)
        tasks.append(Task(key=key, label=f"{label_prefix}{o.label}", fn=forecast_origin,
                          kwargs={"data": data, "meta": meta, "config": cfg_json, "origin": iso,
                                  "targets": targets, "window": window, "prob": prob}))
    return tasks


def one_pass_task(data: pd.DataFrame, meta: dict[str, Any], config: str,
                  origins: list[str] | None = None, prob: float = 0.9,
                  cores: int | None = None) -> dict[str, Any]:
    """Fit a state-space model once and return its one-step-ahead predictive densities
    (``fit.one_step_ahead()``: date, mean, scale, df, log_score) and its **filtered**
    (real-time) betas at each of ``origins`` (the parameter-stability rows)."""
    from macroattr.data_pipelines.panel import Panel
    from macroattr.models.config import ModelConfig
    from macroattr.models.estimation.fitting import fit_model

    cfg = ModelConfig.from_json(config)
    if cores is not None:
        cfg = cfg.override(cores=cores)
    fit = fit_model(Panel(data, dict(meta)), cfg.for_panel(Panel(data, dict(meta))))
    osa = fit.one_step_ahead()
    osa = osa.assign(date=pd.to_datetime(osa["date"]).dt.strftime("%Y-%m-%d"))
    coefs: list[dict[str, Any]] = []
    if origins:
        paths = fit.beta_paths(hdi=prob, estimate="filtered")
        paths = paths.assign(origin=pd.to_datetime(paths["time"]).dt.strftime("%Y-%m-%d"))
        keep = paths[paths["origin"].isin(origins)].drop(columns=["time"])
        coefs = keep.to_dict("records")
    return {"one_step_ahead": osa.to_dict("records"), "coefficients": coefs,
            "gate": fit.diagnostics.gate.line() if fit.diagnostics is not None else ""}


def gather_backtest(results: list[Any], prob: float, notes: list[str],
                    origins: dict[str, Any] | None = None) -> Any:
    """A :class:`models.backtest.Backtest` from task results (failed ones in ``tasks``)."""
    from macroattr.models.evaluation.backtest import Backtest

    rows, coefs, tasks = [], [], []
    for r in results:
        v = r.value or {}
        rows += v.get("rows", [])
        coefs += v.get("coefficients", [])
        tasks.append({"label": r.label, "origin": v.get("origin", (origins or {}).get(r.label, "")),
                      "status": r.status, "reason": r.reason, "n_obs": v.get("n_obs"),
                      "window_start": v.get("window_start"), "seconds": round(r.seconds, 3),
                      "gate": v.get("gate", "")})
    scores = pd.DataFrame(rows)
    if not scores.empty:
        scores = scores.sort_values(["date", "model"], kind="stable").reset_index(drop=True)
    return Backtest(scores=scores, tasks=pd.DataFrame(tasks), coefficients=pd.DataFrame(coefs),
                    prob=prob, notes=notes)


def run_backtest(config: Any = None, *, start: str, end: str, window: str = "expanding",
                 step: str = "1Q", as_of_origins: bool = False,
                 panel_file: str | os.PathLike[str] | None = None, source: str = "snapshot",
                 store: Any = None, executor: Any = None, cache_dir: Any = None,
                 prob: float = 0.9, progress: bool | None = None,
                 say: Callable[[str], None] = _say) -> Any:
    """Run a backtest and return a :class:`models.backtest.Backtest`.

    Parameters
    ----------
    config
        Config TOML path (None: ``configs/default.toml``) or a ``RunConfig``.
    start, end
        First and last forecast period (``2005Q1``, ``2005-01``, ``2005`` or a date).
    window, step
        ``expanding`` or ``rolling:N``; ``1Q``, ``1M``, ``1Y`` between origins.
    as_of_origins
        Build each origin's panel as published on the origin date (store vintages).
    panel_file
        A panel file instead of building panels (windows are slices of it).
    executor
        A :class:`~macroattr.jobs.executor.Executor` (entered); None runs serially.
    cache_dir
        Where finished tasks are kept (re-runs skip them).
    """
    from macroattr.jobs.executor import Executor
    from macroattr.models.evaluation.backtest import parse_window, plan_origins

    if not 0 < prob < 1:
        raise InputError(f"--prob {prob} must be between 0 and 1 (e.g. 0.9)")
    win = parse_window(window)
    if as_of_origins and panel_file is not None:
        raise InputError("--as-of-origins builds each origin's panel from the store's vintages; "
                         "it cannot be combined with --panel FILE")
    rc, panel, cfg = _load_inputs(config, panel_file, source, store, say)
    data = panel.data
    if cfg.start is not None:
        data = data.loc[pd.Timestamp(cfg.start):]
    origins = plan_origins(data.index, start, end, step, win, n_factors=len(cfg.factors),
                           likelihood=cfg.model.likelihood)
    last = origins[-1].targets[-1]
    notes = [f"{len(origins)} origins, {win} window, step {step}; forecasts of "
             f"{origins[0].targets[0]:%Y-%m-%d}..{last:%Y-%m-%d} given the realised factor values",
             "references: historical mean and OLS on the same factors, fitted on the same windows",
             "each origin's fit uses data up to the origin only (panel built with end=origin; "
             "standardisation from the window)"]
    if as_of_origins:
        notes.append("each origin's panel is built as published on the origin date (as_of): "
                     "scores include data revisions; realised values are the latest data")
    ex = executor if executor is not None else Executor(serial=True)
    own = executor is None
    if own:
        ex.__enter__()
    try:
        if cfg.model.betas == "state_space":
            if as_of_origins:
                raise InputError("--as-of-origins refits on each origin's vintage panel, but a "
                                 "state-space config is scored from one filter pass over one "
                                 "panel; leave out --as-of-origins or use a static config")
            return _one_pass(panel, cfg, origins, win, prob, ex, cache_dir, progress, notes, say)
        tasks = backtest_tasks(rc, panel, cfg, origins, window=str(win), prob=prob,
                               as_of_origins=as_of_origins, from_file=panel_file is not None,
                               source=source, store=store)
        say(f"backtest: {len(tasks)} origin fits on {ex.description}")
        results = ex.run(tasks, cache_dir=cache_dir, progress=progress, what="origin")
    finally:
        if own:
            ex.__exit__(None, None, None)
    return gather_backtest(results, prob, notes, {o.label: f"{o.date:%Y-%m-%d}" for o in origins})


ONE_PASS_NOTE = ("state-space model: ONE exact filter pass over the whole span instead of a "
                 "refit per origin (fit.one_step_ahead()): each period's predictive density "
                 "conditions on the observations before it and the prior's scale comes from the "
                 "first years of the span; the weights of the discount grid (marginal "
                 "likelihoods) are those of the whole span. Each period is forecast one step "
                 "ahead (horizon 1), the references from the block's origin. Parameter "
                 "stability shows the filtered (real-time) betas at each origin")


def one_pass_plan(panel: Any, cfg: Any, origins: list[Any], prob: float,
                  label: str = "one-pass filter") -> tuple[Any, pd.DataFrame]:
    """The one task of a state-space backtest (one fit over the span to the last forecast
    period) and the data it covers (the config's start applied)."""
    from macroattr.jobs.executor import Task, task_config, task_key

    end = origins[-1].targets[-1]
    full = panel.data if cfg.start is None else panel.data.loc[pd.Timestamp(cfg.start):]
    data = full.loc[: end]
    meta = task_meta(panel.meta)
    isos = [f"{o.date:%Y-%m-%d}" for o in origins]
    kw = {"data": data, "meta": meta, "config": task_config(cfg), "origins": isos, "prob": prob}
    return Task(key=task_key("one-pass", kw), label=label, fn=one_pass_task, kwargs=kw), full


def one_pass_results(res: Any, full: pd.DataFrame, cfg: Any, origins: list[Any],
                     prob: float) -> list[Any]:
    """Per-origin task results from the one-pass fit's result ``res``: the filter's
    one-step-ahead scores of each block and the references fitted on the block's window."""
    from macroattr.jobs.executor import TaskResult, task_key
    from macroattr.models.evaluation.backtest import MODEL, reference_scores, score_one_step_ahead

    results: list[TaskResult] = []
    target = cfg.target
    for o in origins:
        past = full.loc[full.index <= o.date]
        targets = full.loc[o.targets]
        iso = f"{o.date:%Y-%m-%d}"
        if not res.ok:
            results.append(TaskResult(res.key, o.label, "failed", reason=res.reason))
            continue
        osa = pd.DataFrame(res.value["one_step_ahead"])
        rows = score_one_step_ahead(osa, full[target], [o], prob)
        refs = reference_scores(past, targets, target, cfg.factors, prob)
        for i, date in enumerate(o.targets):
            base = {"origin": iso, "date": f"{date:%Y-%m-%d}", "horizon": i + 1,
                    "observed": float(targets[target].iloc[i])}
            for name, sc in refs.items():
                rows.append(base | {"model": name} | sc[i])
        missing = len(o.targets) - sum(r["model"] == MODEL for r in rows)
        coefs = [c for c in res.value.get("coefficients", []) if c.get("origin") == iso]
        results.append(TaskResult(task_key(res.key, iso), o.label, res.status, reason=(
            f"{missing} periods without a one-step-ahead density" if missing else ""),
            value={"origin": iso, "rows": rows, "n_obs": len(past), "coefficients": coefs,
                   "window_start": f"{past.index[0]:%Y-%m-%d}", "gate": res.value.get("gate", "")},
            seconds=res.seconds / len(origins)))
    return results


def _one_pass(panel: Any, cfg: Any, origins: list[Any], win: Any, prob: float, ex: Any,
              cache_dir: Any, progress: bool | None, notes: list[str],
              say: Callable[[str], None]) -> Any:
    """State-space: one fit, its filter's one-step-ahead densities, references per origin."""
    if win.length is not None:
        raise InputError(f"--window {win}: the state-space backtest is the filter's expanding "
                         f"one-step-ahead densities; use --window expanding")
    task, full = one_pass_plan(panel, cfg, origins, prob)
    data = task.kwargs["data"]
    say(f"backtest: state-space model: ONE filter pass over {data.index[0]:%Y-%m-%d}.."
        f"{data.index[-1]:%Y-%m-%d} gives the one-step-ahead predictive densities (no refit per "
        f"origin) on {ex.description}")
    (res,) = ex.run([task], cache_dir=cache_dir, progress=progress, what="fit")
    notes[2] = ONE_PASS_NOTE
    return gather_backtest(one_pass_results(res, full, cfg, origins, prob), prob, notes)


def check_out(out: Path) -> None:
    """InputError when ``out`` cannot be an output directory."""
    from macroattr.reports.render import check_out_dir

    check_out_dir(Path(out))
