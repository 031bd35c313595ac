"""A FRED-speaking HTTP server for tests, replaying real recorded responses.

It serves FRED's XML format (the one fredapi reads) for

* ``/fred/series?series_id=ID``
* ``/fred/series/observations?series_id=ID`` with ``realtime_start``,
  ``realtime_end``, ``observation_start``, ``observation_end`` and
  ``output_type`` 1 (observations by real-time period) or 4 (first release only)
* ``/fred/series/vintagedates?series_id=ID``

from the per-series JSON files in ``tests/fixtures/fred/`` (see ``build.py``
there for where each value comes from), and FRED's error bodies
(``<error code="400" message="..."/>``) for an unregistered key and an unknown
series.  Every answer carries the headers FRED sent for that endpoint in the recorded
exchanges (``recorded_headers.json`` there: Apache, ``Connection: keep-alive``,
``Content-Encoding: gzip`` with ``Vary: Accept-Encoding``, ``Cache-Control``, ...), the body
gzip-compressed when the client accepts it, as FRED does.  :attr:`FredServer.mode` varies the
transport: ``"recorded"`` (as recorded: HTTP/1.1 keep-alive, gzip, ``Content-Length``),
``"identity"`` (no compression), ``"http10"`` (HTTP/1.0 answers, connection closed after each),
``"close"`` (HTTP/1.1 with ``Connection: close``), ``"chunked"`` (``Transfer-Encoding: chunked``,
gzip).  Faults are injected per series with :meth:`FredServer.fail`: HTTP 429
with ``Retry-After``, HTTP 500, a response slower than the client's timeout, a
truncated body, a dropped connection, a body that trickles in byte by byte, one that
never ends, one far larger than any FRED answer, an ``inf`` observation value, a status line
or headers that trickle, endless ``100 Continue`` answers, redirects, error bodies echoing the
key, duplicate dates, an impossible date, and answers that drop stored observations.  Every
request is recorded (path, query, arrival time) so tests can check retries and waits.

Run it by hand with ``python tests/fred_server.py --port 8080 --key KEY`` and
point the CLI at it with ``--fred-url http://127.0.0.1:8080/fred``.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "fred"
REALTIME_MIN = "1776-07-04"
REALTIME_MAX = "9999-12-31"
BAD_KEY_MESSAGE = (
    "Bad Request.  The value for variable api_key is not registered.  "
    "Read https://api.stlouisfed.org/api_key.html for more information."
)
NO_SERIES_MESSAGE = "Bad Request.  The series does not exist."
MODES = ("recorded", "identity", "http10", "close", "chunked")


def recorded_headers(route: str, query: dict[str, str]) -> list[tuple[str, str]]:
    """The headers FRED sent for this endpoint in the recordings (``recorded_headers.json``)."""
    endpoints = json.loads((FIXTURES / "recorded_headers.json").read_text(encoding="utf-8"))["endpoints"]
    key = route
    if route == "series/observations":
        if query.get("output_type") == "4":
            key = "series/observations?output_type=4"
        elif "realtime_start" in query:
            key = "series/observations?realtime"
    entry = endpoints.get(key) or endpoints["series"]
    return [(k, v) for k, v in entry["headers"]]


@dataclass
class Recorded:
    """One request the server received."""

    path: str
    query: dict[str, str]
    at: float  # time.monotonic() on arrival
    status: int = 0

    @property
    def series_id(self) -> str | None:
        return self.query.get("series_id")


@dataclass
class Series:
    """One replayable series: metadata rows, observation rows with real-time windows, vintage dates."""

    id: str
    realtime: str
    info: list[dict]
    rows: list[tuple[str, str, str, str]]  # (date, realtime_start, realtime_end, value)
    vintage_dates: list[str] = field(default_factory=list)

    @classmethod
    def from_fixture(cls, data: dict, as_id: str | None = None) -> Series:
        sid = as_id or data["id"]
        realtime = data["realtime"]
        if "vintages" in data:
            v = data["vintages"]
            rows = list(zip(v["date"], v["realtime_start"], v["realtime_end"], v["value"], strict=True))
        else:
            o = data["observations"]
            rows = [(d, realtime, REALTIME_MAX, val) for d, val in zip(o["date"], o["value"], strict=True)]
        vdates = data.get("vintage_dates") or sorted({r[1] for r in rows}) or [realtime]
        info = [dict(row, id=sid) for row in data["info"]]
        return cls(sid, realtime, info, rows, list(vdates))


def load_fixture(name: str) -> dict:
    """The JSON of ``tests/fixtures/fred/<name>.json``."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def _xml(tag: str, attrs: dict, children: list[tuple[str, dict | str]] = ()) -> bytes:
    root = ET.Element(tag, {k: str(v) for k, v in attrs.items()})
    for child_tag, payload in children:
        if isinstance(payload, dict):
            ET.SubElement(root, child_tag, {k: str(v) for k, v in payload.items() if v is not None})
        else:
            ET.SubElement(root, child_tag).text = payload
    return b'<?xml version="1.0" encoding="utf-8" ?>\n' + ET.tostring(root, encoding="utf-8", xml_declaration=False)


