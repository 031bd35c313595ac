"""Plain tables for the report: formatting for display and CSV data-URI downloads."""

from __future__ import annotations

import math
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["csv_data_uri", "flatten", "fmt", "pp", "sign_class", "whole_dates", "display_rows", "wide_attribution",
           "column_label", "reader_frame"]


def pp(value: float, digits: int = 2) -> str:
    """A signed number for the page: ``+1.23``, ``-0.50``; a value that rounds to zero is
    ``0.00`` (no sign).

    Examples
    --------
    >>> pp(1.234), pp(-0.5), pp(-0.004)
    ('+1.23', '-0.50', '0.00')
    """
    return fmt(float(value), digits, signed=True)


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?: UTC)?)?")


def whole_dates(text: object) -> Any:
    """HTML of a table cell with each ISO date (and time) kept on one line: the browser and
    the PDF never break ``1994-10-03`` at a hyphen.

    Examples
    --------
    >>> str(whole_dates("2026-12-01 (snapshot) <b>"))
    '<span class="n">2026-12-01</span> (snapshot) &lt;b&gt;'
    """
    from markupsafe import Markup, escape

    s = str(text)
    out, last = [], 0
    for m in _ISO_DATE.finditer(s):
        out += [str(escape(s[last:m.start()])), f'<span class="n">{m.group(0)}</span>']
        last = m.end()
    out.append(str(escape(s[last:])))
    return Markup("".join(out))


def sign_class(value: float, digits: int = 2) -> str:
    """CSS class of a shown number: ``pos``, ``neg``, or ``zero`` (neutral) when it rounds
    to zero at ``digits``.

    Examples
    --------
    >>> sign_class(0.5), sign_class(-0.004), sign_class(-2.0)
    ('pos', 'zero', 'neg')
    """
    v = round(float(value), digits)
    return "zero" if v == 0 else "pos" if v > 0 else "neg"


_HEADERS = {"hdi_low": "HDI low", "hdi_high": "HDI high", "r_hat": "R-hat", "ess_bulk": "ESS bulk",
            "ess_tail": "ESS tail", "mcse_mean": "MCSE mean", "series_id": "series id",
            "fred_ids": "FRED ids", "component_id": "component id", "factor_id": "factor id",
            "group_id": "group id"}


def column_label(name: str) -> str:
    """A table header as a reader sees it (the CSV keeps the column's id): underscores become
    spaces, so a header wraps between words instead of overflowing.

    Examples
    --------
    >>> column_label("hdi_low"), column_label("static_hdi_low"), column_label("mean")
    ('HDI low', 'static HDI low', 'mean')
    >>> column_label("hac_ols_mean")
    'HAC OLS mean'

    """
    name = str(name)
    if name in _HEADERS:
        return _HEADERS[name]
    words = [_HEADERS.get(w, w) for w in name.split("_")]
    text = " ".join(words)
    for k, v in (("hdi low", "HDI low"), ("hdi high", "HDI high"), ("r hat", "R-hat"),
                 ("ess bulk", "ESS bulk"), ("ess tail", "ESS tail"), ("lpds", "LPDS"),
                 ("hac ols", "HAC OLS"), ("min ess", "min ESS")):
        text = text.replace(k, v)
    return text


_ID_COLUMNS = ("component", "factor", "group")


def reader_frame(frame: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """The table with reader labels in its ``component``/``factor``/``group`` columns and the
    ids kept in ``<column>_id`` columns at the end (what the page, CSV and Excel show).

    Examples
    --------
    >>> t = pd.DataFrame({"component": ["leverage", "total"], "mean": [1.0, 2.0]})
    >>> reader_frame(t, {"leverage": "Credit (leverage)"}).values.tolist()
    [['Credit (leverage)', 1.0, 'leverage'], ['Observed total', 2.0, 'total']]
    """
    from macroattr.data_pipelines.catalog import display_label

    out = frame.copy()
    for col in _ID_COLUMNS:
        if col in out.columns and f"{col}_id" not in out.columns:
            ids = out[col].astype(str)
            out[col] = [labels.get(i) or display_label(i) for i in ids]
            out[f"{col}_id"] = ids.to_numpy()
    return out


def csv_data_uri(table: pd.DataFrame) -> str:
    """Encode a table as a ``data:text/csv`` URI, so a page can offer it as a download.

    Examples
    --------
    >>> import pandas as pd
    >>> csv_data_uri(pd.DataFrame({"a": [1], "b": ["x y"]}))
    'data:text/csv;charset=utf-8,a%2Cb%0A1%2Cx%20y%0A'
    """
    from macroattr.core.io import csv_safe

    # group names (config) and series titles (FRED) are text cells: no formulas in a download
    text = csv_safe(table).to_csv(index=False, lineterminator="\n")
    return "data:text/csv;charset=utf-8," + urllib.parse.quote(text, safe="")


def fmt(value: Any, digits: int = 2, *, signed: bool = False) -> str:
    """Format a number for a table cell; other values become text, missing ones a dash.

    Examples
    --------
    >>> fmt(1.23456), fmt(-0.5, signed=True), fmt(None), fmt(1200.0, 0), fmt(-0.001, signed=True)
    ('1.23', '-0.50', '–', '1200', '0.00')
    """
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and math.isnan(value):
            return "–"
        if isinstance(value, int):
            return str(value)
        if round(value, digits) == 0:  # a zero is 0.00: no sign, no "-0.00"
            return f"{0.0:.{digits}f}"
        return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):  # numpy scalars
        return fmt(value.item(), digits, signed=signed)
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt(v, digits) for v in value)
    return str(value)


