"""Gather everything a quarterly report shows from a fit, as plain data for the template.

:func:`report_content` reads a :class:`models.Fit` through its public methods only
(``attribution``, ``coefficients``, ``ppc``, ``diagnostics``, ``panel``, ``config``,
``meta``); it never fits or fetches anything.
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from macroattr.data_pipelines.errors import InputError
from macroattr.models import figures
from macroattr.reports.narrative import headline_reading, mostly_unexplained
from macroattr.models.periods import quarter_of, resolve_quarter
from macroattr.reports.tables import csv_data_uri, display_rows, flatten, fmt, wide_attribution

__all__ = ["Chart", "Table", "ReportContent", "report_content", "fit_quarters", "HDI_PROB"]

#: Interval mass reported everywhere.
HDI_PROB = 0.9
#: How many quarters the trailing-contributions chart shows.
TRAILING_QUARTERS = 8
_MAX_BAND_POINTS = 600


@dataclass
class Chart:
    """A figure with its id, a caption and a text alternative for screen readers."""

    id: str
    title: str
    alt: str
    figure: Any
    #: heading shown above the chart (the figure's own title, with its unit)
    heading: str = ""


@dataclass
class Table:
    """A displayable table: header, formatted rows and a CSV download."""

    id: str
    caption: str
    columns: list[str]
    rows: list[list[str]]
    csv_name: str
    csv_uri: str
    numeric: list[bool] = field(default_factory=list)
    #: optional compact display (header, rows of {"mean", "hdi"} cells); CSV stays tidy
    wide: tuple[list[str], list[list[dict[str, str]]]] | None = None

    @classmethod
    def from_frame(cls, id: str, caption: str, frame: pd.DataFrame, csv_name: str,
                   digits: int | dict[str, int] = 3) -> Table:
        numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
        return cls(id=id, caption=caption, columns=[str(c) for c in frame.columns],
                   rows=display_rows(frame, digits), csv_name=csv_name,
                   csv_uri=csv_data_uri(frame), numeric=numeric)


@dataclass
class ReportContent:
    """Everything the quarterly template renders (numbers in pp unless a column says so)."""

    quarter: str
    title: str
    headline: dict[str, Any]
    reading: str
    gate: dict[str, Any]
    charts: dict[str, Chart]
    tables: dict[str, Table]
    provenance: dict[str, Any]
    model: dict[str, Any]
    span: tuple[str, str]
    rendered_at: str
    #: scenarios and event windows (:mod:`macroattr.reports.analysis`), or None
    analysis: Any = None

    def manifest_entry(self) -> dict[str, Any]:
        """The quarter's headline numbers for the index page."""
        return {
            "quarter": self.quarter,
            "total_pp": self.headline["total"],
            "components": [{"name": c["name"], "mean_pp": c["mean"], "hdi_low_pp": c["hdi_low"],
                            "hdi_high_pp": c["hdi_high"]} for c in self.headline["components"]],
            "largest_group": self.headline["largest_group"],
            "mostly_unexplained": self.headline["mostly_unexplained"],
            "gate_passed": self.gate["passed"],
            "span": list(self.span),
            "method": self.model["method"],
            "rendered_at": self.rendered_at,
        }


def _groups(fit) -> list[str]:
    groups = getattr(fit.config, "groups", None) or fit.panel.meta.get("groups") or {}
    return list(groups)


def fit_quarters(fit) -> list[str]:
    """Complete quarters of a fit's span, in time order.

    Examples
    --------
    >>> fit_quarters(fit)[-1]  # doctest: +SKIP
    '2024Q3'
    """
    return list(fit.quarters)


def _gate(fit) -> dict[str, Any]:
    diag = fit.diagnostics
    gate = getattr(diag, "gate", None)
    if isinstance(gate, dict):
        passed, reasons = bool(gate.get("passed")), list(gate.get("reasons", []))
    else:
        passed = bool(getattr(gate, "passed", False))
        reasons = list(getattr(gate, "reasons", []) or [])
    return {"passed": passed, "reasons": [str(r) for r in reasons],
            "note": str(getattr(gate, "note", "") or "")}


