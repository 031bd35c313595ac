"""Pages and files for backtests and specification grids.

The pages reuse the quarterly report's parts (stylesheet, plotly inlined once, the
``data_table`` and ``chart`` macros, CSV downloads, the content-security policy) with
their own template, ``templates/evaluation.html.j2``; charts come from
:mod:`macroattr.models.plotting.figures`. Every file is written atomically.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["Section", "render_page", "write_backtest", "write_grid"]


@dataclass
class Section:
    """One section of an evaluation page: heading, paragraphs, charts and tables."""

    id: str
    nav: str
    heading: str
    text: list[str] = field(default_factory=list)
    charts: list[Any] = field(default_factory=list)
    tables: list[Any] = field(default_factory=list)


def render_page(path: Path, title: str, intro: str, sections: list[Section], notes: list[str],
                failed: list[str] | None = None) -> Path:
    """Render ``sections`` into one self-contained HTML page at ``path`` (atomic)."""
    from macroattr.reports.charts import chart_div, plotly_js
    from macroattr.reports.render import _css_markup, _env, _markup, _version, _write_public

    plots = {ch.id: chart_div(ch) for s in sections for ch in s.charts}
    html = _env().get_template("evaluation.html.j2").render(
        title=title, intro=intro, sections=sections, notes=notes, failed=failed or [],
        plots=plots, css=_css_markup(), plotly_js=_markup(plotly_js()), version=_version(),
        rendered_at=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))
    _write_public(Path(path), html)
    return Path(path)


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    from macroattr.core.io import atomic_path, csv_safe

    with atomic_path(path) as tmp:  # model/spec names are user text: no formula cells
        csv_safe(frame).to_csv(tmp, index=False, float_format="%.6f")
    return path


def _model_first(scores: pd.DataFrame) -> pd.DataFrame:
    """Scores with the model's rows first (then the references), for charts."""
    key = scores["model"].map(lambda m: (m != "macroattr", m))
    return scores.iloc[sorted(range(len(scores)), key=lambda i: key.iloc[i])]


def _alt_cumulative(cum: pd.DataFrame) -> str:
    if cum.empty:
        return "no scores"
    last = cum.groupby("reference", sort=False)["cumulative"].last()
    return "; ".join(f"against {r}: {v:+.1f} nats after {int((cum['reference'] == r).sum())} "
                     f"periods" for r, v in last.items())


def write_backtest(bt: Any, out_dir: str | Path, title: str = "Backtest") -> list[Path]:
    """Write a :class:`models.backtest.Backtest`: ``scores.csv`` (tidy, per origin and
    period), ``summary.csv``, ``tasks.csv`` (status and reason of each origin),
    ``coefficients.csv`` and ``backtest.html``. Returns the paths."""
    from macroattr.models.plotting import figures
    from macroattr.reports.content import Chart, Table

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summ = bt.summary()
    paths = [_csv(bt.scores, out / "scores.csv"), _csv(summ, out / "summary.csv"),
             _csv(bt.tasks, out / "tasks.csv"), _csv(bt.coefficients, out / "coefficients.csv")]
    cum = bt.cumulative_difference()
    pct = f"{100 * bt.prob:.3g}%"
    sections = [Section("summary", "Summary", "Scores by model", text=[
        "Log score: mean log predictive density of the realised value (higher is better). "
        "CRPS: continuous ranked probability score in pp (lower is better). Coverage: share of "
        f"periods inside the central {pct} forecast interval. RMSE and bias of the predictive "
        "mean in pp. The log-score difference is the model minus the row's model, summed over "
        "the same periods, with the paired standard error of its mean."],
        tables=[Table.from_frame("summary", "Out-of-sample scores", summ, "summary.csv")])]
    if not bt.scores.empty:
        sections.append(Section("logscore", "Log score", "Cumulative log-score difference", charts=[
            Chart("cumlogscore", "Cumulative log-score difference", _alt_cumulative(cum),
                  figures.cumulative_log_score.spec(cum))]))
        mine = bt.scores[bt.scores["model"] == "macroattr"].rename(
            columns={"date": "period", "lower": "hdi_low", "upper": "hdi_high"})
        sections.append(Section("coverage", "Coverage", f"Forecast intervals ({pct})", charts=[
            Chart("coverage", "Coverage", "; ".join(
                f"{m}: {100 * g['inside'].mean():.0f}% inside" for m, g in
                bt.scores.groupby("model", sort=False)), figures.forecast_coverage.spec(
                    _model_first(bt.scores), prob=bt.prob)),
            Chart("intervals", "Forecasts", f"{int(mine['inside'].sum())} of {len(mine)} realised "
                  f"values inside the model's {pct} interval",
                  figures.posterior_predictive.spec(mine.assign(unit="pp"), hdi=bt.prob,
                                               title=f"Out-of-sample forecasts: realised value vs "
                                                     f"the model's {pct} interval (pp)"))]))
    if not bt.coefficients.empty:
        sections.append(Section("stability", "Parameters", "Parameter stability across origins",
                                charts=[Chart("stability", "Parameter stability",
                                              f"{bt.coefficients['factor'].nunique()} coefficients at "
                                              f"{bt.coefficients['origin'].nunique()} origins",
                                              figures.parameter_stability.spec(bt.coefficients, hdi=bt.prob))]))
    tasks = bt.tasks.drop(columns=[c for c in ("gate",) if c in bt.tasks.columns])
    sections.append(Section("tasks", "Origins", "Origins and task status",
                            tables=[Table.from_frame("tasks", "One task per origin", tasks, "tasks.csv")]))
    failed = [f"{r['label']}: {r['reason']}" for _, r in bt.tasks.iterrows()
              if r.get("status") == "failed"] if not bt.tasks.empty else []
    intro = ("Out-of-sample forecasts of the monthly relative return (pp), each from a fit on "
             "data up to its origin, scored against the historical mean and OLS on the same "
             "windows.")
    paths.append(render_page(out / "backtest.html", title, intro, sections, bt.notes, failed))
    return paths


