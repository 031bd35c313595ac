"""What the page and the summary read, computed once per fit and kept in its file.

A state-space fit's numbers come from per-draw paths (a backward sampler over every period
and draw): seconds of work a loaded fit would redo for every command. The reductions the
report, ``run``, ``summary``, ``event`` and ``scenario`` read are kept instead, in memory as
soon as they are first computed and in the fit file's ``stored`` group when it is saved, so a
loaded fit redraws nothing for them:

* ``sums_<freq>_<estimate>`` (sample, period, component): per-draw period sums of the
  contributions, months and quarters revised, quarters first estimated (filtered);
* ``avg_alpha``, ``avg_beta``, ``avg_sigma``: per-draw averages over the span (coefficients,
  parameters);
* ``r2_<freq>`` (sample,): per-draw explained share (``fit.summary.explained_share``);
* ``ppc_<freq>_<hdi>``, ``vol_<hdi>``, ``bpaths_<hdi>``: the posterior predictive check, the
  volatility band and the beta paths at the page's HDI (other HDIs are recomputed);
* ``osa_0`` / ``osa_1``: the one-step-ahead predictive (time-varying, static);
* ``last_theta``, ``last_v``: the states of the last period (the scenarios' starting point).

One answer per question: every entry is exactly what the fresh computation returns (it *is*
that computation's result, memoised), and a span that covers whole periods reads the same
per-period sums a fresh span computation gives (the compiled pass sums each period on its
own), so a loaded fit and the fit it was saved from print the same numbers to the last
digit (``tests/models/test_stored.py``). Anything else a user asks (another HDI, a filtered
monthly table, days of a window) is recomputed in chunks as before. Float64 throughout
(the sums are compared to the last digit); the file grows by about 25 MB for the daily main
fit (1,000 draws).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["PERIOD_SUMS", "STORED_HDI", "fill", "from_arrays", "memo", "to_arrays"]

#: the HDI whose summaries are kept (the page's)
STORED_HDI = 0.9
#: (frequency, estimate) of the per-draw period sums kept
PERIOD_SUMS = (("M", "smoothed"), ("Q", "smoothed"), ("Q", "filtered"))


def keeps(fit: Any) -> bool:
    """True for fits whose reductions are kept (state-space fits: paths are drawn)."""
    return bool(getattr(fit, "state_space", False))


def memo(fit: Any, key: str, compute: Callable[[], Any]) -> Any:
    """The stored value ``key`` of ``fit``, computed (and kept) on first use."""
    store = fit._store
    if key in store:
        return store[key]
    value = compute()
    if keeps(fit):
        store[key] = value
    return value


def hdi_key(hdi: float) -> str:
    """``0.9`` -> ``"0.9"`` (the stored HDI only; others are not kept)."""
    return repr(float(hdi))


def fill(fit: Any) -> dict[str, np.ndarray]:
    """Compute every stored reduction of ``fit`` that is missing (before it is saved)."""
    if not keeps(fit):
        return fit._store
    native = str(fit.freq)
    for f, est in PERIOD_SUMS:
        if f != native and _coarser(f, native):
            fit.attribution(f, STORED_HDI, estimate=est)
    fit.coefficients(STORED_HDI)
    fit.parameters(STORED_HDI)
    freqs = [f for f in dict.fromkeys([native, "M", "Q"]) if f == native or _coarser(f, native)]
    try:
        fit.summary.explained_share(freqs, STORED_HDI)
    except Exception:  # noqa: BLE001 - too few periods at a frequency: those are not kept
        pass
    for f in dict.fromkeys([native, "M"]):
        if f == native or _coarser(f, native):
            fit.ppc(f, STORED_HDI)
    fit.volatility(STORED_HDI)
    fit.beta_paths(STORED_HDI)
    fit.one_step_ahead()
    fit.one_step_ahead(static=True)
    fit.paths.last_states()
    return fit._store


def _coarser(f: str, native: str) -> bool:
    order = "DWMQY"
    return order.index(f) > order.index(native)


def to_arrays(store: dict[str, Any]) -> dict[str, np.ndarray]:
    """The stored entries as plain arrays (what the fit file's ``stored`` group holds)."""
    return {k: np.ascontiguousarray(v) for k, v in store.items() if isinstance(v, np.ndarray)}


def from_arrays(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The store of a loaded fit from its file's arrays."""
    return {str(k): np.asarray(v) for k, v in arrays.items()}


def check_key(panel_data: Any, config_json: str, posterior: Any) -> str:
    """A digest of what the stored reductions were computed from (the panel's values, the
    config and each draw's grid point and subset): a loaded fit whose file was altered since
    (the digest differs) drops its store and recomputes."""
    import hashlib

    h = hashlib.sha256()
    h.update(np.ascontiguousarray(panel_data.to_numpy(dtype=np.float64)).tobytes())
    h.update(np.asarray(panel_data.index.to_numpy().astype("datetime64[ns]").astype(np.int64)).tobytes())
    h.update(config_json.encode())
    for name in ("grid_index", "vary", "grid_log_ml"):
        if name in posterior:
            h.update(np.ascontiguousarray(posterior[name].values).tobytes())
    return h.hexdigest()[:32]


def to_dataset(fit: Any) -> Any:
    """The fit file's ``stored`` group (an ``xarray.Dataset``; every entry filled first), or
    None for fits that keep nothing."""
    import xarray as xr

    if not keeps(fit):
        return None
    arrays = to_arrays(fill(fit))
    ds = xr.Dataset({k: ([f"{k}_{i}" for i in range(v.ndim)], v) for k, v in arrays.items()})
    ds.attrs["check"] = check_key(fit.panel.data, fit.config.to_json(), fit.draw_set)
    return ds


def from_group(kept: tuple[dict[str, np.ndarray], dict[str, Any]] | None, panel_data: Any,
               config_json: str, posterior: Any) -> dict[str, np.ndarray]:
    """The store of a loaded fit from its file's ``stored`` group read as (arrays,
    attributes) (empty when the file's digest does not match its contents)."""
    if kept is None:
        return {}
    arrays, attrs = kept
    if attrs.get("check") != check_key(panel_data, config_json, posterior):
        return {}
    return from_arrays(arrays)


def from_dataset(ds: Any, panel_data: Any, config_json: str, posterior: Any) -> dict[str, np.ndarray]:
    """The store of a loaded fit (empty when the file's digest does not match its contents)."""
    if ds is None or ds.attrs.get("check") != check_key(panel_data, config_json, posterior):
        return {}
    return from_arrays({k: ds[k].values for k in ds.data_vars})
