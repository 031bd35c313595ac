"""``macroattr grid``: many specifications as independent tasks, compared and stacked.

A specification file (TOML) names a base configuration and a list of specifications,
each the base with some tables replaced::

    [grid]
    config = "configs/default.toml"   # base of every spec (relative to this file; default: shipped)
    quarter = "2024Q3"                # headline quarter (default: the latest one every spec covers)
    hdi = 0.9
    placebo = "d_2y"                  # optional: add a circularly shifted copy of this factor
    placebo_shifts = 6                #   ... at this many shifts per specification

    [grid.backtest]                   # optional: backtest every spec on the same origins
    start = "2015Q1"
    end = "2024Q4"
    window = "expanding"
    step = "1Q"

    [[spec]]
    name = "baseline"

    [[spec]]
    name = "normal errors"
    model = { likelihood = "normal" }

    [[spec]]
    name = "credit only"
    groups = { leverage = ["d_baa_spread"] }      # groups / units replace the base's

    [[spec]]
    name = "other pair"
    panel = { target_csv = "midcap_minus_large.csv" }   # paths relative to this file

A spec may set ``config`` (its own base file), ``groups``, ``units``, ``model``,
``priors``, ``sampler``, ``gate``, ``panel`` (merged key by key), ``start``, ``end``.
Every error in the file is listed in one line and nothing runs (the schema and the reader:
:mod:`macroattr.jobs.grid_specs`).

Stacking weights come from the pointwise out-of-sample log scores when a backtest is
configured, else from the pointwise PSIS-LOO elpd (both over the periods every
specification shares); the stacked attribution mixes each specification's posterior
draws of the quarter in those proportions (a group a specification lacks counts 0).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from macroattr.jobs.backtest import task_meta
from macroattr.jobs.grid_specs import GridSpec, load_specs

import numpy as np
import pandas as pd

from macroattr.core.errors import InputError

__all__ = ["Grid", "GridSpec", "load_specs", "run_grid"]


@dataclass
class Grid:
    """Results of a grid: ``comparison`` (one row per spec), ``attribution`` (spec,
    component, mean, hdi_low, hdi_high; ``stacked`` included), ``weights``, ``placebo``
    (one row per spec and shift), ``backtests`` (spec -> Backtest)."""

    quarter: str
    comparison: pd.DataFrame
    attribution: pd.DataFrame
    placebo: pd.DataFrame
    backtests: dict[str, Any] = field(default_factory=dict)
    weights_basis: str = ""
    hdi: float = 0.9
    notes: list[str] = field(default_factory=list)


def _say(line: str) -> None:
    print(line, file=sys.stderr)


def run_grid(spec: GridSpec, *, executor: Any = None, cache_dir: Any = None,
             source: str = "snapshot", store: Any = None, progress: bool | None = None,
             say: Callable[[str], None] = _say) -> Grid:
    """Build each specification's panel, run every fit (and backtest origin, and placebo)
    as an independent task, and gather the comparison, stacking and placebo tables."""
    from macroattr.jobs.executor import Executor, Task, task_config, task_key
    from macroattr.jobs.backtest import ONE_PASS_NOTE, backtest_tasks, \
        gather_backtest, one_pass_plan, one_pass_results
    from macroattr.models.evaluation.backtest import plan_origins
    from macroattr.core.periods import complete_quarters
    from macroattr.models.evaluation.specgrid import fit_spec
    from macroattr.jobs.inputs import build_config_panel

    panels: dict[str, tuple[Any, Any]] = {}
    for name, rc in spec.specs.items():
        # a factor a specification names is compared, never left out for ending early (stale="drop"
        # of the default config): each spec's panel ends where its factors end
        settings = rc.panel.updated(stale="trim") if rc.panel.stale == "drop" else rc.panel
        p, cfg = build_config_panel(rc.model, settings, source=source, store=store)
        panels[name] = (p, cfg.for_panel(p))
    quarter = spec.quarter
    if quarter is not None:  # before any fit: a quarter outside a specification's data
        for name, (p, cfg) in panels.items():
            idx = pd.DatetimeIndex(p.data.index)
            idx = idx[(idx >= pd.Timestamp(cfg.start or idx[0])) & (idx <= pd.Timestamp(cfg.end or idx[-1]))]
            if quarter not in complete_quarters(idx, p.meta.get("freq", "M")):
                span = f"{idx[0]:%Y-%m-%d} to {idx[-1]:%Y-%m-%d}" if len(idx) else "no rows"
                raise InputError(f"quarter {quarter} (--quarter or [grid] quarter) is not a complete "
                                 f"quarter of specification {name!r}'s data ({span}); choose a "
                                 f"quarter inside every specification's span, or leave it out "
                                 f"for the latest one they all cover")
    if quarter is None:
        common = None
        for p, _ in panels.values():
            qs = set(complete_quarters(pd.DatetimeIndex(p.data.index), p.meta.get("freq", "M")))
            common = qs if common is None else common & qs
        if not common:
            raise InputError("the specifications share no complete quarter; set [grid] quarter")
        quarter = max(common)
    tasks: list[Task] = []
    kinds: dict[str, tuple[str, str, int]] = {}
    bt_tasks: dict[str, list[Task]] = {}
    one_pass: dict[str, tuple[Any, Any, Any, Any]] = {}
    for name, (p, cfg) in panels.items():
        meta = task_meta(p.meta)
        cj = task_config(cfg)
        kw = {"data": p.data, "meta": meta, "config": cj, "quarter": quarter, "prob": spec.hdi}
        t = Task(task_key("grid-fit", kw), f"{name}", fit_spec, kw)
        tasks.append(t)
        kinds[t.key] = ("fit", name, 0)
        if spec.placebo is not None:
            n = len(p.data)
            for j in range(spec.placebo_shifts):
                shift = int(round((j + 1) * n / (spec.placebo_shifts + 1)))
                pk = kw | {"placebo": spec.placebo, "shift": shift}
                t = Task(task_key("grid-placebo", pk), f"{name} placebo shift {shift}", fit_spec, pk)
                tasks.append(t)
                kinds[t.key] = ("placebo", name, shift)
        if spec.backtest is not None:
            b = spec.backtest
            data = p.data if cfg.start is None else p.data.loc[pd.Timestamp(cfg.start):]
            origins = plan_origins(data.index, b["start"], b["end"], b.get("step", "1Q"),
                                   b.get("window", "expanding"), n_factors=len(cfg.factors),
                                   likelihood=cfg.model.likelihood)
            if cfg.model.betas == "state_space":  # one filter pass, scored per origin later
                t, full = one_pass_plan(p, cfg, origins, spec.hdi, label=f"{name} one-pass filter")
                one_pass[name] = (t, full, cfg, origins)
                tasks.append(t)
                kinds[t.key] = ("backtest", name, 0)
                continue
            bts = backtest_tasks(spec.specs[name], p, cfg, origins, window=b.get("window", "expanding"),
                                 prob=spec.hdi, as_of_origins=False, from_file=False, source=source,
                                 store=store, label_prefix=f"{name} origin ")
            bt_tasks[name] = bts
            tasks += bts
            for t in bts:
                kinds[t.key] = ("backtest", name, 0)
    ex = executor if executor is not None else Executor(serial=True)
    own = executor is None
    if own:
        ex.__enter__()
    try:
        say(f"grid: {len(spec.specs)} specifications, {len(tasks)} tasks on {ex.description}")
        results = ex.run(tasks, cache_dir=cache_dir, progress=progress, what="task")
    finally:
        if own:
            ex.__exit__(None, None, None)
    by_key = {r.key: r for r in results}
    backtests = {name: gather_backtest([by_key[t.key] for t in ts], spec.hdi, [])
                 for name, ts in bt_tasks.items()}
    for name, (t, full, cfg, origins) in one_pass.items():
        backtests[name] = gather_backtest(one_pass_results(by_key[t.key], full, cfg, origins,
                                                           spec.hdi), spec.hdi, [ONE_PASS_NOTE])
    return _gather(spec, quarter, panels, tasks, kinds, by_key, backtests)


def _model_scores(scores: pd.DataFrame) -> pd.Series:
    from macroattr.models.evaluation.backtest import MODEL

    return scores[scores["model"] == MODEL].set_index("date")["log_score"]


def _gather(spec: GridSpec, quarter: str, panels: dict[str, Any], tasks: list[Any],
            kinds: dict[str, tuple[str, str, int]], by_key: dict[str, Any],
            backtests: dict[str, Any]) -> Grid:
    from macroattr.models.fit.attribution import summarise_draws
    from macroattr.models.evaluation.backtest import MODEL
    from macroattr.models.evaluation.stacking import stack_draws, stacking_weights

    fits = {kinds[t.key][1]: by_key[t.key] for t in tasks if kinds[t.key][0] == "fit"}
    rows, attr = [], []
    for name, r in fits.items():
        row: dict[str, Any] = {"spec": name, "status": r.status, "reason": r.reason}
        if r.ok:
            v = r.value
            row |= {"n_obs": v["n_obs"], "span": f"{v['span'][0]}..{v['span'][1]}"}
            if v.get("loo"):
                row |= {"elpd_loo": v["loo"]["elpd_loo"], "elpd_loo_se": v["loo"]["se"],
                        "p_loo": v["loo"]["p_loo"], "pareto_k_max": v["loo"]["pareto_k_max"]}
            else:
                row["lpds_one_step"] = v.get("lpds")
            for a in v["attribution"]:
                attr.append({"spec": name, "component": a["component"], "mean": a["mean"],
                             "hdi_low": a["hdi_low"], "hdi_high": a["hdi_high"], "unit": "pp"})
                row[f"{a['component']}_pp"] = a["mean"]
                row[f"{a['component']}_hdi_low"] = a["hdi_low"]
                row[f"{a['component']}_hdi_high"] = a["hdi_high"]
        bt = backtests.get(name)
        if bt is not None and not bt.scores.empty:
            s = bt.summary().set_index("model").loc[MODEL]
            cov = next(c for c in s.index if str(c).startswith("coverage_"))
            row |= {"bt_periods": int(s["periods"]), "bt_log_score": s["log_score_mean"],
                    "bt_crps": s["crps_mean"], "bt_coverage_pct": s[cov], "bt_rmse": s["rmse"]}
            failed = int((bt.tasks["status"] == "failed").sum())
            if failed:
                row["reason"] = (row["reason"] + "; " if row["reason"] else "") + \
                    f"{failed} backtest origins failed"
        rows.append(row)
    comparison = pd.DataFrame(rows)
    ok = [n for n, r in fits.items() if r.ok and (n not in backtests or not backtests[n].scores.empty)]
    weights = pd.Series(np.nan, index=list(fits), dtype=float)
    basis = ""
    attribution = pd.DataFrame(attr)
    notes = []
    if ok:
        if backtests:
            lp = pd.DataFrame({n: _model_scores(backtests[n].scores) for n in ok}).dropna()
            basis = f"out-of-sample log scores of {len(lp)} periods every specification forecast"
        else:
            lp = pd.DataFrame({n: pd.Series(fits[n].value["lpd_i"]) for n in ok}).dropna()
            kinds_ = {"LOO" if fits[n].value.get("loo") else "LPDS" for n in ok}
            basis = (f"pointwise PSIS-LOO elpd of the {len(lp)} periods every specification covers"
                     if kinds_ == {"LOO"} else
                     f"pointwise one-step-ahead log scores of the {len(lp)} periods every "
                     f"specification covers" if kinds_ == {"LPDS"} else
                     f"pointwise PSIS-LOO elpd (posterior-draw specs) and one-step-ahead log "
                     f"scores (state-space specs) of the {len(lp)} shared periods: not strictly "
                     f"comparable (LOO sees later data); add [grid.backtest] for a common "
                     f"out-of-sample basis")
        if len(lp):
            weights.loc[ok] = stacking_weights(lp.to_numpy())
        comparison["stacking_weight"] = comparison["spec"].map(weights)
        comps: list[str] = []
        for n in ok:
            for c in fits[n].value["components"]:
                if c not in comps and c != "residual":
                    comps.append(c)
        comps.append("residual")
        draws = []
        for n in ok:
            v = fits[n].value
            d = np.asarray(v["draws"])
            full = np.zeros((len(d), len(comps)))
            for j, c in enumerate(v["components"]):
                full[:, comps.index(c)] = d[:, j]
            draws.append(full)
        w = weights.loc[ok].fillna(0).to_numpy()
        if w.sum() > 0:
            pooled = stack_draws(draws, w / w.sum(), n=4000, seed=0)
            s = summarise_draws(pooled, spec.hdi)
            attribution = pd.concat([attribution, pd.DataFrame({
                "spec": "stacked", "component": comps, "mean": s["mean"], "hdi_low": s["hdi_low"],
                "hdi_high": s["hdi_high"], "unit": "pp"})], ignore_index=True)
        loo_ok = [n for n in ok if fits[n].value.get("loo")]
        shared = pd.DataFrame({n: pd.Series(fits[n].value["lpd_i"]) for n in loo_ok}).dropna()
        comparison["elpd_loo_shared"] = comparison["spec"].map(shared.sum())
        if len({fits[n].value["n_obs"] for n in loo_ok}) > 1:
            notes.append(f"specifications cover different spans: their elpd_loo are sums over "
                         f"different periods and not comparable; elpd_loo_shared sums the "
                         f"{len(shared)} periods they all cover")
    prow = []
    for t in tasks:
        kind, name, shift = kinds[t.key]
        if kind != "placebo":
            continue
        r = by_key[t.key]
        prow.append({"spec": name, "shift": shift, "status": r.status, "reason": r.reason}
                    | ((r.value or {}).get("placebo") or {}))
    placebo = pd.DataFrame(prow)
    notes.insert(0, f"stacking weights from the {basis}" if basis else "no stacking weights "
                 "(no specification succeeded)")
    if spec.placebo is not None and not placebo.empty and "beta_credible" in placebo:
        okp = placebo[placebo["status"] != "failed"]
        notes.append(f"placebo: circularly shifted copies of {spec.placebo} earned a credible "
                     f"coefficient ({100 * spec.hdi:.3g}% HDI excluding 0) in "
                     f"{int(okp['beta_credible'].sum())} of {len(okp)} fits and a credible "
                     f"contribution to {quarter} in {int(okp['contribution_credible'].sum())} "
                     f"(chance level about {100 * (1 - spec.hdi):.3g}%)")
    return Grid(quarter=quarter, comparison=comparison, attribution=attribution, placebo=placebo,
                backtests=backtests, weights_basis=basis, hdi=spec.hdi, notes=notes)
