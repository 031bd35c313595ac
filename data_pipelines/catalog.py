"""The factor catalog: every factor a panel can hold, with group, unit and provenance.

Groups follow the design: ``rates``, ``inflation``, ``leverage``, ``political``. Units are those of
the panel column: ``pp`` = percentage points of the underlying rate (a +25 bp move is 0.25),
``log change`` = natural-log change of an index level (0.10 ≈ +10%), ``0/1`` for event indicators.

``first_date`` gives the first period each factor can be built from the embedded snapshot, per
frequency (``M`` = month-end label, ``D`` = trading day); a panel reports the actual spans it found.

Examples
--------
>>> from macroattr.data_pipelines import catalog
>>> catalog.get("d_2y").group
'rates'
>>> catalog.DEFAULT_FACTORS
('d_2y', 'd_policy_path', 'cpi_surprise', 'd_baa_spread', 'dlog_epu')
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import pandas as pd

from macroattr.data_pipelines.errors import InputError

__all__ = ["DEFAULT_FACTORS", "FACTORS", "GROUPS", "FactorSpec", "event_spec", "get", "resolve", "table"]

GROUPS = ("rates", "inflation", "leverage", "political")


@dataclass(frozen=True)
class FactorSpec:
    """One catalog entry."""

    name: str
    group: str
    unit: str
    description: str
    fred_ids: tuple[str, ...]
    first_date: dict[str, str] = field(default_factory=dict)
    default: bool = False

    def to_dict(self) -> dict:
        """JSON-serialisable form (used in panel metadata)."""
        d = asdict(self)
        d["fred_ids"] = list(self.fred_ids)
        return d


FACTORS: dict[str, FactorSpec] = {
    f.name: f
    for f in (
        FactorSpec(
            "d_2y", "rates", "pp",
            "Change in the 2-year Treasury yield, month-end to month-end (daily: close to close).",
            ("DGS2",), {"M": "1988-01-31", "D": "1987-12-03"}, True),
        FactorSpec(
            "d_policy_path", "rates", "pp",
            "Change in the expected policy path: 6-month Treasury yield minus the effective fed "
            "funds rate (DGS6MO - DFF; monthly before 1994 DGS6MO - FEDFUNDS monthly average). "
            "With a fed-funds-futures file: change in the implied rate 100 - price.",
            ("DGS6MO", "DFF", "FEDFUNDS"), {"M": "1988-01-31", "D": "1994-01-04"}, True),
        FactorSpec(
            "cpi_surprise", "inflation", "pp",
            "CPI surprise: CPIAUCSL m/m % change minus a real-time AR(1) forecast fitted on the "
            "previous 120 released m/m changes, dated in the month (daily: on the day) the print was "
            "released; first releases and real release days when the FRED store holds CPIAUCSL vintages, "
            "else one vintage and an approximate release day; with a consensus file, actual minus consensus.",
            ("CPIAUCSL",), {"M": "1988-01-31", "D": "1987-12-02"}, True),
        FactorSpec(
            "d_breakeven_5y", "inflation", "pp",
            "Change in the 5-year breakeven inflation rate (T5YIE); from 2003, opt-in.",
            ("T5YIE",), {"M": "2003-02-28", "D": "2003-01-03"}, False),
        FactorSpec(
            "d_baa_spread", "leverage", "pp",
            "Change in Moody's Baa corporate spread over the 10-year Treasury (BAA10Y month-end "
            "from 1994-10; BAA10YM monthly average before).",
            ("BAA10Y", "BAA10YM"), {"M": "1988-01-31", "D": "1994-10-04"}, True),
        FactorSpec(
            "dlog_epu", "political", "log change",
            "Log change in the news-based economic policy uncertainty index (monthly USEPUINDXM; "
            "daily USEPUINDXD).",
            ("USEPUINDXM", "USEPUINDXD"), {"M": "1988-01-31", "D": "1987-12-03"}, True),
    )
}

DEFAULT_FACTORS: tuple[str, ...] = tuple(n for n, f in FACTORS.items() if f.default)
_EVENT_LABEL = re.compile(r"^[a-z][a-z0-9_]*$")


def event_spec(label: str) -> FactorSpec:
    """Catalog entry for the indicator ``event_<label>`` built from an events file.

    Examples
    --------
    >>> event_spec("election_2024").name
    'event_election_2024'
    """
    return FactorSpec(f"event_{label}", "political", "0/1",
                      f"Indicator of the '{label}' event(s) from the user's events file "
                      "(monthly: 1 in the month containing the event; daily: 1 on its trading day).",
                      (), {}, False)


def get(name: str) -> FactorSpec:
    """Return the catalog entry for ``name`` (InputError listing the known names if unknown).

    Examples
    --------
    >>> get("dlog_epu").unit
    'log change'
    """
    try:
        return FACTORS[name]
    except KeyError:
        raise InputError(
            f"unknown factor {name!r}; known factors: {', '.join(FACTORS)} "
            "(plus event_<label> from --events-csv)"
        ) from None


def resolve(factors: str | list[str] | tuple[str, ...] | None, event_labels: list[str] = ()) -> list[str]:
    """Validate a factor selection (list or comma-separated string); ``None`` = defaults + events.

    Examples
    --------
    >>> resolve("d_2y, dlog_epu")
    ['d_2y', 'dlog_epu']
    """
    events = [f"event_{lab}" for lab in event_labels]
    if factors is None:
        return list(DEFAULT_FACTORS) + events
    names = [n.strip() for n in factors.split(",")] if isinstance(factors, str) else list(factors)
    names = [n for n in names if n]
    if not names:
        raise InputError("empty factor list; name at least one factor (see `macroattr data factors`)")
    out = []
    for n in names:
        if n.startswith("event_") and n not in FACTORS:
            if n not in events:
                raise InputError(
                    f"unknown factor {n!r}: no such label in the events file "
                    f"({', '.join(events) or 'no --events-csv given'})"
                )
        else:
            get(n)
        if n in out:
            raise InputError(f"factor {n!r} is listed twice; name each factor once")
        out.append(n)
    return out


def table() -> pd.DataFrame:
    """The catalog as a DataFrame (one row per factor).

    Examples
    --------
    >>> table().loc["cpi_surprise", "group"]
    'inflation'
    """
    rows = []
    for f in FACTORS.values():
        rows.append({"factor": f.name, "group": f.group, "unit": f.unit, "default": f.default,
                     "first_monthly": f.first_date.get("M", ""), "first_daily": f.first_date.get("D", ""),
                     "fred_ids": ",".join(f.fred_ids), "description": f.description})
    return pd.DataFrame(rows).set_index("factor")
