"""Attribution helpers: period labels, aggregation, HDI tables and natural-unit labels.

Relative returns are log returns in pp, so a quarter's attribution is the exact sum of
its months (or days).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from data_pipelines.errors import InputError

__all__ = ["FREQ_ORDER", "beta_unit", "check_freq", "hdi_bounds", "partial_periods", "period_labels",
           "summarise_draws"]

FREQ_ORDER = {"D": 0, "W": 1, "M": 2, "Q": 3, "Y": 4}


def check_freq(freq: str, native: str) -> str:
    """Validate an aggregation frequency against the panel's own frequency.

    Examples
    --------
    >>> check_freq("q", "M")
    'Q'
    """
    f = str(freq).upper()[:1]
    if f == "A":
        f = "Y"
    if f not in FREQ_ORDER:
        raise InputError(f"frequency {freq!r} is not one of D, M, Q, Y")
    if FREQ_ORDER[f] < FREQ_ORDER.get(native, 2):
        raise InputError(
            f"cannot attribute at frequency {f} from a fit on {native} data; use {native} or coarser"
        )
    return f


def period_labels(dates: pd.DatetimeIndex, freq: str) -> np.ndarray:
    """Label each date with its period: ``2024-07-11``, ``2024-07``, ``2024Q3``, ``2024``.

    Examples
    --------
    >>> period_labels(pd.DatetimeIndex(["2024-07-31", "2024-09-30"]), "Q").tolist()
    ['2024Q3', '2024Q3']
    """
    d = pd.DatetimeIndex(dates)
    if freq == "D":
        out = d.strftime("%Y-%m-%d")
    elif freq == "W":
        iso = d.isocalendar()
        out = [f"{y}-W{w:02d}" for y, w in zip(iso.year, iso.week, strict=True)]
    elif freq == "M":
        out = d.strftime("%Y-%m")
    elif freq == "Q":
        out = [f"{y}Q{q}" for y, q in zip(d.year, d.quarter, strict=True)]
    elif freq == "Y":
        out = d.strftime("%Y")
    else:  # pragma: no cover - check_freq guards
        raise InputError(f"unknown frequency {freq!r}")
    return np.asarray(list(out), dtype=object)


_PERIOD_OFFSETS = {"M": pd.offsets.MonthEnd(0), "Q": pd.offsets.QuarterEnd(0), "Y": pd.offsets.YearEnd(0)}


def partial_periods(dates: pd.DatetimeIndex, native: str, freq: str) -> list[str]:
    """Labels of the first/last ``freq`` periods that the data cover only in part.

    A quarter whose data stop in April sums one month, not three: such a period is
    reported, flagged, never silently compared with whole ones. Daily data count as
    complete when they reach within 4 days of the period end (holidays, weekends).

    Examples
    --------
    >>> idx = pd.date_range("2024-01-31", "2025-04-30", freq="ME")
    >>> partial_periods(idx, "M", "Q")
    ['2025Q2']
    >>> partial_periods(idx, "M", "Y")
    ['2025']
    """
    if freq not in _PERIOD_OFFSETS or FREQ_ORDER[freq] <= FREQ_ORDER.get(native, 2) or len(dates) == 0:
        return []
    d = pd.DatetimeIndex(dates).sort_values()
    slack = pd.Timedelta(days=4 if native == "D" else 0)
    labels = period_labels(d[[0, -1]], freq)
    out: list[str] = []
    first, last = d[0], d[-1]
    # the first native period must be the first of its coarser period
    first_native_start = {"M": first.to_period("M").start_time, "D": first.normalize()}.get(native, first)
    period_start = first.to_period({"M": "M", "Q": "Q", "Y": "Y"}[freq]).start_time
    if native == "M" and first_native_start != period_start:
        out.append(str(labels[0]))
    elif native == "D" and first - period_start > pd.Timedelta(days=4):
        out.append(str(labels[0]))
    if last + slack < (last + _PERIOD_OFFSETS[freq]).normalize():
        if str(labels[-1]) not in out:
            out.append(str(labels[-1]))
    return out


def hdi_bounds(samples: np.ndarray, prob: float) -> np.ndarray:
    """Highest-density interval over the first axis; returns (..., 2).

    The narrowest window of sorted draws holding ``floor(prob * n)`` steps (ArviZ's
    "nearest" HDI, the same numbers), vectorised with NumPy: reports and tables need no
    ArviZ import (2 s of a report's 5 s).

    Examples
    --------
    >>> lo, hi = hdi_bounds(np.random.default_rng(0).normal(size=(4000,)), 0.9)
    >>> bool(-1.8 < lo < -1.5 and 1.5 < hi < 1.8)
    True
    """
    if not 0 < prob < 1:
        raise InputError(f"hdi {prob!r} must be between 0 and 1 (e.g. 0.9)")
    arr = np.sort(np.asarray(samples, dtype=np.float64), axis=0)
    n = arr.shape[0]
    k = min(int(np.floor(prob * n)), n - 1)
    lo_idx = np.argmin(arr[k:] - arr[: n - k], axis=0)[None, ...]
    lo = np.take_along_axis(arr, lo_idx, axis=0)[0]
    hi = np.take_along_axis(arr, lo_idx + k, axis=0)[0]
    return np.stack([lo, hi], axis=-1)


def summarise_draws(samples: np.ndarray, prob: float) -> dict[str, np.ndarray]:
    """Mean, median, sd and HDI over the first (sample) axis."""
    b = hdi_bounds(samples, prob)
    return {
        "mean": samples.mean(axis=0),
        "median": np.median(samples, axis=0),
        "sd": samples.std(axis=0, ddof=1),
        "hdi_low": b[..., 0],
        "hdi_high": b[..., 1],
    }


_BP_WORDS = ("2y", "yield", "policy", "rate", "spread", "oas", "breakeven", "treasury")


def beta_unit(factor: str, unit: str | None, target_unit: str = "pp") -> str:
    """Natural unit of a coefficient: relative return per unit move of the factor.

    Yields and spreads in pp read per 100 bp; log changes per 100% change.

    Examples
    --------
    >>> beta_unit("d_2y", "pp"), beta_unit("cpi_surprise", "pp"), beta_unit("dlog_epu", "log change")
    ('pp per 100 bp', 'pp per pp', 'pp per 100% change')
    """
    u = (unit or "").strip()
    ul = u.lower()
    name = factor.lower()
    if ul in ("pp", "percentage points", "percent", "%"):
        if any(w in name for w in _BP_WORDS):
            return f"{target_unit} per 100 bp"
        return f"{target_unit} per pp"
    if ul == "bp":
        return f"{target_unit} per bp"
    if "log" in ul or name.startswith("dlog"):
        return f"{target_unit} per 100% change"
    if ul in ("0/1", "indicator", "dummy", "event") or name.startswith("event_"):
        return f"{target_unit} per event"
    return f"{target_unit} per {u}" if u else f"{target_unit} per unit"


def consecutive_blocks(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) positions of runs of equal consecutive codes."""
    codes = np.asarray(codes)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], len(codes)]
    return starts, ends


def chunk_runs(starts: np.ndarray, ends: np.ndarray, max_len: int) -> Iterable[tuple[int, int]]:
    """Group consecutive runs into chunks of at most ``max_len`` rows (a run is never split)."""
    i, n = 0, len(starts)
    while i < n:
        j = i + 1
        while j < n and ends[j] - starts[i] <= max_len:
            j += 1
        yield i, j
        i = j
