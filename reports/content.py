"""Gather everything a quarterly report shows from a fit, as plain data for the template.

:func:`report_content` reads a :class:`models.Fit` through its public methods only
(``attribution``, ``coefficients``, ``ppc``, ``diagnostics``, ``panel``, ``config``,
``meta``); it never fits or fetches anything.

Long module: report composition is being split by section (issue 24); until then every
section's content is gathered here.
"""

from __future__ import annotations

import datetime as _dt
import functools
import importlib.metadata
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from macroattr.core.errors import InputError
from macroattr.models.plotting import figures
from macroattr.reports.legs import Legs, period_legs
from macroattr.models.fit.components import alpha_label, macro_groups, macro_share, macro_share_text
from macroattr.reports.narrative import headline_reading, mostly_unexplained
from macroattr.core.periods import quarters_of, resolve_quarter
from macroattr.reports.tables import (column_label, csv_data_uri, display_rows, flatten, fmt, pp,
                                      reader_frame, wide_attribution)

__all__ = ["Chart", "Table", "Section", "ReportContent", "report_content", "fit_quarters",
           "explained_rows", "HDI_PROB"]

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
    numeric: list[bool] = field(default_factory=list)
    #: optional compact display (header, rows of {"mean", "hdi"} cells); CSV stays tidy
    wide: tuple[list[str], list[list[dict[str, str]]]] | None = None
    #: the table itself (what the CSV download and the Excel export hold)
    frame: pd.DataFrame | None = None

    #: indices of the rows that are a total (drawn with a rule above)
    total_rows: list[int] = field(default_factory=list)
    #: decimals of the numeric cells (one for all, or per column)
    digits: Any = 3
    _csv_uri: str | None = field(default=None, repr=False)

    @classmethod
    def from_frame(cls, id: str, caption: str, frame: pd.DataFrame, csv_name: str,
                   digits: int | dict[str, int] = 3) -> Table:
        t = cls(id=id, caption=caption, columns=[], rows=[], csv_name=csv_name,
                frame=frame.reset_index(drop=True), digits=digits)
        t._refresh()
        return t

    @property
    def csv_uri(self) -> str:
        """The CSV download of :attr:`frame` as a ``data:`` URI, encoded once, when the page
        first asks for it (after any :meth:`relabel`)."""
        if self._csv_uri is None:
            self._csv_uri = csv_data_uri(self.frame) if self.frame is not None else ""
        return self._csv_uri

    def _refresh(self) -> None:
        frame = self.frame
        self.numeric = [pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns]
        self.columns = [column_label(c) for c in frame.columns]
        self.rows = display_rows(frame, self.digits)
        self._csv_uri = None  # encoded when the page asks
        ids = frame["component_id"] if "component_id" in frame.columns else \
            frame.get("component", pd.Series(dtype=object))
        self.total_rows = [i for i, v in enumerate(ids.astype(str)) if v == "total"]

    def relabel(self, labels: dict[str, str]) -> Table:
        """Reader labels in the component/factor/group columns, ids kept in ``<col>_id``
        columns (:func:`reports.tables.reader_frame`): the page, the CSV download and the
        Excel sheet show the same labels."""
        if self.frame is not None:
            self.frame = reader_frame(self.frame, labels)
            self._refresh()
        return self


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
    #: data freshness: data_to, limited_by, last_obs {series: date}, from_meta (bool)
    freshness: dict[str, Any] = field(default_factory=dict)
    #: simple returns of both legs of the quarter (or why they are unavailable)
    legs: Legs | None = None
    #: explained variance share (R²-type) over the fit span, per frequency
    explained: list[dict[str, Any]] = field(default_factory=list)
    #: reader-facing labels of components and factors
    labels: dict[str, str] = field(default_factory=dict)
    #: extra sections other modules add (model check, scenarios, event windows): each a
    #: ``Section`` rendered by its own template include, in order
    sections: list[Any] = field(default_factory=list)

    def section(self, id: str) -> Any:
        """The extra :class:`Section` with this ``id`` (e.g. ``"model-check"``); KeyError
        listing the ids present when there is none."""
        for sec in self.sections:
            if sec.id == id:
                return sec
        raise KeyError(f"no section {id!r}; sections: {', '.join(s.id for s in self.sections)}")

    @property
    def model_key(self) -> str:
        """What identifies the model in the index and the page's file name: frequency,
        betas, likelihood and method (e.g. ``monthly static student_t nuts``), then the
        factors by group when they differ from the default model's (``default_model``)."""
        return model_key(self.model)

    @property
    def is_default_model(self) -> bool:
        """True when this page's model is the shipped default's (it owns ``<quarter>.html``)."""
        return model_key(self.model) == default_model_key()

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
            "model": self.model_key,
            "default_model": self.is_default_model,
            "groups": self.model.get("groups"),
            "model_line": self.model["line"],
            "freq": self.model["freq"],
            "data_to": self.freshness.get("data_to"),
            "explained": (self.explained[0] if self.explained else None),
            "legs": ({"small": self.legs.small, "large": self.legs.large}
                     if self.legs is not None and self.legs.available else None),
            "labels": self.labels,
            "rendered_at": self.rendered_at,
        }


