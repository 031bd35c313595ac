"""A hardened client of FRED's web API (the XML answers ``fredapi`` reads).

:class:`FredClient` asks FRED for the same URLs as :class:`fredapi.Fred` (``series``,
``series/observations``, ``series/vintagedates`` under a configurable ``root_url``) and
reads the same XML, but sends each request through :mod:`.transport` (a
:class:`requests.Session`: public APIs only, gzip decoded, one total deadline per request
and a size cap) and

* waits between requests so at most ``rate`` requests per second go out (FRED
  allows about two),
* retries HTTP 429, HTTP 5xx, timeouts and dropped connections with exponential
  backoff and jitter, honouring the server's ``Retry-After`` header, within a retry
  budget for the whole run (seconds lost to failed attempts and waits); after
  ``breaker_failures`` requests in a row have failed, a circuit breaker fails the
  remaining requests at once instead of retrying each one,
* sends the key only to the configured host: a redirect to another scheme, host or port is
  refused (one line), one to the same origin is followed,
* reports each retry and the breaker through an ``on_event`` callback (visible progress),
* turns every failure into a one-line :class:`FredRequestError` naming the series and
  the cause (and, separately, the advice), passed through :func:`macroattr.core.redact.redact`,
  so the API key never reaches a message, a traceback or a log record,
* refuses answers fredapi would silently mangle: a date listed twice (fredapi keeps the
  last), a date pandas cannot hold (``9999-12-31``), a value that is not a number, an
  answer shorter than the ``count`` FRED announces.

fredapi itself is not on the request path: its only request hook is a name-mangled private
method, and the product never patches a library's private internals.
:meth:`FredClient.all_releases` returns floats and datetimes, and :meth:`FredClient.as_of`
returns one value per date, the latest vintage published on or before the as-of date.

Long module: it is the one hardened FRED client (throttle, retries, redaction, parsing of
each endpoint); each rule has one home here.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from macroattr.core.errors import FredError, InputError
from macroattr.data_pipelines.vintages import close_periods, vintage_as_of
from macroattr.core.redact import redact, register_secret

__all__ = [
    "DEFAULT_FRED_URL",
    "FredAuthError",
    "FredClient",
    "FredConfig",
    "FredRequestError",
    "resolve_api_key",
    "resolve_base_url",
    "vintage_as_of",
]

log = logging.getLogger(__name__)


class _RedactRecords(logging.Filter):
    """Mask the key in records of the HTTP libraries (urllib3 logs each request line at DEBUG)."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        clean = redact(text)
        if clean != text:
            record.msg, record.args = clean, ()
        return True


for _name in ("urllib3", "urllib3.connectionpool", "urllib3.connection", "urllib3.response", "requests"):
    _lg = logging.getLogger(_name)
    if not any(isinstance(f, _RedactRecords) for f in _lg.filters):
        _lg.addFilter(_RedactRecords())

DEFAULT_FRED_URL = "https://api.stlouisfed.org/fred"
#: The earliest and latest real-time dates FRED accepts (ALFRED's full window).
REALTIME_MIN = "1776-07-04"
REALTIME_MAX = "9999-12-31"
_MISSING_KEY = (
    "no FRED API key: set the FRED_API_KEY environment variable or pass --api-key-file FILE "
    "(free key at fred.stlouisfed.org/docs/api/api_key.html); without a key use --source snapshot, "
    "which works offline"
)


#: The advice every "FRED could not serve" failure ends with (said once per line).
ADVICE = "Retry later, check --fred-url, or use --source snapshot offline"


class FredRequestError(FredError):
    """A FRED request failed: ``cause`` (one line, names the series) and ``advice``
    (what to do, empty when the cause says it); ``reason`` is the cause without the series,
    so many failures with one reason can be reported together."""

    def __init__(self, cause: str, advice: str = "", reason: str | None = None) -> None:
        self.cause = redact(" ".join(str(cause).split()))
        self.advice = redact(advice)
        self.reason = redact(" ".join((reason or self.cause).split()))
        super().__init__(f"{self.cause}. {self.advice}" if self.advice else self.cause)


