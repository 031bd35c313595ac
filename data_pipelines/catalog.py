"""The factor catalog: every factor a panel can hold, with group, unit and provenance.

Groups follow the design: ``rates``, ``inflation``, ``leverage``, ``political``, plus the opt-in
``market`` control (labelled "market (not macro)" wherever shown: :data:`GROUP_LABELS`). Factors
marked ``embeddable=False`` (the ICE BofA high-yield spread) come only from the user's FRED store:
ICE's terms forbid embedding them, and :func:`check_embeddable` refuses them at snapshot build.
Units are those of
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
('d_2y', 'mp_target', 'mp_path', 'cpi_surprise', 'd_baa_spread', 'd_rep_win_prob', 'dlog_epu')
>>> catalog.GROUP_LABELS["market"]
'market (not macro)'

"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import pandas as pd

from macroattr.core.errors import InputError

__all__ = ["COMPONENT_LABELS", "display_label", "DEFAULT_FACTORS", "FACTORS", "GROUPS", "GROUP_LABELS", "NON_MACRO_GROUPS", "FactorSpec", "check_embeddable", "event_spec", "get",
           "label_of", "resolve", "series_last_obs", "table"]

GROUPS = ("rates", "inflation", "leverage", "political", "market")
#: Reader-facing names of the catalog factors (``FactorSpec.label``); ids stay in provenance.
_LABELS = {
    "d_2y": "2-year Treasury yield",
    "mp_target": "FOMC target surprise",
    "mp_path": "FOMC path surprise",
    "d_policy_path": "Expected policy path",
    "cpi_surprise": "CPI surprise",
    "cpi_core_surprise": "Core CPI surprise",
    "d_rep_win_prob": "Republican win probability",
    "d_breakeven_5y": "5-year breakeven inflation",
    "d_baa_spread": "Baa corporate spread",
    "d_baa_aaa": "Baa minus Aaa spread",
    "d_hy_oas": "High-yield spread (OAS)",
    "dlog_epu": "Economic policy uncertainty",
    "mkt_return": "S&P 500 return (market control)",
}


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
    embeddable: bool = True  # False: FRED store only (licence forbids the snapshot)
    #: reader-facing name (reports and charts); ``name`` stays the id in provenance tables
    label: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", _LABELS.get(self.name, self.name))

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
            "mp_target", "rates", "pp",
            "FOMC target surprise: the 30-minute change in the current-month fed funds futures rate around "
            "each announcement (MP1, Kuttner scaling), on the announcement day (daily) or summed within "
            "the month (monthly), 0 elsewhere; after the embedded file ends (2025-12) from a user futures "
            "file (1-day change of 100 - price on announcement days). Missing surprises stay missing.",
            (), {"M": "1988-11-30", "D": "1988-11-08"}, True),
        FactorSpec(
            "mp_path", "rates", "pp",
            "FOMC path surprise: the 30-minute change in the 4th eurodollar/SOFR futures (about a year "
            "ahead) net of the target surprise (ED4 - b*MP1, b fitted on earlier announcements only), on "
            "the announcement day (daily) or summed within the month (monthly), 0 elsewhere.",
            (), {"M": "1988-11-30", "D": "1988-11-08"}, True),
        FactorSpec(
            "d_policy_path", "rates", "pp",
            "Yield-based expected policy path, opt-in: change in the 6-month minus the 3-month Treasury "
            "yield (DGS6MO - DGS3MO; no effective-funds-rate noise, unlike the former DGS6MO - DFF).",
            ("DGS6MO", "DGS3MO"), {"M": "1988-01-31", "D": "1987-12-03"}, False),
        FactorSpec(
            "cpi_surprise", "inflation", "pp",
            "CPI surprise: headline CPI m/m as first printed minus the market consensus (embedded "
            "ForexFactory / investing.com calendars, releases 2007-01..2026-08); where no consensus is held "
            "(all of 2019, some 2020-21 releases, before 2007) the CPIAUCSL m/m change minus a real-time "
            "AR(1) forecast fitted on the previous 120 released m/m changes, flagged per print; dated in the "
            "month (daily: on the day) the print was released: BLS release days 2004-2026 (embedded "
            "calendar), ALFRED first releases and release days when the FRED store holds CPIAUCSL vintages, "
            "an approximate rule otherwise (flagged); a user consensus file takes precedence.",
            ("CPIAUCSL",), {"M": "1988-01-31", "D": "1987-12-02"}, True),
        FactorSpec(
            "cpi_core_surprise", "inflation", "pp",
            "Core CPI surprise, opt-in: core CPI m/m as first printed minus the market consensus (same "
            "embedded calendars); the CPILFESL AR(1) surprise where no consensus is held, flagged per print; "
            "on the release day (daily) or in the release month (monthly).",
            ("CPILFESL",), {"M": "1988-01-31", "D": "1987-12-02"}, False),
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
            "d_baa_aaa", "leverage", "pp",
            "Change in the Moody's Baa minus Aaa corporate yield spread (monthly averages BAA - AAA; "
            "default-risk premium without the Treasury leg); monthly panels only, opt-in.",
            ("BAA", "AAA"), {"M": "1988-01-31"}, False),
        FactorSpec(
            "d_hy_oas", "leverage", "pp",
            "Change in the ICE BofA US high-yield option-adjusted spread (BAMLH0A0HYM2). FRED store only: "
            "ICE's terms forbid embedding it in the snapshot; run `macroattr data refresh --series "
            "BAMLH0A0HYM2` and use --source fred or auto. FRED now serves only about the last three years of "
            "ICE series, so such a panel starts about three years back. Opt-in.",
            ("BAMLH0A0HYM2",), {}, False, embeddable=False),
        FactorSpec(
            "d_rep_win_prob", "political", "pp",
            "Change in the market-implied probability that the Republican candidate wins the presidency "
            "(pp of probability), as of 20:00 ET on each session: Polymarket 2024 (daily 00:00 UTC snapshots, "
            "i.e. the previous evening), PredictIt 2020 (hourly; FiveThirtyEight's model only where no market "
            "quote exists), oddschecker 2016 (bookmaker margin removed), a user odds file (--odds-csv) first; "
            "summed within months; 0 outside the covered election cycles; each session's source recorded.",
            (), {"M": "1988-01-31", "D": "1987-12-02"}, True),
        FactorSpec(
            "dlog_epu", "political", "log change",
            "Log change in the news-based economic policy uncertainty index (monthly USEPUINDXM; "
            "daily USEPUINDXD).",
            ("USEPUINDXM", "USEPUINDXD"), {"M": "1988-01-31", "D": "1987-12-03"}, True),
        FactorSpec(
            "mkt_return", "market", "pp",
            "Market control (not macro), opt-in: the S&P 500's own log return, 100 x dlog (SPY "
            "dividend-adjusted from 1993, ^GSPC price index before), i.e. the target's large-cap leg; "
            "shows how much of a period is small caps' higher equity beta rather than macro news.",
            ("SPY", "^GSPC"), {"M": "1988-01-31", "D": "1987-12-03"}, False),
    )
}

#: Reader-facing names of the groups (reports, charts, notebook tables); ids stay in provenance.
GROUP_LABELS: dict[str, str] = {"rates": "rates", "inflation": "inflation",
                                "leverage": "credit (leverage)", "political": "political (elections, policy uncertainty)",
                                "market": "market (not macro)"}
#: Groups that are controls, never macro (the market's own move): no headline, explained
#: share, event share or index counts them as macro (``models.fit.components``).
NON_MACRO_GROUPS: tuple[str, ...] = ("market",)
NOT_EMBEDDABLE_PREFIXES = ("BAML",)  # ICE BofA indices: ICE's terms forbid redistribution


def check_embeddable(series_id: str) -> None:
    """Raise InputError when ``series_id`` may not be embedded in the snapshot (ICE BofA series).

    Examples
    --------
    >>> check_embeddable("BAA10Y")
    >>> check_embeddable("BAMLH0A0HYM2")
    Traceback (most recent call last):
    ...
    macroattr.core.errors.InputError: series BAMLH0A0HYM2 must not be embedded in the snapshot: ICE Data Indices' terms forbid redistributing ICE BofA series; read it from the FRED store (--source fred)
    """
    if str(series_id).upper().startswith(NOT_EMBEDDABLE_PREFIXES):
        raise InputError(f"series {series_id} must not be embedded in the snapshot: ICE Data Indices' terms "
                         "forbid redistributing ICE BofA series; read it from the FRED store (--source fred)")


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
                      (), {}, False, label=f"event: {label.replace('_', ' ')}")


def label_of(name: str) -> str:
    """Reader-facing name of a factor or group id; unknown ids come back unchanged.

    Examples
    --------
    >>> label_of("d_2y"), label_of("leverage"), label_of("event_election_2024"), label_of("x1")
    ('2-year Treasury yield', 'credit (leverage)', 'event: election 2024', 'x1')
    """
    if name in FACTORS:
        return FACTORS[name].label
    if name in GROUP_LABELS:
        return GROUP_LABELS[name]
    if name.startswith("event_") and _EVENT_LABEL.match(name[6:]):
        return f"event: {name[6:].replace('_', ' ')}"
    return name


#: Reader names of the attribution's own components (the trend of a state-space fit is
#: labelled by the report from the fit).
COMPONENT_LABELS: dict[str, str] = {"alpha": "alpha (constant)", "residual": "residual (unexplained)",
                                    "total": "observed total"}


def display_label(name: str) -> str:
    """The one reader label of a component, group or factor id, as the page, its tables,
    charts, CSV and Excel show it: :func:`label_of` (or the component's name) with a capital.

    Examples
    --------
    >>> display_label("leverage"), display_label("political"), display_label("total")
    ('Credit (leverage)', 'Political (elections, policy uncertainty)', 'Observed total')
    """
    text = COMPONENT_LABELS.get(name) or label_of(name)
    return text[:1].upper() + text[1:]


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


def series_last_obs(name: str) -> dict[str, str]:
    """Last observation of each embedded series a factor is built from (``{}``: FRED store only).

    Examples
    --------
    >>> series_last_obs("d_baa_spread")
    {'BAA10Y': '2026-09-30', 'BAA10YM': '2026-06-01'}
    >>> series_last_obs("mp_target")
    {'policy_surprises': '2026-07-29'}
    """
    from macroattr.data_pipelines.sources import snapshot_provenance

    spec = get(name)
    if not spec.embeddable:
        return {}
    if name in ("mp_target", "mp_path", "d_rep_win_prob") or name in ("cpi_surprise", "cpi_core_surprise"):
        from macroattr.data_pipelines.calendars import table_provenance

        tab = {"mp_target": "policy_surprises", "mp_path": "policy_surprises", "d_rep_win_prob": "election_odds",
               "cpi_surprise": "cpi_consensus", "cpi_core_surprise": "cpi_consensus"}[name]
        out = {tab: table_provenance().loc[tab, "last"]}
        if name.startswith("cpi"):
            prov = snapshot_provenance()
            out.update({sid: prov.loc[sid, "last"] for sid in spec.fred_ids if sid in prov.index})
        return out
    prov = snapshot_provenance()
    return {sid: prov.loc[sid, "last"] for sid in spec.fred_ids if sid in prov.index}


def table() -> pd.DataFrame:
    """The catalog as a DataFrame (one row per factor), with each input's last snapshot observation.

    Examples
    --------
    >>> table().loc["cpi_surprise", "group"]
    'inflation'
    >>> table().loc["d_hy_oas", "last_obs"]
    'FRED store only (ICE terms: not embeddable)'
    """
    rows = []
    for f in FACTORS.values():
        last = series_last_obs(f.name)
        rows.append({"factor": f.name, "group": f.group, "group_label": GROUP_LABELS.get(f.group, f.group),
                     "unit": f.unit, "default": f.default, "embeddable": f.embeddable,
                     "first_monthly": f.first_date.get("M", ""), "first_daily": f.first_date.get("D", ""),
                     "last_obs": ", ".join(f"{k} {v}" for k, v in last.items())
                     or "FRED store only (ICE terms: not embeddable)",
                     "fred_ids": ",".join(f.fred_ids), "description": f.description, "label": f.label})
    return pd.DataFrame(rows).set_index("factor")
