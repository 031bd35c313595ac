"""A hardened FRED client built on :class:`fredapi.Fred`.

``fredapi`` makes one bare ``urlopen`` call per request.  :class:`FredClient` keeps
fredapi's URL building and XML parsing but replaces that call with one that

* sends every request with a timeout,
* waits between requests so at most ``rate`` requests per second go out (FRED
  allows about two),
* retries HTTP 429, HTTP 5xx, timeouts and dropped connections with exponential
  backoff and jitter, honouring the server's ``Retry-After`` header,
* turns every failure into a one-line :class:`~macroattr.data_pipelines.errors.FredError`
  naming the series and the cause, raised ``from None`` and passed through
  :func:`macroattr.data_pipelines.redact.redact`, so the API key never reaches a message, a
  traceback or a log record.

It also fixes two fredapi traps: :meth:`FredClient.all_releases` returns floats and
datetimes (fredapi returns object columns), and :meth:`FredClient.as_of` returns
one value per date, the latest vintage published on or before the as-of date
(fredapi returns every vintage up to that date).
"""

from __future__ import annotations

import http.client
import logging
import os
import random
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from fredapi import Fred
from pydantic import BaseModel, ConfigDict, Field

from macroattr.data_pipelines.errors import FredError, InputError
from macroattr.data_pipelines.vintages import close_periods, vintage_as_of
from macroattr.data_pipelines.redact import redact, register_secret

__all__ = [
    "DEFAULT_FRED_URL",
    "FredAuthError",
    "FredClient",
    "FredConfig",
    "resolve_api_key",
    "resolve_base_url",
    "vintage_as_of",
]

log = logging.getLogger(__name__)

DEFAULT_FRED_URL = "https://api.stlouisfed.org/fred"
#: The earliest and latest real-time dates FRED accepts (ALFRED's full window).
REALTIME_MIN = "1776-07-04"
REALTIME_MAX = "9999-12-31"
_MISSING_KEY = (
    "no FRED API key: set the FRED_API_KEY environment variable or pass --api-key-file FILE "
    "(free key at fred.stlouisfed.org/docs/api/api_key.html); without a key use --source snapshot, "
    "which works offline"
)


class FredAuthError(FredError):
    """FRED rejected the API key: no series can be fetched with it."""


class FredConfig(BaseModel):
    """Network behaviour of :class:`FredClient`.

    Parameters
    ----------
    timeout : float
        Seconds to wait for a connection or for the next bytes of an answer.
    max_attempts : int
        Attempts per request (the first try included) before giving up.
    backoff_initial, backoff_max : float
        Exponential backoff: the wait before retry ``n`` is
        ``min(backoff_max, backoff_initial * 2**(n-1))`` plus up to ``jitter``
        times that, at random.
    jitter : float
        Fraction of the backoff added at random, so parallel clients spread out.
    max_retry_after : float
        Longest ``Retry-After`` honoured; a longer demand ends the retries.
    rate : float
        Requests per second at most (FRED allows about 2).

    Examples
    --------
    >>> FredConfig(rate=1.0).min_interval
    1.0
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    timeout: float = Field(30.0, gt=0)
    max_attempts: int = Field(5, ge=1)
    backoff_initial: float = Field(1.0, ge=0)
    backoff_max: float = Field(30.0, ge=0)
    jitter: float = Field(0.5, ge=0)
    max_retry_after: float = Field(120.0, ge=0)
    rate: float = Field(2.0, gt=0)

    @property
    def min_interval(self) -> float:
        """Seconds between the starts of two requests."""
        return 1.0 / self.rate


def resolve_api_key(api_key: str | None = None, api_key_file: str | os.PathLike[str] | None = None) -> str:
    """Find the FRED key: ``api_key``, else the first line of ``api_key_file``,
    else ``FRED_API_KEY``.  The key is registered with :func:`macroattr.data_pipelines.redact.register_secret`.

    Raises
    ------
    InputError
        No key anywhere, or the key file is unreadable or empty.

    Examples
    --------
    >>> resolve_api_key("abcd1234abcd1234")
    'abcd1234abcd1234'
    """
    key: str | None
    if api_key:
        key = api_key.strip()
    elif api_key_file is not None:
        path = Path(api_key_file)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InputError(
                f"cannot read the FRED key file {path}: {exc.strerror or exc}; "
                "pass a file whose first line is your FRED API key"
            ) from None
        key = lines[0].strip() if lines else ""
        if not key:
            raise InputError(f"the FRED key file {path} is empty; put your FRED API key on its first line")
    else:
        key = (os.environ.get("FRED_API_KEY") or "").strip()
    if not key:
        raise InputError(_MISSING_KEY)
    register_secret(key)
    return key


def resolve_base_url(base_url: str | None = None) -> str:
    """FRED's base URL: ``base_url``, else ``MACROATTR_FRED_URL``, else FRED's own.

    Examples
    --------
    >>> resolve_base_url("http://127.0.0.1:8080/fred/")
    'http://127.0.0.1:8080/fred'
    """
    url = (base_url or os.environ.get("MACROATTR_FRED_URL") or DEFAULT_FRED_URL).strip()
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(
            f"FRED URL {redact(url)!r} is not an http(s) URL; give e.g. --fred-url http://127.0.0.1:8080/fred "
            "or unset MACROATTR_FRED_URL to use FRED itself"
        )
    return url.rstrip("/")


@dataclass(eq=False)
class _Transient(Exception):
    """A failure worth retrying; ``retry_after`` is the server's demand in seconds."""

    cause: str
    retry_after: float | None = None


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:  # an HTTP date
        from email.utils import parsedate_to_datetime

        when = parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _error_message(body: bytes) -> str:
    """FRED's ``<error code=".." message=".."/>`` text, or a short excerpt of the body."""
    try:
        root = ET.fromstring(body)
        msg = root.get("message")
        if msg:
            return " ".join(msg.split())
    except ET.ParseError:
        pass
    text = body[:120].decode("utf-8", "replace")
    return " ".join(text.split()) or "empty body"