_FREQ_NAMES = {"D": "daily", "M": "monthly"}


def model_key(model: dict[str, Any]) -> str:
    """The whole model as one line: ``<frequency> <betas> <likelihood> <method>``, then
    ``; group: factor+factor, ...`` when its factors or groups are not the default model's.

    Examples
    --------
    >>> model_key({"freq": "M", "betas": "static", "likelihood": "normal", "method": "exact",
    ...            "groups": {"rates": ["d_2y"]}})
    'monthly static normal exact; rates: d_2y'
    """
    freq = _FREQ_NAMES.get(str(model["freq"])[:1].upper(), str(model["freq"]))
    base = f"{freq} {model['betas']} {model['likelihood']} {model['method']}"
    groups = model.get("groups")
    if groups and groups != _default_groups():
        base += "; " + ", ".join(f"{g}: {'+'.join(fs)}" for g, fs in groups.items())
    return base


@functools.lru_cache(maxsize=1)
def _default_config():
    import tomllib

    from macroattr.configs import config_path
    from macroattr.models import ModelConfig

    path = config_path("default")
    freq = str((tomllib.loads(path.read_text(encoding="utf-8")).get("panel") or {})
               .get("freq", "M"))
    return ModelConfig.from_toml(path), freq


def _default_groups() -> dict[str, list[str]] | None:
    return _default_config()[0].groups


@functools.lru_cache(maxsize=1)
def default_model_key() -> str:
    """:func:`model_key` of the shipped default (``configs/default.toml``: its ``[panel]``
    frequency, betas, likelihood, method and groups)."""
    cfg, freq = _default_config()
    method = cfg.sampler.method
    return model_key({"freq": freq, "betas": cfg.model.betas,
                      "likelihood": "normal" if method == "exact" else cfg.model.likelihood,
                      "method": method, "groups": cfg.groups})


def _groups(fit) -> list[str]:
    return list(fit.config.groups)


def fit_quarters(fit) -> list[str]:
    """Complete quarters of a fit's span, in time order.

    Examples
    --------
    >>> fit_quarters(fit)[-1]  # doctest: +SKIP
    '2024Q3'
    """
    return list(fit.quarters)


def _gate(fit) -> dict[str, Any]:
    gate = fit.diagnostics.gate if fit.diagnostics is not None else None
    # the discount-grid weight on an edge of a grid: said on the page, not only in the summary
    warnings = list(fit.grid_warnings()) if getattr(fit, "state_space", False) else []
    if gate is None:
        return {"passed": False, "reasons": [], "note": "", "warnings": warnings}
    return {"passed": bool(gate.passed), "reasons": [str(r) for r in gate.reasons],
            "note": str(gate.note or ""), "warnings": warnings}


def _headline(attr_q: pd.DataFrame, quarter: str, groups: list[str], gate_passed: bool,
              labels: dict[str, str] | None = None, unsettled: dict[str, str] | None = None,
              trend: bool = False):
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
    macro = macro_groups(present)  # the trend/constant and a market control are not macro
    largest = max(macro, key=lambda g: abs(by_name[g]["mean"])) if macro else None
    resid = by_name.get("residual", {"mean": 0.0})["mean"]
    alpha = by_name.get("alpha", {"mean": 0.0})["mean"]
    explained = sum(by_name[g]["mean"] for g in macro)
    means = {n: c["mean"] for n, c in by_name.items()}
    headline = {
        "total": total, "components": comps, "largest_group": largest,
        "explained": explained, "alpha": alpha, "residual": resid, "trend": trend,
        "macro_share": macro_share(total, means, present),
        "plain": macro_share_text(total, means, present, trend=trend, labels=labels),
        "mostly_unexplained": mostly_unexplained(resid, [by_name[g]["mean"] for g in present],
                                                 alpha),
    }
    reading = headline_reading(quarter, total, by_name, present, gate_passed=gate_passed,
                               labels=labels, unsettled=unsettled, trend=trend)
    return headline, reading


def _components_alt(table: pd.DataFrame, period: str, labels: dict[str, str] | None = None) -> str:
    rows = table[table["period"].astype(str) == period]
    labels = labels or {}
    return "; ".join(f"{labels.get(c, c)} {pp(m)} pp"
                     for c, m in zip(rows["component"], rows["mean"], strict=True))


