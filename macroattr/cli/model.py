"""``macroattr fit | attribution | summary | compare``: fit the model and read fits.

Bad input (panel without the configured columns, NaN in the fit span, constant or
collinear factors, too few observations, an unreadable or foreign fit file, a config
typo) exits 2 with one line; ``fit --strict`` exits 4 when the convergence gate fails.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from macroattr.cli._app import ArgumentsCommand, app
from macroattr.cli._fits import choose_fit
from macroattr.cli._out import emit_json, result, say, status, warn
from macroattr.cli.options import (CacheDir, Chains, ConfigFile, Draws, Estimate, FitFile, Hdi,
                                   JsonOutput, Method, Quiet, ReadSource, Tune)


def _fmt_table(df, floatfmt: str = "{:.3f}") -> str:  # noqa: ANN001 - pandas DataFrame
    return df.to_string(index=False, float_format=lambda v: floatfmt.format(v))


def _load_panel(panel: Path | None, freq: str | None, run_cfg,  # noqa: ANN001, ANN202
                config_given: bool = True):
    """(panel, model config): the --panel file, else the snapshot panel of the config's
    [panel] table (--freq overriding its frequency).

    A panel file that names its own groups (a ``macroattr data panel`` sidecar) is fitted on
    those groups when no ``--config`` is given; the shipped default's groups apply otherwise."""
    from macroattr.core.errors import InputError

    if panel is not None and freq is not None:
        raise InputError("give either --panel FILE or --freq M|D, not both")
    if panel is not None:
        from macroattr.data_pipelines.panel import Panel

        p = Panel.read(panel)
        p.meta.setdefault("path", str(panel))
        own = {g: c for g, c in (p.meta.get("groups") or {}).items() if c}
        if not config_given and own:
            status(f"groups from the panel file: {', '.join(f'{g} ({len(c)})' for g, c in own.items())}"
                   " (no --config given)")
            return p, run_cfg.model.model_copy(update={"groups": None})
        return p, run_cfg.model
    from macroattr.jobs.inputs import build_config_panel

    if freq is not None and freq.strip().upper() not in ("M", "D"):
        raise InputError(f"--freq {freq!r} must be M or D")
    settings = run_cfg.panel.updated(freq=freq)
    return build_config_panel(run_cfg.model, settings,
                              progress=say)


def _chosen(fit: Path | None, source: str, cache_dir: Path | None):  # noqa: ANN202
    """``--fit FILE``, else the main job's fit (:func:`macroattr.cli._fits.choose_fit`)."""
    from macroattr.core.errors import InputError
    from macroattr.jobs.inputs import SOURCES

    if fit is None and source not in SOURCES:
        raise InputError(f"--source {source!r} is not one of {', '.join(SOURCES)}")
    return choose_fit(fit, source=source, cache_dir=cache_dir)


