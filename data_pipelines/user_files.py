"""Readers for the user's own CSV files, with one-line errors naming the file, line and column.

Formats (a header row, one row per date, ISO dates ``YYYY-MM-DD``):

* target: ``date,small,large`` (index or price levels, e.g. Russell 2000 and S&P 500 total-return
  levels from Bloomberg/FactSet) **or** ``date,rel_return`` (a ready relative return in pp per
  period, dated at the period end);
* fed-funds futures: ``date,price[,announcement]`` (price of the futures contract; implied rate =
  100 - price; ``announcement`` = 1 marks FOMC announcement days, used for the target surprise
  after the embedded policy-surprise file ends);
* CPI consensus: ``date,consensus[,release_date]`` (consensus m/m % change, in pp, for the CPI of
  the reference month containing ``date``; the optional ``release_date`` is the day BLS published
  that print, which daily panels then use instead of the approximate 15th-of-next-month rule);
* events: ``date,label`` (one row per event; a label may repeat; labels become factor names
  ``event_<label>``, lower-case letters, digits and ``_``: accents are transliterated,
  ``Élection`` -> ``election``; a label with no Latin letters gets a stable slug such as
  ``label_3f2a9c1d``; two different labels that would become one name are refused), or a
  built-in calendar named ``builtin:fomc`` (FOMC announcement days, label ``fomc``) or
  ``builtin:cpi`` (CPI release days, label ``cpi_release``), see
  :mod:`macroattr.data_pipelines.calendars`;
* election odds: ``date,probability`` (the Republican candidate's win probability, 0..1, at the
  session's close; these levels take precedence over the embedded market odds,
  :mod:`macroattr.data_pipelines.election`).

Dates must be sorted and unique (events excepted: several events may share a day).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from macroattr.core.errors import InputError

__all__ = ["read_consensus", "read_events", "read_futures", "read_futures_days", "read_odds", "read_target"]


def _read(path: str | Path, what: str) -> tuple[Path, pd.DataFrame]:
    p = Path(path)
    if p.exists() and not p.is_file():  # a device (/dev/zero), a FIFO, a folder
        raise InputError(f"{what} file {p} is not a regular file; give a CSV file")
    if not p.is_file():
        raise InputError(f"{what} file {p} not found; check the path")
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"{what} file {p} is not a readable CSV ({' '.join(str(exc).split())[:120]})") from None
    df.columns = [str(c).strip().lower() for c in df.columns]
    if df.empty:
        raise InputError(f"{what} file {p} has no data rows; add rows below the header")
    return p, df


def _require(p: Path, df: pd.DataFrame, what: str, options: list[list[str]]) -> list[str]:
    cols = set(df.columns)
    for opt in options:
        if set(opt) <= cols:
            return opt
    want = " or ".join(",".join(o) for o in options)
    raise InputError(f"{what} file {p} is missing columns: need {want}; found {','.join(df.columns)}")


def _dates(p: Path, df: pd.DataFrame, *, unique_sorted: bool = True) -> pd.DatetimeIndex:
    raw = df["date"].str.strip()
    parsed = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        i = bad[0]
        raise InputError(f"{p} line {i + 2}: date {raw.iloc[i]!r} is not a YYYY-MM-DD date")
    idx = pd.DatetimeIndex(parsed, name="date")
    if unique_sorted:
        dup = idx.duplicated()
        if dup.any():
            i = int(np.flatnonzero(dup)[0])
            raise InputError(f"{p} line {i + 2}: duplicate date {idx[i]:%Y-%m-%d}; keep one row per date")
        down = np.flatnonzero(np.diff(idx.asi8) < 0)
        if len(down):
            i = int(down[0]) + 1
            raise InputError(
                f"{p} line {i + 2}: date {idx[i]:%Y-%m-%d} comes after {idx[i - 1]:%Y-%m-%d}; sort the file by date"
            )
    return idx


def _numeric(p: Path, df: pd.DataFrame, idx: pd.DatetimeIndex, col: str, *, positive: bool = False) -> pd.Series:
    raw = df[col].str.strip()
    vals = pd.to_numeric(raw, errors="coerce")
    bad = np.flatnonzero(vals.isna().to_numpy() | ~np.isfinite(vals.to_numpy("float64", na_value=np.nan)))
    if len(bad):
        i = int(bad[0])
        raise InputError(
            f"{p} line {i + 2} ({idx[i]:%Y-%m-%d}): column {col} value {raw.iloc[i]!r} is not a number"
        )
    if positive and (vals <= 0).any():
        i = int(np.flatnonzero((vals <= 0).to_numpy())[0])
        raise InputError(
            f"{p} line {i + 2} ({idx[i]:%Y-%m-%d}): column {col} level {raw.iloc[i]} must be positive"
        )
    return pd.Series(vals.to_numpy("float64"), index=idx, name=col)


def read_target(path: str | Path) -> pd.DataFrame:
    """Read a user target file: columns ``small, large`` (levels) or ``rel_return`` (pp).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = f.write_text("date,small,large\\n2024-06-28,100,100\\n2024-07-31,110,101\\n")
    >>> read_target(f).columns.tolist()
    ['small', 'large']
    """
    p, df = _read(path, "target")
    cols = _require(p, df, "target", [["date", "small", "large"], ["date", "rel_return"]])
    idx = _dates(p, df)
    data = {c: _numeric(p, df, idx, c, positive=(c != "rel_return")) for c in cols[1:]}
    return pd.DataFrame(data, index=idx)


def read_futures(path: str | Path) -> pd.Series:
    """Read ``date,price`` fed-funds futures prices; return the implied rate ``100 - price`` (pct).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "ff.csv"
    >>> _ = f.write_text("date,price\\n2024-07-31,94.75\\n")
    >>> float(read_futures(f).iloc[0])
    5.25
    """
    p, df = _read(path, "futures")
    _require(p, df, "futures", [["date", "price"]])
    idx = _dates(p, df)
    price = _numeric(p, df, idx, "price")
    if ((price <= 0) | (price > 100)).any():
        i = int(np.flatnonzero(((price <= 0) | (price > 100)).to_numpy())[0])
        raise InputError(f"{p} line {i + 2} ({idx[i]:%Y-%m-%d}): price {price.iloc[i]} is not a "
                         "fed-funds futures price (expected 0 < price <= 100)")
    return (100.0 - price).rename("implied_rate")


def read_futures_days(path: str | Path) -> pd.DatetimeIndex:
    """Announcement days marked ``1`` in a futures file's optional ``announcement`` column (empty if none).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "ff.csv"
    >>> _ = f.write_text("date,price,announcement\\n2026-01-27,96.40,0\\n2026-01-28,96.45,1\\n")
    >>> read_futures_days(f).strftime("%Y-%m-%d").tolist()
    ['2026-01-28']
    """
    p, df = _read(path, "futures")
    idx = _dates(p, df)
    if "announcement" not in df.columns:
        return pd.DatetimeIndex([], name="date")
    raw = df["announcement"].str.strip()
    bad = np.flatnonzero(~raw.isin(["", "0", "1"]).to_numpy())
    if len(bad):
        i = int(bad[0])
        raise InputError(f"{p} line {i + 2} ({idx[i]:%Y-%m-%d}): column announcement value {raw.iloc[i]!r} must be "
                         "1 (an FOMC announcement that day), 0 or empty")
    return idx[(raw == "1").to_numpy()]


def read_consensus(path: str | Path) -> pd.DataFrame:
    """Read ``date,consensus[,release_date]`` keyed by reference month (first of month).

    Returns a DataFrame with ``consensus`` (m/m CPI consensus, pp) and ``release_date`` (NaT when
    the file has no such column).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "c.csv"
    >>> _ = f.write_text("date,consensus\\n2024-06-01,0.1\\n")
    >>> read_consensus(f).index[0].strftime("%Y-%m-%d")
    '2024-06-01'
    """
    p, df = _read(path, "consensus")
    _require(p, df, "consensus", [["date", "consensus"]])
    idx = _dates(p, df)
    vals = _numeric(p, df, idx, "consensus")
    months = idx.to_period("M").to_timestamp()
    dup = months.duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise InputError(f"{p} line {i + 2}: second consensus for reference month {months[i]:%Y-%m}; keep one")
    rel = pd.Series(pd.NaT, index=idx, dtype="datetime64[ns]")
    if "release_date" in df.columns:
        raw = df["release_date"].str.strip()
        rel = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
        bad = np.flatnonzero((rel.isna() & (raw != "")).to_numpy())
        if len(bad):
            i = int(bad[0])
            raise InputError(f"{p} line {i + 2}: release_date {raw.iloc[i]!r} is not a YYYY-MM-DD date")
        late = np.flatnonzero((rel.to_numpy() < (months + pd.offsets.MonthBegin(1)).to_numpy()) & rel.notna().to_numpy())
        if len(late):
            i = int(late[0])
            raise InputError(f"{p} line {i + 2}: release_date {raw.iloc[i]} is inside reference month "
                             f"{months[i]:%Y-%m}; a CPI print is released after its month ends")
    return pd.DataFrame({"consensus": vals.to_numpy(), "release_date": pd.DatetimeIndex(rel)},
                        index=pd.DatetimeIndex(months, name="date"))


_LABEL_OK = re.compile(r"^[a-z][a-z0-9_]*$")


def read_odds(path: str | Path) -> pd.Series:
    """Read a user odds file ``date,probability`` (session date, probability 0..1 at its close).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "o.csv"
    >>> _ = f.write_text("date,probability\\n2028-01-03,0.41\\n2028-01-04,0.43\\n")
    >>> read_odds(f).round(2).tolist()
    [0.41, 0.43]
    """
    p, df = _read(path, "odds")
    _require(p, df, "odds", [["date", "probability"]])
    idx = _dates(p, df)
    vals = _numeric(p, df, idx, "probability")
    bad = np.flatnonzero(((vals < 0) | (vals > 1)).to_numpy())
    if len(bad):
        i = int(bad[0])
        raise InputError(f"{p} line {i + 2} ({idx[i]:%Y-%m-%d}): probability {vals.iloc[i]} is outside 0..1; write "
                         "the Republican candidate's win probability as a fraction (0.55, not 55)")
    return vals.rename("p_rep")


def event_slug(label: str) -> str:
    """The factor-name part of an event label: accents transliterated (NFKD), lower-case
    snake case; a label with letters but no Latin ones (``选举``) gets ``label_<hash>``.

    Examples
    --------
    >>> event_slug("Élection présidentielle"), event_slug("Fed  meeting!"), event_slug("选举")
    ('election_presidentielle', 'fed_meeting', 'label_ad930328')
    """
    import hashlib
    import unicodedata

    text = label.strip()
    ascii_ = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    norm = re.sub(r"[^a-z0-9]+", "_", ascii_.lower()).strip("_")
    if not norm and any(ch.isalnum() for ch in text):
        norm = "label_" + hashlib.sha256(unicodedata.normalize("NFC", text).encode()).hexdigest()[:8]
    return norm


def read_events(path: str | Path) -> pd.Series:
    """Read ``date,label`` events; labels are normalised to lower-case snake case.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "e.csv"
    >>> _ = f.write_text("date,label\\n2024-11-05,Election\\n")
    >>> read_events(f).tolist()
    ['election']
    >>> read_events("builtin:fomc").loc["2024-09-18"]
    'fomc'
    """
    if str(path).startswith("builtin:"):
        from macroattr.data_pipelines.calendars import builtin_events

        return builtin_events(str(path))
    p, df = _read(path, "events")
    _require(p, df, "events", [["date", "label"]])
    idx = _dates(p, df, unique_sorted=False)
    import unicodedata

    labels = []
    first: dict[str, tuple[str, int]] = {}  # name -> (label as written, line)
    for i, lab in enumerate(df["label"]):
        norm = event_slug(lab)
        if not _LABEL_OK.match(norm):
            raise InputError(f"{p} line {i + 2}: label {lab!r} must start with a letter "
                             "(letters, digits, spaces or _ allowed)")
        # the same label written differently (case, spaces, _) is one event; distinct labels
        # that normalise alike would silently merge two factors
        key = "".join(ch for ch in unicodedata.normalize("NFC", lab).casefold() if ch.isalnum())
        seen = first.setdefault(norm, (lab, i + 2))
        seen_key = "".join(ch for ch in unicodedata.normalize("NFC", seen[0]).casefold() if ch.isalnum())
        if seen_key != key:
            raise InputError(f"{p} line {i + 2}: label {lab!r} and label {seen[0]!r} (line {seen[1]}) "
                             f"both become factor event_{norm}; rename one of them")
        labels.append(norm)
    return pd.Series(labels, index=idx, name="label", dtype=object).sort_index(kind="stable")
