"""A hardened FRED client built on :class:`fredapi.Fred`.

``fredapi`` makes one bare ``urlopen`` call per request.  :class:`FredClient` keeps
fredapi's URL building and XML parsing but replaces that call with one that

* sends every request with a timeout per read AND a total deadline, and refuses an
  answer larger than a size cap (a server that trickles bytes, streams forever or sends
  hundreds of megabytes cannot hang the run or fill the memory),
* waits between requests so at most ``rate`` requests per second go out (FRED
  allows about two),
* retries HTTP 429, HTTP 5xx, timeouts and dropped connections with exponential
  backoff and jitter, honouring the server's ``Retry-After`` header, within a retry
  budget for the whole run (seconds lost to failed attempts and waits); after
  ``breaker_failures`` requests in a row have failed, a circuit breaker fails the
  remaining requests at once instead of retrying each one,
* reports each retry and the breaker through an ``on_event`` callback (visible progress),
* turns every failure into a one-line :class:`~macroattr.core.errors.FredError`
  naming the series and the cause, raised ``from None`` and passed through
  :func:`macroattr.core.redact.redact`, so the API key never reaches a message, a
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

from macroattr.core.errors import FredError, InputError
from macroattr.data_pipelines.vintages import close_periods, vintage_as_of
from macroattr.core.redact import redact, register_secret

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
    deadline : float
        Seconds one request may take in total (connect, headers, whole body), however
        steadily the bytes trickle in.
    max_bytes : int
        Largest answer accepted (FRED's largest, 100,000 observations, is ~12 MB).
    retry_budget : float
        Seconds the client may lose to failed attempts and retry waits over its life (one
        run); once spent, failures are final.
    breaker_failures : int
        Requests in a row that failed for good (after their retries) before the circuit
        breaker opens and the remaining requests fail at once.

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
    deadline: float = Field(60.0, gt=0)
    max_bytes: int = Field(64 * 1024 * 1024, ge=1024)
    retry_budget: float = Field(300.0, ge=0)
    breaker_failures: int = Field(3, ge=1)

    @property
    def min_interval(self) -> float:
        """Seconds between the starts of two requests."""
        return 1.0 / self.rate


def resolve_api_key(api_key: str | None = None, api_key_file: str | os.PathLike[str] | None = None) -> str:
    """Find the FRED key: ``api_key``, else the first line of ``api_key_file``,
    else ``FRED_API_KEY``.  The key is registered with :func:`macroattr.core.redact.register_secret`.

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
        from macroattr.core.io import read_text_bounded

        path = Path(api_key_file)
        # bounded: a binary or endless "key file" (/dev/zero, a FIFO) is refused, not read
        lines = read_text_bounded(path, "the FRED key file", limit=64 * 1024).splitlines()
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
    """A failure worth retrying; ``retry_after`` is the server's demand in seconds;
    ``final`` marks one that is not retried (the deadline passed: a retry would too)."""

    cause: str
    retry_after: float | None = None
    final: bool = False