@app.command("fit")
def fit_cmd(
    out: Annotated[Path, typer.Option("--out", help="Output fit file (NetCDF, .nc).")],
    panel: Annotated[Path | None, typer.Option("--panel", help="Panel file from `macroattr data panel`.")] = None,
    freq: Annotated[str | None, typer.Option("--freq", help="Build the snapshot panel at M or D instead of --panel "
                                             "(default: the config's panel table, else M).")] = None,
    config: ConfigFile = None,
    betas: Annotated[str | None, typer.Option("--betas", help="static, state_space, or time_varying (knot grid, "
                                              "superseded by state_space).")] = None,
    likelihood: Annotated[str | None, typer.Option("--likelihood", help="student_t or normal.")] = None,
    method: Method = None,
    sampler: Annotated[str | None, typer.Option("--sampler", help="pymc, nutpie or numpyro.")] = None,
    draws: Draws = None,
    tune: Tune = None,
    chains: Chains = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed (same seed, same draws).")] = None,
    start: Annotated[str | None, typer.Option("--start", help="First period of the fit span, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--end", help="Last period of the fit span, YYYY-MM-DD.")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 4 when the convergence gate fails (without it: the "
                                         "fit is written and a WARNING line says it failed).")] = False,
    quiet: Quiet = False,
) -> None:
    """Fit the attribution model and write the fit (posterior, panel, config, diagnostics)."""
    from macroattr.core.errors import ConvergenceError, InputError

    if out.suffix.lower() not in (".nc", ".netcdf", ".nc4"):
        raise InputError(f"--out {out} must end in .nc (fits are NetCDF files)")
    from macroattr.jobs.run_config import load_run_config
    from macroattr.core.io import check_destination

    # before the (long) fit: a directory, an input, a read-only place is one line now
    check_destination(out, inputs=[panel, panel and panel.with_name(panel.name + ".meta.json"), config])

    run_cfg = load_run_config(config)
    cfg = run_cfg.model.override(betas=betas, likelihood=likelihood, method=method, sampler=sampler,
                                 draws=draws, tune=tune, chains=chains, seed=seed, start=start, end=end)
    p, cfg = _load_panel(panel, freq, run_cfg.model_copy(update={"model": cfg}),
                         config_given=config is not None)
    from macroattr.models.estimation.design import build_design
    from macroattr.models.estimation.fitting import fit_model

    cfg = cfg.for_panel(p)
    build_design(p, cfg)  # bad panels fail here, before any progress output
    from macroattr.models.estimation.sampling import check_method, nuts_engine

    check_method(cfg)  # so does a method the model does not have
    m = cfg.model
    errors = "normal (conjugate)" if cfg.sampler.method == "exact" else m.likelihood
    if m.betas == "state_space":
        errors = "normal, time-varying volatility,"
    status(f"fitting {m.betas} betas, {errors} errors by {cfg.sampler.method}"
           + (f" ({nuts_engine(cfg)}, {cfg.sampler.chains}x{cfg.sampler.draws} draws, "
              f"seed {cfg.sampler.seed})" if cfg.sampler.method == "nuts" else
              f" ({cfg.sampler.chains}x{cfg.sampler.draws} iid draws, seed {cfg.sampler.seed})"))
    from macroattr.core.progress import sampler_progress

    fit = fit_model(p, cfg, progress=sampler_progress("fit"))
    fit.save(out)
    d = fit.diagnostics
    t = fit.meta["timings"]
    a, b = fit.span
    result(f"span {a}..{b} ({fit.design.n_obs} {fit.freq} periods); sampling "
           f"{t['sampling_s']:.2f} s, compile {t['compile_s']:.2f} s")
    result(f"max R-hat {d.table['r_hat'].max():.3f}, min bulk ESS {d.table['ess_bulk'].min():.0f}, "
           f"min tail ESS {d.table['ess_tail'].min():.0f}, divergences {d.divergences}")
    result(d.gate.line())
    result(f"wrote {out}")
    if not d.gate.passed and not strict:
        warn(f"WARNING: fit {out} FAILED its convergence gate ({'; '.join(d.gate.reasons)}): "
             "its numbers must not be published; refit with more --tune/--draws "
             "(--strict makes this exit 4)")
    if strict and not d.gate.passed:
        raise ConvergenceError(f"fit {out} failed the convergence gate: {'; '.join(d.gate.reasons)}; "
                               "increase --tune/--draws or simplify the model")


@app.command("attribution")
def attribution_cmd(
    out: Annotated[Path, typer.Option("--out", help="Output CSV.")],
    fit: FitFile = None,
    freq: Annotated[str, typer.Option("--freq", help="M, Q or Y (D for daily fits).")] = "Q",
    hdi: Hdi = 0.9,
    estimate: Estimate = "revised",
    source: ReadSource = "auto",
    cache_dir: CacheDir = None,
    quiet: Quiet = False,
) -> None:
    """Write the attribution table: period, component, mean, median, hdi_low, hdi_high, unit,
    complete (False: a period the data cover only in part)."""
    from macroattr.core.errors import InputError
    from macroattr.core.io import atomic_path, check_destination, csv_safe

    if not 0 < hdi < 1:
        raise InputError(f"--hdi {hdi} must be between 0 and 1 (e.g. 0.9)")
    from macroattr.core.estimates import estimate_name

    estimate = estimate_name(estimate)  # revised/first estimate/real time/smoothed/filtered
    check_destination(out, inputs=[fit] if fit is not None else [])
    chosen = _chosen(fit, source, cache_dir)
    f = chosen.fit
    status(chosen.line)
    table = f.attribution(freq, hdi, estimate=estimate)
    with atomic_path(out) as tmp:  # group names come from a config: no formula cells
        csv_safe(table).to_csv(tmp, index=False, float_format="%.12g")  # full precision: routes agree to 1e-9
    if f.diagnostics is not None and not f.diagnostics.gate.passed:
        warn(f"WARNING: {f.diagnostics.gate.line()}")
    from macroattr.core.periods import check_freq, partial_periods

    dates = f.design.dates
    partial = partial_periods(dates, f.freq, check_freq(freq, f.freq))
    if partial:
        status(f"note: {', '.join(partial)} covered only in part by the fit's data "
               f"({dates[0]:%Y-%m-%d} to {dates[-1]:%Y-%m-%d}); "
               "compare such periods with whole ones with care")
    result(f"wrote {len(table)} rows ({table['period'].nunique()} periods, pp) to {out}")


