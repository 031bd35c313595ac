"""``macroattr event | scenario``: what drove a run of sessions, and what if?

``event`` attributes the relative return over a window of sessions (a saved fit, or a daily
fit made or reused from the fit cache); ``scenario`` gives the predictive relative return
under shocked factor moves, a replayed past window or the named scenarios of a file. Bad
input (a date that does not parse, a window outside the data, an unknown shock or scenario
name) exits 2 with one line; no partial file is written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from macroattr.cli._out import result, status, warn
from macroattr.cli._app import app

from macroattr.cli._fits import choose_fit
from macroattr.cli.options import (CacheDir, ConfigFile, Estimate, FitEnd, FitFile, FitStart, Hdi,
                                   OtherFit, Quiet, ReadSource, Refit, Scenarios)


def _fmt(df) -> str:  # noqa: ANN001 - pandas DataFrame
    return df.to_string(index=False, float_format=lambda v: f"{v:+.3f}")


def _write_csv(table, out: Path) -> None:  # noqa: ANN001
    from macroattr.core.errors import InputError
    from macroattr.core.io import atomic_path, csv_safe

    if out.suffix.lower() != ".csv":
        raise InputError(f"--out {out} must end in .csv")
    try:
        with atomic_path(out) as tmp:  # scenario/event names are user text: no formula cells
            csv_safe(table).to_csv(tmp, index=False, float_format="%.12g")  # full precision: routes agree to 1e-9
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror or exc}; choose a writable --out") from None


def _against_main(ev, main, start: str, end: str, hdi: float) -> str:  # noqa: ANN001
    """How the window's answer on the asked fit differs from the main fit's."""
    from macroattr.core.errors import InputError

    try:
        mev = main.event(start, end, hdi=hdi)
    except InputError as exc:
        return f"the main fit cannot attribute this window ({exc})"
    a = ev.table().set_index("component")
    m = mev.table().set_index("component")
    rows = [c for c in a.index if c in m.index and c != "total"]
    ma, mb = main.span
    lines = [f"against the main fit ({ma}..{mb}; posterior means, {ev.unit}):",
             f"  {'component':<12} {'this fit':>9} {'main fit':>9} {'difference':>11}"]
    for c in rows:
        x, y = float(a.loc[c, "mean"]), float(m.loc[c, "mean"])
        lines.append(f"  {c:<12} {x:+9.2f} {y:+9.2f} {x - y:+11.2f}")
    lines.append(f"  macro share {ev.explained_share():.0f}% on this fit, "
                 f"{mev.explained_share():.0f}% on the main fit")
    return "\n".join(lines)


@app.command("event")
def event_cmd(
    start: Annotated[str, typer.Option("--start", help="First day of the window, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--end", help="Last day of the window, YYYY-MM-DD.")],
    fit: FitFile = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the window attribution CSV: "
                                             "component,mean,median,hdi_low,hdi_high,unit.")] = None,
    daily_out: Annotated[Path | None, typer.Option("--daily-out", help="Also write each "
                                                   "session's attribution as CSV.")] = None,
    chart: Annotated[Path | None, typer.Option("--chart", help="Write the per-session chart "
                                               "as a self-contained HTML file.")] = None,
    estimate: Estimate = "revised",
    hdi: Hdi = 0.9,
    config: ConfigFile = None,
    fit_start: FitStart = None,
    fit_end: FitEnd = None,
    source: ReadSource = "auto",
    events_csv: Annotated[Path | None, typer.Option("--events-csv", help="Your events "
                                                    "date,label: marked in the window and "
                                                    "fitted as indicators (a fit other than "
                                                    "the main one, stated).")] = None,
    cache_dir: CacheDir = None,
    refit: Refit = False,
    quiet: Quiet = False,
) -> None:
    """Attribute the relative return over a window of sessions to alpha, each group and
    the residual, with intervals, each session's contributions, release days and the
    posterior predictive tail probability of the window's total."""
    from macroattr.core.estimates import event_estimate

    estimate = event_estimate(estimate)  # revised/smoothed, first estimate/filtered/real time
    from macroattr.core.errors import InputError
    from macroattr.core.dates import parse_date

    if not 0 < hdi < 1:
        raise InputError(f"--hdi {hdi} must be between 0 and 1 (e.g. 0.9)")
    s, e = parse_date(start, "--start", required=True), parse_date(end, "--end", required=True)
    if e < s:
        raise InputError(f"--end {end} is before --start {start}")
    for path, what in ((out, "--out"), (daily_out, "--daily-out")):
        if path is not None and path.suffix.lower() != ".csv":
            raise InputError(f"{what} {path} must end in .csv")
    if chart is not None and chart.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"--chart {chart} must end in .html")
    if fit is None:
        from macroattr.jobs.inputs import SOURCES

        if source not in SOURCES:
            raise InputError(f"--source {source!r} is not one of {', '.join(SOURCES)}")
    chosen = choose_fit(fit, config=config, source=source, cache_dir=cache_dir, refit=refit,
                        fit_start=fit_start, fit_end=fit_end, events_csv=events_csv,
                        window=(s, e))
    f = chosen.fit
    ev = f.event(start, end, hdi=hdi)
    table = ev.table(estimate=estimate)
    pct = f"{100 * hdi:.3g}%"
    a, b = f.span
    noun = {"D": "sessions", "M": "months"}.get(f.freq, "periods")
    kind = {"D": "daily", "M": "monthly"}.get(f.freq, f.freq)
    result(f"event window {ev.start} to {ev.end}: {len(ev.sessions)} {noun} of a {kind} fit "
               f"({f.config.model.betas} betas, {f.meta.get('method')}, {a}..{b})")
    result(chosen.line)  # which fit answered: part of the answer
    result(f"\nattribution of the window ({ev.unit}, mean, median, {pct} HDI; {estimate}):")
    result(_fmt(table))
    if ev.realtime_draws is not None and estimate == "revised":
        result("\nfirst estimate, as estimated in real time (each day's betas with data to that day):")
        result(_fmt(ev.table(estimate="real time")))
    result(f"\n{ev.tail_text()}")
    result(ev.share_text())
    if chosen.main is not None:
        result("\n" + _against_main(ev, chosen.main, start, end, hdi))
    result("\nper session (posterior means):")
    daily = ev.daily_table()
    wide = daily.pivot(index="period", columns="component", values="mean")[[*ev.components, "total"]]
    rel = daily.drop_duplicates("period").set_index("period")["release"]
    wide["release"] = rel
    result(wide.reset_index().to_string(index=False, float_format=lambda v: f"{v:+.2f}"))
    for note in ev.notes:
        status(f"note: {note}")
    gate = getattr(f.diagnostics, "gate", None)
    if gate is not None and not gate.passed:
        warn(f"WARNING: {gate.line()}")
    if out is not None:
        _write_csv(table, out)
        result(f"wrote {out}")
    if daily_out is not None:
        _write_csv(daily, daily_out)
        result(f"wrote {daily_out}")
    if chart is not None:
        from macroattr.core.io import atomic_path

        with atomic_path(chart) as tmp:
            ev.plot().write_html(str(tmp), include_plotlyjs=True, full_html=True)
        result(f"wrote {chart}")


