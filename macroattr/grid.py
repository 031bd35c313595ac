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
Every error in the file is listed in one line and nothing runs.

Stacking weights come from the pointwise out-of-sample log scores when a backtest is
configured, else from the pointwise PSIS-LOO elpd (both over the periods every
specification shares); the stacked attribution mixes each specification's posterior
draws of the quarter in those proportions (a group a specification lacks counts 0).
"""

from __future__ import annotations

from macroattr.core.io import toml_loads

import copy
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from macroattr.evaluation import task_meta

import numpy as np
import pandas as pd

from macroattr.core.errors import InputError

__all__ = ["Grid", "GridSpec", "load_specs", "run_grid"]

_SPEC_KEYS = {"name", "config", "groups", "units", "model", "priors", "sampler", "gate", "panel",
              "start", "end", "target"}
_GRID_KEYS = {"config", "quarter", "hdi", "placebo", "placebo_shifts", "backtest"}
_BT_KEYS = {"start", "end", "window", "step"}
_FILES = ("target_csv", "futures_csv", "consensus_csv", "events_csv")


@dataclass
class GridSpec:
    """A validated specification file."""

    path: Path
    specs: dict[str, Any]                 # name -> RunConfig
    quarter: str | None = None
    hdi: float = 0.9
    placebo: str | None = None
    placebo_shifts: int = 6
    backtest: dict[str, str] | None = None


def _read_toml(path: Path, errors: list[str], what: str) -> dict[str, Any] | None:
    try:
        return toml_loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        errors.append(f"{what}: cannot read {path}: {exc.strerror or exc}")
    except tomllib.TOMLDecodeError as exc:
        errors.append(f"{what}: {path} is not valid TOML: {exc}")
    except RecursionError:
        errors.append(f"{what}: {path} nests arrays or tables too deeply to read")
    except UnicodeDecodeError:
        errors.append(f"{what}: {path} is binary, not TOML text")
    return None


def _abs_files(panel: dict[str, Any], base: Path) -> dict[str, Any]:
    out = dict(panel)
    for k in _FILES:
        if isinstance(out.get(k), str) and not out[k].startswith("builtin:"):  # builtin:fomc is no file
            out[k] = str((base / out[k]).resolve())
    return out


def load_specs(path: str | Path, *, overrides: dict[str, Any] | None = None,
               quarter: str | None = None, placebo: str | None = None,
               placebo_shifts: int | None = None) -> GridSpec:
    """Read and validate a specification file; InputError listing **every** error.

    ``overrides`` (flat, as :meth:`ModelConfig.override`: method, draws, ...) apply to
    every specification.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.toml"
    >>> _ = p.write_text('[[spec]]\\nname = "a"\\n[[spec]]\\nname = "b"\\nmodel = {likelihood = "normal"}\\n')
    >>> g = load_specs(p)
    >>> list(g.specs), g.specs["b"].model.model.likelihood
    (['a', 'b'], 'normal')
    >>> _ = p.write_text('[[spec]]\\nname = "a"\\nmodle = {}\\n[[spec]]\\nmodel = {betas = "x"}\\n')
    >>> load_specs(p)
    Traceback (most recent call last):
    ...
    macroattr.core.errors.InputError: spec file ... has 3 errors (nothing was run): spec 1 'a': unknown key 'modle'...; spec 2: no name ...; spec 2: model.betas: ...
    """
    from macroattr.config import PanelSettings, RunConfig
    from macroattr.models.config import ModelConfig, default_config_path
    from macroattr.core.periods import resolve_quarter

    path = Path(path)
    errors: list[str] = []
    data = _read_toml(path, errors, "spec file")
    if data is None:
        raise InputError(f"spec file {path}: {errors[0].split(': ', 1)[1]}")
    here = path.resolve().parent
    unknown = set(data) - {"grid", "spec"}
    if unknown:
        errors.append(f"unknown table(s) {', '.join(sorted(unknown))}; the file has [grid] and [[spec]]")
    grid = data.get("grid", {}) or {}
    if not isinstance(grid, dict):
        errors.append("[grid] must be a table")
        grid = {}
    for k in sorted(set(grid) - _GRID_KEYS):
        errors.append(f"[grid]: unknown key {k!r}; it takes {', '.join(sorted(_GRID_KEYS))}")
    base_path = (here / grid["config"]) if isinstance(grid.get("config"), str) else default_config_path()
    base = _read_toml(base_path, errors, "[grid] config") or {}
    base_dir = base_path.resolve().parent
    if "panel" in base and isinstance(base["panel"], dict):
        base["panel"] = _abs_files(base["panel"], base_dir)
    q = quarter or grid.get("quarter")
    if q is not None:
        try:
            q = resolve_quarter(str(q), [str(q).strip().upper()])
        except InputError as exc:
            errors.append(f"quarter: {exc}")
    hdi = grid.get("hdi", 0.9)
    if not isinstance(hdi, (int, float)) or not 0 < hdi < 1:
        errors.append(f"[grid] hdi {hdi!r} must be between 0 and 1")
        hdi = 0.9
    plac = placebo or grid.get("placebo")
    shifts = placebo_shifts if placebo_shifts is not None else grid.get("placebo_shifts", 6)
    if not isinstance(shifts, int) or shifts < 1:
        errors.append(f"placebo_shifts {shifts!r} must be a whole number >= 1")
        shifts = 1
    bt = grid.get("backtest")
    if bt is not None:
        if not isinstance(bt, dict):
            errors.append("[grid.backtest] must be a table")
            bt = None
        else:
            for k in sorted(set(bt) - _BT_KEYS):
                errors.append(f"[grid.backtest]: unknown key {k!r}; it takes start, end, window, step")
            for k in ("start", "end"):
                if k not in bt:
                    errors.append(f"[grid.backtest]: {k} is required (e.g. {k} = \"2015Q1\")")
            from macroattr.core.dates import period_bounds
            from macroattr.models.evaluation.backtest import parse_step, parse_window

            for k, fn in (("window", parse_window), ("step", parse_step),
                          ("start", period_bounds), ("end", period_bounds)):
                if k in bt:
                    try:
                        fn(str(bt[k]))
                    except InputError as exc:
                        errors.append(f"[grid.backtest] {exc}")
            bt = {k: str(v) for k, v in bt.items()}
    specs_raw = data.get("spec", [])
    if not isinstance(specs_raw, list) or not specs_raw:
        errors.append("no [[spec]] entries; add at least one (name = \"...\")")
        specs_raw = []
    specs: dict[str, Any] = {}
    for i, sp in enumerate(specs_raw, start=1):
        name = sp.get("name") if isinstance(sp, dict) else None
        tag = f"spec {i}" + (f" {name!r}" if name else "")
        if not isinstance(sp, dict):
            errors.append(f"{tag}: must be a table")
            continue
        if not isinstance(name, str) or not name.strip():
            errors.append(f"{tag}: no name (add name = \"...\")")
        elif name in specs or name == "stacked":
            errors.append(f"{tag}: name {name!r} is " + ("reserved" if name == "stacked" else "used twice"))
        for k in sorted(set(sp) - _SPEC_KEYS):
            errors.append(f"{tag}: unknown key {k!r}; a spec takes {', '.join(sorted(_SPEC_KEYS))}")
        cfg = copy.deepcopy(base)
        if isinstance(sp.get("config"), str):
            own = _read_toml(here / sp["config"], errors, f"{tag} config")
            if own is None:
                continue
            cfg = own
            if isinstance(cfg.get("panel"), dict):
                cfg["panel"] = _abs_files(cfg["panel"], (here / sp["config"]).resolve().parent)
        for k, v in sp.items():
            if k in ("name", "config") or k not in _SPEC_KEYS:
                continue
            if k in ("model", "priors", "sampler", "gate", "panel") and isinstance(v, dict):
                v = _abs_files(v, here) if k == "panel" else v
                cfg[k] = {**(cfg.get(k) or {}), **v}
            else:
                cfg[k] = v
        panel_d = cfg.pop("panel", {}) or {}
        try:
            settings = PanelSettings.of(panel_d, tag, prefix="panel")
            settings.check_files(source=tag)
            model = ModelConfig.from_dict(cfg, source=tag)
            if overrides:
                model = model.override(**overrides)
        except InputError as exc:
            errors.append(str(exc))
            continue
        if plac is not None and model.groups is not None and plac not in model.factors:
            errors.append(f"{tag}: placebo factor {plac!r} is not among its factors "
                          f"({', '.join(model.factors)})")
        if isinstance(name, str) and name.strip() and name not in specs:
            specs[name] = RunConfig(panel=settings, model=model, path=path)
    if errors:
        n = len(errors)
        raise InputError(f"spec file {path} has {n} error{'s' if n > 1 else ''} (nothing was run): "
                         + "; ".join(errors))
    return GridSpec(path=path, specs=specs, quarter=q, hdi=float(hdi), placebo=plac,
                    placebo_shifts=int(shifts), backtest=bt)


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
    from macroattr.distributed import Executor, Task, task_key
    from macroattr.evaluation import ONE_PASS_NOTE, _config_json, backtest_tasks, \
        gather_backtest, one_pass_plan, one_pass_results
    from macroattr.models.evaluation.backtest import plan_origins
    from macroattr.core.periods import complete_quarters
    from macroattr.models.evaluation.specgrid import fit_spec
    from macroattr.pipeline import build_config_panel

    panels: dict[str, tuple[Any, Any]] = {}
    for name, rc in spec.specs.items():
        # a factor a specification names is compared, never left out for ending early (stale="drop"
        # of the default config): each spec's panel ends where its factors end
        settings = rc.panel.updated(stale="trim") if rc.panel.stale == "drop" else rc.panel
        p, cfg = build_config_panel(rc.model, settings, source=source, store=store)
        panels[name] = (p, cfg.for_panel(p))
    quarter = spec.quarter
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
        cj = _config_json(cfg)
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