def _headline(attr_q: pd.DataFrame, quarter: str, groups: list[str], gate_passed: bool):
    rows = attr_q[attr_q["period"].astype(str) == quarter].set_index("component")
    order = ["alpha", *[g for g in groups if g in rows.index], "residual"]
    comps = []
    for name in order:
        if name not in rows.index:
            continue
        r = rows.loc[name]
        comps.append({"name": name, "mean": float(r["mean"]), "hdi_low": float(r["hdi_low"]),
                      "hdi_high": float(r["hdi_high"]),
                      "excludes_zero": bool(r["hdi_low"] > 0 or r["hdi_high"] < 0)})
    by_name = {c["name"]: c for c in comps}
    total = float(rows.loc["total", "mean"]) if "total" in rows.index else \
        float(sum(c["mean"] for c in comps))
    present = [g for g in groups if g in by_name]
    largest = max(present, key=lambda g: abs(by_name[g]["mean"])) if present else None
    resid = by_name.get("residual", {"mean": 0.0})["mean"]
    alpha = by_name.get("alpha", {"mean": 0.0})["mean"]
    explained = sum(by_name[g]["mean"] for g in present)
    headline = {
        "total": total, "components": comps, "largest_group": largest,
        "explained": explained, "alpha": alpha, "residual": resid,
        "mostly_unexplained": mostly_unexplained(resid, [by_name[g]["mean"] for g in present],
                                                 alpha),
    }
    reading = headline_reading(quarter, total, by_name, present, gate_passed=gate_passed)
    return headline, reading


def _components_alt(table: pd.DataFrame, period: str) -> str:
    rows = table[table["period"].astype(str) == period]
    return "; ".join(f"{c} {m:+.2f} pp" for c, m in zip(rows["component"], rows["mean"], strict=True))