def display_rows(table: pd.DataFrame, digits: int | Mapping[str, int] = 3) -> list[list[str]]:
    """Rows of a DataFrame as formatted strings (the template escapes them).

    Examples
    --------
    >>> import pandas as pd
    >>> display_rows(pd.DataFrame({"x": ["a"], "r_hat": [1.00412]}))
    [['a', '1.004']]
    """
    out = []
    for row in table.itertuples(index=False):
        cells = []
        for col, value in zip(table.columns, row, strict=True):
            d = digits.get(col, 3) if isinstance(digits, Mapping) else digits
            cells.append(fmt(value, d))
        out.append(cells)
    return out


def flatten(obj: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Flatten nested mappings/lists into ``(dotted.key, text)`` pairs for a key/value table.

    Examples
    --------
    >>> flatten({"priors": {"beta": {"dist": "Normal", "sigma": 1.0}}, "seed": 7})
    [('priors.beta.dist', 'Normal'), ('priors.beta.sigma', '1.0'), ('seed', '7')]
    """
    rows: list[tuple[str, str]] = []
    if isinstance(obj, Mapping):
        if not obj and prefix:
            rows.append((prefix, "–"))
        for key, value in obj.items():
            rows.extend(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(obj, (list, tuple)) and any(isinstance(v, (Mapping, list, tuple)) for v in obj):
        for i, value in enumerate(obj):
            rows.extend(flatten(value, f"{prefix}[{i}]"))
    elif isinstance(obj, (list, tuple)):
        rows.append((prefix, ", ".join(str(v) for v in obj) if obj else "–"))
    else:
        rows.append((prefix, "–" if obj is None else str(obj)))
    return rows


def wide_attribution(attribution: pd.DataFrame, components: list[str], *,
                     labels: Mapping[str, str] | None = None,
                     complete: Mapping[str, bool] | None = None,
                     ) -> tuple[list[str], list[list[dict[str, str]]]]:
    """Periods as rows, components as columns: each cell the mean and its HDI (pp).

    Returns the header (component labels) and rows of cells
    ``{"mean": "+0.12", "hdi": "-0.30 to +0.55"}``; the first cell of a row is the period,
    marked "(partial)" when ``complete`` says the data cover it only in part.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"period": ["2024Q3"] * 2, "component": ["rates", "total"],
    ...                   "mean": [1.0, 2.0], "hdi_low": [0.5, 2.0], "hdi_high": [1.5, 2.0]})
    >>> header, rows = wide_attribution(t, ["rates", "total"])
    >>> rows[0][1]
    {'mean': '+1.00', 'hdi': '+0.50 to +1.50', 'component': 'rates'}
    """
    table = attribution.assign(period=attribution["period"].astype(str))
    periods = [str(p) for p in pd.unique(table["period"])]
    indexed = table.set_index(["period", "component"])
    labels = labels or {}
    complete = complete or {}
    rows = []
    for p in periods:
        partial = complete.get(p) is False
        row: list[dict[str, str]] = [{"mean": p, "hdi": "partial period" if partial else ""}]
        for c in components:
            if (p, c) not in indexed.index:
                row.append({"mean": "–", "hdi": "", "component": c})
                continue
            r = indexed.loc[(p, c)]
            exact = c == "total" or abs(float(r["hdi_high"]) - float(r["hdi_low"])) < 1e-12
            row.append({"mean": fmt(float(r["mean"]), 2, signed=True),
                        "hdi": "" if exact else
                        f"{fmt(float(r['hdi_low']), 2, signed=True)} to "
                        f"{fmt(float(r['hdi_high']), 2, signed=True)}",
                        "component": c})
        rows.append(row)
    return ["period", *[labels.get(c, c) for c in components]], rows