def _coefficients(fit, groups_of: dict[str, str], quarter: str | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Span-level coefficient table, and the per-period paths when betas vary over time
    (up to the quarter's end, at most ``_MAX_BAND_POINTS`` dates ending on its last day:
    the band chart's points, so no interval is computed for a day it does not show)."""
    coef = fit.coefficients(hdi=HDI_PROB).copy()
    if "group" not in coef.columns:
        coef["group"] = coef["factor"].map(groups_of)
    paths = None
    if fit.time_varying:
        times = None
        dates = fit.design.dates
        if quarter is not None and len(dates):
            upto = dates[dates <= pd.Period(quarter, freq="Q").end_time]
            if len(upto) > _MAX_BAND_POINTS:
                stride = -(-len(upto) // _MAX_BAND_POINTS)
                times = upto[::-1][::stride][::-1]  # every stride-th date, the last included
        paths = (fit.beta_paths(hdi=HDI_PROB, times=times) if times is not None
                 else fit.beta_paths(hdi=HDI_PROB)).copy()
        if "group" not in paths.columns:
            paths["group"] = paths["factor"].map(groups_of)
        order = {f: i for i, f in enumerate(coef["factor"])}  # the model's factor order
        paths = paths.sort_values(["factor", "time"], key=lambda s: s.map(order)
                                  if s.name == "factor" else s, kind="stable")
    return coef, paths


def _ppc(fit, freq: str | None = None) -> pd.DataFrame:
    ppc = fit.ppc(freq, hdi=HDI_PROB) if freq else fit.ppc(hdi=HDI_PROB)
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


def _provenance(meta: dict[str, Any], labels: dict[str, str] | None = None) -> dict[str, Any]:
    labels = labels or {}
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
            "label": labels.get(name, info.get("label") or name),
            "factor": name, "group": info.get("group", "–"), "unit": info.get("unit", "–"),
            "description": info.get("description", "–"),
            "fred_ids": ", ".join(info.get("fred_ids") or []) or "–",
            "available": f"{fmt(span[0])} to {fmt(span[1])}",
        })
    targets = [{"source": t.get("source", "–"), "first": t.get("first", "–"),
                "last": t.get("last", "–")} for t in (meta.get("target_sources") or [])]
    return {"series": series, "factors": factors, "target_sources": targets,
            "common_span": meta.get("common_span"), "built_at": meta.get("built_at"),
            "as_of": meta.get("as_of"), "freq": meta.get("freq"),
            "fred_refresh": (meta.get("fred_refresh") or {}).get("message")}


@dataclass
class Section:
    """An extra report section contributed by another module (model check, scenarios, event
    windows, ...): its template include (``sections/<name>.html.j2``) renders ``data``.

    ``charts`` are :class:`Chart` objects the page embeds (their plotly divs are passed to the
    include as ``plots``); ``tables`` are :class:`Table` objects (they also go to exports)."""

    id: str
    title: str
    template: str
    data: dict[str, Any] = field(default_factory=dict)
    charts: dict[str, Chart] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)


def _limited_by_text(limited_by: str, column: str | None = None) -> str:
    """The reader's words for what ends the data: ``"rel_return (IWM/SPY)"`` ->
    ``"IWM/SPY, the relative return"``, ``"d_2y (DGS2)"`` -> ``"DGS2, 2-year Treasury yield"``
    (the series the reader can look up, then the column's reader label); anything else as is.

    Examples
    --------
    >>> _limited_by_text("rel_return (IWM/SPY)"), _limited_by_text("requested end date")
    ('IWM/SPY, the relative return', 'requested end date')
    """
    from macroattr.data_pipelines.catalog import FACTORS, label_of

    col, sep, rest = limited_by.partition(" (")
    if column and limited_by.startswith(f"{column} ("):
        col, sep, rest = column, " (", limited_by[len(column) + 2:]
    if not sep or not rest.endswith(")") or (col != "rel_return" and col not in FACTORS):
        return limited_by
    reader = "relative return" if col == "rel_return" else label_of(col)
    return f"{rest[:-1]}, the {reader}" if col == "rel_return" else f"{rest[:-1]}, {reader}"


