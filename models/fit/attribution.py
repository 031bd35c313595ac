"""Attribution helpers: aggregation, HDI tables and natural-unit labels (periods live in
:mod:`macroattr.core.periods`).

Relative returns are log returns in pp, so a quarter's attribution is the exact sum of
its months (or days).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from macroattr.core.errors import InputError

__all__ = ["beta_unit", "hdi_bounds", "move_text", "summarise_draws"]

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
    _check_prob(prob)
    return _hdi_sorted(np.sort(np.asarray(samples, dtype=np.float64), axis=0), prob)


def _check_prob(prob: float) -> None:
    if not 0 < prob < 1:
        raise InputError(f"hdi {prob!r} must be between 0 and 1 (e.g. 0.9)")


def _hdi_sorted(arr: np.ndarray, prob: float) -> np.ndarray:
    """:func:`hdi_bounds` of draws already sorted along the first axis."""
    n = arr.shape[0]
    k = min(int(np.floor(prob * n)), n - 1)
    lo_idx = np.argmin(arr[k:] - arr[: n - k], axis=0)[None, ...]
    lo = np.take_along_axis(arr, lo_idx, axis=0)[0]
    hi = np.take_along_axis(arr, lo_idx + k, axis=0)[0]
    return np.stack([lo, hi], axis=-1)


def _median_sorted(arr: np.ndarray) -> np.ndarray:
    """``np.median(x, axis=0)`` of draws ``arr`` already sorted along the first axis, to the
    last digit: the middle value, or the mean of the two middle values computed as NumPy
    does (their sum divided by 2); NaN where a draw is NaN (sorted last), as NumPy gives."""
    n = arr.shape[0]
    h = n // 2
    med = arr[h].copy() if n % 2 else np.add(arr[h - 1], arr[h]) / 2.0
    if n and np.isnan(arr[-1]).any():
        med = np.where(np.isnan(arr[-1]), np.nan, med)
    return med


def summarise_draws(samples: np.ndarray, prob: float) -> dict[str, np.ndarray]:
    """Mean, median, sd and HDI over the first (sample) axis.

    One sort of the draws gives both the median and the HDI (``np.median`` would partition
    them again): the same numbers as ``np.median`` and :func:`hdi_bounds`, to the last digit
    (``tests/models/test_hdi_numpy.py``), about half the work.
    """
    _check_prob(prob)
    samples = np.asarray(samples)
    srt = np.sort(np.asarray(samples, dtype=np.float64), axis=0)
    b = _hdi_sorted(srt, prob)
    return {
        "mean": samples.mean(axis=0),
        "median": _median_sorted(srt),
        "sd": samples.std(axis=0, ddof=1),
        "hdi_low": b[..., 0],
        "hdi_high": b[..., 1],
    }


_BP_WORDS = ("2y", "yield", "policy", "rate", "spread", "oas", "breakeven", "treasury", "mp_")


def _reads_in_bp(factor: str, unit: str | None) -> bool:
    """A yield, rate or spread in pp: readers count its moves in basis points."""
    return ((unit or "").strip().lower() in ("pp", "percentage points", "percent", "%")
            and any(w in factor.lower() for w in _BP_WORDS))


def move_text(factor: str, value: float, unit: str | None, *, signed: bool = True) -> str:
    """A move of a factor in the unit readers count it in: a yield or spread in pp as bp.

    Examples
    --------
    >>> move_text("d_2y", 1.0, "pp"), move_text("d_2y", -0.25, "pp"), move_text("cpi_surprise", 0.2, "pp")
    ('+100 bp', '-25 bp', '+0.2 pp')
    >>> move_text("d_baa_spread", 0.8307, "pp", signed=False), move_text("dlog_epu", 0.5, "log change")
    ('83.1 bp', '+0.5 log change')
    """
    sign = "+" if signed else ""
    if _reads_in_bp(factor, unit):
        return f"{100 * value:{sign}.3g} bp"
    return f"{value:{sign}.3g} {(unit or '').strip()}".rstrip()


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
        if _reads_in_bp(factor, unit):
            return f"{target_unit} per 100 bp"
        return f"{target_unit} per pp"
    if ul == "bp":
        return f"{target_unit} per bp"
    if "log" in ul or name.startswith("dlog"):
        return f"{target_unit} per 100% change"
    if ul in ("0/1", "indicator", "dummy", "event") or name.startswith("event_"):
        return f"{target_unit} per event"
    return f"{target_unit} per {u}" if u else f"{target_unit} per unit of {factor}"


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