class FredAuthError(FredRequestError):
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
    hint = ("give e.g. --fred-url http://127.0.0.1:8080/fred or unset MACROATTR_FRED_URL to use FRED itself")
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port  # a bad port raises here
        host = parts.hostname
    except ValueError as exc:
        raise InputError(f"FRED URL {redact(url)!r} is malformed ({exc}); {hint}") from None
    if parts.scheme not in ("http", "https") or not parts.netloc or not host:
        raise InputError(f"FRED URL {redact(url)!r} is not an http(s) URL; {hint}")
    if parts.username or parts.password:
        raise InputError(f"FRED URL {redact(url)!r} carries a user name or password; {hint}")
    if parts.query or parts.fragment:
        raise InputError(f"FRED URL {redact(url)!r} has a query or fragment; give only the root, {hint}")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise InputError(f"FRED URL {redact(url)!r} contains spaces or control characters; {hint}")
    del port
    return url.rstrip("/")


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of ``url``: the only place the key is sent to.

    Examples
    --------
    >>> origin("https://API.stlouisfed.org/fred")
    ('https', 'api.stlouisfed.org', 443)
    """
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme.lower(), (parts.hostname or "").lower(), port if port is not None else default


@dataclass(eq=False)
class _Transient(Exception):
    """A failure worth retrying; ``retry_after`` is the server's demand in seconds;
    ``final`` marks one that is not retried (the deadline passed: a retry would too)."""

    cause: str
    retry_after: float | None = None
    final: bool = False


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


_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_HOPS = 5


class _Transport:
    """Throttled, timed, retried GET of one FRED endpoint returning the parsed XML root."""

    def __init__(self, api_key: str, base_url: str, config: FredConfig, sleep=time.sleep, on_event=None) -> None:
        import requests

        self._key = api_key
        self.base_url = base_url
        self.host = urllib.parse.urlsplit(base_url).netloc
        self.config = config
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self.requests_made = 0
        self.on_event = on_event
        self.budget_spent = 0.0  # seconds lost to failed attempts and retry waits
        self.failures_in_a_row = 0  # requests that failed for good, since the last success
        self._breaker_cause = ""
        self._session = requests.Session()
        self._session.headers["User-Agent"] = "macroattr (FRED client)"

    def _event(self, text: str) -> None:
        line = redact(text)
        log.info("%s", line)
        if self.on_event is not None:
            self.on_event(line)

    def _throttle(self) -> None:
        with self._lock:
            now = time.monotonic()
            wait = self._next_slot - now
            self._next_slot = max(now, self._next_slot) + self.config.min_interval
        if wait > 0:
            self._sleep(wait)

    def _exchange(self, url: str, params: dict[str, str], series: str):
        from macroattr.data_pipelines.fred import transport as tx

        cfg = self.config
        self.requests_made += 1
        try:
            return tx.exchange(self._session, url, {**params, "api_key": self._key}, timeout=cfg.timeout,
                               deadline=cfg.deadline, max_bytes=cfg.max_bytes)
        except tx.TooLarge as exc:
            raise FredRequestError(f"FRED's answer for {series} is too large ({exc.cause}; the cap is "
                                   f"{cfg.max_bytes:,} bytes)", "Check --fred-url",
                                   reason=f"an answer too large ({exc.cause})") from None
        except tx.Deadline as exc:
            what = "the status line and headers" if exc.phase == "headers" else "the answer"
            raise _Transient(f"{what} incomplete after the {cfg.deadline:g} s deadline"
                             + (f" ({exc.received:,} bytes received)" if exc.received else ""), final=True) from None
        except tx.Incomplete as exc:
            if exc.timeout:
                raise _Transient(f"no answer within {cfg.timeout:g} s (timeout)") from None
            raise _Transient(exc.cause) from None

    def _once(self, path: str, params: dict[str, str], series: str) -> ET.Element:
        self._throttle()
        url = f"{self.base_url}/{path}"
        home = origin(self.base_url)
        for _hop in range(_MAX_HOPS + 1):
            ans = self._exchange(url, params, series)
            if ans.status not in _REDIRECTS:
                break
            location = (ans.headers.get("Location") or "").strip()
            target = urllib.parse.urljoin(url, location)
            if not location or origin(target) != home:
                where = urllib.parse.urlsplit(target)
                other = f"{where.scheme}://{where.netloc}" if where.netloc else repr(location[:80])
                raise FredRequestError(
                    f"FRED at {self.host} redirected the request for {series} to {other} (HTTP {ans.status}); "
                    f"not followed, the API key is sent only to {self.host}",
                    "Check --fred-url (give the URL the redirect names if you trust it)",
                    reason=f"redirected to {other} (HTTP {ans.status}), not followed") from None
            parts = urllib.parse.urlsplit(target)
            url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
            params = {k: v[-1] for k, v in urllib.parse.parse_qs(parts.query).items() if k.lower() != "api_key"}
        else:
            raise FredRequestError(f"FRED at {self.host} redirected the request for {series} more than "
                                   f"{_MAX_HOPS} times", "Check --fred-url",
                                   reason=f"more than {_MAX_HOPS} redirects") from None
        status, body = ans.status, ans.body
        if status == 429 or status >= 500:
            raise _Transient(f"HTTP {status}: {_error_message(body)}",
                             _retry_after_seconds(ans.headers.get("Retry-After"))) from None
        if status >= 400:
            message = _error_message(body)
            if "api_key" in message.lower():
                raise FredAuthError(f"FRED rejected the API key (HTTP {status}) while fetching {series}: {message}",
                                    "Check FRED_API_KEY or --api-key-file") from None
            if "does not exist" in message.lower():
                raise FredRequestError(f"FRED has no series {series} (HTTP {status}: {message})",
                                       "Check the id on fred.stlouisfed.org",
                                       reason=f"no such series (HTTP {status})") from None
            raise FredRequestError(f"FRED refused the request for {series} (HTTP {status}: {message})",
                                   "Check --fred-url", reason=f"refused (HTTP {status}: {message})") from None
        if status != 200:
            raise FredRequestError(f"FRED answered HTTP {status} for {series}, not 200", "Check --fred-url",
                                   reason=f"HTTP {status}") from None
        try:
            root = ET.fromstring(body)
        except ET.ParseError as exc:
            raise FredRequestError(
                f"FRED sent a malformed response for {series} ({len(body)} bytes, XML error: {exc})",
                ADVICE, reason="a malformed response (not XML)") from None
        if root.tag == "error":
            raise FredRequestError(f"FRED answered an error for {series}: {_error_message(body)}", ADVICE,
                                   reason=f"an error ({_error_message(body)})") from None
        return root

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        cfg = self.config
        base = min(cfg.backoff_max, cfg.backoff_initial * 2 ** (attempt - 1))
        wait = base + random.uniform(0.0, cfg.jitter * base)
        if retry_after is not None:
            wait = max(wait, retry_after)
        return wait

    def get(self, path: str, params: dict[str, str], series: str) -> ET.Element:
        """GET ``path`` under the base URL with retries; raise a one-line FredRequestError on failure."""
        cfg = self.config
        if self.failures_in_a_row >= cfg.breaker_failures:
            raise FredRequestError(
                f"FRED at {self.host} not asked for {series}: circuit breaker open after "
                f"{self.failures_in_a_row} failed requests in a row (last: {self._breaker_cause})", ADVICE,
                reason=f"not asked: circuit breaker open after {self.failures_in_a_row} failed requests in a row")
        try:
            root = self._get(path, params, series)
        except FredAuthError:
            raise
        except FredRequestError as exc:
            if not exc.cause.startswith("FRED has no series"):
                self._event(f"FRED {series}: request failed ({exc.reason[:200]})")
                self.failures_in_a_row += 1
                self._breaker_cause = exc.reason[:160]
                if self.failures_in_a_row == cfg.breaker_failures:
                    self._event(f"FRED: {self.failures_in_a_row} requests in a row failed; circuit "
                                "breaker open, the remaining series are not requested")
            raise
        self.failures_in_a_row = 0
        return root

    def _get(self, path: str, params: dict[str, str], series: str) -> ET.Element:
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
            return retrying(self._once, path, params, series)
        except _Transient as exc:
            last.append(exc)
        cause = last[0]
        if cause.retry_after is not None and cause.retry_after > cfg.max_retry_after:
            what = (f"FRED asked to wait {cause.retry_after:g} s (Retry-After), more than the "
                    f"{cfg.max_retry_after:g} s allowed")
        elif cause.final:
            what = "not retried"
        elif "retry budget" in cause.cause:
            what = "gave up"
        else:
            what = f"gave up after {cfg.max_attempts} attempt(s)"
        raise FredRequestError(f"FRED at {self.host} could not serve {series}: {cause.cause}; {what}", ADVICE,
                               reason=f"{cause.cause}; {what}") from None


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
        self._transport = _Transport(key, self.base_url, self.config, sleep=sleep, on_event=on_event)

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

    def _rows(self, sid: str, path: str, params: dict[str, str], tag: str, child: str) -> list[ET.Element]:
        """The ``child`` elements of FRED's ``tag`` answer, all of them (``count`` checked)."""
        root = self._transport.get(path, {"series_id": sid, **params}, sid)
        if root.tag != tag:
            raise FredRequestError(f"FRED sent an unexpected answer for {sid} (<{root.tag[:40]}>, not <{tag}>)",
                                   ADVICE, reason=f"an unexpected answer (<{root.tag[:40]}>)")
        rows = [el for el in root if el.tag == child]
        count = root.get("count")
        if count is not None and count.strip().isdigit() and int(count) > len(rows) + int(root.get("offset") or 0):
            raise FredRequestError(f"FRED's answer for {sid} is incomplete: {len(rows):,} of the {int(count):,} "
                                   f"rows it announces", ADVICE, reason="an incomplete answer")
        return rows

    @staticmethod
    def _dates(sid: str, texts: list[str | None], what: str) -> pd.DatetimeIndex:
        """FRED's ``YYYY-MM-DD`` strings as dates; one that is not a date the rest of the product
        can hold (nanosecond timestamps: 1677-09-22 to 2262-04-11) is one line naming it."""
        lo, hi = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")
        bad = None
        try:
            idx = pd.DatetimeIndex(pd.to_datetime(pd.Series(texts, dtype=object), format="%Y-%m-%d"))
            out = (idx < lo) | (idx > hi)
            if out.any():
                bad = texts[int(np.flatnonzero(out)[0])]
        except (ValueError, TypeError, OverflowError):
            for text in texts:
                try:
                    pd.to_datetime(text, format="%Y-%m-%d")
                except (ValueError, TypeError, OverflowError):
                    bad = text
                    break
            else:  # pragma: no cover - the vector parse failed, one element must too
                bad = "?"
        if bad is not None:
            raise FredRequestError(
                f"FRED sent a {what} {str(bad)[:40]!r} for {sid} that is not a date between "
                f"{lo:%Y-%m-%d} and {hi:%Y-%m-%d}; the store keeps what it had for this series", ADVICE,
                reason=f"a {what} that is not a usable date ({str(bad)[:40]!r})") from None
        return idx.as_unit("ns")

    @staticmethod
    def _values(sid: str, texts: list[str | None], dates: pd.DatetimeIndex) -> np.ndarray:
        out = np.empty(len(texts), dtype="float64")
        for i, text in enumerate(texts):
            if text == ".":
                out[i] = np.nan
                continue
            try:
                out[i] = float(text)  # "inf" parses (refresh refuses it, naming the date)
            except (TypeError, ValueError):
                raise FredRequestError(
                    f"FRED sent a value {str(text)[:40]!r} for {sid} on {dates[i]:%Y-%m-%d} that is not a number",
                    ADVICE, reason="a value that is not a number") from None
        return out

    def _series(self, sid: str, params: dict[str, str]) -> pd.Series:
        rows = self._rows(sid, "series/observations", params, "observations", "observation")
        idx = self._dates(sid, [r.get("date") for r in rows], "date")
        values = self._values(sid, [r.get("value") for r in rows], idx)
        dup = idx.duplicated(keep=False)
        if dup.any():
            days = sorted(set(idx[dup].strftime("%Y-%m-%d")))
            shown = ", ".join(days[:5]) + (f" and {len(days) - 5} more" if len(days) > 5 else "")
            raise FredRequestError(
                f"FRED's answer for {sid} lists {len(days)} date(s) more than once ({shown}); refused, the store "
                "keeps what it had for this series", ADVICE, reason=f"dates listed more than once ({shown})")
        out = pd.Series(values, index=pd.DatetimeIndex(idx, name="date"), name="value")
        return out.sort_index()

    def series_info(self, series_id: str) -> dict[str, str]:
        """Metadata of one series: id, title, units, frequency, seasonal_adjustment,
        last_updated, observation_start/end, realtime_start/end, ...

        Examples
        --------
        >>> FredClient(api_key="abcd1234abcd1234").series_info("no such id")  # doctest: +SKIP
        """
        sid = _check_id(series_id)
        rows = self._rows(sid, "series", {}, "seriess", "series")
        if not rows:
            raise FredRequestError(f"FRED sent no information about {sid}", ADVICE, reason="no series information")
        return {str(k): str(v) for k, v in rows[0].attrib.items()}

    def observations(
        self, series_id: str, start: str | pd.Timestamp | None = None, end: str | pd.Timestamp | None = None
    ) -> pd.Series:
        """Latest values of a series (float, ``NaN`` where FRED has ``.``) on a
        ``DatetimeIndex`` named ``date``, optionally from ``start`` / to ``end``.

        Raises
        ------
        FredRequestError
            Besides network failures: a date listed twice, a date or value that is not one.
        """
        sid = _check_id(series_id)
        params: dict[str, str] = {}
        if start is not None:
            params["observation_start"] = pd.Timestamp(start).strftime("%Y-%m-%d")
        if end is not None:
            params["observation_end"] = pd.Timestamp(end).strftime("%Y-%m-%d")
        return self._series(sid, params)

    def first_release(self, series_id: str) -> pd.Series:
        """Each date's first published value (FRED ``output_type=4``)."""
        sid = _check_id(series_id)
        return self._series(sid, {"output_type": "4", "realtime_start": REALTIME_MIN, "realtime_end": REALTIME_MAX})

    def all_releases(
        self, series_id: str, realtime_start: str | None = None, realtime_end: str | None = None
    ) -> pd.DataFrame:
        """Every vintage of every observation: columns ``date``, ``realtime_start``
        and ``realtime_end`` (datetime64; ``NaT`` for the vintage still in force) and
        ``value`` (float64), sorted by date then realtime_start."""
        sid = _check_id(series_id)
        rows = self._rows(sid, "series/observations",
                          {"realtime_start": realtime_start or REALTIME_MIN, "realtime_end": realtime_end or REALTIME_MAX},
                          "observations", "observation")
        dates = self._dates(sid, [r.get("date") for r in rows], "date")
        starts = self._dates(sid, [r.get("realtime_start") for r in rows], "realtime_start")
        values = self._values(sid, [r.get("value") for r in rows], dates)
        out = pd.DataFrame({"date": dates, "realtime_start": starts, "value": values})
        if len(out) and out.duplicated(["date", "realtime_start"]).any():
            bad = out[out.duplicated(["date", "realtime_start"], keep=False)]["date"].dt.strftime("%Y-%m-%d")
            days = sorted(set(bad))
            shown = ", ".join(days[:5]) + (f" and {len(days) - 5} more" if len(days) > 5 else "")
            raise FredRequestError(
                f"FRED's vintages of {sid} list one date twice in one vintage ({shown}); refused, the store keeps "
                "what it had for this series", ADVICE, reason=f"vintages listing a date twice ({shown})")
        if out.empty:
            out["realtime_end"] = pd.DatetimeIndex([])
            return out[["date", "realtime_start", "realtime_end", "value"]]
        # a vintage holds until the day before the next one (NaT: still current)
        return close_periods(out)

    def as_of(self, series_id: str, as_of: str | pd.Timestamp) -> pd.Series:
        """Values as published on ``as_of``: one value per date, the latest vintage
        with ``realtime_start <= as_of`` (ALFRED)."""
        sid = _check_id(series_id)
        cutoff = pd.Timestamp(as_of).strftime("%Y-%m-%d")
        return vintage_as_of(self.all_releases(sid, REALTIME_MIN, cutoff), cutoff)

    def vintage_dates(self, series_id: str) -> pd.DatetimeIndex:
        """Dates on which the series was published or revised."""
        sid = _check_id(series_id)
        rows = self._rows(sid, "series/vintagedates", {}, "vintage_dates", "vintage_date")
        return pd.DatetimeIndex(self._dates(sid, [(r.text or "").strip() for r in rows], "vintage date"),
                                name="vintage_date")