@app.command("summary")
def summary_cmd(
    fit: FitFile = None,
    hdi: Hdi = 0.9,
    loo: Annotated[bool, typer.Option("--loo", help="Also compute PSIS-LOO (a few seconds: "
                                      "pointwise likelihood of every draw; `macroattr compare` "
                                      "ranks fits by it).")] = False,
    source: ReadSource = "auto",
    cache_dir: CacheDir = None,
    json_out: JsonOutput = False,
    quiet: Quiet = False,
) -> None:
    """Print coefficients (natural units, HDIs), explained share, diagnostics and the gate.

    With --json, one JSON document (schema `macroattr.summary/1` in DEVELOPING.md) with the
    same numbers, plus the quarterly attribution."""
    chosen = _chosen(fit, source, cache_dir)
    f = chosen.fit
    doc = summary_document(f, hdi, loo=loo, fit_file=fit, chosen=chosen.kind,
                           attribution=json_out)
    doc["fit"]["line"] = chosen.line  # which fit answered (the main job's, a file, another span)
    if json_out:
        emit_json(doc)
        return
    result(chosen.line)
    _summary_text(doc, f, fit)


def _records(df) -> list[dict]:  # noqa: ANN001 - pandas DataFrame
    return df.to_dict(orient="records")


def summary_document(f, hdi: float, *, loo: bool = False, fit_file: Path | None = None,  # noqa: ANN001
                     chosen: str = "file", attribution: bool = True) -> dict:
    """Everything ``summary`` prints, as one mapping (``--json``; schema
    ``macroattr.summary/1``, DEVELOPING.md)."""
    a, b = f.span
    c = f.config
    doc: dict = {
        "schema": "macroattr.summary/1",
        "fit": {"file": str(fit_file) if fit_file is not None else None, "chosen": chosen,
                "kind": f.kind, "betas": c.model.betas, "likelihood": c.model.likelihood,
                "method": f.meta.get("method"), "sampler": f.meta.get("sampler"),
                "seed": c.sampler.seed, "freq": f.freq, "span": [a, b],
                "periods": int(f.design.n_obs), "target_unit": f.target_unit},
        "notes": list(f.meta.get("notes", [])),
        "hdi": hdi,
        "coefficients": _records(f.coefficients(hdi)),
        "parameters": _records(f.parameters(hdi)),
        "diagnostics": None,
        "explained_share": _records(f.summary.explained_share(hdi=hdi)),
    }
    if f.diagnostics is not None:
        d = f.diagnostics
        doc["diagnostics"] = {"table": _records(d.table), "totals": _records(d.totals()),
                              "gate": {"passed": bool(d.gate.passed), "reasons": list(d.gate.reasons),
                                       "line": d.gate.line()}}
    ppc = f.ppc(hdi=hdi)
    doc["posterior_predictive"] = {"periods": len(ppc), "inside": float(ppc["inside"].mean()),
                                   "nominal": hdi}
    if attribution:
        doc["attribution"] = {"freq": "Q", "rows": _records(f.attribution("Q", hdi))}
    doc["state_space"] = _state_space_document(f) if f.state_space else None
    doc["loo"] = None
    if loo and not f.state_space:
        from macroattr.models.analysis.comparison import loo_row

        doc["loo"] = dict(loo_row(f))
    return doc


