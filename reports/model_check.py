"""The report's model check: how far the quarter's attribution can be trusted.

For a state-space fit, three comparisons of the quarter, all read from the fit:

- **revised vs first estimate**: the smoothed attribution (data of the whole span) next to
  the quarter as estimated with data to its last day (``estimate="filtered"``: what a report
  written at the quarter's end would have said), and the revision between them;
- **static vs time-varying**: the shipped static configuration (``configs/static_monthly.toml``,
  the cross-check fit ``run`` makes, handed over by the app: reports compose only) on the
  quarter, named as such; without it, the same model with no time variation (both discounts
  1) on the same days (and for a daily fit on the days summed to months). The one-step-ahead
  log predictive density (LPDS) compares the time-varying filter with that same filter at
  discounts 1 on the same days: the out-of-sample support of letting betas and volatility move;
- **robust comparator**: OLS with Newey–West (HAC) standard errors on the same days
  (:func:`macroattr.models.analysis.robust.hac_attribution`), the quarter's group
  contributions with their HAC intervals;
- **plain-words reading**: a group's sign is called settled only when every interval on
  the page is on the same side of zero — revised, first estimate, the static comparators
  and the HAC comparator (:func:`macroattr.models.analysis.robust.sign_status`); otherwise
  the page says the models disagree (or that an interval includes zero) instead of calling
  a sign credible.

Other fits get no section (``None``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from macroattr.models.analysis.robust import NEGLIGIBLE_PP, hac_attribution, sign_status
from macroattr.data_pipelines.catalog import label_of
from macroattr.reports.tables import pp

__all__ = ["breaks_reading", "model_check_content", "model_check_parts", "sign_reading",
           "sign_status"]

_MAX_POINTS = 800


def _quarter_rows(table: pd.DataFrame, quarter: str) -> pd.DataFrame:
    t = table.assign(period=table["period"].astype(str))
    return t[t["period"] == quarter].set_index("component")


def _reader(name: str) -> str:
    """A group's or factor's reader label, capitalised to open a sentence."""
    label = label_of(name)
    return label[:1].upper() + label[1:]


def sign_reading(group: str, models: dict[str, pd.Series]) -> str:
    """One plain sentence on a group's sign across models (means and 90% HDIs, pp), opening
    with the group's reader label; a mean that rounds to zero reads 0.00 (no sign).

    A sign is called settled only when every model's interval is on the same side of zero;
    a contribution whose interval stays within 0.1 pp of zero in every model is negligible.

    Examples
    --------
    >>> tv = pd.Series({"mean": 1.2, "hdi_low": 0.4, "hdi_high": 2.0})
    >>> st = pd.Series({"mean": -0.8, "hdi_low": -1.5, "hdi_high": -0.1})
    >>> sign_reading("rates", {"time-varying": tv, "static": st})
    'Rates: the models disagree on the sign (time-varying +1.20 pp, static -0.80 pp); read neither sign as established.'
    >>> sign_reading("rates", {"time-varying": tv, "static": tv})
    'Rates: every model puts it above zero (time-varying +1.20 pp, static +1.20 pp).'
    >>> sign_reading("political", {"time-varying": tv * 0.001, "static": st * 0.001})
    'Political (elections, policy uncertainty): negligible in every model (time-varying 0.00 pp, static 0.00 pp).'
    """
    group = _reader(group)
    status = sign_status(models)
    nums = "(" + ", ".join(f"{k} {pp(float(r['mean']))} pp" for k, r in models.items()) + ")"
    if status == "negligible":
        return f"{group}: negligible in every model {nums}."
    if status == "settled":
        above = float(next(iter(models.values()))["hdi_low"]) > 0
        return f"{group}: every model puts it {'above' if above else 'below'} zero {nums}."
    if status == "disagree":
        return f"{group}: the models disagree on the sign {nums}; read neither sign as established."
    return (f"{group}: at least one model's 90% interval includes zero {nums}; "
            "the sign is not established.")


def breaks_reading(fit: Any) -> str:
    """One sentence on the forecast monitor's automatic interventions (breaks) of a
    state-space fit: their onsets and when the real-time filter signalled them."""
    ss, method = fit.config.state_space, fit.config.sampler.method
    if not ss.monitor or method != "exact":
        why = "[state_space] monitor = false" if not ss.monitor else "the nuts method"
        return (f"Breaks: forecast monitoring with automatic intervention is off ({why}); an "
                "abrupt change in a beta is tracked only as fast as the discount lets it drift.")
    iv = fit.interventions()
    head = ("Breaks (forecast monitor, West & Harrison ch. 11: when the one-step-ahead "
            "forecasts kept failing against the alternative that the betas jumped, by a Bayes "
            f"factor below {ss.monitor_threshold:g}, the model let them jump): ")
    if not len(iv):
        return head + "none over the span."
    items = ", ".join(f"{pd.Timestamp(o):%Y-%m-%d} (signalled {pd.Timestamp(sg):%Y-%m-%d})"
                      for o, sg in zip(iv["onset"], iv["signalled"], strict=True))
    return (head + f"{len(iv)} break{'s' if len(iv) != 1 else ''} dated {items}; the revised "
            "paths jump at the dates, the first estimates only from the signal on (dashed lines "
            "on the coefficient chart).")


def model_check_content(fit: Any, quarter: str, hdi: float = 0.9, static_fit: Any = None,
                        static_label: str = "") -> dict[str, Any] | None:
    """Tables (tidy DataFrames), a volatility table and the reading for the quarter's model
    check; ``None`` for fits that are not state-space.

    ``static_fit``: the static comparator, the shipped static configuration's fit
    (``configs/static_monthly.toml``, the fit ``run`` makes as its cross-check fit) with its
    reader label ``static_label``; without it (or when it does not cover the quarter) the
    comparators are the same filter with discounts 1 on the fit's days and, for a daily fit,
    on the days summed to months, named as such.

    Returns a dict with ``revision`` (component, revised mean/HDI, first-estimate mean/HDI,
    revision, pp), ``static`` (component, time-varying and static mean/HDI, pp), ``robust``
    (component, the model's and the HAC OLS comparator's mean and 90% interval, pp), ``lpds``
    (model, LPDS over the span and over the quarter's periods, periods), ``readings``
    (sentences), ``volatility`` (time, mean, hdi_low, hdi_high, unit; thinned) and
    ``p_varies``.
    """
    if not fit.state_space:
        return None
    per = pd.Period(quarter, freq="Q")
    span = {"start": str(per.start_time.date()), "end": str(per.end_time.date())}
    revised = _quarter_rows(fit.attribution("Q", hdi, **span), quarter)
    first = _quarter_rows(fit.attribution("Q", hdi, estimate="filtered", **span), quarter)
    static = monthly = None
    uncovered = ""
    if static_fit is not None and not getattr(static_fit, "state_space", False):
        static_name = (static_label or "the static model").removeprefix("the ")
        static_key = "static monthly model" if static_fit.freq == "M" else "static model"
        if quarter in static_fit.quarters:  # its data may end earlier (a stale factor trimmed)
            static = _quarter_rows(static_fit.attribution("Q", hdi, **span), quarter)
        if static is None or not len(static) or any(c not in static.index for c in fit.config.groups):
            static = None  # the shipped static fit does not cover the quarter whole
            uncovered = f"; {static_name} does not cover {quarter}"
    if static is None:
        static = fit.static_quarter(quarter, hdi)  # kept with the fit: no refit
        static_name, static_key = "the same filter with discounts 1 (static), same days", "static"
        if fit.freq == "D":
            static_name += " and the same days summed to months (static on months)"
        static_name += uncovered
        if fit.freq == "D":  # the static model on the same data summed to months
            monthly = fit.static_quarter(quarter, hdi, "M")
    hac = hac_attribution(fit, span["start"], span["end"], hdi)
    comps = [c for c in revised.index if c != "total"]
    revision = pd.DataFrame({
        "component": comps,
        "revised_mean": [revised.loc[c, "mean"] for c in comps],
        "revised_hdi_low": [revised.loc[c, "hdi_low"] for c in comps],
        "revised_hdi_high": [revised.loc[c, "hdi_high"] for c in comps],
        "first_estimate_mean": [first.loc[c, "mean"] for c in comps],
        "first_estimate_hdi_low": [first.loc[c, "hdi_low"] for c in comps],
        "first_estimate_hdi_high": [first.loc[c, "hdi_high"] for c in comps],
        "revision": [revised.loc[c, "mean"] - first.loc[c, "mean"] for c in comps],
        "unit": fit.target_unit,
    })
    versus = pd.DataFrame({
        "component": comps,
        "time_varying_mean": [revised.loc[c, "mean"] for c in comps],
        "time_varying_hdi_low": [revised.loc[c, "hdi_low"] for c in comps],
        "time_varying_hdi_high": [revised.loc[c, "hdi_high"] for c in comps],
        "static_mean": [static.loc[c, "mean"] if c in static.index else float("nan") for c in comps],
        "static_hdi_low": [static.loc[c, "hdi_low"] if c in static.index else float("nan")
                           for c in comps],
        "static_hdi_high": [static.loc[c, "hdi_high"] if c in static.index else float("nan")
                            for c in comps],
        "unit": fit.target_unit,
    })
    robust = pd.DataFrame({
        "component": [c for c in comps if c in hac.index],
        "model_mean": [revised.loc[c, "mean"] for c in comps if c in hac.index],
        "model_hdi_low": [revised.loc[c, "hdi_low"] for c in comps if c in hac.index],
        "model_hdi_high": [revised.loc[c, "hdi_high"] for c in comps if c in hac.index],
        "hac_ols_mean": [hac.loc[c, "mean"] for c in comps if c in hac.index],
        "hac_ols_low": [hac.loc[c, "hdi_low"] for c in comps if c in hac.index],
        "hac_ols_high": [hac.loc[c, "hdi_high"] for c in comps if c in hac.index],
        "unit": fit.target_unit,
    })
    if monthly is not None:
        versus.insert(7, "static_on_months_mean", [monthly.loc[c, "mean"] for c in comps])
        versus.insert(8, "static_on_months_hdi_low", [monthly.loc[c, "hdi_low"] for c in comps])
        versus.insert(9, "static_on_months_hdi_high", [monthly.loc[c, "hdi_high"] for c in comps])
    osa, osa_static = fit.one_step_ahead(), fit.one_step_ahead(static=True)
    from macroattr.core.periods import period_labels

    in_q = period_labels(fit.design.dates, "Q").astype(str) == quarter
    lpds = pd.DataFrame({
        "model": ["time-varying (state space)", "static (same filter, discounts 1)"],
        "lpds_span": [osa["log_score"].sum(), osa_static["log_score"].sum()],
        "lpds_quarter": [osa["log_score"][in_q].sum(), osa_static["log_score"][in_q].sum()],
        "periods_span": len(osa), "periods_quarter": int(in_q.sum()),
    })
    groups = list(fit.config.groups)
    readings, status = [], {}
    for g in groups:
        models = {"time-varying": revised.loc[g], "first estimate": first.loc[g],
                  static_key: static.loc[g]}
        if monthly is not None:
            models["static on months"] = monthly.loc[g]
        models["HAC OLS"] = hac.loc[g]
        readings.append(sign_reading(g, models))
        status[g] = sign_status(models)
    diff = lpds["lpds_span"].iloc[0] - lpds["lpds_span"].iloc[1]
    readings.insert(0, (
        f"Out of sample (each period predicted from the periods before it), the time-varying "
        f"model's log predictive density is {pp(diff, 1)} against the static model over "
        f"{len(osa)} periods ({'favouring time variation' if diff > 0 else 'favouring the static model'}"
        f"; a difference above about 5 is decisive)."))
    big = revision.loc[revision["component"].isin(groups), "revision"].abs()
    if len(big) and big.max() >= 0.5:
        g = revision.loc[big.idxmax(), "component"]
        readings.append(
            f"Revision: {label_of(g)} was first estimated at "
            f"{pp(revision.loc[big.idxmax(), 'first_estimate_mean'])} pp with data to the quarter's end, "
            f"and reads {pp(revision.loc[big.idxmax(), 'revised_mean'])} pp with the whole span.")
    vol = fit.volatility(hdi)
    if len(vol) > _MAX_POINTS:
        vol = vol.iloc[:: -(-len(vol) // _MAX_POINTS)]
    readings.append("P(varies), the probability that each beta drifts: "
                    + fit.p_varies_text(label=label_of) + ". " + fit.paths_text())
    readings.append(breaks_reading(fit))
    readings.insert(1, (
        "A sign is called settled only when every estimate on this page puts its 90% interval "
        "on the same side of zero: revised, first estimate, the static models and OLS with "
        "Newey–West (HAC) standard errors on the same days, which allow for autocorrelated, "
        "heteroskedastic errors that the model's intervals assume away."))
    return {"revision": revision, "static": versus, "robust": robust, "lpds": lpds,
            "readings": readings, "static_name": static_name,
            "status": status, "volatility": vol, "p_varies": fit.p_varies()}


def model_check_parts(fit: Any, quarter: str, hdi: float = 0.9, static_fit: Any = None,
                      static_label: str = "") -> dict[str, Any] | None:
    """What the report adds for the model check: ``charts`` {id: (title, alt text, figure)},
    ``tables`` {key: (id, caption, frame, csv name, digits)}, ``readings``, ``p_varies`` and
    ``static_name`` (the static comparator, see :func:`model_check_content`); ``None`` when
    the fit is not state-space."""
    from macroattr.models.plotting import figures

    mc = model_check_content(fit, quarter, hdi, static_fit, static_label)
    if mc is None:
        return None
    q = quarter
    vol = mc["volatility"]
    last = vol.iloc[-1]
    charts = {"model_check_volatility": (
        "Residual volatility over time",
        f"Residual sd per period (revised mean and 90% HDI) from {vol['time'].iloc[0]:%Y-%m-%d} "
        f"to {vol['time'].iloc[-1]:%Y-%m-%d}: median {vol['mean'].median():.2f}, "
        f"highest {vol['mean'].max():.2f} on {vol.loc[vol['mean'].idxmax(), 'time']:%Y-%m-%d}, "
        f"last {last['mean']:.2f} {last['unit']}.",
        figures.volatility_band.spec(vol, hdi=hdi))}
    tables = {
        "model_check_revision": (
            "model-check-revision",
            f"{q}: revised (smoothed, whole span) vs first estimate (data to the quarter's end), pp",
            mc["revision"], f"model_check_revision_{q}.csv", 2),
        "model_check_static": (
            "model-check-static", f"{q}: time-varying vs {mc['static_name']}, pp (90% HDI)",
            mc["static"], f"model_check_static_{q}.csv", 2),
        "model_check_robust": (
            "model-check-robust",
            f"{q}: the model (revised) vs OLS with Newey–West (HAC) errors on the same days, "
            "pp (90% intervals)", mc["robust"], f"model_check_robust_{q}.csv", 2),
        "model_check_lpds": (
            "model-check-lpds", "One-step-ahead log predictive density (higher is better)",
            mc["lpds"], f"model_check_lpds_{q}.csv", 1),
    }
    return {"charts": charts, "tables": tables, "readings": mc["readings"], "status": mc["status"],
            "p_varies": {k: round(float(v), 2) for k, v in mc["p_varies"].items()},
            "static_name": mc["static_name"]}
