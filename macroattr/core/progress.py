"""Progress of long jobs: a bar on a terminal, periodic plain lines otherwise.

A scheduled job or a log file gets lines like::

    fit: 40% (400/1000 draws), elapsed 0:00:12, ETA 0:00:18

at most every ``every`` seconds (and at 100%), so a 5-minute fit says where it is without
flooding the log. On a terminal the same calls drive a rich progress bar on stderr. The
class lives in the lowest layer so every stage (panel, fit, report, app) can use it.

Examples
--------
>>> import io
>>> out = io.StringIO()
>>> with Progress(4, "demo", stream=out, every=0, tty=False) as p:
...     for _ in range(4):
...         p.advance(1)
>>> out.getvalue().splitlines()[-1].startswith("demo: 100% (4/4)")
True
"""

from __future__ import annotations

import sys
import time
from typing import IO

__all__ = ["Progress", "format_duration", "sampler_progress", "silence", "silenced"]

_SILENT = [False]


def silence(on: bool = True) -> None:
    """Silence (or restore) every progress report of this process: ``--quiet``."""
    _SILENT[0] = bool(on)


def silenced() -> bool:
    """True while progress reports are silenced (:func:`silence`)."""
    return _SILENT[0]


def format_duration(seconds: float) -> str:
    """``h:mm:ss`` for a number of seconds.

    Examples
    --------
    >>> format_duration(3725.4)
    '1:02:05'
    """
    s = max(0, int(round(seconds)))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class Progress:
    """Count work done out of ``total`` and report it.

    Parameters
    ----------
    total
        Units of work (draws, quarters, tasks).
    what
        Label of the job (``"fit"``, ``"report"``).
    unit
        Name of a unit, shown in plain lines (``"draws"``).
    stream
        Where to write (default stderr).
    every
        Seconds between plain lines (the last line, at 100%, is always written).
    tty
        Force a bar (True) or plain lines (False); default: a bar when ``stream`` is a terminal.
    enabled
        False silences everything (e.g. a one-item loop).
    """

    def __init__(self, total: int, what: str = "progress", *, unit: str = "",
                 stream: IO[str] | None = None, every: float = 10.0, tty: bool | None = None,
                 enabled: bool = True):
        self.total = max(1, int(total))
        self.what, self.unit = what, unit
        self.stream = stream if stream is not None else sys.stderr
        self.every = float(every)
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)()) if tty is None else tty
        self.enabled = enabled and not _SILENT[0]
        self.done = 0
        self._start = self._last = 0.0
        self._bar = self._task = None

    def __enter__(self) -> Progress:
        self._start = time.monotonic()
        self._last = self._start
        if self.enabled and self.tty:
            from rich.console import Console
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress,
                                       TimeElapsedColumn, TimeRemainingColumn)

            self._bar = RichProgress("[progress.description]{task.description}", BarColumn(),
                                     MofNCompleteColumn(), TimeElapsedColumn(),
                                     TimeRemainingColumn(),
                                     console=Console(file=self.stream), transient=False)
            self._bar.start()
            self._task = self._bar.add_task(self.what, total=self.total)
        return self

    def line(self, note: str = "") -> str:
        """The plain progress line for the current count."""
        elapsed = time.monotonic() - self._start
        frac = min(1.0, self.done / self.total)
        eta = elapsed * (1 - frac) / frac if frac > 0 else float("nan")
        unit = f" {self.unit}" if self.unit else ""
        text = (f"{self.what}: {frac:.0%} ({self.done}/{self.total}{unit}), elapsed "
                f"{format_duration(elapsed)}, ETA "
                f"{format_duration(eta) if eta == eta else '?'}")
        return text + (f" - {note}" if note else "")

    def update(self, done: int, note: str = "") -> None:
        """Set the count of finished units."""
        self.done = min(self.total, max(0, int(done)))
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done,
                             description=f"{self.what} {note}".strip())
            return
        now = time.monotonic()
        if self.done >= self.total or now - self._last >= self.every:
            self._last = now
            print(self.line(note), file=self.stream, flush=True)

    def note(self, text: str) -> None:
        """A line about the job (a failed task, a retry): above the bar on a terminal, a
        plain line otherwise; nothing when disabled or silenced."""
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=self.stream, flush=True)

    def advance(self, n: int = 1, note: str = "") -> None:
        """Add ``n`` finished units."""
        self.update(self.done + n, note)

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()


def sampler_progress(what: str = "fit", stream: IO[str] | None = None, every: float = 10.0):
    """What to pass as a fit's ``progress``: a ``progress(done, total)`` callable driving a
    :class:`Progress` (a bar on a terminal, plain lines every ``every`` seconds otherwise;
    the samplers' own bars are never used, so every job shows the same progress), or
    ``False`` when progress is silenced.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> cb = sampler_progress("fit", stream=out, every=0)
    >>> cb(500, 2000); cb(2000, 2000)
    >>> out.getvalue().splitlines()[0].startswith("fit: 25% (500/2000 draws), elapsed")
    True
    """
    if _SILENT[0]:
        return False
    stream = stream if stream is not None else sys.stderr
    state: dict[str, Progress] = {}

    def report(done: int, total: int) -> None:
        p = state.get("p")
        if p is None or p.total != max(1, int(total)):
            if p is not None:
                p.__exit__(None, None, None)
            p = state["p"] = Progress(total, what, unit="draws", stream=stream,
                                      every=every).__enter__()
        if p.done < p.total:
            p.update(done)
            if p.done >= p.total:
                p.__exit__(None, None, None)

    return report