def _state_space_document(f) -> dict:  # noqa: ANN001 - a Fit
    """Discounts, P(varies) per factor, priors, volatility and one-step-ahead LPDS."""
    post = f.draw_set  # the posterior's arrays (no xarray object built)
    out: dict = {"walk_scales": None, "discounts": None}
    if "log_omega_beta" in post:  # method nuts: the discounts were sampled
        from macroattr.models.statespace.nuts import walk_scales

        out["walk_scales"] = _records(walk_scales(f.posterior))
    elif "grid_weight" in post:
        out["discounts"] = _records(f.discounts().head(5))
    out["grid_warnings"] = list(f.grid_warnings())
    out["priors"] = _records(f.priors())
    out["p_varies"] = {str(k): float(v) for k, v in f.p_varies().items()}
    out["p_varies_text"] = f.p_varies_text()
    out["paths_text"] = f.paths_text()
    s = f.volatility().set_index("time")["mean"]  # kept with the fit: no paths redrawn
    out["volatility"] = {"unit": f"{f.target_unit} per period", "estimate": "smoothed mean",
                         "median": float(s.median()), "min": float(s.min()),
                         "min_date": s.idxmin(), "max": float(s.max()), "max_date": s.idxmax(),
                         "last": float(s.iloc[-1])}
    osa, static = f.one_step_ahead(), f.one_step_ahead(static=True)
    lp, ls = float(osa["log_score"].sum()), float(static["log_score"].sum())
    cover = float(((osa["pit"] > 0.05) & (osa["pit"] < 0.95)).mean())
    out["one_step_ahead"] = {"periods": len(osa), "lpds": lp, "lpds_static": ls,
                             "difference": lp - ls, "coverage_90": cover}
    return out


def _summary_text(doc: dict, f, fit: Path | None) -> None:  # noqa: ANN001 - a Fit
    """The summary document as text on stdout."""
    m = doc["fit"]
    a, b = m["span"]
    result(f"{fit or 'main fit'}: {m['betas']} betas, {m['likelihood']} errors, "
           f"{m['method']} ({m['sampler']}), seed {m['seed']}, "
           f"span {a}..{b} ({m['periods']} {m['freq']} periods)")
    for note in doc["notes"]:
        result(f"note: {note}")
    hdi = doc["hdi"]
    pct = int(round(hdi * 100))
    result(f"\ncoefficients (mean, median, {pct}% HDI):")
    result(_fmt_table(f.coefficients(hdi)))
    result("")
    result(_fmt_table(f.parameters(hdi)))
    if f.diagnostics is not None:
        result("\ndiagnostics:")
        result(_fmt_table(f.diagnostics.table))
        result(_fmt_table(f.diagnostics.totals()))
    names = {"D": "daily", "M": "monthly", "Q": "quarterly", "Y": "yearly"}
    result("\nexplained share (variance of fitted values, alpha + groups, over observed):")
    for r in doc["explained_share"]:
        result(f"  {names.get(r['freq'], r['freq']):<10} {r['mean']:5.1f}% ({pct}% HDI {r['hdi_low']:.1f} "
               f"to {r['hdi_high']:.1f}%) of the observed variance")
    pp = doc["posterior_predictive"]
    result(f"\nposterior predictive: {100 * pp['inside']:.1f}% of {pp['periods']} observed "
           f"periods inside their {pct}% predictive interval (nominal {pct}%)")
    gate = doc["diagnostics"]["gate"]["line"] if doc["diagnostics"] else None
    if doc["state_space"] is not None:
        _state_space_text(doc["state_space"], f)
    elif doc["loo"] is None:
        result("PSIS-LOO: not computed (add --loo, or compare fits with `macroattr compare`)")
    else:
        lo = doc["loo"]
        result(f"PSIS-LOO: elpd_loo {lo['elpd_loo']:.1f} (se {lo['se']:.1f}), p_loo {lo['p_loo']:.1f}, "
               f"max Pareto k {lo['pareto_k_max']:.2f}")
        if lo["pareto_k_gt_0.7"]:
            warn(f"WARNING: {lo['pareto_k_gt_0.7']} observations with Pareto k > 0.7: LOO unreliable there")
    if gate is not None:
        result(gate)