def _coefficients(fit, groups_of: dict[str, str]) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Span-level coefficient table, and the per-period paths when betas vary over time."""
    coef = fit.coefficients(hdi=HDI_PROB).copy()
    if "group" not in coef.columns:
        coef["group"] = coef["factor"].map(groups_of)
    paths = None
    if getattr(fit, "time_varying", False):
        paths = fit.beta_paths(hdi=HDI_PROB).copy()
        if "group" not in paths.columns:
            paths["group"] = paths["factor"].map(groups_of)
        order = {f: i for i, f in enumerate(coef["factor"])}  # the model's factor order
        paths = paths.sort_values(["factor", "time"], key=lambda s: s.map(order)
                                  if s.name == "factor" else s, kind="stable")
    return coef, paths


def _ppc(fit) -> pd.DataFrame:
    ppc = fit.ppc(hdi=HDI_PROB)
    ppc = ppc.copy()
    if "period" not in ppc.columns:
        time_col = next((c for c in ("time", "date") if c in ppc.columns), None)
        if time_col is not None:
            ppc = ppc.rename(columns={time_col: "period"})
        elif ppc.index.name in ("time", "date", "period"):
            ppc = ppc.reset_index().rename(columns={ppc.index.name: "period"})
    if pd.api.types.is_datetime64_any_dtype(ppc["period"]):
        freq = str(fit.panel.meta.get("freq", "M"))
        fmt_ = "%Y-%m" if freq.upper().startswith("M") else "%Y-%m-%d"
        ppc["period"] = ppc["period"].dt.strftime(fmt_)
    return ppc


def _provenance(meta: dict[str, Any]) -> dict[str, Any]:
    series = []
    for sid, info in sorted((meta.get("series") or {}).items()):
        info = info or {}
        when = info.get("fetched_at") or info.get("snapshot_date")
        kind = "fetched" if info.get("fetched_at") else "snapshot" if when else ""
        series.append({
            "series_id": sid, "source": info.get("source", "–"), "title": info.get("title", "–"),
            "first": info.get("first", "–"), "last": info.get("last", "–"),
            "fetched_or_snapshot": f"{when} ({kind})" if when else "–",
            "terms": info.get("terms", "–"),
        })
    spans = meta.get("spans") or {}
    factors = []
    for name, info in (meta.get("factors") or {}).items():
        info = info or {}
        span = spans.get(name) or ["–", "–"]
        factors.append({
            "factor": name, "group": info.get("group", "–"), "unit": info.get("unit", "–"),
            "description": info.get("description", "–"),
            "fred_ids": ", ".join(info.get("fred_ids") or []) or "–",
            "available": f"{fmt(span[0])} to {fmt(span[1])}",
        })
    targets = [{"source": t.get("source", "–"), "first": t.get("first", "–"),
                "last": t.get("last", "–")} for t in (meta.get("target_sources") or [])]
    return {"series": series, "factors": factors, "target_sources": targets,
            "common_span": meta.get("common_span"), "built_at": meta.get("built_at"),
            "as_of": meta.get("as_of"), "freq": meta.get("freq")}


def _config_dump(config) -> dict[str, Any]:
    if hasattr(config, "model_dump"):
        try:
            return config.model_dump(mode="json")
        except TypeError:
            return config.model_dump()
    return dict(config or {})


def _render_versions() -> dict[str, str]:
    out = {}
    for pkg in ("macroattr", "plotly", "jinja2", "pandas"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover
            out[pkg] = "unknown"
    return out


def report_content(fit, quarter: str = "latest", scenarios: Any = None) -> ReportContent:
    """Collect the numbers, tables, charts and provenance of one quarter's report.

    Parameters
    ----------
    fit
        A :class:`models.Fit` (fitted or loaded from NetCDF).
    quarter
        ``"2024Q3"`` or ``"latest"`` (the last complete quarter of the fit's span).
    scenarios
        Scenario TOML for the scenarios and event-window sections (default: the shipped set).

    Returns
    -------
    ReportContent

    Raises
    ------
    InputError
        When ``quarter`` is malformed or not a complete quarter of the fit.

    Examples
    --------
    >>> content = report_content(fit, "latest")  # doctest: +SKIP
    >>> content.headline["total"]                # pp  # doctest: +SKIP
    -9.48
    """
    quarters = fit_quarters(fit)
    attr_q = fit.attribution(freq="Q", hdi=HDI_PROB)
    attr_q = attr_q.assign(period=attr_q["period"].astype(str))
    quarters = [q for q in quarters if q in set(attr_q["period"])]
    q = resolve_quarter(quarter, quarters)
    groups = _groups(fit)
    groups_of = {f: g for g, fs in (fit.panel.meta.get("groups") or {}).items() for f in fs}
    if hasattr(fit.config, "factor_group"):
        groups_of.update(fit.config.factor_group)
    gate = _gate(fit)
    headline, reading = _headline(attr_q, q, groups, gate["passed"])

    attr_m = fit.attribution(freq="M", hdi=HDI_PROB)
    attr_m = attr_m.assign(period=attr_m["period"].astype(str))
    in_q = attr_m[attr_m["period"].map(quarter_of) == q]
    months = [str(p) for p in pd.unique(in_q["period"])]
    trailing = [p for p in quarters if p <= q][-TRAILING_QUARTERS:]
    attr_trail = attr_q[attr_q["period"].isin(trailing)]
    # cumulative attribution over the fit span, up to and including the quarter
    attr_cum = attr_m[attr_m["period"].map(quarter_of) <= q]

    coef, paths = _coefficients(fit, groups_of)
    varying = paths is not None
    ppc = _ppc(fit)
    ppc_q = ppc[ppc["period"].astype(str).map(quarter_of) <= q]

    charts: dict[str, Chart] = {}
    charts["waterfall"] = Chart(
        "waterfall", f"Waterfall of {q}",
        f"Waterfall of the {q} relative return: {_components_alt(attr_q, q)}.",
        figures.waterfall(attr_q, q, hdi=HDI_PROB))
    charts["monthly"] = Chart(
        "monthly", f"Monthly contributions within {q}",
        "Stacked monthly contributions: " + " | ".join(
            f"{m}: {_components_alt(in_q, m)}" for m in months) + ".",
        figures.stacked_contributions(in_q, months,
                                      title=f"Monthly contributions within {q} (pp)", hdi=HDI_PROB))
    charts["trailing"] = Chart(
        "trailing", f"Contributions over the trailing {len(trailing)} quarters",
        "Stacked quarterly contributions: " + " | ".join(
            f"{p}: {_components_alt(attr_trail, p)}" for p in trailing) + ".",
        figures.stacked_contributions(
            attr_trail, trailing,
            title=f"Contributions over the trailing {len(trailing)} quarters (pp)",
            hdi=HDI_PROB))
    wide_cum = attr_cum.pivot(index="period", columns="component", values="mean").sum()
    charts["cumulative"] = Chart(
        "cumulative", "Cumulative attribution over the fit span",
        f"Cumulative contributions from {attr_cum['period'].iloc[0]} to "
        f"{attr_cum['period'].iloc[-1]}: "
        + "; ".join(f"{c} {v:+.1f} pp" for c, v in wide_cum.items()) + ".",
        figures.cumulative_attribution(
            attr_cum, title=f"Cumulative attribution, {attr_cum['period'].iloc[0]} to "
                            f"{attr_cum['period'].iloc[-1]} (pp)"))
    coef_units = coef["unit"] if "unit" in coef.columns else pd.Series("", index=coef.index)
    if varying:
        band = paths[paths["time"].map(lambda t: quarter_of(pd.Timestamp(t).strftime("%Y-%m-%d")))
                     <= q]
        times = sorted(band["time"].unique())
        if len(times) > _MAX_BAND_POINTS:  # thin long daily histories for a readable page
            band = band[band["time"].isin(times[:: -(-len(times) // _MAX_BAND_POINTS)])]
        last = band.sort_values("time").groupby("factor", sort=False).tail(1)
        charts["coefficients"] = Chart(
            "coefficients", "Time-varying coefficients in natural units",
            "Coefficient paths with 90% HDI bands; values at the end of " + q + ": " + "; ".join(
                f"{f} {m:+.3f} (90% HDI {lo:+.3f} to {hi:+.3f}) {u}" for f, m, lo, hi, u in
                zip(last["factor"], last["mean"], last["hdi_low"], last["hdi_high"],
                    last["unit"], strict=True)) + ".",
            figures.coefficient_bands(band, hdi=HDI_PROB))
    else:
        charts["coefficients"] = Chart(
            "coefficients", "Coefficients in natural units",
            "Forest plot of coefficients: " + "; ".join(
                f"{f} {m:+.3f} (90% HDI {lo:+.3f} to {hi:+.3f}) {u}" for f, m, lo, hi, u in
                zip(coef["factor"], coef["mean"], coef["hdi_low"], coef["hdi_high"],
                    coef_units, strict=True)) + ".",
            figures.coefficient_forest(coef, hdi=HDI_PROB))
    coef_table = coef
    inside = ((ppc_q["observed"] >= ppc_q["hdi_low"]) & (ppc_q["observed"] <= ppc_q["hdi_high"]))
    coverage = float(inside.mean()) if len(inside) else float("nan")
    charts["ppc"] = Chart(
        "ppc", "Posterior predictive fit",
        f"Observed relative return against the model's 90% posterior predictive interval; "
        f"{coverage:.0%} of {len(ppc_q)} periods fall inside it.",
        figures.posterior_predictive(ppc_q, hdi=HDI_PROB))

    head_frame = attr_q[attr_q["period"] == q][
        ["period", "component", "mean", "hdi_low", "hdi_high", "unit"]
        if "unit" in attr_q.columns else ["period", "component", "mean", "hdi_low", "hdi_high"]]
    cols = [c for c in ["period", "component", "mean", "hdi_low", "hdi_high", "unit"]
            if c in attr_m.columns]
    coef_cols = [c for c in ["factor", "group", "mean", "hdi_low", "hdi_high", "unit"]
                 if c in coef_table.columns]
    diag_table = getattr(fit.diagnostics, "table", None)
    if not isinstance(diag_table, pd.DataFrame):
        diag_table = pd.DataFrame(diag_table or [])
    if diag_table.index.name is not None or not isinstance(diag_table.index, pd.RangeIndex):
        diag_table = diag_table.reset_index()
    wide_order = [c["name"] for c in headline["components"]] + ["total"]
    tables = {
        "headline": Table.from_frame("headline-table", f"Attribution of {q} (pp, 90% HDI)",
                                     head_frame, f"attribution_{q}.csv", 2),
        "monthly": Table.from_frame("monthly-table", f"Monthly attribution within {q} (pp)",
                                    in_q[cols], f"attribution_{q}_monthly.csv", 2),
        "trailing": Table.from_frame("trailing-table",
                                     f"Attribution over the trailing {len(trailing)} quarters (pp)",
                                     attr_trail[cols], f"attribution_trailing_{q}.csv", 2),
        "coefficients": Table.from_frame(
            "coefficients-table",
            "Coefficients in natural units (mean, 90% HDI)"
            + (", averaged over the fit span" if varying else ""),
            coef_table[coef_cols], f"coefficients_{q}.csv", 3),
        "diagnostics": Table.from_frame("diagnostics-table",
                                        "Convergence diagnostics per parameter",
                                        diag_table, f"diagnostics_{q}.csv", 3),
    }
    totals = getattr(fit.diagnostics, "totals", None)
    if callable(totals):
        tables["diagnostic_totals"] = Table.from_frame(
            "diagnostic-totals", "Sampler summary", totals(), f"diagnostics_summary_{q}.csv", 3)
    tables["monthly"].wide = wide_attribution(in_q, wide_order)
    tables["trailing"].wide = wide_attribution(attr_trail, wide_order)
    provenance = _provenance(fit.panel.meta)
    if provenance["series"]:
        tables["series"] = Table.from_frame(
            "series-table", "Data series: source, span, fetched-at time or snapshot date, terms",
            pd.DataFrame(provenance["series"]).rename(
                columns={"fetched_or_snapshot": "fetched at / snapshot date"}),
            f"series_{q}.csv")

    analysis = _analysis(fit, q, scenarios, charts, tables)

    meta = dict(getattr(fit, "meta", {}) or {})
    config = _config_dump(fit.config)
    sampler = config.get("sampler", {}) if isinstance(config.get("sampler"), dict) else {}
    model = {
        "method": meta.get("method") or sampler.get("method", "–"),
        "sampler": meta.get("sampler") or sampler.get("name", "–"),
        "seed": meta.get("seed", sampler.get("seed", "–")),
        "betas": (config.get("model") or {}).get("betas", "–")
        if isinstance(config.get("model"), dict) else "–",
        "priors": flatten(config.get("priors", {})),
        "config": flatten({k: v for k, v in config.items() if k != "priors"}),
        "versions": flatten(meta.get("versions", {})),
        "render_versions": flatten(_render_versions()),
        "timings": flatten(meta.get("timings", {})),
        "other_meta": flatten({k: v for k, v in meta.items()
                               if k not in ("versions", "timings", "seed", "sampler", "method")}),
    }
    index = pd.DatetimeIndex(fit.panel.data.index)
    span = (index.min().strftime("%Y-%m-%d"), index.max().strftime("%Y-%m-%d"))
    return ReportContent(
        quarter=q,
        title=f"Russell 2000 minus S&P 500: attribution of {q}",
        headline=headline, reading=reading, gate=gate, charts=charts, tables=tables,
        provenance=provenance, model=model, span=span,
        rendered_at=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        analysis=analysis,
    )


def _analysis(fit, q: str, scenarios: Any, charts: dict[str, Chart], tables: dict[str, Table]):
    """Scenarios and event windows (:mod:`macroattr.reports.analysis`); their tables and
    charts join the report's own."""
    from macroattr.reports.analysis import analysis_content

    a = analysis_content(fit, q, scenarios, HDI_PROB)
    for key, (title, alt, figure) in a.charts.items():
        charts[key] = Chart(key, title, alt, figure)
    for key, (tid, caption, frame, csv_name) in a.tables.items():
        tables[key] = Table.from_frame(tid, caption, frame, csv_name, 2)
    return a


def check_is_fit(obj) -> None:
    """Raise :class:`InputError` unless ``obj`` offers what a report reads from a fit."""
    needed = ("attribution", "coefficients", "ppc", "diagnostics", "panel", "config")
    missing = [n for n in needed if not hasattr(obj, n)]
    if missing:
        raise InputError(f"{type(obj).__name__} is not a fit (lacks {', '.join(missing)}); "
                         f"pass a macroattr.models.Fit or load one with macroattr.models.load_fit")