def _freshness(fit) -> dict[str, Any]:
    """Data to DATE, limited by SERIES: the panel's own record when it has one, else derived
    from the fit's last date and the spans of the series behind each column."""
    meta = fit.panel.meta or {}
    rec = meta.get("freshness") or {}
    data_to = rec.get("data_to") or fit.span[1]
    limited_by = rec.get("limited_by")
    last_obs = dict(rec.get("last_obs") or {})
    from_meta = bool(rec)
    if not limited_by:
        spans = meta.get("spans") or {}
        series = meta.get("series") or {}
        factors = meta.get("factors") or {}
        if not last_obs:
            last_obs = {sid: info.get("last") for sid, info in series.items()
                        if isinstance(info, dict) and info.get("last")}
        cols = [(str(v[1]), c) for c, v in spans.items() if v and len(v) == 2 and v[1]]
        if cols:
            end, col = min(cols)
            ids = [i for i in ((factors.get(col) or {}).get("fred_ids") or []) if i in series]
            if col == "rel_return":
                ids = [i for i in series if i in ("IWM", "SPY", "^RUT", "^GSPC")]
            # the series of that column whose last observation is nearest the column's end
            # (a spliced column ends with its newest piece; a combination with its shortest)
            ids = sorted(ids, key=lambda i: abs((pd.Timestamp(series[i].get("last") or "1900")
                                                 - pd.Timestamp(end)).days))
            limited_by = f"{ids[0]} ({col})" if ids else col
    if limited_by:
        limited_by = _limited_by_text(str(limited_by), rec.get("limited_by_column"))
    stale = [str(c) for c in rec.get("stale") or []]
    policy = rec.get("stale_policy")
    stale_text = ""
    if stale and policy in ("carry", "drop"):
        ends = {c: str(((meta.get("spans") or {}).get(c) or [None, None])[1] or "")[:10] for c in stale}
        from macroattr.data_pipelines.catalog import label_of

        names = ", ".join(f"{label_of(c)} ({c}; data end {ends[c]})" if ends[c] else f"{label_of(c)} ({c})"
                          for c in stale)
        stale_text = (f"{names}: set to 0 (no change) after its last value, so its moves since then fall "
                      "in the residual" if policy == "carry" else f"{names}: left out of this model (stale)")
    return {"data_to": str(data_to)[:10], "limited_by": limited_by or "–",
            "last_obs": last_obs, "from_meta": from_meta, "stale_text": stale_text}


def explained_rows(fit, hdi: float = HDI_PROB) -> list[dict[str, Any]]:
    """Share of the observed variance the fitted values explain (alpha + groups), with its HDI,
    at the fit's frequency and at quarters, over the fit span (``fit.summary.explained_share``)."""
    from macroattr.core.errors import InputError

    try:
        table = fit.summary.explained_share(None, hdi)
    except InputError:  # too few periods at some frequency: that frequency alone
        table = fit.summary.explained_share(str(fit.freq), hdi)
    names = {"D": "daily", "M": "monthly", "Q": "quarterly", "Y": "yearly"}
    return [{"freq": r.freq, "name": names.get(r.freq, r.freq), "mean": r.mean,
             "hdi_low": r.hdi_low, "hdi_high": r.hdi_high, "unit": r.unit}
            for r in table.itertuples(index=False)]


def _labels(fit, groups: list[str], factors: list[str]) -> dict[str, str]:
    """The one set of reader labels of the page: components, groups and factors
    (``catalog.display_label``; a panel's own group or factor labels first)."""
    from macroattr.data_pipelines.catalog import display_label

    def cap(text: str) -> str:
        return text[:1].upper() + text[1:]

    meta_factors = fit.panel.meta.get("factors") or {}
    labels = {c: display_label(c) for c in ("alpha", "residual", "total")}
    labels["alpha"] = cap(alpha_label(bool(getattr(fit, "state_space", False))))
    group_labels = fit.panel.meta.get("group_labels") or {}
    for g in groups:
        labels[g] = cap(group_labels.get(g) or display_label(g))
    for f in factors:
        labels[f] = cap((meta_factors.get(f) or {}).get("label") or display_label(f))
    return labels


def _quarter_legs(fit, q: str) -> Legs:
    data = fit.panel.data
    dates = pd.DatetimeIndex(data.index)
    in_q = dates[dates.to_period("Q") == pd.Period(q, freq="Q")]
    target = getattr(fit.config, "target", "rel_return")
    if target not in data.columns:
        return Legs.unavailable(f"the panel has no {target} column")
    return period_legs(dates, data[target], fit.panel.meta or {}, str(fit.freq)[:1].upper(), in_q)


def _config_dump(config) -> dict[str, Any]:
    if hasattr(config, "model_dump"):
        try:
            return config.model_dump(mode="json")
        except TypeError:
            return config.model_dump()
    return dict(config or {})


