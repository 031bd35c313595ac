"""One HTTP exchange with FRED, bounded in time and size, through public APIs only.

:func:`exchange` sends one GET with a :class:`requests.Session` (``stream=True``, redirects
not followed) and reads the body with urllib3's public ``HTTPResponse.read1`` (whatever has
arrived, gzip / deflate decoded), checking a monotonic deadline and a size cap between reads.
The whole exchange runs in a daemon worker thread and the caller waits for it at most until
the deadline, so no server behaviour can hold a request past it: a status line or headers
trickled byte by byte, an endless series of ``100 Continue`` answers, a body that trickles or
never ends.  When the deadline passes the worker is told to stop, and an open response is
shut down with urllib3's public ``HTTPResponse.shutdown`` (a worker still inside the headers
ends at its next read: the socket's read timeout bounds it).  No private socket attribute is
touched, so the same code runs on every Python the package declares (3.12, 3.13): HTTP/1.0
and 1.1, keep-alive and ``Connection: close``, ``Content-Length`` and chunked bodies.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

__all__ = ["Answer", "Deadline", "Incomplete", "TooLarge", "exchange"]


@dataclass
class Answer:
    """A complete answer: status, headers (case-insensitive mapping), decoded body."""

    status: int
    headers: dict
    body: bytes


@dataclass(eq=False)
class Deadline(Exception):
    """The deadline passed before the answer was complete."""

    phase: str  # "headers" or "body"
    received: int = 0


@dataclass(eq=False)
class TooLarge(Exception):
    """The answer is (or announces itself) larger than the cap."""

    cause: str


@dataclass(eq=False)
class Incomplete(Exception):
    """The connection broke, timed out or sent something that is not HTTP."""

    cause: str
    timeout: bool = False


def _read(session, url: str, params: dict, *, timeout: float, deadline_at: float, max_bytes: int,
          stop: threading.Event, box: dict) -> Answer:
    import requests
    import urllib3

    left = max(0.05, deadline_at - time.monotonic())
    try:
        resp = session.get(url, params=params, stream=True, allow_redirects=False,
                           timeout=(min(timeout, left), min(timeout, left)),
                           headers={"Accept-Encoding": "gzip, deflate", "Accept": "text/xml, application/xml"})
    except requests.exceptions.Timeout:
        raise Incomplete("no answer", timeout=True) from None
    except requests.exceptions.ConnectionError as exc:
        raise Incomplete(_connection_cause(exc)) from None
    except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise Incomplete(f"connection broken ({type(exc).__name__})") from None
    box["resp"] = resp
    try:
        length = resp.headers.get("Content-Length", "").strip()
        if length.isdigit() and int(length) > max_bytes:
            raise TooLarge(f"announced {int(length):,} bytes")
        chunks: list[bytes] = []
        got = 0
        while True:
            if stop.is_set():
                raise Deadline("body", got)
            if time.monotonic() >= deadline_at:
                raise Deadline("body", got)
            try:
                chunk = resp.raw.read1(65536, decode_content=True)
            except urllib3.exceptions.ReadTimeoutError:
                if deadline_at - time.monotonic() <= 0.05:
                    raise Deadline("body", got) from None
                raise Incomplete("no answer", timeout=True) from None
            except urllib3.exceptions.DecodeError:
                raise Incomplete("a compressed answer that does not decompress") from None
            except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
                if stop.is_set():
                    raise Deadline("body", got) from None
                raise Incomplete(f"connection broken ({type(exc).__name__})") from None
            if not chunk:
                break
            got += len(chunk)
            if got > max_bytes:
                raise TooLarge(f"more than {max_bytes:,} bytes")
            chunks.append(chunk)
        return Answer(resp.status_code, dict(resp.headers), b"".join(chunks))
    finally:
        resp.close()


def _connection_cause(exc: BaseException) -> str:
    text = str(exc)
    for words, cause in (("Connection refused", "connection refused"),
                         ("Name or service not known", "host not found"),
                         ("nodename nor servname", "host not found"),
                         ("Temporary failure in name resolution", "host not found"),
                         ("timed out", "connect timed out"),
                         ("Connection reset", "connection reset"),
                         ("RemoteDisconnected", "the server closed the connection without answering"),
                         ("BadStatusLine", "an answer that is not HTTP"),
                         ("LineTooLong", "an over-long status line or header"),
                         ("got more than", "too many headers"),
                         ("SSLError", "TLS handshake failed"),
                         ("CERTIFICATE", "TLS certificate rejected")):
        if words in text:
            return cause
    return f"cannot connect ({type(exc).__name__})"


def exchange(session, url: str, params: dict, *, timeout: float, deadline: float,
             max_bytes: int) -> Answer:
    """GET ``url`` with ``params`` and return the whole :class:`Answer` within ``deadline``.

    Parameters
    ----------
    session : requests.Session
    url : str
        Without the query; ``params`` holds it (the key among them: never put it in text).
    timeout : float
        Seconds to wait for a connection or for the next bytes.
    deadline : float
        Seconds the whole exchange may take (connect, status line, headers, body).
    max_bytes : int
        Largest decoded body accepted.

    Raises
    ------
    Deadline, TooLarge, Incomplete
        The deadline passed; the answer is too large; the connection failed.

    Examples
    --------
    >>> import requests
    >>> try:
    ...     exchange(requests.Session(), "http://127.0.0.1:9/", {}, timeout=1, deadline=2, max_bytes=1024)
    ... except Incomplete as exc:
    ...     print(exc.cause)
    connection refused
    """
    deadline_at = time.monotonic() + deadline
    stop = threading.Event()
    box: dict = {}
    done = threading.Event()

    def work() -> None:
        try:
            box["answer"] = _read(session, url, params, timeout=timeout, deadline_at=deadline_at,
                                  max_bytes=max_bytes, stop=stop, box=box)
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=work, name="macroattr-fred-request", daemon=True)
    worker.start()
    if not done.wait(max(0.0, deadline_at - time.monotonic()) + 0.05):
        stop.set()
        resp = box.get("resp")
        if resp is not None:
            try:  # wake a read blocked on the socket (urllib3's public shutdown)
                resp.raw.shutdown()
            except (AttributeError, ValueError, OSError):
                pass
        raise Deadline("body" if resp is not None else "headers")
    if "error" in box:
        raise box["error"]
    return box["answer"]
