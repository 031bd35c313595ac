"""The model-ready panel: target ``rel_return`` plus factor columns on one rectangular span.

``build_panel`` assembles the target (:mod:`data_pipelines.target`) and the selected factors
(:mod:`data_pipelines.factors`) and keeps the periods where ALL of them exist: by default the
common span of their available spans. Nothing is filled: partial histories are reported in
``meta["spans"]`` and an explicit ``start`` before a factor exists is an error naming the factor.

Examples
--------
>>> from macroattr.data_pipelines import build_panel
>>> p = build_panel(freq="M", start="2024-01-01", end="2024-12-31")
>>> p.data.shape
(12, 8)
>>> p.units["d_baa_spread"]
'pp'
>>> build_panel(freq="M").meta["freshness"]["limited_by"]  # what ends the default panel
'dlog_epu (USEPUINDXM)'

Long module: it holds the panel contract (build_panel, Panel I/O, date checks, freshness and
span rules) in one place, the contract DEVELOPING.md fixes.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from macroattr.data_pipelines import catalog
from macroattr.core.errors import InputError
from macroattr.core.io import atomic_path

__all__ = ["FREQS", "Panel", "build_panel"]

from macroattr.data_pipelines.settings import FREQS, PanelSettings  # noqa: E402 - one list of settings
_PERIOD = {"M": "month", "D": "day"}
META_SUFFIX = ".meta.json"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _infer_freq(idx: pd.DatetimeIndex) -> str:
    """``D`` for sessions, ``M`` for month-ends, from the median spacing of the dates."""
    if len(idx) < 2:
        return "M"
    gap = float(np.median(np.diff(idx.asi8))) / 86_400e9
    return "D" if gap < 20 else "M"


def _plain_meta(path: Path, df: pd.DataFrame, idx: pd.DatetimeIndex) -> dict[str, Any]:
    """Metadata of a plain panel file (no sidecar): what can be read off the columns."""
    freq = _infer_freq(idx)
    factors = [str(c) for c in df.columns if c != "rel_return"]
    return {
        "freq": freq,
        "groups": {},
        "units": {"rel_return": "pp", **{c: "" for c in factors}},
        "source_file": str(path),
        "notes": [f"plain panel file {path.name} (no .meta.json sidecar): frequency {freq} read off "
                  "the dates; groups from the model config's [groups]; units from its [units] "
                  "table, else per unit of the column"],
    }
FORMAT_TAG = "macroattr-panel/1"


def _fmt(ts: pd.Timestamp) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%d")


class Panel:
    """A rectangular, NaN-free panel with its metadata.

    Attributes
    ----------
    data : pandas.DataFrame
        Index ``date`` (period end), columns ``rel_return`` then the factors.
    meta : dict
        JSON-serialisable: freq, groups, units, factors, spans, common_span, target_sources,
        series, built_at, as_of (see DEVELOPING.md).

    Examples
    --------
    >>> idx = pd.DatetimeIndex(["2024-06-30", "2024-07-31"], name="date")
    >>> p = Panel(pd.DataFrame({"rel_return": [0.1, 8.9], "d_2y": [0.1, -0.45]}, index=idx),
    ...           {"freq": "M", "groups": {"rates": ["d_2y"]}, "units": {"rel_return": "pp", "d_2y": "pp"}})
    >>> p.factors
    ['d_2y']
    """

    def __init__(self, data: pd.DataFrame, meta: dict[str, Any]) -> None:
        self.data = data
        self.meta = meta

    # -- convenience views -------------------------------------------------------------
    @property
    def groups(self) -> dict[str, list[str]]:
        """``{group: [factor, ...]}``."""
        return self.meta["groups"]

    @property
    def units(self) -> dict[str, str]:
        """``{column: unit}``."""
        return self.meta["units"]

    @property
    def freq(self) -> str:
        """``"M"`` or ``"D"``."""
        return self.meta["freq"]

    @property
    def factors(self) -> list[str]:
        """Factor column names (every column except ``rel_return``)."""
        return [c for c in self.data.columns if c != "rel_return"]

    def __len__(self) -> int:
        return len(self.data)

    # -- persistence ---------------------------------------------------------------------
    def to_file(self, path: str | Path) -> Path:
        """Write ``path`` (``.csv`` or ``.parquet``) and ``path + ".meta.json"``, atomically.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> idx = pd.DatetimeIndex(["2024-07-31"], name="date")
        >>> p = Panel(pd.DataFrame({"rel_return": [8.9]}, index=idx), {"freq": "M", "groups": {}, "units": {}})
        >>> out = p.to_file(pathlib.Path(tempfile.mkdtemp()) / "p.csv")
        >>> Panel.read(out).data.equals(p.data)
        True
        """
        path = Path(path)
        kind = _kind(path)
        df = self.data.reset_index()
        df["date"] = df["date"].dt.strftime("%Y-%m-%d")
        meta = {"format": FORMAT_TAG, **self.meta}
        with atomic_path(path) as tmp, atomic_path(_meta_path(path)) as tmp_meta:
            if kind == "csv":
                df.to_csv(tmp, index=False)
            else:
                df.to_parquet(tmp, index=False)
            tmp_meta.write_text(json.dumps(meta, indent=2, sort_keys=False), encoding="utf-8")
        return path

    @classmethod
    def read(cls, path: str | Path) -> Panel:
        """Read a panel file: one written by :meth:`to_file`, or a plain CSV/Parquet of your own.

        A plain file needs only the columns: ``date`` (ISO ``YYYY-MM-DD``, sorted, no
        duplicates), ``rel_return`` (pp) and one numeric column per factor. The
        ``.meta.json`` sidecar is optional metadata (groups, units, provenance); without
        it the frequency is read off the dates, groups come from the model config's
        ``[groups]`` table and units from its ``[units]`` table (else "per unit of the
        column"), and the panel's notes say so.

        Examples
        --------
        >>> Panel.read("no/such/panel.csv")
        Traceback (most recent call last):
        ...
        macroattr.core.errors.InputError: panel file no/such/panel.csv not found; build one with `macroattr data panel --out FILE`
        """
        path = Path(path)
        kind = _kind(path)
        mpath = _meta_path(path)
        if not path.is_file():
            raise InputError(f"panel file {path} not found; build one with `macroattr data panel --out FILE`")
        meta: dict[str, Any] | None = None
        if mpath.is_file():
            try:
                meta = json.loads(mpath.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise InputError(f"panel metadata {mpath} is not valid JSON ({exc.msg if hasattr(exc, 'msg') else exc}); rebuild the panel") from None
            if not isinstance(meta, dict) or meta.get("format") != FORMAT_TAG:
                raise InputError(f"{mpath} is not a macroattr panel sidecar (format tag missing); "
                                 "rebuild the panel or delete the sidecar to read the file as a plain panel")
            meta.pop("format")
        try:
            df = pd.read_csv(path, dtype={"date": str}) if kind == "csv" else pd.read_parquet(path)
        except Exception as exc:  # noqa: BLE001 - any reader failure is a malformed file
            raise InputError(f"panel file {path} cannot be read ({type(exc).__name__}); rebuild the panel") from None
        if "date" not in df.columns or "rel_return" not in df.columns:
            raise InputError(f"panel file {path} lacks a date or rel_return column; a panel has "
                             "columns date (YYYY-MM-DD), rel_return and one column per factor")
        raw_dates = df.pop("date").astype(str).str.strip()
        try:
            idx = pd.DatetimeIndex(pd.to_datetime(raw_dates, format="%Y-%m-%d")
                                   .astype("datetime64[ns]"), name="date")
        except (ValueError, TypeError):
            bad = next((d for d in raw_dates if not _ISO_DATE.match(d)), raw_dates.iloc[0])
            raise InputError(f"panel file {path}: date {bad!r} is not an ISO date (YYYY-MM-DD); "
                             "write dates as 2024-07-31") from None
        df.index = idx
        check_dates(idx, f"panel file {path}")
        if meta is None:
            meta = _plain_meta(path, df, idx)
        cols = ["rel_return", *[c for c in meta.get("units", {}) if c != "rel_return"]]
        if set(cols) != set(df.columns):
            raise InputError(f"panel file {path} columns {list(df.columns)} do not match its metadata {cols}")
        df = df[cols]
        for col in cols:
            try:
                df[col] = df[col].astype("float64")
            except (ValueError, TypeError):
                raise InputError(f"panel file {path}: column {col} holds non-numeric values") from None
        if df.isna().any().any():
            col = df.columns[df.isna().any()][0]
            d = df.index[df[col].isna()][0]
            raise InputError(f"panel file {path}: missing value in column {col} on {_fmt(d)}; panels have no gaps")
        if not np.isfinite(df.to_numpy()).all():
            col = df.columns[~np.isfinite(df.to_numpy()).all(axis=0)][0]
            d = df.index[~np.isfinite(df[col].to_numpy())][0]
            raise InputError(f"panel file {path}: non-finite value in column {col} on {_fmt(d)}")
        return cls(df, meta)

    # -- display ---------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """One row per column: group, unit, available span, periods, mean, std, min, max.

        Examples
        --------
        >>> from macroattr.data_pipelines import build_panel
        >>> build_panel(start="2024-01-01", end="2024-06-30").summary().loc["rel_return", "unit"]
        'pp'
        """
        rows = []
        col_group = {c: g for g, cs in self.groups.items() for c in cs}
        for c in self.data.columns:
            s = self.data[c]
            span = self.meta.get("spans", {}).get(c, [None, None])
            rows.append({"column": c, "group": col_group.get(c, "target"), "unit": self.units.get(c, ""),
                         "available_from": span[0], "available_to": span[1], "periods": int(s.size),
                         "mean": s.mean(), "std": s.std(), "min": s.min(), "max": s.max()})
        return pd.DataFrame(rows).set_index("column")

    @staticmethod
    def files(path: str | os.PathLike[str]) -> tuple[Path, Path]:
        """The data file and its ``.meta.json`` sidecar :meth:`to_file` writes for ``path``;
        an extension other than ``.csv``/``.parquet`` is one line, before any work.

        Examples
        --------
        >>> [p.name for p in Panel.files("out/p.parquet")]
        ['p.parquet', 'p.parquet.meta.json']
        """
        path = Path(path)
        _kind(path)
        return path, _meta_path(path)

    @property
    def headline(self) -> str:
        """One line: frequency, first and last period, periods and factors.

        Examples
        --------
        >>> idx = pd.DatetimeIndex(["2024-06-30", "2024-07-31"], name="date")
        >>> Panel(pd.DataFrame({"rel_return": [1.0, 8.9]}, index=idx), {"freq": "M"}).headline
        'monthly panel 2024-06-30 .. 2024-07-31, 2 periods, 0 factors'
        """
        if self.data.empty:
            return f"{FREQS.get(self.freq, self.freq)} panel, empty"
        return (f"{FREQS.get(self.freq, self.freq)} panel {_fmt(self.data.index[0])} .. {_fmt(self.data.index[-1])}, "
                f"{len(self.data)} periods, {len(self.factors)} factors")

    def __repr__(self) -> str:
        lines = [f"<Panel: {self.headline}>"]
        labels = self.meta.get("group_labels", {})
        col_group = {c: labels.get(g, g) for g, cs in self.groups.items() for c in cs}
        for c in self.data.columns:
            lines.append(f"  {c:<18} {col_group.get(c, 'target'):<10} {self.units.get(c, '')}")
        if self.meta.get("as_of"):
            lines.append(f"  as of {self.meta['as_of']}")
        fr = self.meta.get("freshness")
        if fr:
            lines.append(f"  data to {fr['data_to']} (limited by {fr['limited_by']})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        labels = self.meta.get("group_labels", {})
        col_group = {c: labels.get(g, g) for g, cs in self.groups.items() for c in cs}
        spans = self.meta.get("spans", {})
        rows = "".join(
            f"<tr><td><code>{esc(c)}</code></td><td>{esc(col_group.get(c, 'target'))}</td>"
            f"<td>{esc(self.units.get(c, ''))}</td><td>{esc(' .. '.join(map(str, spans.get(c, ['', '']))))}</td></tr>"
            for c in self.data.columns
        )
        tsrc = "; ".join(f"{esc(s['source'])} {esc(s['first'])}..{esc(s['last'])}"
                         for s in self.meta.get("target_sources", []))
        sources = ", ".join(f"{esc(k)} ({esc(str(v.get('source')))})" for k, v in self.meta.get("series", {}).items())
        asof = f"<p>As of {esc(str(self.meta['as_of']))}</p>" if self.meta.get("as_of") else ""
        fr = self.meta.get("freshness")
        if fr:
            asof += f"<p>Data to {esc(str(fr['data_to']))} (limited by {esc(str(fr['limited_by']))})</p>"
        return (f"<div class='macroattr-panel'><strong>{esc(self.headline)}</strong>{asof}"
                "<table><thead><tr><th>column</th><th>group</th><th>unit</th><th>available</th></tr></thead>"
                f"<tbody>{rows}</tbody></table><p>Target sources: {tsrc or 'n/a'}</p>"
                f"<p>Series: {sources or 'n/a'}</p></div>")


def check_dates(idx: pd.DatetimeIndex, where: str) -> None:
    """One row per period, in order: InputError naming the first duplicate or the first date
    out of order (the rule for panel files and for any panel a model is fitted on).

    Examples
    --------
    >>> check_dates(pd.DatetimeIndex(["2024-02-29", "2024-01-31"]), "panel x")
    Traceback (most recent call last):
    ...
    macroattr.core.errors.InputError: panel x: dates are not in order (2024-01-31 follows 2024-02-29); sort the rows by date
    """
    if idx.has_duplicates:
        raise InputError(f"{where}: date {_fmt(idx[idx.duplicated()][0])} appears twice; "
                         "one row per period")
    if not idx.is_monotonic_increasing:
        pos = int(np.argmax(np.diff(idx.asi8) < 0)) + 1
        raise InputError(f"{where}: dates are not in order ({_fmt(idx[pos])} follows "
                         f"{_fmt(idx[pos - 1])}); sort the rows by date")


def _kind(path: Path) -> str:
    suf = path.suffix.lower()
    if suf == ".csv":
        return "csv"
    if suf in (".parquet", ".pq"):
        return "parquet"
    raise InputError(f"panel file {path} must end in .csv or .parquet")


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + META_SUFFIX)


def _apply_stale(cols: dict[str, pd.Series], names: list[str], stale: str, freq: str,
                 notes: list[str], end: pd.Timestamp | None = None) -> tuple[dict[str, pd.Series], list[str], list[str]]:
    """Find factors more than one period older than the target (or the requested end); drop or carry them when asked."""
    y = cols["rel_return"]
    if end is not None:  # a factor that covers the requested span is not stale
        y = y[y.index <= (end if freq == "D" else (end + pd.offsets.MonthEnd(0)).normalize())]
        if y.empty:
            return cols, names, []
    ref = y.index[-1]
    prev = y.index[-2] if len(y) > 1 else ref  # one period before the target's last
    old = [n for n in names if cols[n].index[-1] < prev]
    if not old:
        return cols, names, []
    desc = ", ".join(f"{n} (last {_fmt(cols[n].index[-1])})" for n in old)
    unit = _PERIOD[freq]
    if stale == "drop":
        if len(old) == len(names):
            raise InputError(f"every factor ends more than one {unit} before the target ({_fmt(ref)}): {desc}; "
                             "use stale='trim' (--stale trim) or choose other factors")
        notes.append(f"stale factors dropped (stale='drop'): {desc} end more than one {unit} before the target's "
                     f"last {unit} {_fmt(ref)}")
        return {c: v for c, v in cols.items() if c not in old}, [n for n in names if n not in old], old
    if stale == "carry":
        out = dict(cols)
        for n in old:
            after = y.index[y.index > cols[n].index[-1]]
            out[n] = pd.concat([cols[n], pd.Series(0.0, index=after)])
        notes.append(f"stale factors carried (stale='carry'): {desc} are set to 0 (no change, no news) after their "
                     f"last value up to {_fmt(ref)}")
        return out, names, old
    notes.append(f"stale factors: {desc} end more than one {unit} before the target's last {unit} {_fmt(ref)}; the "
                 "panel stops where they do (pass stale='drop' / --stale drop to leave them out, or stale='carry' "
                 "/ --stale carry to set them to 0 after their last value)")
    return cols, names, old


def _binding_series(col: str, factor_meta: dict[str, dict[str, Any]], series_meta: dict[str, dict[str, Any]],
                    tlabels: pd.Series) -> str:
    """The input series that ends a column: the latest-ending of its series (splices end with the newest)."""
    if col == "rel_return":
        return str(tlabels.iloc[-1]) if len(tlabels) else "target"
    fm = factor_meta.get(col, {})
    if col in ("mp_target", "mp_path"):
        return "FOMC surprise file" + (" + user futures" if fm.get("announcements", {}).get(
            "user futures (1-day change of 100 - price)") else "")
    ids = [i for i in fm.get("fred_ids", []) if series_meta.get(i, {}).get("last")]
    if not ids:
        return ""
    return max(ids, key=lambda i: series_meta[i]["last"])


def _freshness(frame: pd.DataFrame, spans: dict[str, list[str]], ends: dict[str, str],
               factor_meta: dict[str, dict[str, Any]],
               series_meta: dict[str, dict[str, Any]], tlabels: pd.Series, stale: str, stale_cols: list[str],
               cut_by_end: bool) -> dict[str, Any]:
    """``meta["freshness"]``: data_to, limited_by, last_obs per column and per input series."""
    cols = list(frame.columns)
    last = {c: spans[c][1] for c in cols}  # the data's own last values (before any carry)
    hi_col = min(cols, key=lambda c: ends[c])  # what ends the panel (after drop / carry)
    series = _binding_series(hi_col, factor_meta, series_meta, tlabels)
    limited_by = "requested end date" if cut_by_end else (f"{hi_col} ({series})" if series else hi_col)
    return {
        "data_to": _fmt(frame.index[-1]),
        "limited_by": limited_by,
        "limited_by_column": hi_col,
        "last_obs": last,
        "series_last_obs": {sid: m["last"] for sid, m in series_meta.items() if m.get("last")},
        "stale": stale_cols,
        "stale_policy": stale,
    }


def _date_arg(value: Any, what: str) -> pd.Timestamp | None:
    from macroattr.core.dates import parse_date

    return parse_date(value, what)


def build_panel(
    settings: PanelSettings | None = None,
    /,
    *,
    source: str = "snapshot",
    store: str | Path | None = None,
    **fields: Any,
) -> Panel:
    """Build the model-ready panel of ``rel_return`` and factors.

    Parameters
    ----------
    settings
        How to build it: a :class:`~macroattr.data_pipelines.settings.PanelSettings`
        (frequency, span, factors, as-of date, user files, stale policy; each field is
        documented there, once). Or leave it out and give the same names as keywords
        (``build_panel(freq="D", start="2020-01-01")``); with both, the keywords replace
        the settings' values.
    source
        ``"snapshot"`` (embedded, offline), ``"fred"`` (local FRED store) or ``"auto"``.
    store
        FRED store directory for ``source="fred"|"auto"``.
    **fields
        :class:`PanelSettings` fields. Bad names or values are one InputError listing each.

    Notes
    -----
    The span defaults to the common span of the target and the selected factors. A ``start``
    before a factor (or the target) exists, or an ``end`` after it stops, is an InputError
    naming it and its available date. ``as_of`` keeps only data published by then (snapshot:
    publication-lag rules; FRED: vintages). A factor whose last value is more than one period
    older than the target's last period is handled by ``stale``: ``"trim"`` (default: the
    panel ends where that factor ends, and a note says so), ``"drop"`` (leave such factors
    out, noted) or ``"carry"`` (0 = no change / no news after their last value, noted).
    ``meta["freshness"]`` always names each column's last observation, the panel's last
    period (``data_to``) and what ended it (``limited_by``).

    Returns
    -------
    Panel

    Examples
    --------
    >>> p = build_panel(freq="M", start="2024-07-31", end="2024-07-31", factors="d_2y")
    >>> round(float(p.data.loc["2024-07-31", "rel_return"]), 2)
    8.63
    >>> q = build_panel(PanelSettings(start="2024-07-31", end="2024-07-31", factors=["d_2y"]))
    >>> q.data.equals(p.data)
    True
    """
    from macroattr.data_pipelines import user_files
    from macroattr.data_pipelines.factors import Getter, build_factor
    from macroattr.data_pipelines.target import snapshot_target, user_target
    from macroattr.data_pipelines.transforms import run_length_spans

    if settings is None:
        settings = PanelSettings.of(fields, "build_panel")
    elif fields:
        settings = PanelSettings.of({**settings.as_dict(), **fields}, "build_panel")
    freq, factors, stale = settings.freq, settings.factors, settings.stale
    target_csv, futures_csv, consensus_csv = settings.target_csv, settings.futures_csv, settings.consensus_csv
    events_csv, odds_csv = settings.events_csv, settings.odds_csv
    start_ts, end_ts = _date_arg(settings.start, "start date"), _date_arg(settings.end, "end date")
    as_of_ts = _date_arg(settings.as_of, "as-of date")
    if start_ts is not None and end_ts is not None and start_ts > end_ts:
        raise InputError(f"start date {_fmt(start_ts)} is after end date {_fmt(end_ts)}; swap them")
    events = user_files.read_events(events_csv) if events_csv else None
    labels = sorted(set(events.tolist())) if events is not None else []
    names = catalog.resolve(factors, labels)
    futures = user_files.read_futures(futures_csv) if futures_csv else None
    futures_days = user_files.read_futures_days(futures_csv) if futures_csv else None
    consensus = user_files.read_consensus(consensus_csv) if consensus_csv else None
    if odds_csv:
        from macroattr.data_pipelines.user_files import read_odds

        odds = read_odds(odds_csv)
    else:
        odds = None
    if futures is not None and as_of_ts is not None:
        futures = futures[futures.index <= as_of_ts]

    get = Getter(source=source, store=store, as_of=as_of_ts)
    if target_csv:
        y, tlabels = user_target(user_files.read_target(target_csv), freq, str(target_csv),
                                 allow_extreme=settings.allow_extreme_returns)
        if as_of_ts is not None:
            y, tlabels = y[y.index <= as_of_ts], tlabels[tlabels.index <= as_of_ts]
    else:
        y, tlabels = snapshot_target(freq, get)
    if y.empty:
        raise InputError("the target has no periods" + (f" published by {_fmt(as_of_ts)}" if as_of_ts else ""))
    calendar = pd.DatetimeIndex(y.index, name="date")

    cols: dict[str, pd.Series] = {"rel_return": y}
    factor_meta: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    filled: dict[str, pd.DatetimeIndex] = {}
    for n in names:
        res = build_factor(n, freq, get, calendar, futures=futures, consensus=consensus, events=events,
                           futures_days=futures_days, odds=odds)
        spec = catalog.get(n) if n in catalog.FACTORS else catalog.event_spec(n.removeprefix("event_"))
        vals = res.values.dropna()
        vals = vals[vals.index.isin(calendar)]
        if vals.empty:
            avail = res.values.dropna()
            where = (f" (target {_fmt(calendar[0])}..{_fmt(calendar[-1])}, {n} "
                     + (f"{_fmt(avail.index[0])}..{_fmt(avail.index[-1])})" if len(avail) else "empty)"))
            raise InputError(f"no common data: factor {n} has no value on the target's dates{where}"
                             + (f" published by {_fmt(as_of_ts)}" if as_of_ts else "")
                             + "; drop it with --factors or choose another span or target")
        cols[n] = vals
        fm = spec.to_dict()
        fm.pop("name")
        fm.pop("default")
        fm["first_date"] = _fmt(vals.index[0])
        if res.sources:
            fm["sources"] = res.sources
        fm.update(res.meta)
        factor_meta[n] = fm
        notes.extend(x for x in res.notes if x not in notes)
        if res.filled is not None and len(res.filled):
            filled[n] = res.filled

    spans = {c: [_fmt(s.index[0]), _fmt(s.index[-1])] for c, s in cols.items()}
    cols, names, stale_cols = _apply_stale(cols, names, stale, freq, notes, end_ts)
    lo_col = max(cols, key=lambda c: cols[c].index[0])
    hi_col = min(cols, key=lambda c: cols[c].index[-1])
    lo, hi = cols[lo_col].index[0], cols[hi_col].index[-1]
    if end_ts is None and hi < cols["rel_return"].index[-1]:
        line = (f"panel ends {_fmt(hi)}, limited by {hi_col} (last value {_fmt(hi)}; the target runs to "
                f"{_fmt(cols['rel_return'].index[-1])})")
        stale_i = next((i for i, x in enumerate(notes) if x.startswith("stale factors:")), None)
        if stale_i is None:
            notes.append(line)
        else:  # one line: the stale factors and where the panel ends
            notes[stale_i] = line + "; " + notes[stale_i]
    if start_ts is not None:
        first_needed = start_ts if freq == "D" else (start_ts + pd.offsets.MonthEnd(0)).normalize()
        if first_needed < lo:
            what = "the target rel_return" if lo_col == "rel_return" else f"factor {lo_col}"
            raise InputError(f"start {_fmt(start_ts)} is before {what} exists (first {_PERIOD[freq]} "
                             f"period {_fmt(lo)}); use --start {_fmt(lo)} or later"
                             + ("" if lo_col == "rel_return" else f", or drop {lo_col} from --factors"))
        lo = first_needed
    if end_ts is not None:
        last_needed = end_ts if freq == "D" else (end_ts + pd.offsets.MonthEnd(0)).normalize()
        if last_needed > hi:
            what = "the target rel_return" if hi_col == "rel_return" else f"factor {hi_col}"
            raise InputError(f"end {_fmt(end_ts)} is after {what} stops (last {_PERIOD[freq]} "
                             f"period {_fmt(hi)}); use --end {_fmt(hi)} or earlier"
                             + ("" if hi_col == "rel_return" else f", or drop {hi_col} from --factors"))
        hi = last_needed
    if lo > hi:
        raise InputError(
            f"no common data: the target and factors {', '.join(names)} overlap on no period "
            f"(latest start {_fmt(lo)} from {lo_col}, earliest end {_fmt(hi)} from {hi_col}); "
            "choose other factors or dates"
        )
    frame = pd.concat(cols, axis=1).reindex(calendar[(calendar >= lo) & (calendar <= hi)])
    gaps = frame.index[frame.isna().any(axis=1)]
    if len(gaps):
        notes.append(f"dropped {len(gaps)} period(s) inside the common span where a column had no value "
                     f"(first {_fmt(gaps[0])}: {', '.join(frame.columns[frame.loc[gaps[0]].isna()])})")
        frame = frame.drop(gaps)
    if frame.empty:
        raise InputError(f"no common data between {_fmt(lo)} and {_fmt(hi)} for rel_return and "
                         f"{', '.join(names)}; widen the span or choose other factors")
    frame.index = pd.DatetimeIndex(frame.index.astype("datetime64[ns]"), name="date")
    frame = frame.astype("float64")
    for n, dates in filled.items():
        inside = dates[dates.isin(frame.index)]
        if len(inside):
            notes.append(f"{n} is 0 (no print, so no news) in period(s) {', '.join(map(_fmt, inside))}: "
                         "the CPI print they would carry is missing (e.g. no October 2025 CPI)")

    factor_meta = {n: factor_meta[n] for n in names}
    groups: dict[str, list[str]] = {g: [n for n in names if factor_meta[n]["group"] == g] for g in catalog.GROUPS}
    groups = {g: v for g, v in groups.items() if v}
    units = {"rel_return": "pp", **{n: factor_meta[n]["unit"] for n in names}}
    tl = tlabels.reindex(frame.index)
    series_meta = {}
    for sid, m in get.seen.items():
        keep = {k: m.get(k) for k in ("source", "title", "units", "first", "last", "snapshot_date",
                                      "fetched_at", "terms", "provenance") if m.get(k) is not None}
        series_meta[sid] = keep
    from macroattr.data_pipelines.calendars import table_provenance

    used_tables = []
    if any(n in names for n in ("mp_target", "mp_path")):
        used_tables.append("policy_surprises")
    cpi_runs = [r for n in ("cpi_surprise", "cpi_core_surprise")
                for r in factor_meta.get(n, {}).get("real_time", {}).get("release_dates", [])]
    if any(r["source"] == "BLS calendar" for r in cpi_runs):
        used_tables.append("cpi_release")
    if any(str(r["source"]).startswith("consensus (") for n in ("cpi_surprise", "cpi_core_surprise")
           for r in factor_meta.get(n, {}).get("surprise_sources", [])):
        used_tables.append("cpi_consensus")
    if "d_rep_win_prob" in names:
        used_tables.append("election_odds")
    for tname in used_tables:
        row = table_provenance().loc[tname]
        at = f"@{row['commit'][:10]}" if row["commit"] else ""
        series_meta[f"table:{tname}"] = {"source": "snapshot", "title": row["title"], "units": row["units"],
                                         "first": row["first"], "last": row["last"],
                                         "snapshot_date": row["snapshot_date"], "terms": row["terms"],
                                         "provenance": f"{row['source_repo']}:{row['source_path']}{at}"}
    for label, path in (("target", target_csv), ("futures", futures_csv),
                        ("consensus", consensus_csv), ("events", events_csv), ("odds", odds_csv)):
        if path and str(path).startswith("builtin:"):
            series_meta[str(path)] = {"source": "snapshot", "title": events.attrs.get("title", str(path)),
                                      "provenance": events.attrs.get("source", str(path))}
        elif path:
            series_meta[f"user:{label}"] = {"source": "user", "title": f"user {label} file", "file": str(path)}
    meta = {
        "freq": freq,
        "groups": groups,
        "units": units,
        "factors": factor_meta,
        "spans": spans,
        "common_span": [_fmt(frame.index[0]), _fmt(frame.index[-1])],
        "target_sources": run_length_spans(tl),
        "target": {"definition": "100 * [log(1 + r_small) - log(1 + r_large)]", "unit": "pp",
                   "small": "user" if target_csv else "IWM (adj.) / ^RUT",
                   "large": "user" if target_csv else "SPY (adj.) / ^GSPC"},
        "series": series_meta,
        "source": source,
        "built_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "as_of": _fmt(as_of_ts) if as_of_ts is not None else None,
        "notes": notes,
        "group_labels": {g: catalog.GROUP_LABELS.get(g, g) for g in groups},
        "freshness": _freshness(frame, spans, {c: _fmt(v.index[-1]) for c, v in cols.items()}, factor_meta,
                                series_meta, tlabels, stale, stale_cols,
                                end_ts is not None and frame.index[-1] < cols[hi_col].index[-1]),
    }
    return Panel(frame, meta)

