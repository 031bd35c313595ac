"""Refreshing the local store from FRED, series by series, incrementally.

For a stored series, :func:`refresh` first asks FRED for the series' metadata; if
FRED's ``last_updated`` equals the stored one nothing else is fetched.  Otherwise
it fetches only the observations from the stored last date minus a revision
window (FRED revises recent values: CPI's seasonal factors, daily rates'
corrections), replaces that tail, and reports the new and revised observations.
With ``vintages=True`` it also fetches the vintages (ALFRED) so the series can be
read as of any past date, and FRED's vintage dates (the days the series was
published: for CPIAUCSL the real CPI release days).  A series that already holds
vintages fetches only the real-time periods from its last stored vintage date on and
merges them into the stored ones (:func:`data_pipelines.vintages.merge_vintages`);
the merged history is written in the same atomic step as the observations.

A failure (bad key, unknown id, FRED down, rate limit past the retry budget,
malformed answer, a non-finite value such as ``inf``, dates listed twice, an answer that
would drop observations the store holds, incremental or full) leaves that series' stored file untouched and the other series
are still refreshed; a rejected key stops the run at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from macroattr.core.errors import FredError
from macroattr.data_pipelines.fred.client import REALTIME_MAX, FredAuthError, FredClient
from macroattr.data_pipelines.fred.store import SeriesStore
from macroattr.data_pipelines.vintages import merge_vintages

__all__ = ["DEFAULT_REVISION_WINDOW_DAYS", "RefreshResult", "default_series", "failure_line", "refresh",
           "refresh_one"]

def default_series() -> list[str]:
    """FRED ids every catalog factor is built from (the default panel's and the opt-in ones).

    Examples
    --------
    >>> "DGS2" in default_series()
    True
    """
    from macroattr.data_pipelines.catalog import FACTORS
    from macroattr.data_pipelines.sources import NON_FRED

    ids: list[str] = []
    for spec in FACTORS.values():
        ids.extend(i for i in spec.fred_ids if i not in NON_FRED)
    return list(dict.fromkeys(ids))


#: Days before the stored last date that a refresh fetches again to pick up revisions.
DEFAULT_REVISION_WINDOW_DAYS = 400

_INFO_KEYS = (
    "title",
    "units",
    "units_short",
    "frequency",
    "frequency_short",
    "seasonal_adjustment",
    "seasonal_adjustment_short",
    "last_updated",
    "observation_start",
    "observation_end",
    "realtime_start",
    "realtime_end",
)


@dataclass
class RefreshResult:
    """What a refresh did to one series.

    ``status`` is ``new`` (first fetch), ``updated``, ``unchanged`` or ``failed``;
    ``vintages`` is the number of vintages stored after the refresh (0: none kept),
    ``new_vintages`` how many of them this refresh added; ``error`` holds the
    one-line cause of a failure, ``reason`` the same without the series id and ``advice``
    what to do (see :func:`failure_line`).
    """

    series_id: str
    status: str
    new_obs: int = 0
    revised_obs: int = 0
    last: str | None = None
    vintages: int = 0
    error: str | None = None
    new_vintages: int = 0
    reason: str | None = None  # the failure's cause without the series id (to group failures)
    advice: str | None = None  # what to do about it, said once per report

    def to_dict(self) -> dict:
        return asdict(self)


def _same(a: float, b: float) -> bool:
    return (pd.isna(a) and pd.isna(b)) or a == b


def _changes(old: pd.Series | None, new: pd.Series) -> tuple[int, int]:
    if old is None:
        return int(new.notna().sum()), 0
    old_valid = old.dropna()
    added = int(new.dropna().index.difference(old_valid.index).size)
    common = new.index.intersection(old.index)
    revised = sum(not _same(old[d], new[d]) for d in common)
    return added, int(revised)


def _check_finite(sid: str, values: pd.Series, what: str = "") -> None:
    """FredError naming the first infinite value (FRED marks a missing value ``.``: NaN is fine)."""
    bad = np.isinf(values.to_numpy(dtype="float64"))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise FredError(f"FRED sent a non-finite value ({values.iloc[i]}) for {sid}{what} on "
                        f"{pd.Timestamp(values.index[i]):%Y-%m-%d} ({int(bad.sum())} such value(s)); "
                        "the store keeps what it had for this series")


def _check_no_loss(sid: str, stored: pd.Series, merged: pd.Series, full: bool) -> None:
    """FredError naming the stored observations the refreshed history would lose (a date the
    store holds a number for that is absent, or missing, in FRED's answer)."""
    have = stored.dropna()
    after = merged.reindex(have.index)
    lost = have.index[after.isna().to_numpy()]
    if len(lost) == 0:
        return
    days = lost.strftime("%Y-%m-%d")
    shown = ", ".join(days[:3]) + (f" ... {days[-1]}" if len(days) > 4 else (f", {days[-1]}" if len(days) == 4 else ""))
    kind = "full" if full else "incremental"
    raise FredError(f"FRED's {kind} answer for {sid} would drop {len(lost):,} of the {len(have):,} stored "
                    f"observations ({shown}); refused, the store keeps its copy (usually a FRED fault: retry "
                    "later, or pass --allow-shrink to accept the shorter history)")


def refresh_one(
    store: SeriesStore,
    client: FredClient,
    series_id: str,
    *,
    vintages: bool = False,
    full: bool = False,
    revision_window_days: int = DEFAULT_REVISION_WINDOW_DAYS,
    step: Callable[[str], None] | None = None,
    allow_shrink: bool = False,
) -> RefreshResult:
    """Refresh one series (the caller holds ``store.lock()``); raise FredError on failure.

    Refused (FredError, store unchanged): a non-finite value from FRED, an answer listing a
    date twice (the client refuses it), and, unless ``allow_shrink``, an answer (incremental
    or full) that would drop any observation the store holds a value for.
    """
    sid = store.normalise_id(series_id)
    tick = step or (lambda what: None)
    exists = store.has(sid)
    old: pd.Series | None = None
    old_meta: dict = {}
    if exists and not full:
        old, old_meta = store.read(sid)
    old_vint = store.read_vintages(sid) if exists else None
    old_vdates = store.read_vintage_dates(sid) if exists else None
    old_starts = set(old_vint["realtime_start"]) if old_vint is not None else set()
    tick("metadata")
    info = client.series_info(sid)
    meta = {k: info.get(k) for k in _INFO_KEYS}
    meta["base_url"] = client.base_url
    want_vintages = vintages or old_vint is not None
    if (
        old is not None
        and old_meta.get("last_updated") == info.get("last_updated")
        and not (want_vintages and (old_vint is None or old_vdates is None))
    ):
        tick("up to date")
        return RefreshResult(sid, "unchanged", last=old_meta.get("last"), vintages=len(old_starts))
    tick("observations")
    if old is not None and old.notna().any():
        start = old.dropna().index[-1] - pd.Timedelta(days=max(0, int(revision_window_days)))
        tail = client.observations(sid, start=start)
        # an answer that also lists earlier dates (a server ignoring observation_start) overrides them
        keep = old[(old.index < start) & ~old.index.isin(tail.index)]
        merged = pd.concat([keep, tail]).sort_index()
    else:
        merged = client.observations(sid)
    if merged.dropna().empty:
        raise FredError(f"FRED returned no observations for {sid}; the store keeps what it had")
    _check_finite(sid, merged)
    if exists and not allow_shrink:
        _check_no_loss(sid, old if old is not None else store.read(sid)[0], merged, full)
    vint = vdates = None
    if want_vintages:
        tick("vintages")
        if old_vint is not None and len(old_vint) and not full:
            since = old_vint["realtime_start"].max()
            fetched = client.all_releases(sid, since.strftime("%Y-%m-%d"), REALTIME_MAX)
            vint = merge_vintages(old_vint, fetched, since)
        else:
            vint = client.all_releases(sid)
        vdates = client.vintage_dates(sid)
        if vint is not None and len(vint):
            _check_finite(sid, pd.Series(vint["value"].to_numpy(), index=vint["date"]), " (vintages)")
    added, revised = _changes(old, merged)
    meta["fetched_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    if vint is not None and len(vint):
        meta["vintage_start"] = vint["realtime_start"].min().strftime("%Y-%m-%d")
        meta["vintage_end"] = vint["realtime_start"].max().strftime("%Y-%m-%d")
    tick("writing")
    store.write(sid, merged, meta, vintages=vint, vintage_dates=vdates)
    starts = set(vint["realtime_start"]) if vint is not None else set()
    new_vint = len(starts - old_starts)
    changed = added or revised or new_vint or (want_vintages and old_vdates is None)
    status = "new" if old is None else ("updated" if changed else "unchanged")
    last = merged.dropna().index[-1].strftime("%Y-%m-%d")
    return RefreshResult(sid, status, added, revised, last, len(starts), new_vintages=new_vint)


def refresh(
    store: SeriesStore,
    client: FredClient,
    series_ids: Iterable[str],
    *,
    vintages: bool = False,
    full: bool = False,
    revision_window_days: int = DEFAULT_REVISION_WINDOW_DAYS,
    lock_timeout: float = 10.0,
    on_step: Callable[[str, str], None] | None = None,
    allow_shrink: bool = False,
) -> list[RefreshResult]:
    """Refresh ``series_ids`` into ``store`` under the store's lock.

    Parameters
    ----------
    store, client
        Where to write, and the FRED client to fetch with.
    series_ids : iterable of str
    vintages : bool
        Also fetch every vintage (ALFRED), needed for as-of reads.  Series that
        already hold vintages keep getting them.
    full : bool
        Fetch the whole history even if the series is stored.
    revision_window_days : int
        How far before the stored last date to fetch again.
    on_step : callable(series_id, step), optional
        Progress callback (``metadata``, ``observations``, ``vintages``, ``writing``,
        ``done`` / ``failed``).
    allow_shrink : bool
        Accept an answer that drops observations the store holds (refused by default).

    Returns
    -------
    list of RefreshResult
        One per series, failures included (``status="failed"``).

    Raises
    ------
    FredAuthError
        FRED rejected the key (nothing was written).

    Examples
    --------
    >>> refresh(SeriesStore("/tmp/s"), FredClient(api_key="..."), ["DGS2"])  # doctest: +SKIP
    [RefreshResult(series_id='DGS2', status='new', new_obs=12345, ...)]
    """
    ids = list(dict.fromkeys(store.normalise_id(s) for s in series_ids))
    results: list[RefreshResult] = []
    with store.lock(timeout=lock_timeout):
        for sid in ids:
            step = (lambda what, _s=sid: on_step(_s, what)) if on_step else None
            try:
                res = refresh_one(
                    store,
                    client,
                    sid,
                    vintages=vintages,
                    full=full,
                    revision_window_days=revision_window_days,
                    step=step,
                    allow_shrink=allow_shrink,
                )
            except FredAuthError:
                raise
            except FredError as exc:
                res = RefreshResult(sid, "failed", error=getattr(exc, "cause", str(exc)),
                                    reason=getattr(exc, "reason", None), advice=getattr(exc, "advice", None))
                if store.has(sid):
                    res.last = store.meta(sid).get("last")
            results.append(res)
            if on_step:
                on_step(sid, "failed" if res.status == "failed" else "done")
    return results


def failure_line(results: list[RefreshResult]) -> str | None:
    """One line for the failed series of a refresh: each cause once (with the series that
    share it), then each piece of advice once; ``None`` when nothing failed.

    Examples
    --------
    >>> r = [RefreshResult("DGS2", "failed", error="FRED at h could not serve DGS2: x", reason="x", advice="Retry"),
    ...      RefreshResult("DFF", "failed", error="FRED at h could not serve DFF: x", reason="x", advice="Retry")]
    >>> failure_line(r)
    '2 of 2 series failed (store unchanged for them): DGS2, DFF: x. Retry'
    """
    failed = [r for r in results if r.status == "failed"]
    if not failed:
        return None
    groups: dict[str, list[str]] = {}
    for r in failed:
        groups.setdefault(r.reason or r.error or "failed", []).append(r.series_id)
    parts = []
    for reason, ids in groups.items():
        if len(ids) == 1:
            one = next(r for r in failed if r.series_id == ids[0])
            parts.append(one.error or reason)
        else:
            shown = ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")
            parts.append(f"{shown}: {reason}")
    advice = list(dict.fromkeys(a.rstrip(".") for r in failed if (a := r.advice)))
    line = f"{len(failed)} of {len(results)} series failed (store unchanged for them): " + "; ".join(parts)
    if advice:
        line = line.rstrip(".") + ". " + ". ".join(advice)
    return line