class _Transport:
    """Throttled, timed, retried GET of one FRED URL returning the parsed XML root."""

    def __init__(self, api_key: str, config: FredConfig, sleep=time.sleep) -> None:
        self._key = api_key
        self.config = config
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self.requests_made = 0

    def _throttle(self) -> None:
        with self._lock:
            now = time.monotonic()
            wait = self._next_slot - now
            self._next_slot = max(now, self._next_slot) + self.config.min_interval
        if wait > 0:
            self._sleep(wait)

    def _once(self, url: str, series: str) -> ET.Element:
        self._throttle()
        sep = "&" if "?" in url else "?"
        full = f"{url}{sep}{urllib.parse.urlencode({'api_key': self._key})}"
        self.requests_made += 1
        try:
            with urllib.request.urlopen(full, timeout=self.config.timeout) as resp:
                body = resp.read()
        except urllib.error.HTTPError as exc:
            status = exc.code
            try:
                body = exc.read()
            except (OSError, http.client.HTTPException):
                body = b""
            retry_after = _retry_after_seconds(exc.headers.get("Retry-After") if exc.headers else None)
            exc.close()
            message = _error_message(body)
            if status == 429 or status >= 500:
                raise _Transient(f"HTTP {status}: {message}", retry_after) from None
            if "api_key" in message.lower():
                raise FredAuthError(
                    f"FRED rejected the API key (HTTP {status}) while fetching {series}: {message} "
                    "Check FRED_API_KEY or --api-key-file"
                ) from None
            if "does not exist" in message.lower():
                raise FredError(
                    f"FRED has no series {series} (HTTP {status}: {message}); check the id on fred.stlouisfed.org"
                ) from None
            raise FredError(f"FRED refused the request for {series} (HTTP {status}: {message})") from None
        except (TimeoutError, socket.timeout):
            raise _Transient(f"no answer within {self.config.timeout:g} s (timeout)") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise _Transient(f"no answer within {self.config.timeout:g} s (timeout)") from None
            raise _Transient(f"cannot connect ({getattr(reason, 'strerror', None) or reason})") from None
        except (http.client.HTTPException, ConnectionError, OSError) as exc:
            raise _Transient(f"connection broken ({type(exc).__name__})") from None
        try:
            root = ET.fromstring(body)
        except ET.ParseError as exc:
            raise FredError(
                f"FRED sent a malformed response for {series} ({len(body)} bytes, XML error: {exc}); "
                "retry later or check --fred-url"
            ) from None
        if root.tag == "error":
            raise FredError(f"FRED answered an error for {series}: {_error_message(body)}") from None
        return root

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        cfg = self.config
        base = min(cfg.backoff_max, cfg.backoff_initial * 2 ** (attempt - 1))
        wait = base + random.uniform(0.0, cfg.jitter * base)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return wait

    def get(self, url: str, series: str) -> ET.Element:
        """GET ``url`` (without the key) with retries; raise a one-line FredError on failure."""
        import tenacity

        cfg = self.config
        last: list[_Transient] = []

        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            retry_after = exc.retry_after if isinstance(exc, _Transient) else None
            return self._backoff(state.attempt_number, retry_after)

        def stop(state: tenacity.RetryCallState) -> bool:
            if state.attempt_number >= cfg.max_attempts:
                return True
            exc = state.outcome.exception() if state.outcome else None
            return bool(
                isinstance(exc, _Transient)
                and exc.retry_after is not None
                and exc.retry_after > cfg.max_retry_after
            )

        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.info(
                "%s",
                redact(
                    f"FRED request for {series} failed ({getattr(exc, 'cause', exc)}); "
                    f"retry {state.attempt_number}/{cfg.max_attempts - 1} in "
                    f"{state.upcoming_sleep:.2f} s"
                ),
            )

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Transient),
            wait=wait,
            stop=stop,
            sleep=self._sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            return retrying(self._once, url, series)
        except _Transient as exc:
            last.append(exc)
        except FredError as exc:
            raise type(exc)(redact(str(exc))) from None
        cause = last[0]
        attempts = cfg.max_attempts
        if cause.retry_after is not None and cause.retry_after > cfg.max_retry_after:
            what = f"FRED asked to wait {cause.retry_after:g} s (Retry-After), more than the {cfg.max_retry_after:g} s allowed"
        else:
            what = f"gave up after {attempts} attempt(s)"
        host = urllib.parse.urlsplit(url).netloc
        raise FredError(
            redact(
                f"FRED at {host} could not serve {series}: {cause.cause}; {what}. "
                "Retry later, check --fred-url, or use --source snapshot offline"
            )
        ) from None


