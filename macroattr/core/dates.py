"""Dates and periods given by a user (options, config keys, API arguments): the one parser.

ISO only, in pandas' range. :func:`parse_date` reads a day; :func:`parse_period` a span
written as a period (``2022Q2``, ``2022-06``, ``2022``), a day, or a range ``A:B`` of those
(a replay window, a backtest start or end).

``05/06/2024`` is May 6 to some and 5 June to others; reading it either way silently could
shift a real-time cut-off by a month (a look-ahead risk), so only ISO 8601 calendar dates are
accepted: ``YYYY-MM-DD``, or ``YYYY-MM`` / ``YYYY`` for the first day of a month or year.
Dates outside what pandas can hold (1677-09-22 to 2262-04-11) are refused with one line.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd

from macroattr.core.errors import InputError

__all__ = ["ISO_HINT", "PERIOD_HINT", "parse_date", "parse_period", "period_bounds"]

ISO_HINT = "use an ISO date YYYY-MM-DD, e.g. 2024-06-05"
_NUMERIC = re.compile(r"^\d{1,4}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{1,4}$")
_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_QUARTER = re.compile(r"^(\d{4})[qQ]([1-4])$")
PERIOD_HINT = "like 2022Q2, 2022-06, 2022, 2024-07-10 or 2024-07-10:2024-07-16"


def parse_date(value: Any, what: str = "date", *, required: bool = False) -> pd.Timestamp | None:
    """``value`` as a midnight Timestamp; None for None or ``""`` (an error if ``required``).

    Strings must be ISO (``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY``); ``date``/``datetime``/
    ``Timestamp`` objects are taken as they are. Anything else, or a date pandas cannot
    hold, is a one-line :class:`~macroattr.core.errors.InputError` naming ``what``.

    Examples
    --------
    >>> parse_date("2024-06-05", "--as-of")
    Timestamp('2024-06-05 00:00:00')
    >>> parse_date("05/06/2024", "--as-of")
    Traceback (most recent call last):
    ...
    macroattr.core.errors.InputError: --as-of '05/06/2024' is not a date in ISO form: its day/month order is ambiguous; use an ISO date YYYY-MM-DD, e.g. 2024-06-05
    >>> parse_date("2300-01-01", "--end")
    Traceback (most recent call last):
    ...
    macroattr.core.errors.InputError: --end 2300-01-01 is outside the dates pandas can hold (1677-09-22 to 2262-04-11); give a date in that range
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InputError(f"{what} is missing; {ISO_HINT}")
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):  # e.g. TOML date literals
        value = value.date() if isinstance(value, dt.datetime) else value
        value = value.isoformat()
    text = str(value).strip()
    m = _ISO.match(text)
    if not m:
        if _NUMERIC.match(text):  # 05/06/2024: May 6 or 5 June? never guess
            raise InputError(f"{what} {text!r} is not a date in ISO form: its day/month order is "
                             f"ambiguous; {ISO_HINT}")
        raise InputError(f"{what} {text!r} is not a date; {ISO_HINT}")
    y, mo, d = int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)
    try:
        day = dt.date(y, mo, d)
    except ValueError:
        raise InputError(f"{what} {text!r} is not a date (no such day); {ISO_HINT}") from None
    if not (pd.Timestamp.min.date() < day < pd.Timestamp.max.date()):
        raise InputError(f"{what} {text} is outside the dates pandas can hold (1677-09-22 to "
                         "2262-04-11); give a date in that range")
    return pd.Timestamp(day)


def _one_period(text: str, what: str) -> tuple[pd.Timestamp, pd.Timestamp, str]:
    q = _QUARTER.match(text)
    if q:
        p = pd.Period(f"{q.group(1)}Q{q.group(2)}", freq="Q")
        return p.start_time.normalize(), p.end_time.normalize(), str(p)
    m = _ISO.match(text)
    if m and m.group(3) is None:  # YYYY-MM or YYYY: the whole month or year
        first = parse_date(text, what)
        assert first is not None
        p = pd.Period(first, freq="M" if m.group(2) else "Y")
        return p.start_time.normalize(), p.end_time.normalize(), str(p)
    if not m and not _NUMERIC.match(text):
        raise InputError(f"{what} {text!r} is not a period {PERIOD_HINT}")
    day = parse_date(text, what)  # refuses 05/06/2024 (ambiguous) with its own line
    assert day is not None
    return day, day, f"{day:%Y-%m-%d}"


def parse_period(value: Any, what: str = "period") -> tuple[pd.Timestamp, pd.Timestamp, str]:
    """First day, last day and label of a span: ``2022Q2``, ``2022-06``, ``2022``, a day
    ``2024-07-10``, or a range ``A:B`` of those (from A's first day to B's last).

    Every day in it is read by :func:`parse_date` (ISO only; ``05/06/2024`` is refused as
    ambiguous); anything else is a one-line :class:`~macroattr.core.errors.InputError`
    naming ``what``.

    Examples
    --------
    >>> s, e, label = parse_period("2022Q2", "--replay")
    >>> f"{s:%Y-%m-%d} {e:%Y-%m-%d} {label}"
    '2022-04-01 2022-06-30 2022Q2'
    >>> parse_period("2024-07-10:2024-07-16")[2]
    '2024-07-10 to 2024-07-16'
    >>> parse_period("05/06/2024:07/06/2024", "--replay")
    Traceback (most recent call last):
    ...
    macroattr.core.errors.InputError: --replay '05/06/2024' is not a date in ISO form: its day/month order is ambiguous; use an ISO date YYYY-MM-DD, e.g. 2024-06-05
    """
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        day = parse_date(value, what)
        assert day is not None
        return day, day, f"{day:%Y-%m-%d}"
    text = str(value).strip()
    if not text:
        raise InputError(f"{what} is empty; give a period {PERIOD_HINT}")
    if ":" in text:
        a, _, b = (x.strip() for x in text.partition(":"))
        if not a or not b or ":" in b:
            raise InputError(f"{what} {text!r} is not a range A:B of periods {PERIOD_HINT}")
        s, _, la = _one_period(a, what)
        _, e, lb = _one_period(b, what)
        if e < s:
            raise InputError(f"{what} {text!r} ends before it starts; give START:END")
        return s, e, f"{s:%Y-%m-%d} to {e:%Y-%m-%d}"
    return _one_period(text, what)


def period_bounds(value: Any, what: str = "period") -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of :func:`parse_period`'s span.

    Examples
    --------
    >>> [str(t.date()) for t in period_bounds("2005Q1", "--start")]
    ['2005-01-01', '2005-03-31']
    """
    s, e, _ = parse_period(value, what)
    return s, e
