"""The local store of fetched FRED series.

One file per series, ``<store>/series/<ID>.json``, holding the metadata, the
latest observations and, when fetched, every vintage (ALFRED real-time periods).
A series file is replaced in one ``os.replace`` (via
:func:`core.io.atomic_path`), so a reader, or a refresh killed at any
instant, sees each series either wholly old or wholly new.  Writers hold
``<store>/.lock`` (a :class:`filelock.FileLock`) so two refreshes cannot interleave.
Reading needs no network and no key.

The default location is ``MACROATTR_STORE`` or the user cache directory
(``platformdirs.user_cache_dir("macroattr") / "fred"``).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from macroattr.core.errors import InputError
from macroattr.core.io import atomic_path

__all__ = ["STORE_FORMAT", "SeriesStore", "default_store_dir"]

STORE_FORMAT = "macroattr-fred-series/1"
#: Largest store file read (a daily series with every vintage is a few tens of MB).
_MAX_FILE = 1 << 30
_ID = re.compile(r"^[A-Z0-9_]{1,64}$")
#: Metadata every stored series carries (the contract with ``data_pipelines.sources``).
META_KEYS = (
    "source",
    "id",
    "title",
    "units",
    "frequency",
    "seasonal_adjustment",
    "last_updated",
    "fetched_at",
    "realtime_start",
    "realtime_end",
    "first",
    "last",
)


def default_store_dir() -> Path:
    """``MACROATTR_STORE`` if set, else the user cache directory's ``fred`` folder.

    Examples
    --------
    >>> import os
    >>> os.environ["MACROATTR_STORE"] = "/tmp/s"; str(default_store_dir())
    '/tmp/s'
    >>> del os.environ["MACROATTR_STORE"]
    """
    env = os.environ.get("MACROATTR_STORE")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("macroattr")) / "fred"


def _iso(ts: pd.Timestamp | None) -> str | None:
    return None if ts is None or pd.isna(ts) else pd.Timestamp(ts).strftime("%Y-%m-%d")


def _num(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _parse_dates(values: list[str], what: str, path: Path) -> pd.DatetimeIndex:
    try:
        return pd.DatetimeIndex(pd.to_datetime(values, format="%Y-%m-%d"))
    except (ValueError, TypeError) as exc:
        raise InputError(f"store file {path} has bad {what} dates ({exc}); refresh that series again") from None


class SeriesStore:
    """Series fetched from FRED, kept on disk with their metadata.

    Parameters
    ----------
    store_dir : path, optional
        The store's folder; ``None`` means :func:`default_store_dir`.

    Examples
    --------
    >>> import tempfile
    >>> store = SeriesStore(tempfile.mkdtemp())
    >>> obs = pd.Series([1.0, 1.5], index=pd.to_datetime(["2024-01-01", "2024-02-01"]))
    >>> store.write("DEMO", obs, {"title": "Demo", "units": "Percent", "frequency": "Monthly"})
    >>> values, meta = store.read("DEMO")
    >>> values.tolist(), meta["last"]
    ([1.0, 1.5], '2024-02-01')
    """

    def __init__(self, store_dir: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(store_dir).expanduser() if store_dir is not None else default_store_dir()

    def __repr__(self) -> str:
        return f"SeriesStore({str(self.path)!r})"

    # -- layout --------------------------------------------------------------------
    @staticmethod
    def normalise_id(series_id: str) -> str:
        """Upper-case ``series_id`` and check it is a FRED id (letters, digits, ``_``)."""
        sid = str(series_id).strip().upper()
        if not _ID.match(sid):
            raise InputError(
                f"{series_id!r} is not a FRED series id; ids are letters, digits and underscores, e.g. DGS2"
            )
        return sid

    def file(self, series_id: str) -> Path:
        """The file that holds ``series_id``."""
        return self.path / "series" / f"{self.normalise_id(series_id)}.json"

    @contextmanager
    def lock(self, timeout: float = 10.0) -> Iterator[None]:
        """Hold the store's write lock (one refresh at a time).

        Raises
        ------
        InputError
            Another process holds the lock for longer than ``timeout`` seconds, or the
            store cannot be written (read-only file system, no permission).
        """
        import filelock

        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the store {self.path}: {exc.strerror or exc}; pass --store DIR") from None
        lk = filelock.FileLock(str(self.path / ".lock"), timeout=timeout)
        try:
            lk.acquire()
        except filelock.Timeout:
            raise InputError(
                f"another refresh is writing to the store {self.path} (lock {self.path / '.lock'} held "
                f"for more than {timeout:g} s); wait for it to finish and rerun"
            ) from None
        except OSError as exc:
            raise InputError(
                f"the store {self.path} cannot be written (lock {self.path / '.lock'}: "
                f"{exc.strerror or exc}); pass --store DIR on a writable disk or set MACROATTR_STORE"
            ) from None
        try:
            yield
        finally:
            lk.release()

    # -- reading -------------------------------------------------------------------
    def list(self) -> list[str]:
        """Ids of the stored series, sorted."""
        folder = self.path / "series"
        if not folder.is_dir():
            return []
        return sorted(p.stem for p in folder.glob("*.json") if _ID.match(p.stem))

    def has(self, series_id: str) -> bool:
        """Whether the store holds ``series_id``."""
        try:
            return self.file(series_id).is_file()
        except InputError:
            return False

    def _load(self, series_id: str) -> dict[str, Any]:
        path = self.file(series_id)
        from macroattr.core.io import check_input_path

        check_input_path(path, "store file")  # a FIFO or device would hang the read
        try:
            size = path.stat().st_size
            if size > _MAX_FILE:
                raise InputError(f"store file {path} is {size:,} bytes, larger than any series ({_MAX_FILE:,}); "
                                 f"remove it and rerun `macroattr data refresh --series {self.normalise_id(series_id)}`")
            doc = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(
                f"series {self.normalise_id(series_id)} is not in the store {self.path}; "
                f"run `macroattr data refresh --series {self.normalise_id(series_id)}` or use --source snapshot"
            ) from None
        except (OSError, ValueError, RecursionError) as exc:
            raise InputError(
                f"store file {path} is unreadable ({type(exc).__name__}); rerun "
                f"`macroattr data refresh --series {self.normalise_id(series_id)}`"
            ) from None
        if not isinstance(doc, dict) or doc.get("format") != STORE_FORMAT:
            raise InputError(f"store file {path} is not a macroattr FRED store file; remove it and refresh")
        return doc

    def meta(self, series_id: str) -> dict[str, Any]:
        """The stored metadata of ``series_id`` (see :data:`META_KEYS`)."""
        return dict(self._load(series_id)["meta"])

    def read(self, series_id: str, as_of: str | pd.Timestamp | None = None) -> tuple[pd.Series, dict[str, Any]]:
        """The stored series and its metadata.

        Parameters
        ----------
        series_id : str
        as_of : date-like, optional
            Return, for each date, the latest vintage published on or before
            ``as_of`` (needs vintages: ``data refresh --vintages``).

        Returns
        -------
        (Series, dict)
            float values on a ``DatetimeIndex`` named ``date`` (``NaN`` where FRED
            has no value), and metadata with ``source="fred"`` (plus ``as_of`` and
            ``vintage`` when ``as_of`` is given).
        """
        doc = self._load(series_id)
        meta = dict(doc["meta"])
        sid = meta["id"]
        if as_of is None:
            obs = doc["observations"]
            idx = _parse_dates(obs["date"], "observation", self.file(sid))
            values = pd.Series(
                pd.array([math.nan if v is None else v for v in obs["value"]], dtype="float64").to_numpy(),
                index=pd.DatetimeIndex(idx, name="date"),
                name=sid,
            )
            return values, meta
        from macroattr.core.dates import parse_date

        cutoff = parse_date(as_of, "as-of date")
        vint = self.read_vintages(sid)
        if vint is None:
            raise InputError(
                f"the store holds no vintages of {sid}, so it cannot be read as of {_iso(cutoff)}; "
                f"run `macroattr data refresh --series {sid} --vintages`"
            )
        from macroattr.data_pipelines.vintages import vintage_as_of

        values = vintage_as_of(vint, cutoff).rename(sid)
        if values.empty:
            first = _iso(vint["realtime_start"].min()) if len(vint) else "none"
            raise InputError(
                f"no vintage of {sid} was published on or before {_iso(cutoff)} (first stored vintage: {first}); "
                "choose a later --as-of date"
            )
        used = vint[vint["realtime_start"] <= cutoff]["realtime_start"].max()
        meta.update(as_of=_iso(cutoff), vintage=_iso(used), first=_iso(values.index[0]), last=_iso(values.index[-1]))
        return values, meta

    def read_vintages(self, series_id: str) -> pd.DataFrame | None:
        """Every stored vintage: columns ``date``, ``realtime_start``, ``realtime_end``,
        ``value``; ``None`` if the series was fetched without vintages."""
        doc = self._load(series_id)
        v = doc.get("vintages")
        if not v:
            return None
        path = self.file(series_id)
        return pd.DataFrame(
            {
                "date": _parse_dates(v["date"], "vintage", path),
                "realtime_start": _parse_dates(v["realtime_start"], "realtime_start", path),
                "realtime_end": _parse_dates(
                    [None if d == "9999-12-31" else d for d in v["realtime_end"]], "realtime_end", path
                ),
                "value": pd.array([math.nan if x is None else x for x in v["value"]], dtype="float64").to_numpy(),
            }
        )

    def read_vintage_dates(self, series_id: str) -> pd.DatetimeIndex | None:
        """The series' FRED vintage dates (``series/vintagedates``: the days it was published or
        revised), sorted; ``None`` if they were never fetched (``data refresh --vintages`` does).

        Examples
        --------
        >>> import tempfile
        >>> store = SeriesStore(tempfile.mkdtemp())
        >>> obs = pd.Series([1.0], index=pd.to_datetime(["2024-06-01"]))
        >>> store.write("DEMO", obs, {}, vintage_dates=pd.to_datetime(["2024-07-11"]))
        >>> store.read_vintage_dates("DEMO").strftime("%Y-%m-%d").tolist()
        ['2024-07-11']
        """
        doc = self._load(series_id)
        dates = doc.get("vintage_dates")
        if dates is None:
            return None
        idx = _parse_dates(dates, "vintage", self.file(series_id))
        return pd.DatetimeIndex(idx.sort_values(), name="vintage_date")

    def status(self, now: datetime | None = None) -> pd.DataFrame:
        """One row per stored series: id, title, frequency, first, last, n_obs,
        vintages, last_updated, fetched_at, age_days (since fetched).

        Examples
        --------
        >>> import tempfile
        >>> SeriesStore(tempfile.mkdtemp()).status().empty
        True
        """
        now = now or datetime.now(UTC)
        rows = []
        for sid in self.list():
            try:
                doc = self._load(sid)
            except InputError as exc:
                rows.append({"id": sid, "title": f"unreadable: {exc}"})
                continue
            m = doc["meta"]
            fetched = pd.Timestamp(m.get("fetched_at")) if m.get("fetched_at") else None
            age = (pd.Timestamp(now) - fetched).total_seconds() / 86400 if fetched is not None else math.nan
            vint = doc.get("vintages")
            rows.append(
                {
                    "id": sid,
                    "title": m.get("title"),
                    "frequency": m.get("frequency"),
                    "first": m.get("first"),
                    "last": m.get("last"),
                    "n_obs": sum(v is not None for v in doc["observations"]["value"]),
                    "vintages": len(set(vint["realtime_start"])) if vint else 0,
                    "last_updated": m.get("last_updated"),
                    "fetched_at": m.get("fetched_at"),
                    "age_days": round(age, 2),
                }
            )
        cols = ["id", "title", "frequency", "first", "last", "n_obs", "vintages", "last_updated", "fetched_at", "age_days"]
        return pd.DataFrame(rows, columns=cols)

    # -- writing -------------------------------------------------------------------
    def write(
        self,
        series_id: str,
        observations: pd.Series,
        meta: dict[str, Any],
        vintages: pd.DataFrame | None = None,
        vintage_dates: pd.DatetimeIndex | None = None,
    ) -> None:
        """Replace the stored ``series_id`` in one atomic step.

        ``meta`` gives the FRED metadata (title, units, ...); ``source``, ``id``,
        ``first``, ``last`` and (unless given) ``fetched_at`` are filled in here.
        ``vintages`` (rows ``date, realtime_start, realtime_end, value``) and
        ``vintage_dates`` (FRED's publication days) are stored when given.
        """
        sid = self.normalise_id(series_id)
        obs = observations.sort_index()
        idx = pd.DatetimeIndex(obs.index)
        valid = obs.dropna()
        full = {k: None for k in META_KEYS}
        full.update({k: v for k, v in meta.items() if v is not None})
        full.update(
            source="fred",
            id=sid,
            first=_iso(valid.index[0]) if len(valid) else None,
            last=_iso(valid.index[-1]) if len(valid) else None,
            fetched_at=meta.get("fetched_at") or datetime.now(UTC).isoformat(timespec="seconds"),
        )
        doc: dict[str, Any] = {
            "format": STORE_FORMAT,
            "meta": full,
            "observations": {
                "date": [d.strftime("%Y-%m-%d") for d in idx],
                "value": [_num(float(v)) for v in obs.to_numpy(dtype="float64")],
            },
            "vintages": None,
        }
        if vintage_dates is not None:
            doc["vintage_dates"] = sorted({d.strftime("%Y-%m-%d") for d in pd.DatetimeIndex(vintage_dates)})
        if vintages is not None:
            v = vintages.sort_values(["date", "realtime_start"], kind="stable")
            ends = v["realtime_end"] if "realtime_end" in v else pd.Series([pd.NaT] * len(v))
            doc["vintages"] = {
                "date": [d.strftime("%Y-%m-%d") for d in v["date"]],
                "realtime_start": [d.strftime("%Y-%m-%d") for d in v["realtime_start"]],
                "realtime_end": ["9999-12-31" if pd.isna(d) or d.year >= 2262 else d.strftime("%Y-%m-%d") for d in ends],
                "value": [_num(float(x)) for x in v["value"].to_numpy(dtype="float64")],
            }
        text = json.dumps(doc, separators=(",", ":"), allow_nan=False)
        target = self.file(sid)
        with atomic_path(target) as tmp:
            tmp.write_text(text, encoding="utf-8")
            self._before_commit(tmp, target)

    def _before_commit(self, tmp: Path, target: Path) -> None:
        """Called after the temp file is complete and before it replaces ``target``
        (the moment a crash would matter; tests inject faults here)."""