def write_grid(grid: Any, out_dir: str | Path, title: str | None = None) -> list[Path]:
    """Write a :class:`macroattr.jobs.grid.Grid`: ``comparison.csv``, ``attribution.csv`` (tidy,
    the stacked attribution included), ``placebo.csv`` (with a placebo), one
    ``backtest_<spec>.csv`` per backtested spec, and ``grid.html``. Returns the paths."""
    from macroattr.models.plotting import figures
    from macroattr.reports.content import Chart, Table

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [_csv(grid.comparison, out / "comparison.csv"),
             _csv(grid.attribution, out / "attribution.csv")]
    if not grid.placebo.empty:
        paths.append(_csv(grid.placebo, out / "placebo.csv"))
    for name, bt in grid.backtests.items():
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
        paths.append(_csv(bt.scores, out / f"backtest_{safe}.csv"))
    pct = f"{100 * grid.hdi:.3g}%"
    sections = [Section("comparison", "Comparison", "Specifications compared", text=[
        "elpd_loo: PSIS-LOO expected log predictive density (higher is better, in-sample "
        "cross-validation). bt_*: out-of-sample scores of the backtest when one was run "
        "(log score per period, CRPS and RMSE in pp, coverage of the "
        f"{pct} interval). Columns ending _pp: each component's posterior mean contribution "
        f"to {grid.quarter} in pp (its {pct} HDI in the _hdi_low/_hdi_high columns of the CSV "
        f"and in the table below). Stacking weights: {grid.weights_basis or 'none'}."],
        tables=[Table.from_frame("comparison", "One row per specification", grid.comparison[
            [c for c in grid.comparison.columns if not c.endswith(("_hdi_low", "_hdi_high"))]],
            "comparison.csv")])]
    if not grid.attribution.empty:
        comps = grid.attribution[grid.attribution["component"] != "residual"]
        sections.append(Section("robustness", "Robustness", f"Attribution of {grid.quarter} across "
                                "specifications", charts=[Chart(
                                    "robustness", "Robustness", "; ".join(
                                        f"{r.spec} {r.component} {r.mean:+.2f} pp" for r in comps.itertuples()),
                                    figures.spec_robustness.spec(comps, hdi=grid.hdi))],
                                tables=[Table.from_frame("attribution", f"{grid.quarter}: mean and "
                                                         f"{pct} HDI (pp); 'stacked' mixes the "
                                                         "specifications by their stacking weights",
                                                         grid.attribution, "attribution.csv")]))
    if not grid.placebo.empty:
        sections.append(Section("placebo", "Placebo", "Placebo factor", text=[
            n for n in grid.notes if n.startswith("placebo")],
            tables=[Table.from_frame("placebo", "One fit per specification and shift", grid.placebo,
                                     "placebo.csv")]))
    failed = [f"{r['spec']}: {r['reason']}" for _, r in grid.comparison.iterrows()
              if r.get("status") == "failed"]
    intro = (f"Specifications fitted as independent tasks and compared; the headline is the "
             f"attribution of {grid.quarter} (pp, {pct} HDIs).")
    paths.append(render_page(out / "grid.html", title or f"Specification grid, {grid.quarter}",
                             intro, sections, grid.notes, failed))
    return paths