def used_priors(config: dict[str, Any], method: str) -> dict[str, Any]:
    """The prior settings the fitted model used, no others: the conjugate family's four for
    the exact method and state-space fits; pooling scales only with pooling; Student-t
    degrees of freedom only for Student-t errors; walk scales only for knot-grid betas.

    Examples
    --------
    >>> cfg = {"model": {"betas": "state_space", "likelihood": "normal"},
    ...        "priors": {"alpha_sd": 1.0, "beta_sd": 0.5, "nu_shape": 2.0, "group_sd": 0.5,
    ...                   "sigma2_shape": 2.0, "sigma2_scale": 1.0}}
    >>> sorted(used_priors(cfg, "exact"))
    ['alpha_sd', 'beta_sd', 'sigma2_scale', 'sigma2_shape']
    """
    priors = dict(config.get("priors") or {})
    model = config.get("model") or {}
    betas, lik = model.get("betas"), model.get("likelihood")
    conjugate = (method == "exact" or betas == "state_space"
                 or priors.get("family") == "conjugate")
    if conjugate:
        keep = {"alpha_sd", "beta_sd", "sigma2_shape", "sigma2_scale"}
    else:
        keep = {"family", "alpha_sd", "beta_sd", "pooling", "sigma_sd"}
        if priors.get("pooling"):
            keep |= {"group_sd", "group_tau"}
        if lik == "student_t":
            keep |= {"nu_shape", "nu_rate"}
        if betas == "time_varying":
            keep |= {"tv_scale_median", "tv_scale_log_sd"}
    return {k: v for k, v in priors.items() if k in keep}


def used_config(config: dict[str, Any], method: str) -> dict[str, Any]:
    """The configuration the fitted model used (priors apart: :func:`used_priors`): no
    NUTS settings for the exact method, no ``[state_space]`` table for other models, no
    knot spacing unless betas are knot-grid time-varying.

    Examples
    --------
    >>> cfg = {"model": {"betas": "state_space", "likelihood": "normal", "knots_per_year": 2},
    ...        "sampler": {"method": "exact", "name": "nutpie", "draws": 250, "tune": 300},
    ...        "state_space": {"scale_years": 2.0}, "priors": {}}
    >>> used_config(cfg, "exact")["sampler"], "knots_per_year" in used_config(cfg, "exact")["model"]
    ({'method': 'exact', 'draws': 250}, False)
    """
    out = {k: v for k, v in config.items() if k != "priors"}
    model = dict(out.get("model") or {})
    betas = model.get("betas")
    if betas != "time_varying":
        model.pop("knots_per_year", None)
    if betas == "state_space":
        model.pop("likelihood", None)  # normal given the day's volatility
    out["model"] = model
    sampler = dict(out.get("sampler") or {})
    if method == "exact":
        for k in ("name", "tune", "target_accept", "adaptation", "cores"):
            sampler.pop(k, None)
    elif betas == "state_space":  # nuts over the discounts runs on PyMC whatever the name
        for k in ("name", "adaptation"):
            sampler.pop(k, None)
    out["sampler"] = sampler
    if betas != "state_space":
        out.pop("state_space", None)
    if out.get("units") is None:
        out.pop("units", None)
    return out