def _state_space_text(ss: dict, f) -> None:  # noqa: ANN001 - a Fit
    """The state-space part of the summary as text."""
    import pandas as pd

    result("\nstate space:")
    if ss["walk_scales"] is not None:
        result("walk scales (NUTS; omega = drift variance per period / current uncertainty, "
               "delta = 1 / (1 + omega); p_above = P(omega > 1e-5)):")
        result(_fmt_table(pd.DataFrame(ss["walk_scales"]), "{:.4g}"))
    elif ss["discounts"] is not None:
        result("discount grid (heaviest points; 1 = no time variation):")
        result(_fmt_table(pd.DataFrame(ss["discounts"]), "{:.4g}"))
    for w in ss["grid_warnings"]:
        warn(f"WARNING: {w}")
    result("\npriors (natural units, the same whatever the span: fixed reference scales "
           "from the 1990-1999 pre-sample; Student-t marginals):")
    result(f.priors().to_string(index=False, na_rep="", float_format=lambda v: f"{v:.4g}"))
    result("P(varies) per factor: " + ss["p_varies_text"])
    result(ss["paths_text"])
    v = ss["volatility"]
    result(f"volatility (residual sd, {v['unit']}, smoothed mean): median {v['median']:.2f}, "
           f"min {v['min']:.2f} ({v['min_date']:%Y-%m-%d}), max {v['max']:.2f} ({v['max_date']:%Y-%m-%d}), "
           f"last {v['last']:.2f}")
    o = ss["one_step_ahead"]
    result(f"one-step-ahead LPDS over {o['periods']} periods: state space {o['lpds']:.1f}, static "
           f"(same filter, no time variation) {o['lpds_static']:.1f}, difference {o['difference']:+.1f}")
    result(f"one-step-ahead 90% interval coverage: {100 * o['coverage_90']:.1f}% (nominal 90%)")


@app.command("compare", cls=ArgumentsCommand)
def compare_cmd(
    fits: Annotated[list[Path], typer.Argument(metavar="FIT", help="Two or more fit files.")],
    out: Annotated[Path | None, typer.Option("--out", help="Also write the table as CSV.")] = None,
    json_out: JsonOutput = False,
    quiet: Quiet = False,
) -> None:
    """Compare fits by PSIS-LOO (elpd_loo, differences, Pareto-k counts); with a state-space
    fit among them, by one-step-ahead LPDS (exact filter)."""
    from macroattr.core.errors import InputError
    from macroattr.models.analysis.comparison import LPDS_NOTE, compare
    from macroattr.models.fit import load_fit

    if len(fits) < 2:
        raise InputError("compare needs two or more fit files")
    if out is not None:
        from macroattr.core.io import check_destination

        check_destination(out, inputs=fits)
    names: dict[str, object] = {}
    files: dict[str, str] = {}
    for p in fits:
        key = p.stem if p.stem not in names else str(p)
        names[key] = load_fit(p)
        files[key] = str(p)
    table = compare(names)
    bad = table.index[table["pareto_k_gt_0.7"] > 0].tolist() if "pareto_k_gt_0.7" in table else []
    if bad:
        warn(f"WARNING: Pareto k > 0.7 for some observations in {', '.join(bad)}: LOO is unreliable there")
    if out is not None:
        from macroattr.core.io import atomic_path, csv_safe

        with atomic_path(out) as tmp:
            csv_safe(table).to_csv(tmp)
    if json_out:
        rows = table.reset_index().rename(columns={table.index.name or "index": "fit"})
        emit_json({"schema": "macroattr.compare/1", "files": files, "wrote": str(out) if out else None,
                   "ranked_by": "lpds" if "lpds" in table.columns else "elpd_loo",
                   "note": LPDS_NOTE if "lpds" in table.columns else None,
                   "unreliable_loo": bad, "rows": rows.to_dict(orient="records")})
        return
    # per-column precision: elpd and its differences to 0.1 (their SEs are ~10), weights and
    # probabilities to 0.01, Pareto k to 0.01
    fmt = {c: (lambda v: f"{v:.1f}") for c in ("elpd_diff", "dse", "p", "elpd", "se", "lpds",
                                                 "lpds_diff")}
    fmt |= {c: (lambda v: f"{v:.2f}") for c in ("p_worse", "weight", "pareto_k_max")}
    shown = table.drop(columns=[c for c in ("diag_diff", "diag_elpd") if c in table.columns
                                and not table[c].astype(str).str.strip().any()])
    result(shown.to_string(formatters={c: f for c, f in fmt.items() if c in shown.columns},
                           na_rep="–"))
    if "lpds" in table.columns:
        result(f"note: {LPDS_NOTE}")  # why the ranking is not PSIS-LOO: part of the answer
    if out is not None:
        result(f"wrote {out}")