def _other_model(f, chosen, other_fit: Path | None, source: str,  # noqa: ANN001, ANN202
                 cache_dir: Path | None):
    """The fit the scenarios are cross-checked against: ``--other-fit``, else (a fit not
    named by --fit) the other shipped model's main fit; (None, "") for a named fit alone."""
    if other_fit is not None:
        from macroattr.models.fit import load_fit

        o = load_fit(other_fit)
        a, b = o.span
        return o, f"the {o.config.model.betas.replace('_', '-')} {o.freq} model ({other_fit}, {a}..{b})"
    if chosen.kind == "file":
        return None, ""
    from macroattr.cli._out import say
    from macroattr.jobs.run import main_fit, other_shipped

    path, label = other_shipped(f.config)
    return main_fit(path, source=source, cache_dir=cache_dir, progress=say).fit, label


@app.command("scenario")
def scenario_cmd(
    fit: FitFile = None,
    shock: Annotated[list[str] | None, typer.Option("--shock", help="FACTOR=VALUE in the "
                                                    "factor's natural units (pp: -0.25 = 25 bp "
                                                    "lower); repeat for more factors.")] = None,
    horizon: Annotated[str | None, typer.Option("--horizon", help="1D, 5D, 1M, 1Q, 1Y "
                                                "(default: one period of the fit).")] = None,
    replay: Annotated[str | None, typer.Option("--replay", help="Apply a past window's "
                                               "realised factor moves (2022Q2, 2022-06, 2022, "
                                               "START:END) to today's betas.")] = None,
    scenario: Annotated[list[str] | None, typer.Option("--scenario", help="A named scenario of "
                                                       "--scenarios ('all' for every one); "
                                                       "repeatable.")] = None,
    scenarios: Scenarios = None,
    hdi: Hdi = 0.9,
    out: Annotated[Path | None, typer.Option("--out", help="Write CSV: [scenario,]component,"
                                             "mean,median,hdi_low,hdi_high,unit.")] = None,
    config: ConfigFile = None,
    fit_start: FitStart = None,
    fit_end: FitEnd = None,
    source: ReadSource = "auto",
    cache_dir: CacheDir = None,
    refit: Refit = False,
    other_fit: OtherFit = None,
    quiet: Quiet = False,
) -> None:
    """Predictive relative return under shocked factor moves (others at zero change),
    through the betas at the fit's end: its mean, HDI and each group's contribution.

    With neither --shock, --replay nor --scenario, runs the standard scenario set.
    """
    import pandas as pd

    from macroattr.core.errors import InputError
    from macroattr.models.analysis.scenarios import (cross_check, load_scenarios, parse_shock,
                                                     run_scenario, run_scenarios)

    if not 0 < hdi < 1:
        raise InputError(f"--hdi {hdi} must be between 0 and 1 (e.g. 0.9)")
    if out is not None and out.suffix.lower() != ".csv":
        raise InputError(f"--out {out} must end in .csv")
    shocks: dict[str, float] = {}
    for text in shock or []:
        k, v = parse_shock(text)
        if k in shocks:
            raise InputError(f"--shock {k} given twice; give each factor once")
        shocks[k] = v
    if scenario and (shocks or replay or horizon):
        raise InputError("--scenario runs named scenarios; give either --scenario or "
                         "--shock/--replay/--horizon")
    sf = load_scenarios(scenarios) if (scenario or not (shocks or replay)) else None
    if fit is None:
        from macroattr.jobs.inputs import SOURCES

        if source not in SOURCES:
            raise InputError(f"--source {source!r} is not one of {', '.join(SOURCES)}")
    chosen = choose_fit(fit, config=config, source=source, cache_dir=cache_dir, refit=refit,
                        fit_start=fit_start, fit_end=fit_end)
    f = chosen.fit
    if horizon is not None and not (shocks or replay):
        raise InputError("--horizon needs --shock; named scenarios carry their own horizon")
    other, other_label = _other_model(f, chosen, other_fit, source, cache_dir)
    skipped: list[str] = []
    if shocks or replay:
        results = [run_scenario(f, shocks, replay=replay, horizon=horizon, hdi=hdi)]
        if other is not None:
            cross_check(results[0], other, other_label)
    else:
        names = None if not scenario or "all" in scenario else list(scenario)
        results, skipped = run_scenarios(f, sf, hdi=hdi, names=names, other=other,
                                         other_label=other_label)
    pct = f"{100 * hdi:.3g}%"
    result(chosen.line)  # which fit answered: part of the answer
    result(f"{f.config.model.betas} betas ({f.meta.get('method')}), betas as of "
               f"{results[0].as_of if results else f.span[1]}; other factors at zero change")
    frames = []
    for r in results:
        result(f"\n{r.name}: {r.description}" if r.description else f"\n{r.name}")
        result(f"  shocks: {r.shocks_text()}; horizon {r.horizon}")
        t = r.table()
        result(f"  ({r.unit}; mean, median, {pct} HDI)")
        result("  " + _fmt(t).replace("\n", "\n  "))
        if r.other is not None:
            o = r.other
            result(f"  {o['label']}: effect " + (o["note"] if o["note"] else
                       f"{o['mean']:+.3f} ({pct} HDI {o['hdi_low']:+.3f} to {o['hdi_high']:+.3f}) "
                       f"against {float(r.effect.mean()):+.3f} here"))
        if chosen.main is not None:
            try:
                m = run_scenario(chosen.main, r.shocks, hdi=hdi).effect.mean()
                result(f"  the main fit ({chosen.main.span[0]}..{chosen.main.span[1]}): "
                           f"effect {float(m):+.3f}, this fit {float(r.effect.mean()):+.3f}")
            except InputError as exc:
                result(f"  the main fit cannot run it ({exc})")
        for flag in r.flags:
            result(f"  FLAG: {flag}")
        frames.append(t.assign(scenario=r.name))
    for line in skipped:
        status(f"note: {line}")
    if other is None and results:
        status("note: give --other-fit FILE to show what the other shipped model says beside "
               "each effect")
    gate = getattr(f.diagnostics, "gate", None)
    if gate is not None and not gate.passed:
        warn(f"WARNING: {gate.line()}")
    if out is not None and frames:
        table = pd.concat(frames, ignore_index=True)
        cols = ["component", "mean", "median", "hdi_low", "hdi_high", "unit"]
        table = table[cols] if len(frames) == 1 else table[["scenario", *cols]]
        _write_csv(table, out)
        result(f"wrote {out}")
    if not results:
        raise InputError("no scenario of the file applies to this fit: " + "; ".join(skipped))
    sys.stdout.flush()