def _render_versions() -> dict[str, str]:
    out = {}
    for pkg in ("macroattr", "plotly", "jinja2", "pandas"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover
            out[pkg] = "unknown"
    return out


def report_content(fit, quarter: str = "latest", scenarios: Any = None, *, other: Any = None,
                   other_label: str = "") -> ReportContent:
    """Collect the numbers, tables, charts and provenance of one quarter's report.

    Parameters
    ----------
    fit
        A :class:`models.Fit` (fitted or loaded from NetCDF).
    quarter
        ``"2024Q3"`` or ``"latest"`` (the last complete quarter of the fit's span).
    scenarios
        Scenario TOML for the scenarios and event-window sections (default: the shipped set).
    other, other_label
        A fit of the other shipped model (static monthly beside the daily state-space one)
        and its name: the scenarios show what it says beside each effect.

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
    q = resolve_quarter(quarter, quarters)
    trailing = [p for p in quarters if p <= q][-TRAILING_QUARTERS:]
    # the quarters the page shows only (a daily fit's whole history is a long pass per table)
    window = (pd.Period(trailing[0], freq="Q").start_time.strftime("%Y-%m-%d"),
              pd.Period(q, freq="Q").end_time.strftime("%Y-%m-%d"))
    attr_q = fit.attribution(freq="Q", hdi=HDI_PROB, start=window[0], end=window[1])
    attr_q = attr_q.assign(period=attr_q["period"].astype(str))
    groups = _groups(fit)
    groups_of = {f: g for g, fs in (fit.panel.meta.get("groups") or {}).items() for f in fs}
    groups_of.update(fit.config.factor_group)
    gate = _gate(fit)
    labels = _labels(fit, groups, list(fit.coefficients(hdi=HDI_PROB)["factor"]))
    check_sections = _model_check_sections(fit, q, other, other_label)  # signs across models
    unsettled = {g: st for sec in check_sections for g, st in sec.data.get("status", {}).items()
                 if st in ("disagree", "open")}
    headline, reading = _headline(attr_q, q, groups, gate["passed"], labels, unsettled,
                                  trend=bool(getattr(fit, "state_space", False)))

    attr_m = fit.attribution(freq="M", hdi=HDI_PROB)
    attr_m = attr_m.assign(period=attr_m["period"].astype(str))
    in_q = attr_m[quarters_of(attr_m["period"]) == q]
    months = [str(p) for p in pd.unique(in_q["period"])]
    attr_trail = attr_q[attr_q["period"].isin(trailing)]
    # cumulative attribution over the fit span, up to and including the quarter
    attr_cum = attr_m[quarters_of(attr_m["period"]) <= q]

    coef, paths = _coefficients(fit, groups_of, q)
    varying = paths is not None
    for comp in headline["components"]:
        comp["label"] = labels.get(comp["name"], comp["name"])
    daily = str(fit.freq).upper().startswith("D")
    # a daily fit's predictive check is drawn per month (sums of daily replicates): thousands
    # of daily points are an unreadable cloud
    ppc = _ppc(fit, "M" if daily else None)
    ppc_q = ppc[quarters_of(ppc["period"].astype(str)) <= q]

    charts: dict[str, Chart] = {}
    charts["waterfall"] = Chart(
        "waterfall", f"Waterfall of {q}",
        f"Waterfall of the {q} relative return: {_components_alt(attr_q, q, labels)}.",
        figures.waterfall.spec(attr_q, q, hdi=HDI_PROB, labels=labels))
    charts["monthly"] = Chart(
        "monthly", f"Monthly contributions within {q}",
        "Stacked monthly contributions: " + " | ".join(
            f"{m}: {_components_alt(in_q, m, labels)}" for m in months) + ".",
        figures.stacked_contributions.spec(in_q, months,
                                      title=f"Monthly contributions within {q} (pp)", hdi=HDI_PROB,
                                      labels=labels))
    charts["trailing"] = Chart(
        "trailing", f"Contributions over the trailing {len(trailing)} quarters",
        "Stacked quarterly contributions: " + " | ".join(
            f"{p}: {_components_alt(attr_trail, p, labels)}" for p in trailing) + ".",
        figures.stacked_contributions.spec(
            attr_trail, trailing,
            title=f"Contributions over the trailing {len(trailing)} quarters (pp)",
            hdi=HDI_PROB, labels=labels))
    wide_cum = attr_cum.pivot(index="period", columns="component", values="mean").sum()
    charts["cumulative"] = Chart(
        "cumulative", "Cumulative attribution over the fit span",
        f"Cumulative contributions from {attr_cum['period'].iloc[0]} to "
        f"{attr_cum['period'].iloc[-1]}: "
        + "; ".join(f"{labels.get(c, c)} {pp(v, 1)} pp" for c, v in wide_cum.items()) + ".",
        figures.cumulative_attribution.spec(
            attr_cum, title=f"Cumulative attribution, {attr_cum['period'].iloc[0]} to "
                            f"{attr_cum['period'].iloc[-1]} (pp)", labels=labels))
    coef_units = coef["unit"] if "unit" in coef.columns else pd.Series("", index=coef.index)
    if varying:
        band = paths[quarters_of(pd.to_datetime(paths["time"])) <= q]
        times = sorted(band["time"].unique())
        if len(times) > _MAX_BAND_POINTS:  # thin long daily histories for a readable page
            band = band[band["time"].isin(times[:: -(-len(times) // _MAX_BAND_POINTS)])]
        last = band.sort_values("time").groupby("factor", sort=False).tail(1)
        breaks = _breaks(fit, band["time"].max())
        charts["coefficients"] = Chart(
            "coefficients", "Time-varying coefficients in natural units",
            "Coefficient paths with 90% HDI bands; values at the end of " + q + ": " + "; ".join(
                f"{labels.get(f, f)} {m:+.3f} (90% HDI {lo:+.3f} to {hi:+.3f}) {u}"
                for f, m, lo, hi, u in
                zip(last["factor"], last["mean"], last["hdi_low"], last["hdi_high"],
                    last["unit"], strict=True)) + "." + (
                " Dashed lines: breaks where the forecast monitor intervened (" + ", ".join(
                    f"{pd.Timestamp(b):%Y-%m-%d}" for b in breaks) + ")." if breaks else ""),
            figures.coefficient_bands.spec(band, hdi=HDI_PROB, labels=labels, breaks=breaks))
    else:
        charts["coefficients"] = Chart(
            "coefficients", "Coefficients in natural units",
            "Forest plot of coefficients: " + "; ".join(
                f"{labels.get(f, f)} {m:+.3f} (90% HDI {lo:+.3f} to {hi:+.3f}) {u}"
                for f, m, lo, hi, u in
                zip(coef["factor"], coef["mean"], coef["hdi_low"], coef["hdi_high"],
                    coef_units, strict=True)) + ".",
            figures.coefficient_forest.spec(coef, hdi=HDI_PROB, labels=labels))
    inside = ((ppc_q["observed"] >= ppc_q["hdi_low"]) & (ppc_q["observed"] <= ppc_q["hdi_high"]))
    coverage = float(inside.mean()) if len(inside) else float("nan")
    per = "months (daily replicates summed per month)" if daily else "periods"
    charts["ppc"] = Chart(
        "ppc", "Posterior predictive fit",
        f"Observed relative return against the model's 90% posterior predictive interval; "
        f"{coverage:.0%} of {len(ppc_q)} {per} fall inside it.",
        figures.posterior_predictive.spec(
            ppc_q, hdi=HDI_PROB,
            title=("Posterior predictive check by month (daily fit, replicates summed): "
                   "observed vs 90% predictive interval (pp)") if daily else None))

    complete_m = _complete_flags(fit, "M")
    complete_q = _complete_flags(fit, "Q")
    in_q = in_q.assign(complete=in_q["period"].map(complete_m).fillna(True).astype(bool))
    attr_trail = attr_trail.assign(complete=True)  # trailing quarters are complete by selection
    head_frame = attr_q[attr_q["period"] == q][
        [c for c in ["period", "component", "mean", "hdi_low", "hdi_high", "unit"]
         if c in attr_q.columns]]
    head_frame = head_frame.assign(complete=head_frame["period"].map(complete_q)
                                   .fillna(True).astype(bool))
    cols = [c for c in ["period", "component", "mean", "hdi_low", "hdi_high", "unit", "complete"]
            if c in in_q.columns]
    coef_table = coef
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
                                        diag_table, f"diagnostics_{q}.csv",
                                        {"ess_bulk": 0, "ess_tail": 0}),  # ESS: a count of draws
    }
    totals = getattr(fit.diagnostics, "totals", None)
    if callable(totals):
        tables["diagnostic_totals"] = Table.from_frame(
            "diagnostic-totals", "Sampler summary", totals(), f"diagnostics_summary_{q}.csv",
            {"min_ess_bulk": 0, "min_ess_tail": 0})
    tables["monthly"].wide = wide_attribution(in_q, wide_order, labels=labels,
                                              complete=complete_m)
    tables["trailing"].wide = wide_attribution(attr_trail, wide_order, labels=labels)
    provenance = _provenance(fit.panel.meta, labels)
    if provenance["series"]:
        tables["series"] = Table.from_frame(
            "series-table", "Data series: source, span, fetched-at time or snapshot date, terms",
            pd.DataFrame(provenance["series"]).rename(
                columns={"fetched_or_snapshot": "fetched at / snapshot date"}),
            f"series_{q}.csv")
    explained = explained_rows(fit)
    if explained:
        tables["explained"] = Table.from_frame(
            "explained-table",
            "Explained share: variance of the macro groups' contributions (no trend or constant, "
            "no market control) as a share of the observed variance over the fit span (%, 90% HDI)",
            pd.DataFrame(explained)[["name", "mean", "hdi_low", "hdi_high", "unit"]]
            .rename(columns={"name": "returns"}), f"explained_share_{q}.csv", 1)

    analysis = _analysis(fit, q, scenarios, charts, tables, other, other_label, labels)

    meta = dict(getattr(fit, "meta", {}) or {})
    config = _config_dump(fit.config)
    sampler = config.get("sampler", {}) if isinstance(config.get("sampler"), dict) else {}
    model_cfg = config.get("model") if isinstance(config.get("model"), dict) else {}
    method = meta.get("method") or sampler.get("method", "–")
    model = {
        "method": method,
        "sampler": meta.get("sampler") or sampler.get("name", "–"),
        "seed": meta.get("seed", sampler.get("seed", "–")),
        "betas": model_cfg.get("betas", "–"),
        # the exact (conjugate) posterior has normal errors whatever the config's likelihood
        "likelihood": "normal" if method == "exact" else model_cfg.get("likelihood", "–"),
        "freq": str(fit.freq),
        "groups": {g: list(fs) for g, fs in (getattr(fit.config, "groups", None) or
                                             fit.panel.meta.get("groups") or {}).items()},
        "draws": f"{sampler.get('chains', '–')}×{sampler.get('draws', '–')}",
        "priors": flatten(used_priors(config, method)),
        "config": flatten(used_config(config, method)),
        "versions": flatten(meta.get("versions", {})),
        "render_versions": flatten(_render_versions()),
        "timings": flatten(meta.get("timings", {})),
        "other_meta": flatten({k: v for k, v in meta.items()
                               if k not in ("versions", "timings", "seed", "sampler", "method")}),
    }
    freq_name = {"D": "daily", "M": "monthly"}.get(model["freq"][:1].upper(), model["freq"])
    errors = "normal (conjugate)" if method == "exact" else str(model["likelihood"]).replace("_", "-")
    model["line"] = (f"{model['betas'].replace('_', '-')} betas, {errors} errors, {freq_name} "
                     f"data; {method} ({model['sampler']}), {model['draws']} draws, seed "
                     f"{model['seed']}")
    index = pd.DatetimeIndex(fit.panel.data.index)
    span = (index.min().strftime("%Y-%m-%d"), index.max().strftime("%Y-%m-%d"))
    for table in [*tables.values(), *(t for sec in check_sections for t in sec.tables.values())]:
        table.relabel(labels)  # one set of reader labels, ids in their own columns
    return ReportContent(
        quarter=q,
        title=f"Russell 2000 minus S&P 500: attribution of {q}",
        headline=headline, reading=reading, gate=gate, charts=charts, tables=tables,
        provenance=provenance, model=model, span=span,
        rendered_at=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        analysis=analysis,
        freshness=_freshness(fit), legs=_quarter_legs(fit, q), explained=explained,
        labels=labels, sections=check_sections,
    )


def _breaks(fit, upto: Any) -> list[Any]:
    """Onsets of the state-space model's automatic interventions up to ``upto`` (none for
    other fits)."""
    if not getattr(fit, "state_space", False):
        return []
    iv = fit.interventions()
    return [t for t in iv["onset"] if pd.Timestamp(t) <= pd.Timestamp(upto)]


def _model_check_sections(fit, q: str, other: Any = None, other_label: str = "") -> list[Section]:
    """The model check of a state-space fit (:mod:`macroattr.reports.model_check`); ``other``
    (the shipped static configuration's fit, when the app hands it over) is its static
    comparator."""
    from macroattr.reports.model_check import model_check_parts

    check = model_check_parts(fit, q, HDI_PROB, static_fit=other, static_label=other_label)
    if check is None:
        return []
    return [Section("model-check", "Model check", "model_check.html.j2",
                    data={"readings": check["readings"], "p_varies": check["p_varies"],
                          "status": check["status"], "static_name": check["static_name"]},
                    charts={k: Chart(k, *v) for k, v in check["charts"].items()},
                    tables={k: Table.from_frame(*v) for k, v in check["tables"].items()})]


def _analysis(fit, q: str, scenarios: Any, charts: dict[str, Chart], tables: dict[str, Table],
              other: Any = None, other_label: str = "",
              labels: dict[str, str] | None = None):
    """Scenarios and event windows (:mod:`macroattr.reports.analysis`); their tables and
    charts join the report's own."""
    from macroattr.reports.analysis import analysis_content

    a = analysis_content(fit, q, scenarios, HDI_PROB, other=other, other_label=other_label,
                         labels=labels)
    for key, (title, alt, figure) in a.charts.items():
        charts[key] = Chart(key, title, alt, figure)
    for key, (tid, caption, frame, csv_name) in a.tables.items():
        tables[key] = Table.from_frame(tid, caption, frame, csv_name, 2)
    return a


def _complete_flags(fit, freq: str) -> dict[str, bool]:
    """``{period label: covered fully}`` for the fit's ``freq`` periods (core.periods' rule)."""
    from macroattr.core.periods import FREQ_ORDER, partial_periods, period_labels

    dates = pd.DatetimeIndex(fit.design.dates)
    native = str(fit.freq)[:1].upper()
    if FREQ_ORDER.get(freq, 0) < FREQ_ORDER.get(native, 0):
        return {}
    partial = set(partial_periods(dates, native, freq))
    return {str(p): str(p) not in partial for p in pd.unique(period_labels(dates, freq))}


def check_is_fit(obj) -> None:
    """Raise :class:`InputError` unless ``obj`` is a :class:`~macroattr.models.fit.base.Fit`."""
    from macroattr.models.fit.base import Fit

    if not isinstance(obj, Fit):
        raise InputError(f"{type(obj).__name__} is not a fit; pass a macroattr.models.Fit "
                         f"or load one with macroattr.models.load_fit")
