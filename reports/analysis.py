"""The report's analysis sections: standard scenarios and the quarter's notable event windows.

:func:`analysis_content` reads a fit through ``fit.scenario``/``fit.event`` (via
:mod:`macroattr.models.analysis.scenarios` and :mod:`macroattr.models.analysis.events`) and returns plain data
for the ``_scenarios.html.j2`` and ``_events.html.j2`` includes, plus table and chart specs
that :func:`macroattr.reports.content.report_content` turns into its ``Table``/``Chart``
objects (so downloads and exports treat them like every other table and chart). It never
fits or fetches anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from macroattr.core.errors import InputError
# sessions of an automatic notable window and windows per quarter: one home, the events
# module (whose windows a fit keeps: macroattr.models.fit.page_inputs)
from macroattr.models.analysis.events import NOTABLE_COUNT, NOTABLE_LENGTH
from macroattr.reports.tables import pp

__all__ = ["AnalysisContent", "analysis_content", "NOTABLE_LENGTH", "NOTABLE_COUNT"]



@dataclass
class AnalysisContent:
    """What the scenarios and event-window sections render.

    ``tables`` maps a key to ``(html id, caption, tidy frame, csv name)`` and ``charts`` a key
    to ``(title, text alternative, plotly figure)``; the report content wraps them.
    """

    tables: dict[str, tuple[str, str, pd.DataFrame, str]] = field(default_factory=dict)
    scenario_rows: list[dict[str, Any]] = field(default_factory=list)
    scenario_notes: list[str] = field(default_factory=list)
    scenario_as_of: str = ""
    windows: list[dict[str, Any]] = field(default_factory=list)
    window_notes: list[str] = field(default_factory=list)
    charts: dict[str, Any] = field(default_factory=dict)
    #: the other shipped model the scenarios are cross-checked against ("" when none)
    other_label: str = ""
    cross_rows: list[dict[str, Any]] = field(default_factory=list)


def _scenarios(fit: Any, out: AnalysisContent, scenario_file: Any, hdi: float, quarter: str,
               other: Any = None, other_label: str = "") -> None:
    from macroattr.models.plotting.figures import scenario_forest
    from macroattr.models.analysis.scenarios import run_scenarios
    from macroattr.reports.tables import fmt

    results, skipped = run_scenarios(fit, scenario_file, hdi=hdi, other=other,
                                     other_label=other_label or "the other shipped model")
    out.other_label = other_label if other is not None else ""
    out.scenario_notes = skipped
    if not results:
        return
    out.scenario_as_of = results[0].as_of
    frames, forest = [], []
    for r in results:
        t = r.table().set_index("component")
        eff, tot = t.loc["shock_effect"], t.loc["total"]
        out.scenario_rows.append({
            "name": r.name, "description": r.description, "shocks": r.shocks_text(),
            "horizon": r.horizon, "unit": r.unit,
            "effect": fmt(float(eff["mean"]), 2, signed=True),
            "effect_hdi": f"{fmt(float(eff['hdi_low']), 2, signed=True)} to "
                          f"{fmt(float(eff['hdi_high']), 2, signed=True)}",
            "total": fmt(float(tot["mean"]), 2, signed=True),
            "total_hdi": f"{fmt(float(tot['hdi_low']), 2, signed=True)} to "
                         f"{fmt(float(tot['hdi_high']), 2, signed=True)}",
            "p_positive": f"{100 * float((r.total > 0).mean()):.0f}%",
            "flags": [f for f in r.flags if not f.startswith("SIGN DISAGREEMENT")],
            "other": ({"effect": fmt(r.other["mean"], 2, signed=True) if r.other["mean"] == r.other["mean"] else "–",
                       "hdi": (f"{fmt(r.other['hdi_low'], 2, signed=True)} to "
                               f"{fmt(r.other['hdi_high'], 2, signed=True)}")
                       if r.other["mean"] == r.other["mean"] else r.other["note"],
                       "disagree": r.other["disagree"]} if r.other is not None else None),
        })
        frames.append(r.table().assign(scenario=r.name, horizon=r.horizon))
        if r.other is not None:
            out.cross_rows.append({"scenario": r.name, "this model": float(eff["mean"]),
                                   "other model": r.other["mean"],
                                   "other hdi_low": r.other["hdi_low"],
                                   "other hdi_high": r.other["hdi_high"],
                                   "sign disagrees": r.other["disagree"], "unit": "pp"})
        forest.append({"scenario": r.name, "mean": float(eff["mean"]),
                       "hdi_low": float(eff["hdi_low"]), "hdi_high": float(eff["hdi_high"]),
                       "unit": r.unit.split(" ")[0]})
    tidy = pd.concat(frames, ignore_index=True)[
        ["scenario", "horizon", "component", "mean", "median", "hdi_low", "hdi_high", "unit"]]
    if out.cross_rows:
        out.tables["scenario_models"] = (
            "scenario-models-table", f"Scenario effects: this model against {other_label} "
            f"(posterior mean, {100 * hdi:.3g}% HDI of the other)", pd.DataFrame(out.cross_rows),
            f"scenarios_models_{quarter}.csv")
    out.tables["scenarios"] = (
        "scenarios-table", f"Scenarios through the betas as of {out.scenario_as_of} "
        f"(mean, {100 * hdi:.3g}% HDI)", tidy, f"scenarios_{quarter}.csv")
    fdf = pd.DataFrame(forest)
    out.charts["scenarios"] = (
        "Scenario effects against the baseline",
        "Effect of each scenario on the relative return against the no-shock baseline: " + "; ".join(
            f"{r['scenario']} {pp(r['mean'])} (HDI {pp(r['hdi_low'])} to {pp(r['hdi_high'])})"
            for r in forest) + ".",
        scenario_forest.spec(fdf, hdi=hdi))


def _windows(fit: Any, out: AnalysisContent, quarter: str, named: dict[str, tuple[str, str]],
             hdi: float, labels: dict[str, str]) -> None:
    from macroattr.core.dates import parse_date
    from macroattr.models.analysis.events import notable_windows
    from macroattr.models.plotting.figures import event_window_chart

    if fit.freq != "D":
        out.window_notes.append(f"Event windows need a daily fit; this report's fit is "
                                f"{'monthly' if fit.freq == 'M' else fit.freq}. Attribute any "
                                f"window with `macroattr event --start ... --end ...`.")
        return
    q = pd.Period(quarter, freq="Q")
    chosen: list[tuple[str, str, str]] = []
    for name, (a, b) in named.items():
        s = parse_date(a, f"window {name!r} start", required=True)
        e = parse_date(b, f"window {name!r} end", required=True)
        if s.to_period("Q") == q or e.to_period("Q") == q:
            chosen.append((name, a, b))
    how = "named in the scenario file"
    if not chosen:
        how = (f"the {NOTABLE_COUNT} largest absolute {NOTABLE_LENGTH}-session moves of the "
               f"quarter")
        chosen = [(f"{a} to {b}", a, b) for a, b in
                  notable_windows(fit, quarter, NOTABLE_LENGTH, NOTABLE_COUNT)]
    out.window_notes.append(f"Windows: {how}.")
    for i, (name, a, b) in enumerate(chosen):
        try:
            ev = fit.event(a, b, hdi=hdi)
        except InputError as exc:
            out.window_notes.append(f"{name}: {exc}")
            continue
        cid = f"event-{i + 1}"
        daily = ev.daily_table()
        out.charts[cid] = (
            f"{name}: contributions per session",
            f"Contributions per session from {ev.start} to {ev.end}: " + " | ".join(
                f"{p}: " + "; ".join(f"{labels.get(c, c)} {pp(m)}"
                                     for c, m in zip(g["component"], g["mean"], strict=True))
                for p, g in daily.groupby("period", sort=True)) + ".",
            # the figure ev.plot() draws, as its plain dict
            event_window_chart.spec(daily, ev.releases, hdi=ev.hdi, labels=labels,
                                    title=f"{name}: contributions per session ({ev.unit})"))
        out.tables[cid] = (f"{cid}-table", f"{name}: attribution of {ev.start} to {ev.end} "
                           f"({ev.unit}, {100 * hdi:.3g}% HDI)", ev.table(),
                           f"event_{ev.start}_{ev.end}.csv")
        rt = None
        if ev.realtime_draws is not None:
            rt = f"{cid}-rt"
            out.tables[rt] = (f"{rt}-table", f"{name}: first estimate, as estimated in real time "
                              f"(each day's betas with data to that day; {ev.unit}, "
                              f"{100 * hdi:.3g}% HDI)",
                              ev.table(estimate="first estimate"),
                              f"event_{ev.start}_{ev.end}_first_estimate.csv")
        out.windows.append({
            "rt": rt,
            "id": cid, "name": name, "start": ev.start, "end": ev.end,
            "sessions": len(ev.sessions), "total": ev.observed, "tail": ev.tail_text(),
            "share": ev.explained_share(), "notes": ev.notes,
            "releases": [f"{r.date} {r.label}" for r in ev.releases.itertuples()],
        })


def analysis_content(fit: Any, quarter: str, scenario_file: str | Path | None = None,
                     hdi: float = 0.9, other: Any = None, other_label: str = "",
                     labels: dict[str, str] | None = None) -> AnalysisContent:
    """Scenario table and event windows of one quarter's report.

    Parameters
    ----------
    fit
        A :class:`models.Fit`.
    quarter
        The report's quarter, e.g. ``"2024Q3"``.
    scenario_file
        Scenario TOML (default: the shipped set): its ``[scenarios]`` fill the table, its
        ``[windows]`` name the event windows shown when they fall in the quarter.
    hdi
        Interval mass.
    other, other_label
        A fit of the other shipped model and its name: each scenario's effect is shown
        beside what that model says, with a flag when the signs disagree.

    Returns
    -------
    AnalysisContent
    """
    from macroattr.models.analysis.scenarios import load_scenarios

    sf = load_scenarios(scenario_file)
    out = AnalysisContent()
    _scenarios(fit, out, sf, hdi, quarter, other, other_label)
    _windows(fit, out, quarter, dict(sf.windows), hdi, labels or {})
    return out
