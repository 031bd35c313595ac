"""The election-odds factor ``d_rep_win_prob``: change in the market-implied probability that the
Republican candidate wins the US presidency, aligned to the equity close it can explain.

Sources (embedded ``snapshot/election_odds.parquet``; provenance in ``snapshot/tables.csv``), in
order of precedence where two cover a session:

1. a user odds file (``--odds-csv``: ``date,probability``, the session date and the probability
   (0..1) at that session's close), when given;
2. ``polymarket`` — 2024, Polymarket's winner market, one snapshot a day at 00:00 UTC;
3. ``predictit`` — 2020, PredictIt's "which party wins" market, hourly closes;
4. ``oddschecker`` — 2016, bookmaker-implied probabilities (margin removed), daily;
5. ``fivethirtyeight`` — 2020, the FiveThirtyEight forecast MODEL (not a market), daily runs from
   its 2020-08-11 launch: used only on sessions no market covers (markets first: the factor is the
   market-implied probability, and a model moves with polls, not news).

Normalisation: see :func:`macroattr.data_pipelines.snapshot_tables.read_election_odds`.

**Alignment rule.** Session S gets the odds as of **20:00 ET on S**: the last quote at or before
that time, at most :data:`MAX_AGE_DAYS` old. A Polymarket snapshot stamped 00:00 UTC on day D was
taken at 20:00 EDT (19:00 EST) on D-1, four hours after D-1's close, so it belongs to the close of
the session D-1: it is the first quote after that close, and the one before the next session opens.
The factor on S is the change of that level from the previous session, so the news of S's session
(and of the evening after it) is on S, and news of a weekend (the 13 July 2024 assassination attempt,
a Saturday) is on the Monday (2024-07-15). Caveat: news between 16:00 and 20:00 ET is attributed to
the session that had already closed (a small look-ahead; the hourly sources could be read at
16:00 but one rule serves all). oddschecker's values carry a date only; its day-D value is read as
the odds at D's close (the Comey letter, about 13:00 ET on 2016-10-28, is in that day's value; the
Access Hollywood tape, about 16:00 ET on 2016-10-07, is not). A change uses ONE source at both
endpoints (never across a splice). Monthly: the daily changes summed within the month.

Covered sessions: from the second session of a source's quotes to the last session with a quote
(2015-06 .. 2016-11-08; 2020-07-13 .. 2020-11-03; 2024-01-08 .. 2024-11-05). Outside every covered
cycle the factor is 0 (no election market in the data), source ``none``; a session inside a cycle
with no fresh quote is 0 by the as-of rule (no new quote, no news) and counted in the notes. The
election's resolution (the session after election night) is NOT covered: no quote after the result
is held. Every session's source is recorded (``meta["factors"]["d_rep_win_prob"]["sources"]``).

Examples
--------
>>> cal = pd.bdate_range("2024-07-10", "2024-07-17")
>>> r = rep_win_prob_change(cal)
>>> round(float(r.values["2024-07-15"]), 2), r.labels["2024-07-15"]  # first session after 13 July
(11.5, 'polymarket')
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from macroattr.core.errors import InputError

__all__ = ["CUTOFF_ET", "MAX_AGE_DAYS", "PRECEDENCE", "OddsResult", "odds_table", "rep_win_prob_change",
           "session_levels"]

SNAPSHOT_DIR = Path(__file__).with_name("snapshot")
CUTOFF_ET = "20:00"
MAX_AGE_DAYS = 7
PRECEDENCE = ("user", "polymarket", "predictit", "oddschecker", "fivethirtyeight")
NONE = "none"


@functools.cache
def odds_table() -> pd.DataFrame:
    """The embedded quotes: ``source, cycle, time_utc, p_rep, p_rep_raw`` (probabilities 0..1).

    Examples
    --------
    >>> sorted(odds_table()["source"].unique())
    ['fivethirtyeight', 'oddschecker', 'polymarket', 'predictit']
    """
    path = SNAPSHOT_DIR / "election_odds.parquet"
    if not path.is_file():
        raise InputError(f"embedded election-odds file {path} is missing; reinstall macroattr or run `make snapshot`")
    df = pd.read_parquet(path)
    df["source"] = df["source"].astype(str)
    return df


def _cutoffs(sessions: pd.DatetimeIndex) -> np.ndarray:
    """20:00 America/New_York on each session day, as naive UTC datetime64[ns]."""
    local = pd.DatetimeIndex(sessions.normalize() + pd.Timedelta(CUTOFF_ET + ":00")).tz_localize("America/New_York")
    return local.tz_convert("UTC").tz_localize(None).to_numpy("datetime64[ns]")


def session_levels(times: np.ndarray, probs: np.ndarray, sessions: pd.DatetimeIndex) -> pd.Series:
    """The level at each session: the last quote at or before 20:00 ET that day, at most
    :data:`MAX_AGE_DAYS` old, and only between the source's first and last quote (NaN elsewhere).

    Examples
    --------
    >>> t = pd.to_datetime(["2024-07-13 00:00", "2024-07-16 00:00"]).to_numpy()  # UTC
    >>> session_levels(t, np.array([0.595, 0.705]), pd.DatetimeIndex(["2024-07-12", "2024-07-15"])).tolist()
    [0.595, 0.705]
    """
    order = np.argsort(times, kind="stable")
    times, probs = np.asarray(times)[order], np.asarray(probs, dtype="float64")[order]
    cut = _cutoffs(sessions)
    pos = np.searchsorted(times, cut, side="right") - 1
    ok = pos >= 0
    age = np.full(len(cut), np.inf)
    age[ok] = (cut[ok] - times[pos[ok]]) / np.timedelta64(1, "D")
    last_session = cut >= times[-1] if len(times) else np.zeros(len(cut), bool)
    # after the last quote: only the first session whose cutoff reaches it (the last covered session)
    beyond = last_session & (np.concatenate([[False], last_session[:-1]]))
    keep = ok & (age <= MAX_AGE_DAYS) & ~beyond
    out = np.where(keep, probs[np.clip(pos, 0, None)], np.nan)
    return pd.Series(out, index=sessions)


@dataclass
class OddsResult:
    """Daily changes (pp), the source of each session and notes."""

    values: pd.Series
    labels: pd.Series
    notes: list[str] = field(default_factory=list)
    carried: int = 0


def rep_win_prob_change(sessions: pd.DatetimeIndex, user: pd.Series | None = None,
                        as_of: pd.Timestamp | None = None) -> OddsResult:
    """``100 × Δ P(Republican wins)`` per session (pp), with the source of each session.

    Parameters
    ----------
    sessions
        The trading days (the daily target's calendar; any business-day calendar for monthly sums).
    user
        Optional user levels by session date (:func:`~macroattr.data_pipelines.user_files.read_odds`); they take precedence.
    as_of
        Use only quotes published by this day's cutoff.
    """
    sessions = pd.DatetimeIndex(sessions)
    tab = odds_table()
    levels: dict[str, pd.Series] = {}
    if user is not None and len(user):
        u = user.reindex(sessions)  # the user's dates are sessions already: no time shift
        if as_of is not None:
            u[u.index > as_of] = np.nan
        levels["user"] = u
    cut_asof = _cutoffs(pd.DatetimeIndex([as_of]))[0] if as_of is not None else None
    for src in PRECEDENCE[1:]:
        g = tab[tab["source"] == src]
        times = g["time_utc"].to_numpy("datetime64[ns]")
        probs = g["p_rep"].to_numpy("float64")
        if cut_asof is not None:
            keep = times <= cut_asof
            times, probs = times[keep], probs[keep]
        if len(times):
            levels[src] = session_levels(times, probs, sessions)
    vals = np.zeros(len(sessions))
    labels = np.full(len(sessions), NONE, dtype=object)
    carried = 0
    for src in [s for s in PRECEDENCE if s in levels]:
        lev = levels[src].to_numpy()
        d = np.concatenate([[np.nan], np.diff(lev)])
        take = np.isfinite(d) & (labels == NONE)
        vals[take] = 100.0 * d[take]
        labels[take] = src
        if src != "user":
            g = tab[tab["source"] == src]
            times = np.sort(g["time_utc"].to_numpy("datetime64[ns]"))
            cut = _cutoffs(sessions[take])
            prev_cut = np.concatenate([[np.datetime64("NaT", "ns")], _cutoffs(sessions)[:-1]])[take]
            fresh = np.searchsorted(times, cut, side="right") > np.searchsorted(times, prev_cut, side="right")
            carried += int((~fresh).sum())
    out_v = pd.Series(vals, index=pd.DatetimeIndex(sessions, name="date"), name="d_rep_win_prob")
    out_l = pd.Series(labels, index=out_v.index, dtype=object)
    notes = []
    for src in [s for s in PRECEDENCE if s in levels]:
        days = out_l.index[out_l == src]
        if len(days):
            notes.append(f"d_rep_win_prob: {src} on {len(days)} session(s) {days[0]:%Y-%m-%d}..{days[-1]:%Y-%m-%d}")
    return OddsResult(out_v, out_l, notes, carried)
