"""Dates given by a user (options, config keys, API arguments): ISO only, in pandas' range.

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

__all__ = ["ISO_HINT", "parse_date"]

ISO_HINT = "use an ISO date YYYY-MM-DD, e.g. 2024-06-05"
_NUMERIC = re.compile(r"^\d{1,4}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{1,4}$")
_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_date(value: Any, what: str = "date") -> pd.Timestamp | None:
    """``value`` as a midnight Timestamp; None for None or ``""``.

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