@dataclass(eq=False)
class _TooLarge(Exception):
    cause: str


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

    def __init__(self, api_key: str, config: FredConfig, sleep=time.sleep, on_event=None) -> None:
        self._key = api_key
        self.config = config
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self.requests_made = 0
        self.on_event = on_event
        self.budget_spent = 0.0  # seconds lost to failed attempts and retry waits
        self.failures_in_a_row = 0  # requests that failed for good, since the last success
        self._breaker_cause = ""

    def _event(self, text: str) -> None:
        line = redact(text)
        log.info("%s", line)
        if self.on_event is not None:
            self.on_event(line)

    def _read_body(self, resp, started: float) -> bytes:
        """The whole body within the deadline and the size cap (``read1``: whatever has
        arrived, so a trickle cannot hold one read past the deadline)."""
        cfg = self.config
        length = resp.headers.get("Content-Length") if resp.headers else None
        if length and length.strip().isdigit() and int(length) > cfg.max_bytes:
            raise _TooLarge(f"announced {int(length):,} bytes")
        chunks: list[bytes] = []
        got = 0
        sock = getattr(getattr(getattr(resp, "fp", None), "raw", None), "_sock", None)
        while True:
            left = started + cfg.deadline - time.monotonic()
            if left <= 0:
                raise _Transient(f"answer incomplete after the {cfg.deadline:g} s deadline "
                                 f"({got:,} bytes received)", final=True)
            if sock is not None:
                sock.settimeout(min(cfg.timeout, left))
            try:
                chunk = resp.read1(65536)
            except (TimeoutError, socket.timeout):
                if left < cfg.timeout:  # cut short by the deadline, not a silent server
                    raise _Transient(f"answer incomplete after the {cfg.deadline:g} s deadline "
                                     f"({got:,} bytes received)", final=True) from None
                raise
            if not chunk:
                return b"".join(chunks)
            got += len(chunk)
            if got > cfg.max_bytes:
                raise _TooLarge(f"more than {cfg.max_bytes:,} bytes")
            chunks.append(chunk)

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
        started = time.monotonic()
        try:
            with urllib.request.urlopen(full, timeout=min(self.config.timeout, self.config.deadline)) as resp:
                body = self._read_body(resp, started)
        except _TooLarge as exc:
            raise FredError(f"FRED's answer for {series} is too large ({exc.cause}; the cap is "
                            f"{self.config.max_bytes:,} bytes); check --fred-url") from None
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
        cfg = self.config
        host = urllib.parse.urlsplit(url).netloc
        if self.failures_in_a_row >= cfg.breaker_failures:
            raise FredError(redact(
                f"FRED at {host} not asked for {series}: circuit breaker open after "
                f"{self.failures_in_a_row} failed requests in a row (last: {self._breaker_cause}). "
                "Retry later, check --fred-url, or use --source snapshot offline"))
        try:
            root = self._get(url, series, host)
        except FredAuthError:
            raise
        except FredError as exc:
            if "circuit breaker" not in str(exc) and not str(exc).startswith("FRED has no series"):
                self._event(f"FRED {series}: request failed ({str(exc).split(': ', 1)[-1][:200]})")
                self.failures_in_a_row += 1
                self._breaker_cause = str(exc).split(": ", 1)[-1][:160]
                if self.failures_in_a_row == cfg.breaker_failures:
                    self._event(f"FRED: {self.failures_in_a_row} requests in a row failed; circuit "
                                "breaker open, the remaining series are not requested")
            raise
        self.failures_in_a_row = 0
        return root

    def _get(self, url: str, series: str, host: str) -> ET.Element:
        import tenacity

        cfg = self.config
        last: list[_Transient] = []
        planned: dict[int, float] = {}
        began = [time.monotonic()]

        def wait(state: tenacity.RetryCallState) -> float:  # tenacity asks this before stop()
            exc = state.outcome.exception() if state.outcome else None
            retry_after = exc.retry_after if isinstance(exc, _Transient) else None
            planned[state.attempt_number] = self._backoff(state.attempt_number, retry_after)
            return planned[state.attempt_number]

        def stop(state: tenacity.RetryCallState) -> bool:
            exc = state.outcome.exception() if state.outcome else None
            now = time.monotonic()
            self.budget_spent += now - began[0]  # the failed attempt's time
            began[0] = now
            if state.attempt_number >= cfg.max_attempts:
                return True
            if isinstance(exc, _Transient) and exc.final:
                return True
            if isinstance(exc, _Transient) and exc.retry_after is not None and exc.retry_after > cfg.max_retry_after:
                return True
            w = planned.get(state.attempt_number, 0.0)
            if self.budget_spent + w > cfg.retry_budget:
                if isinstance(exc, _Transient):
                    exc.cause += (f"; the run's retry budget of {cfg.retry_budget:g} s is spent "
                                  f"({self.budget_spent:.0f} s lost to failures and waits)")
                return True
            return False

        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            w = state.upcoming_sleep
            self.budget_spent += w
            self._event(
                f"FRED {series}: {getattr(exc, 'cause', exc)}; retry {state.attempt_number}/"
                f"{cfg.max_attempts - 1} in {w:.1f} s (retry budget "
                f"{max(0.0, cfg.retry_budget - self.budget_spent):.0f} s left)"
            )

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Transient),
            wait=wait,
            stop=stop,
            sleep=self._sleep,
            before_sleep=before_sleep,
            before=lambda state: began.__setitem__(0, time.monotonic()),
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
        elif cause.final:
            what = "not retried"
        elif "retry budget" in cause.cause:
            what = "gave up"
        else:
            what = f"gave up after {attempts} attempt(s)"
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
        Timeout, deadline, size cap, retries, retry budget, circuit breaker, throttle.
    on_event : callable(str), optional
        Called with one line per retry and when the circuit breaker opens (progress).

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
        on_event=None,
    ) -> None:
        key = resolve_api_key(api_key, api_key_file)
        self.base_url = resolve_base_url(base_url)
        self.config = config or FredConfig()
        self._transport = _Transport(key, self.config, sleep=sleep, on_event=on_event)
        self._fred = _HardenedFred(key, self.base_url, self._transport)

    def __repr__(self) -> str:
        return f"FredClient(base_url={self.base_url!r}, rate={self.config.rate:g}/s)"

    @property
    def on_event(self):
        """The progress callback (one line per retry / breaker event), or None."""
        return self._transport.on_event

    @on_event.setter
    def on_event(self, func) -> None:
        self._transport.on_event = func

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
