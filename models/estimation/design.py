"""The regression design: checked, standardised arrays built from a panel and a config.

The model samples on standardised data (``rel_return`` and each factor centred and
divided by its standard deviation over the fit span); :class:`Design` keeps the means and
scales that convert every coefficient back to natural units. Time-varying betas use a
coarse knot grid with linear interpolation, also held here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from macroattr.core.errors import InputError

from macroattr.models.config import ModelConfig

__all__ = ["Design", "build_design", "panel_label"]


def panel_label(panel: Any) -> str:
    """A short name for a panel in error messages (its file when known)."""
    meta = getattr(panel, "meta", {}) or {}
    return str(meta.get("path") or meta.get("source_file") or f"{meta.get('freq', '?')} panel")


@dataclass(frozen=True)
class Design:
    """Standardised regression arrays for one fit.

    Attributes
    ----------
    dates : DatetimeIndex of the fit span (dim ``time``).
    y, X : natural-unit target (pp) and factors, float64.
    factors, groups : factor names in group order and the group mapping.
    y_mean, y_sd, x_mean, x_sd : standardisation constants.
    knot_idx, knot_w, n_knots : linear interpolation of the knot grid (time-varying betas):
        a knot-level path ``P`` (knots, factor) maps to periods as
        ``(1 - w) * P[idx] + w * P[idx + 1]``.
    """

    dates: pd.DatetimeIndex
    y: np.ndarray
    X: np.ndarray
    factors: list[str]
    groups: dict[str, list[str]]
    y_mean: float
    y_sd: float
    x_mean: np.ndarray
    x_sd: np.ndarray
    freq: str
    knot_idx: np.ndarray = field(repr=False)
    knot_w: np.ndarray = field(repr=False)
    knot_years: np.ndarray = field(repr=False)
    #: fixed natural-unit scale of each column the panel records as a catalog column (target
    #: and factors; :mod:`macroattr.data_pipelines.scales`): the state-space prior's scale,
    #: the same whatever the span
    ref_scales: dict[str, float] = field(default_factory=dict, repr=False)

    @property
    def n_obs(self) -> int:
        return len(self.y)

    @property
    def n_factors(self) -> int:
        return len(self.factors)

    @property
    def n_knots(self) -> int:
        return len(self.knot_years)

    @property
    def ys(self) -> np.ndarray:
        """Standardised target."""
        return (self.y - self.y_mean) / self.y_sd

    @property
    def Z(self) -> np.ndarray:
        """Standardised factors (time, factor)."""
        return (self.X - self.x_mean) / self.x_sd

    @property
    def group_index(self) -> np.ndarray:
        """Group number of each factor."""
        names = list(self.groups)
        fg = {c: names.index(g) for g, cols in self.groups.items() for c in cols}
        return np.array([fg[c] for c in self.factors], dtype=np.int64)

    def interp_matrix(self) -> np.ndarray:
        """Dense (time, knot) interpolation matrix (small panels / tests only)."""
        B = np.zeros((self.n_obs, self.n_knots))
        r = np.arange(self.n_obs)
        B[r, self.knot_idx] += 1 - self.knot_w
        B[r, self.knot_idx + 1] += self.knot_w
        return B


def _knots(dates: pd.DatetimeIndex, per_year: float) -> tuple[np.ndarray, ...]:
    years = np.asarray((dates - dates[0]).days, dtype=np.float64) / 365.25
    span = max(years[-1], 1e-9)
    n = max(2, math.ceil(span * per_year) + 1)
    knot_years = np.linspace(0.0, span, n)
    h = knot_years[1] - knot_years[0]
    idx = np.clip(np.floor(years / h).astype(np.int64), 0, n - 2)
    w = np.clip((years - knot_years[idx]) / h, 0.0, 1.0)
    return idx, w, knot_years


#: Largest posterior (draws of every saved parameter, 8 bytes each) a fit may hold in memory;
#: ``MACROATTR_MAX_POSTERIOR_GB`` overrides it.
MAX_POSTERIOR_GB = 4.0


def _check_memory(n_obs: int, n_factors: int, config: ModelConfig, where: str) -> None:
    """Refuse draws x chains whose posterior (plus per-period contributions) would not fit in
    memory, before sampling starts."""
    import os

    s = config.sampler
    per_draw = n_factors + 4 + n_obs * (n_factors + 3)  # params + contributions per period
    if config.model.betas == "time_varying":
        per_draw += n_obs * n_factors
    need = float(s.draws) * s.chains * per_draw * 8
    limit = float(os.environ.get("MACROATTR_MAX_POSTERIOR_GB") or MAX_POSTERIOR_GB)
    if need > limit * 2**30:
        raise InputError(
            f"{where}: {s.chains} chains x {s.draws:,} draws would hold about {need / 2**30:,.1f} GiB "
            f"of posterior draws, more than the {limit:g} GiB limit; use fewer --draws (1,000-4,000 "
            "per chain is plenty) or raise MACROATTR_MAX_POSTERIOR_GB"
        )


def build_design(panel: Any, config: ModelConfig) -> Design:
    """Check a panel against a config and build the standardised design.

    Raises :class:`~macroattr.core.errors.InputError` (one line) for a missing column,
    NaN inside the fit span, a constant or collinear factor, or fewer observations than
    parameters.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from types import SimpleNamespace
    >>> idx = pd.date_range("2000-01-31", periods=60, freq="ME", name="date")
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"rel_return": rng.normal(size=60), "d_2y": rng.normal(size=60)}, idx)
    >>> p = SimpleNamespace(data=df, meta={"freq": "M", "groups": {"rates": ["d_2y"]}})
    >>> d = build_design(p, ModelConfig(groups={"rates": ["d_2y"]}))
    >>> d.n_obs, d.factors
    (60, ['d_2y'])
    """
    where = panel_label(panel)
    data = getattr(panel, "data", None)
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"{where}: not a panel (expected a DataFrame in .data)")
    fg = config.factor_group
    needed = [config.target, *config.factors]
    for col in needed:
        if col not in data.columns:
            grp = f" (group {fg[col]!r})" if col in fg else ""
            avail = ", ".join(map(str, data.columns))
            raise InputError(
                f"{where} has no column {col!r}{grp} named in the model config; "
                f"available: {avail}; fix [groups] or rebuild the panel with that factor"
            )
    df = data[needed]
    if not isinstance(df.index, pd.DatetimeIndex):
        try:
            df = df.set_axis(pd.DatetimeIndex(pd.to_datetime(df.index)), axis=0)
        except (ValueError, TypeError):
            raise InputError(f"{where}: index is not a date index") from None
    from macroattr.data_pipelines.panel import check_dates

    check_dates(pd.DatetimeIndex(df.index), where)  # never re-sort or merge rows silently
    if config.start is not None:
        df = df.loc[pd.Timestamp(config.start):]
    if config.end is not None:
        df = df.loc[: pd.Timestamp(config.end)]
    K = len(config.factors)
    n_params = K + 2 + (1 if config.model.likelihood == "student_t" else 0)
    if len(df) <= n_params:
        raise InputError(
            f"{where}: {len(df)} observations in the fit span "
            f"{config.start or 'start'}..{config.end or 'end'} but the model has {n_params} "
            "parameters; widen the span or drop factors"
        )
    try:
        vals = np.ascontiguousarray(df.to_numpy(dtype=np.float64))
    except (ValueError, TypeError):
        raise InputError(f"{where}: non-numeric values in {needed}") from None
    bad = ~np.isfinite(vals)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise InputError(
            f"{where}: column {needed[c]!r} is missing (NaN) on {df.index[r].date()} inside "
            "the fit span; set start/end to the factor's available span or fill the gap"
        )
    y, X = vals[:, 0], vals[:, 1:]
    x_mean, x_sd = X.mean(axis=0), X.std(axis=0, ddof=1)
    for k, col in enumerate(config.factors):
        if not x_sd[k] > 1e-12 * max(1.0, abs(x_mean[k])):
            raise InputError(
                f"{where}: factor {col!r} is constant over the fit span; drop it from [groups]"
            )
    y_sd = float(y.std(ddof=1))
    for k, col in enumerate([config.target, *config.factors]):
        sd = y_sd if k == 0 else x_sd[k - 1]
        if not np.isfinite(sd):  # finite values whose spread overflows (e.g. 1e308)
            big = float(np.max(np.abs(vals[:, k])))
            raise InputError(f"{where}: column {col!r} holds values too large to fit (largest "
                             f"|value| {big:.3g}); check its units (rel_return is in pp)")
    if not y_sd > 0:
        raise InputError(f"{where}: {config.target!r} is constant over the fit span")
    Z = (X - x_mean) / x_sd
    if K > 1:
        # a factor nearly explained by the others (R^2 > 1 - 1e-8) makes betas unidentified
        for k, col in enumerate(config.factors):
            others = np.delete(Z, k, axis=1)
            coef, *_ = np.linalg.lstsq(others, Z[:, k], rcond=None)
            resid = Z[:, k] - others @ coef
            if resid @ resid < 1e-8 * (len(Z) - 1):
                partner = config.factors[int(np.argmax(np.abs(coef))) + (1 if int(np.argmax(np.abs(coef))) >= k else 0)]
                raise InputError(
                    f"{where}: factor {col!r} is collinear with {partner!r} over the fit span; "
                    "drop one of them from [groups]"
                )
    _check_memory(len(df), K, config, where)
    idx, w, knot_years = _knots(pd.DatetimeIndex(df.index), config.model.knots_per_year)
    freq = str((getattr(panel, "meta", {}) or {}).get("freq") or pd.infer_freq(df.index) or "M")
    ref = _reference_scales(panel, config, freq[:1].upper())
    return Design(
        dates=pd.DatetimeIndex(df.index, name="time"),
        y=y.copy(),
        X=X.copy(),
        factors=list(config.factors),
        groups={g: list(c) for g, c in config.groups.items()},
        y_mean=float(y.mean()),
        y_sd=y_sd,
        x_mean=x_mean,
        x_sd=x_sd,
        freq=freq[:1].upper(),
        knot_idx=idx,
        knot_w=w,
        knot_years=knot_years,
        ref_scales=ref,
    )


def _reference_scales(panel: Any, config: ModelConfig, freq: str) -> dict[str, float]:
    """Reference scales of the columns a built panel records as catalog columns (its meta's
    ``factors``; the target when the meta records its sources); none for plain or synthetic
    panels, whose columns are not the catalog's series."""
    from macroattr.data_pipelines.scales import reference_scale

    meta = getattr(panel, "meta", {}) or {}
    known = set((meta.get("factors") or {}))
    out: dict[str, float] = {}
    if config.target == "rel_return" and meta.get("target_sources"):
        sd = reference_scale("rel_return", freq)
        if sd is not None:
            out["rel_return"] = sd
    for col in config.factors:
        sd = reference_scale(col, freq) if col in known else None
        if sd is not None:
            out[col] = sd
    return out
