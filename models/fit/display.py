"""Notebook display of attribution tables.

:class:`AttributionTable` is the tidy attribution table of :meth:`models.Fit.attribution`
(a :class:`pandas.DataFrame` with the same rows and columns) whose HTML view in Jupyter is
the wide table an economist reads: one row per period, one column per component, each cell
the posterior mean with its highest-density interval underneath, the unit in the caption, and
a loud banner when the fit failed the convergence gate. Filtering or slicing keeps the rich
view; anything that drops the tidy columns falls back to pandas' own display.
"""

from __future__ import annotations

import html
import pandas as pd

__all__ = ["AttributionTable"]

_NEEDED = ("period", "component", "mean", "hdi_low", "hdi_high")
_MAX_PERIODS = 16


def _num(v: float) -> str:
    return f"{v:+.2f}"


class AttributionTable(pd.DataFrame):
    """A tidy attribution table with a wide, interval-aware HTML view.

    It is a DataFrame: ``to_csv``, ``query``, boolean masks and ``.loc`` work as usual and
    return an ``AttributionTable``. ``attrs`` carries ``hdi`` (probability of the intervals)
    and ``gate`` (the convergence-gate line) / ``gate_passed``.

    Parameters
    ----------
    data
        Tidy rows: period, component, mean, median, hdi_low, hdi_high, unit.
    hdi
        HDI probability of ``hdi_low``/``hdi_high``.
    gate, gate_passed
        The fit's convergence-gate line and verdict (``None`` when unchecked).

    Examples
    --------
    >>> t = AttributionTable.from_frame(pd.DataFrame({
    ...     "period": ["2024Q3", "2024Q3"], "component": ["rates", "total"],
    ...     "mean": [1.0, 2.5], "median": [1.0, 2.5], "hdi_low": [0.4, 2.5],
    ...     "hdi_high": [1.6, 2.5], "unit": ["pp", "pp"]}), hdi=0.9)
    >>> "+0.40 .. +1.60" in t._repr_html_()
    True
    >>> "partial period" in t.assign(complete=False)._repr_html_()
    True
    >>> type(t[t["component"] == "rates"]).__name__
    'AttributionTable'
    """

    @property
    def _constructor(self) -> type[AttributionTable]:
        return AttributionTable

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, hdi: float = 0.9, gate: str | None = None,
                   gate_passed: bool | None = None) -> AttributionTable:
        """Wrap a tidy attribution DataFrame (no copy of meaning: same rows and columns)."""
        out = cls(frame)
        out.attrs.update({"macroattr": "attribution", "hdi": float(hdi), "gate": gate,
                          "gate_passed": gate_passed})
        return out

    def wide(self, stat: str = "mean") -> pd.DataFrame:
        """Periods as rows, components as columns, values of ``stat`` (mean, median,
        hdi_low or hdi_high) in the table's unit.

        Examples
        --------
        >>> t = AttributionTable.from_frame(pd.DataFrame({
        ...     "period": ["2024Q3"], "component": ["rates"], "mean": [1.0], "median": [1.0],
        ...     "hdi_low": [0.4], "hdi_high": [1.6], "unit": ["pp"]}))
        >>> float(t.wide().loc["2024Q3", "rates"])
        1.0
        """
        frame = pd.DataFrame(self)
        periods = list(pd.unique(frame["period"].astype(str)))
        comps = list(pd.unique(frame["component"].astype(str)))
        w = frame.assign(period=frame["period"].astype(str)).pivot(
            index="period", columns="component", values=stat)
        return w.reindex(index=periods, columns=comps)

    def _repr_html_(self) -> str | None:  # noqa: D401 - IPython hook
        if not set(_NEEDED) <= set(self.columns) or len(self) == 0:
            return pd.DataFrame(self)._repr_html_()
        frame = pd.DataFrame(self)
        frame = frame.assign(period=frame["period"].astype(str),
                             component=frame["component"].astype(str))
        if frame.duplicated(["period", "component"]).any():
            return pd.DataFrame(self)._repr_html_()
        periods = list(pd.unique(frame["period"]))
        comps = list(pd.unique(frame["component"]))
        if "total" in comps:  # observed relative return last
            comps = [c for c in comps if c != "total"] + ["total"]
        shown = periods[-_MAX_PERIODS:]
        idx = frame.set_index(["period", "component"])
        units = sorted(set(frame["unit"].astype(str))) if "unit" in frame else ["pp"]
        hdi = self.attrs.get("hdi")
        pct = f"{round(100 * hdi)}% HDI" if hdi else "HDI"
        esc = html.escape
        from macroattr.data_pipelines.catalog import label_of

        head = "".join(f"<th style='text-align:right' title='{esc(c)}'>{esc(label_of(c))}</th>"
                       for c in comps)
        partial = set()
        if "complete" in frame.columns:
            partial = set(frame.loc[~frame["complete"].astype(bool), "period"])
        body = []
        for p in shown:
            mark = ("<br><small style='color:#b00020'>partial period</small>" if p in partial
                    else "")
            cells = [f"<th style='text-align:left'>{esc(p)}{mark}</th>"]
            for c in comps:
                if (p, c) not in idx.index:
                    cells.append("<td>–</td>")
                    continue
                r = idx.loc[(p, c)]
                lo, hi = float(r["hdi_low"]), float(r["hdi_high"])
                band = "" if c == "total" or abs(hi - lo) < 1e-12 else (
                    f"<br><small style='color:#666'>{_num(lo)} .. {_num(hi)}</small>")
                strong = c == "total" or lo > 0 or hi < 0
                val = _num(float(r["mean"]))
                val = f"<b>{val}</b>" if strong else val
                cells.append(f"<td style='text-align:right'>{val}{band}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        more = (f"<p><small>showing the last {len(shown)} of {len(periods)} periods; "
                "select others with <code>.query(\"period == '…'\")</code></small></p>"
                if len(shown) < len(periods) else "")
        banner = ""
        if self.attrs.get("gate_passed") is False:
            line = str(self.attrs.get("gate") or "convergence gate: FAILED")
            banner = (f"<p style='color:#c00;font-weight:bold'>{esc(line)} — do not publish "
                      "these numbers.</p>")
        caption = (f"Attribution, {esc(', '.join(units))}: posterior mean, {pct} below; "
                   "bold = interval excludes 0 (total = observed)"
                   + ("; a partial period is one the data cover only in part" if partial
                      else ""))
        return (f"<div class='macroattr-attribution'>{banner}<table>"
                f"<caption style='caption-side:top;text-align:left'>{caption}</caption>"
                f"<thead><tr><th>period</th>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
                f"</table>{more}</div>")