class FredServer:
    """Threaded FRED replay server on 127.0.0.1 (random port).

    Parameters
    ----------
    api_key : str
        The only key the server accepts.
    series : iterable of str
        Fixture names to serve (default: every fixture file).

    Examples
    --------
    >>> with FredServer("a" * 32) as srv:   # doctest: +SKIP
    ...     url = srv.url                    # e.g. http://127.0.0.1:40123/fred
    """

    def __init__(self, api_key: str, series=None, mode: str = "recorded") -> None:
        if mode not in MODES:
            raise ValueError(f"mode {mode!r} is not one of {MODES}")
        self.api_key = api_key
        self.mode = mode
        self.series: dict[str, Series] = {}
        names = series or sorted(p.stem for p in FIXTURES.glob("*.json") if p.stem.isupper() and not p.stem.endswith("_checks"))
        for name in names:
            self.add(load_fixture(name))
        self.requests: list[Recorded] = []
        self._faults: dict[str, deque] = defaultdict(deque)
        self._always: dict[str, str] = {}
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.bytes_sent = 0  # by the streaming faults (trickle, endless, oversize)

    # -- control ------------------------------------------------------------------
    def add(self, fixture: dict, as_id: str | None = None) -> None:
        """Serve ``fixture`` (a fixture dict), optionally under another series id."""
        s = Series.from_fixture(fixture, as_id)
        self.series[s.id] = s

    def fail(self, series_id: str, *faults: str, always: str | None = None) -> None:
        """Queue faults for the next requests about ``series_id`` (``"*"`` for any).

        Each fault is ``"429"`` / ``"429:SECONDS"`` (Retry-After), ``"500"``, ``"503"``,
        ``"slow:SECONDS"`` (answer after a delay), ``"truncate"`` (cut the XML body),
        ``"drop"`` (close the connection without answering), ``"trickle:SECONDS"`` (send the
        body one byte every SECONDS), ``"endless"`` (a chunked body that never ends),
        ``"oversize:BYTES"`` (announce and stream a body of BYTES), ``"inf"`` (observations
        whose last value is ``inf``), ``"trickle-status:SECONDS"`` / ``"trickle-headers:SECONDS"``
        (the status line / the headers one byte every SECONDS), ``"continue"`` (``100 Continue``
        answers, forever), ``"redirect:URL"`` (HTTP 302 to URL; ``{query}`` in URL is replaced by
        the request's query, key included, as a hostile server would), ``"echo"`` (HTTP 400
        whose message repeats the key upper-cased, URL-encoded and as sent), ``"dup:N"``
        (observations with the last N dates listed twice), ``"date:YYYY-MM-DD"`` (the last
        observation dated so), ``"shrink:N"`` (observations without the N last dates of the
        answer), ``"gap:N"`` (without N dates from the middle).  ``always`` applies one fault to
        every request about the series.
        """
        with self._lock:
            self._faults[series_id].extend(faults)
            if always is not None:
                self._always[series_id] = always

    def clear(self) -> None:
        """Forget queued faults and recorded requests."""
        with self._lock:
            self._faults.clear()
            self._always.clear()
            self.requests.clear()
            self.bytes_sent = 0

    def requests_for(self, series_id: str, path_suffix: str | None = None) -> list[Recorded]:
        """Recorded requests about ``series_id`` (optionally only those whose path ends so)."""
        with self._lock:
            return [
                r
                for r in self.requests
                if r.series_id == series_id and (path_suffix is None or r.path.endswith(path_suffix))
            ]

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/fred"

    def start(self) -> FredServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FredServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _next_fault(self, series_id: str | None) -> str | None:
        with self._lock:
            for key in (series_id, "*"):
                if key is not None and self._faults.get(key):
                    return self._faults[key].popleft()
            for key in (series_id, "*"):
                if key is not None and key in self._always:
                    return self._always[key]
        return None

    # -- FRED semantics ------------------------------------------------------------
    def _observations(self, s: Series, q: dict[str, str], inf: bool = False, fault: str | None = None) -> bytes:
        rs = q.get("realtime_start", s.realtime)
        re_ = q.get("realtime_end", s.realtime)
        obs_start = q.get("observation_start", "1600-01-01")
        obs_end = q.get("observation_end", REALTIME_MAX)
        output_type = q.get("output_type", "1")
        if output_type not in ("1", "4"):
            return self._error_body(400, "Bad Request.  Variable output_type can only be 1 or 4 on this server.")
        if output_type == "4":
            # FRED's initial releases: observations first published as the newest date
            # of a vintage, after the series' first vintage (checked against a recording)
            first: dict[str, tuple] = {}
            newest: dict[str, str] = {}
            for row in s.rows:
                if row[0] not in first or row[1] < first[row[0]][1]:
                    first[row[0]] = row
                newest[row[1]] = max(newest.get(row[1], row[0]), row[0])
            origin = min(newest) if newest else REALTIME_MIN
            picked = [
                first[d]
                for d in sorted(first)
                if newest[first[d][1]] == d and first[d][1] > origin and first[d][1] <= re_ and first[d][2] >= rs
            ]
        else:
            # the real-time periods overlapping [rs, re_], clipped to it (as FRED does)
            picked = [
                (d, max(a, rs), min(b, re_), v) for d, a, b, v in s.rows if a <= re_ and b >= rs
            ]
        picked = [r for r in picked if obs_start <= r[0] <= obs_end]
        if inf and picked:  # a value no real series has: FRED's XML carries it as text
            picked[-1] = (*picked[-1][:3], "inf")
        kind, _, arg = (fault or "").partition(":")
        if kind == "dup" and picked:  # the last N rows listed twice (fredapi kept the last silently)
            n = int(arg or 1)
            picked = picked + picked[-n:]
        elif kind == "date" and picked:
            picked[-1] = (arg, *picked[-1][1:])
        elif kind == "shrink" and picked:
            picked = picked[: max(0, len(picked) - int(arg or 1))]
        elif kind == "gap" and picked:
            n, mid = int(arg or 1), len(picked) // 2
            picked = picked[:mid] + picked[mid + n :]
        attrs = {
            "realtime_start": rs,
            "realtime_end": re_,
            "observation_start": obs_start,
            "observation_end": obs_end,
            "units": "lin",
            "output_type": output_type,
            "file_type": "xml",
            "order_by": "observation_date",
            "sort_order": "asc",
            "count": len(picked),
            "offset": 0,
            "limit": 100000,
        }
        children = [
            ("observation", {"realtime_start": a, "realtime_end": b, "date": d, "value": v}) for d, a, b, v in picked
        ]
        return _xml("observations", attrs, children)

    def _info(self, s: Series) -> bytes:
        attrs = {"realtime_start": s.realtime, "realtime_end": s.realtime}
        return _xml("seriess", attrs, [("series", {k: v for k, v in row.items()}) for row in s.info])

    def _vintagedates(self, s: Series) -> bytes:
        attrs = {
            "realtime_start": REALTIME_MIN,
            "realtime_end": REALTIME_MAX,
            "order_by": "vintage_date",
            "sort_order": "asc",
            "count": len(s.vintage_dates),
            "offset": 0,
            "limit": 10000,
        }
        return _xml("vintage_dates", attrs, [("vintage_date", d) for d in s.vintage_dates])

    @staticmethod
    def _error_body(code: int, message: str) -> bytes:
        return _xml("error", {"code": code, "message": message})

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def _send(self, status: int, body: bytes, headers: dict | None = None, cut: bool = False,
                      recorded: list[tuple[str, str]] | None = None) -> None:
                """Answer with the recorded headers of the endpoint, in the server's mode."""
                mode = server.mode
                if mode == "http10":
                    self.protocol_version = "HTTP/1.0"
                    self.close_connection = True
                if cut:  # a body that stops mid-document (consistent length, broken XML)
                    body = body[: max(1, len(body) // 2)]
                accepts = "gzip" in (self.headers.get("Accept-Encoding") or "").lower()
                gz = mode != "identity" and accepts
                if gz:
                    body = gzip.compress(body, mtime=0)
                self.log_request(status)
                self.send_response_only(status)  # Server, Date, ... as recorded, not http.server's
                for k, v in recorded or recorded_headers("series", {}):
                    lk = k.lower()
                    if lk in ("content-length", "content-type", "content-encoding", "connection"):
                        continue
                    self.send_header(k, v)
                self.send_header("Content-Type", "text/xml; charset=UTF-8")
                if gz:
                    self.send_header("Content-Encoding", "gzip")
                for k, v in (headers or {}).items():
                    self.send_header(k, str(v))
                if mode == "close":
                    self.send_header("Connection", "close")
                    self.close_connection = True
                elif mode != "http10":
                    self.send_header("Connection", "keep-alive")  # as recorded
                if mode == "chunked":
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for i in range(0, len(body), 4096):
                        piece = body[i : i + 4096]
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.write(b"0\r\n\r\n")
                else:
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                self._rec.status = status

            def _trickle_head(self, fault: str) -> None:
                """The status line or the headers, one byte at a time (until the client goes)."""
                kind, _, arg = fault.partition(":")
                delay = float(arg or 0.3)
                head = b"HTTP/1.1 200 OK\r\n" if kind == "trickle-headers" else b""
                slow = (b"HTTP/1.1 200 OK\r\n" if kind == "trickle-status" else b"") + b"X-Slow: " + b"a" * 20000
                self.close_connection = True
                self._rec.status = 200
                try:
                    self.wfile.write(head)
                    self.wfile.flush()
                    for i in range(len(slow)):
                        if server._stopping.is_set():
                            return
                        self.wfile.write(slow[i : i + 1])
                        self.wfile.flush()
                        time.sleep(delay)
                except OSError:
                    pass

            def _continue_forever(self) -> None:
                self.close_connection = True
                self._rec.status = 100
                try:
                    while not server._stopping.is_set():
                        self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                        self.wfile.flush()
                        time.sleep(0.02)
                except OSError:
                    pass

            def _stream(self, fault: str) -> None:
                """The streaming faults: trickle, endless, oversize (until the client goes)."""
                kind, _, arg = fault.partition(":")
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=UTF-8")
                if kind == "endless":
                    self.send_header("Transfer-Encoding", "chunked")
                    total, piece = None, b"<observation/>" * 512
                else:
                    total = int(float(arg or 5e8)) if kind == "oversize" else 10_000
                    self.send_header("Content-Length", str(total))
                    piece = b"x" * (65536 if kind == "oversize" else 1)
                self.end_headers()
                self._rec.status = 200
                self.close_connection = True
                sent = 0
                try:
                    while not server._stopping.is_set() and (total is None or sent < total):
                        chunk = piece if total is None else piece[: total - sent]
                        if kind == "endless":
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        else:
                            self.wfile.write(chunk)
                        self.wfile.flush()
                        sent += len(chunk)
                        with server._lock:
                            server.bytes_sent += len(chunk)
                        if kind == "trickle":
                            time.sleep(float(arg or 0.3))
                except (BrokenPipeError, ConnectionResetError, OSError):
                    pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                parts = urllib.parse.urlsplit(self.path)
                query = {k: v[-1] for k, v in urllib.parse.parse_qs(parts.query).items()}
                self._rec = rec = Recorded(parts.path, query, time.monotonic())
                with server._lock:
                    server.requests.append(rec)
                sid = query.get("series_id")
                fault = server._next_fault(sid)
                if fault == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if fault and fault.split(":")[0] in ("trickle", "endless", "oversize"):
                    self._stream(fault)
                    return
                if fault and fault.split(":")[0] in ("trickle-status", "trickle-headers"):
                    self._trickle_head(fault)
                    return
                if fault == "continue":
                    self._continue_forever()
                    return
                if fault and fault.startswith("redirect:"):
                    target = fault.partition(":")[2].replace("{query}", parts.query)
                    self._send(302, b"", {"Location": target})
                    return
                if fault == "echo":  # a hostile or broken server repeating the key in its error
                    key = query.get("api_key", "")
                    msg = (f"Bad Request. Key {key.upper()} (sent as {urllib.parse.quote(key, safe='')} "
                           f"in {parts.query}; lower {key.lower()}) is not valid here.")
                    self._send(400, server._error_body(400, msg))
                    return
                if fault and fault.startswith("slow"):
                    time.sleep(float(fault.partition(":")[2] or 2))
                if fault and fault.split(":")[0] in ("429", "500", "502", "503"):
                    code = int(fault.split(":")[0])
                    headers = {}
                    if code == 429:
                        headers["Retry-After"] = fault.partition(":")[2] or "1"
                        msg = "Too Many Requests.  Exceeded Rate Limit"
                    else:
                        msg = "Internal Server Error"
                    self._send(code, server._error_body(code, msg), headers)
                    return
                if query.get("api_key") != server.api_key:
                    self._send(400, server._error_body(400, BAD_KEY_MESSAGE))
                    return
                route = parts.path.rstrip("/")
                if not route.startswith("/fred/"):
                    self._send(404, server._error_body(404, "Not Found"))
                    return
                route = route[len("/fred/") :]
                s = server.series.get(sid or "")
                if route in ("series", "series/observations", "series/vintagedates") and s is None:
                    self._send(400, server._error_body(400, NO_SERIES_MESSAGE))
                    return
                if route == "series":
                    body = server._info(s)
                elif route == "series/observations":
                    body = server._observations(s, query, inf=fault == "inf", fault=fault)
                elif route == "series/vintagedates":
                    body = server._vintagedates(s)
                else:
                    self._send(404, server._error_body(404, "Not Found"))
                    return
                self._send(200, body, cut=fault == "truncate", recorded=recorded_headers(route, query))

        return Handler


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--key", required=True, help="the API key the server accepts")
    ns = ap.parse_args()
    srv = FredServer(ns.key)
    srv._httpd.server_close()
    srv._httpd = ThreadingHTTPServer(("127.0.0.1", ns.port), srv._handler_class())
    print(f"serving FRED replay on {srv.url}", flush=True)
    srv._httpd.serve_forever()