class _HardenedFred(Fred):
    """fredapi's client with its request function replaced by :class:`_Transport`."""

    def __init__(self, api_key: str, root_url: str, transport: _Transport) -> None:
        super().__init__(api_key=api_key)
        self.root_url = root_url
        self._transport = transport

    # fredapi calls ``self.__fetch_data(url)``, i.e. ``_Fred__fetch_data``.
    def _Fred__fetch_data(self, url: str) -> ET.Element:  # noqa: N802 - fredapi's mangled name
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        series = query.get("series_id", ["?"])[0]
        return self._transport.get(url, series)


def _check_id(series_id: str) -> str:
    sid = str(series_id).strip().upper()
    if not sid or not all(c.isalnum() or c == "_" for c in sid) or len(sid) > 64:
        raise InputError(
            f"{series_id!r} is not a FRED series id; ids are letters, digits and underscores, e.g. DGS2"
        )
    return sid


class FredClient:
    """Hardened access to FRED through fredapi.

    Parameters
    ----------
    api_key : str, optional
        The key; else ``api_key_file``; else ``FRED_API_KEY``.
    api_key_file : path, optional
        A file whose first line is the key.
    base_url : str, optional
        FRED's root URL (fredapi's ``root_url``); else ``MACROATTR_FRED_URL``; else FRED's.
    config : FredConfig, optional
        Timeout, retries, throttle.

    Examples
    --------
    >>> client = FredClient(api_key="abcd1234abcd1234", base_url="http://127.0.0.1:9/fred")
    >>> client.base_url
    'http://127.0.0.1:9/fred'
    >>> "abcd1234abcd1234" in repr(client)
    False
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        api_key_file: str | os.PathLike[str] | None = None,
        base_url: str | None = None,
        config: FredConfig | None = None,
        sleep=time.sleep,
    ) -> None:
        key = resolve_api_key(api_key, api_key_file)
        self.base_url = resolve_base_url(base_url)
        self.config = config or FredConfig()
        self._transport = _Transport(key, self.config, sleep=sleep)
        self._fred = _HardenedFred(key, self.base_url, self._transport)

    def __repr__(self) -> str:
        return f"FredClient(base_url={self.base_url!r}, rate={self.config.rate:g}/s)"

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far (retries included)."""
        return self._transport.requests_made

    def _guard(self, series_id: str, func, *args, **kwargs):
        """Run a fredapi call; map fredapi's own ValueErrors to FredError."""
        try:
            return func(*args, **kwargs)
        except FredError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise FredError(
                redact(f"FRED sent an unusable response for {series_id} ({type(exc).__name__}: {exc})")
            ) from None

    def series_info(self, series_id: str) -> dict[str, str]:
        """Metadata of one series: id, title, units, frequency, seasonal_adjustment,
        last_updated, observation_start/end, realtime_start/end, ...

        Examples
        --------
        >>> FredClient(api_key="abcd1234abcd1234").series_info("no such id")  # doctest: +SKIP
        """
        sid = _check_id(series_id)
        info = self._guard(sid, self._fred.get_series_info, sid)
        return {str(k): str(v) for k, v in info.items()}

    def observations(
        self, series_id: str, start: str | pd.Timestamp | None = None, end: str | pd.Timestamp | None = None
    ) -> pd.Series:
        """Latest values of a series (float, ``NaN`` where FRED has ``.``) on a
        ``DatetimeIndex`` named ``date``, optionally from ``start`` / to ``end``."""
        sid = _check_id(series_id)
        raw = self._guard(sid, self._fred.get_series, sid, observation_start=start, observation_end=end)
        return self._as_float_series(raw)

    def first_release(self, series_id: str) -> pd.Series:
        """Each date's first published value (FRED ``output_type=4``)."""
        sid = _check_id(series_id)
        raw = self._guard(
            sid, self._fred.get_series, sid, output_type=4, realtime_start=REALTIME_MIN, realtime_end=REALTIME_MAX
        )
        return self._as_float_series(raw)

    def all_releases(
        self, series_id: str, realtime_start: str | None = None, realtime_end: str | None = None
    ) -> pd.DataFrame:
        """Every vintage of every observation: columns ``date``, ``realtime_start``
        and ``realtime_end`` (datetime64; ``NaT`` for the vintage still in force) and
        ``value`` (float64), sorted by date then realtime_start."""
        sid = _check_id(series_id)
        raw = self._guard(sid, self._fred.get_series_all_releases, sid, realtime_start, realtime_end)
        return self._typed_releases(sid, raw)

    def as_of(self, series_id: str, as_of: str | pd.Timestamp) -> pd.Series:
        """Values as published on ``as_of``: one value per date, the latest vintage
        with ``realtime_start <= as_of`` (ALFRED)."""
        sid = _check_id(series_id)
        cutoff = pd.Timestamp(as_of).strftime("%Y-%m-%d")
        return vintage_as_of(self.all_releases(sid, REALTIME_MIN, cutoff), cutoff)

    def vintage_dates(self, series_id: str) -> pd.DatetimeIndex:
        """Dates on which the series was published or revised."""
        sid = _check_id(series_id)
        raw = self._guard(sid, self._fred.get_series_vintage_dates, sid)
        return pd.DatetimeIndex(pd.to_datetime(raw), name="vintage_date")

    @staticmethod
    def _as_float_series(raw: pd.Series) -> pd.Series:
        if len(raw) == 0:
            return pd.Series([], index=pd.DatetimeIndex([], name="date"), dtype="float64", name="value")
        out = pd.Series(
            pd.to_numeric(raw.to_numpy(), errors="coerce").astype("float64"),
            index=pd.DatetimeIndex(pd.to_datetime(raw.index), name="date"),
            name="value",
        )
        return out[~out.index.duplicated(keep="last")].sort_index()

    @staticmethod
    def _typed_releases(series_id: str, raw: pd.DataFrame) -> pd.DataFrame:
        cols = ["date", "realtime_start", "value"]
        if raw is None or len(raw) == 0:
            return pd.DataFrame(
                {
                    "date": pd.DatetimeIndex([]),
                    "realtime_start": pd.DatetimeIndex([]),
                    "realtime_end": pd.DatetimeIndex([]),
                    "value": pd.Series([], dtype="float64"),
                }
            )
        missing = [c for c in cols if c not in raw.columns]
        if missing:
            raise FredError(f"FRED's vintages of {series_id} lack column(s) {missing}")
        out = pd.DataFrame(
            {
                "date": pd.to_datetime(raw["date"].to_numpy()),
                "realtime_start": pd.to_datetime(raw["realtime_start"].to_numpy()),
                "value": pd.to_numeric(raw["value"].to_numpy(), errors="coerce").astype("float64"),
            }
        )
        # fredapi drops realtime_end; a vintage holds until the day before the next one (NaT: still current)
        return close_periods(out)
