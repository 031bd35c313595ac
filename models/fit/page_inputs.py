"""What the report page computes from a fit whatever the report's options, made with the fit.

The quarterly page (``run``, ``report``) and ``event`` read, besides the period sums of
:mod:`macroattr.models.fit.stored`, numbers that depend on the fit's data alone:

* the robust comparator's regression (OLS with Newey–West errors on the fit's own periods,
  :func:`macroattr.models.analysis.robust.hac_coefficients`; stored ``hac_ols``);
* the forecast monitor's interventions (:meth:`StateSpaceFit.interventions`; stored
  ``interventions``), which need the grid filter;
* the event windows the page lists — the shipped scenario file's named windows inside the
  fit's span and the largest five-session moves of each of the last :data:`PAGE_QUARTERS`
  quarters (:func:`macroattr.models.analysis.events.notable_windows`): each window's revised
  per-session draws (``ev_<t0>_<t1>``), its first estimate drawn jointly over the window
  (``ev_rt_<t0>_<t1>``) and the predictive made at its eve with its CDF at the observed
  total (``eve_<t0>_<t1>``), all of which need the grid filter;
* the model check's static comparators — the same filter with discounts 1 on the fit's days
  and, for a daily fit, on its days summed to months
  (:meth:`StateSpaceFit.static_quarter`): their quarter summaries at the page's HDI with the
  observed quarter totals (``static_<freq>_Q_0.9``, a few kB), which need a filter run each;
* the alpha of the fit's last day per draw (``end_alpha_smoothed``: the scenarios' starting
  point, :func:`macroattr.models.fit.draws.state_at_end`), a compiled pass otherwise.

:func:`fill_page` computes them before a state-space fit is saved (the filter has just run),
so a loaded fit answers the page with no filter rerun and without importing statsmodels or
scipy.stats. Each entry is the memoised result of the fresh computation, so both routes give
the same numbers bit for bit (``tests/models/test_stored.py``); a window or quarter beyond
these (another scenario file's window, an older quarter's moves, a user's ``event``) is
computed on demand as before, and kept with the fit in memory.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["PAGE_QUARTERS", "fill_page", "page_windows"]

#: quarters (the last ones of the span, the partial one included) whose notable windows are kept
PAGE_QUARTERS = 8


def page_windows(fit: Any) -> list[tuple[str, str]]:
    """The event windows (start, end) kept with a daily fit: the shipped scenario file's
    named windows inside the span, then the notable windows of the last
    :data:`PAGE_QUARTERS` quarters (what a report of those quarters lists)."""
    from macroattr.core.periods import period_labels
    from macroattr.models.analysis.events import notable_windows
    from macroattr.models.analysis.scenarios import load_scenarios

    if fit.freq != "D":
        return []
    dates = pd.DatetimeIndex(fit.design.dates)
    out: list[tuple[str, str]] = []
    for a, b in load_scenarios().windows.values():
        if dates[0] <= pd.Timestamp(a) <= pd.Timestamp(b) <= dates[-1]:
            out.append((str(a), str(b)))
    quarters = [str(q) for q in pd.unique(period_labels(dates, "Q"))]
    for q in quarters[-PAGE_QUARTERS:]:
        out.extend(w for w in notable_windows(fit, q) if w not in out)
    return out


def fill_page(fit: Any) -> None:
    """Compute (and keep in ``fit``'s store) the page's fit-level inputs listed above; a
    no-op for fits that keep nothing (static and time-varying fits)."""
    from macroattr.core.errors import InputError
    from macroattr.models.analysis.robust import hac_coefficients
    from macroattr.models.fit.draws import state_at_end
    from macroattr.models.fit.stored import keeps

    if not keeps(fit):
        return
    hac_coefficients(fit)
    fit.interventions()
    # the model check's static comparators (the counterpart on the fit's days and, for a
    # daily fit, on months): their quarter summaries, so a loaded fit refits neither
    for f in dict.fromkeys([fit.freq, "M" if fit.freq == "D" else fit.freq]):
        fit.static_quarter(_first_quarter(fit), freq=f)
    state_at_end(fit, "revised")  # the scenarios' starting point (its alpha: end_alpha_smoothed)
    windows = page_windows(fit)
    window_spans = _first_estimates_together(fit, windows)
    try:
        for a, b in windows:
            try:
                fit.event(a, b)
            except InputError:  # a window the fit cannot attribute is left to the page's note
                continue
    finally:  # a window whose event raised leaves its prefetched draws unread (the kept
        # quarters' are read when the store is filled)
        fit.paths.drop_prefetched(window_spans)


def _first_estimates_together(fit: Any, windows: list[tuple[str, str]]) -> list[Any]:
    """Draw the windows' first estimates and the kept first-estimate quarter sums in one
    pass (the same draws; the subset models' moment filters the two share run once);
    returns the windows' spans."""
    from macroattr.models.fit.draws import window_realtime_key, window_rows
    from macroattr.models.statespace.paths import window_span

    quarters = fit._kept_first_estimate_spans()
    spans = []
    for a, b in windows:
        t0, t1 = window_rows(fit, a, b)
        if t1 > t0 and window_realtime_key(t0, t1) not in fit._store:
            spans.append(window_span(t0, t1))
    if len(quarters) + len(spans) > 1:
        fit.paths.prefetch_filtered(quarters + spans)
    return spans


def _first_quarter(fit: Any) -> str:
    from macroattr.core.periods import period_labels

    return str(period_labels(fit.design.dates, "Q")[0])
