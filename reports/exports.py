"""Exports of a rendered report: PDF, one PNG per chart, and an Excel workbook of its tables.

* **PDF** and **PNG** are printed / captured from the report's own HTML by headless Chromium
  (Debian's ``chromium``, driven by Playwright, no browser download), so they show exactly what
  the page shows. The page may not touch the network while it is printed: every request other
  than the file itself is refused.
* **Excel** (openpyxl): one sheet per table of the page, plus the whole quarterly attribution of
  the fit (``attribution``: the same rows and columns as ``macroattr attribution --freq Q``), a
  wide sheet of means and HDIs, coefficients and provenance.

Every file is written atomically (temp file + rename); :func:`export_report` builds all of a
quarter's files in a temp folder and moves them into place only when every one is complete.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from macroattr.core.errors import InputError
from macroattr.core.io import atomic_path

__all__ = ["FORMATS", "parse_formats", "export_pdf", "export_pngs", "export_xlsx", "chromium_path"]

#: Formats ``macroattr report --format`` accepts.
FORMATS = ("html", "pdf", "png", "xlsx")
#: Chromium flags for a headless, offline, container-safe print.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-default-apps", "--disable-extensions"]
#: Width (CSS px) of the page when charts are captured: a 16:9 slide's content width.
PNG_WIDTH = 1200
PNG_SCALE = 2
#: Style added to the page before charts are captured: no text alternative, no toolbar.
PNG_CSS = ("figure.chart figcaption, .modebar-container { display: none !important; } "
           "figure.chart { background: #fff; padding: 8px 12px; }")


def parse_formats(text: str) -> list[str]:
    """``"html,pdf"`` -> ``["html", "pdf"]``; an unknown format is an :class:`InputError`.

    Examples
    --------
    >>> parse_formats("PDF, html,png")
    ['pdf', 'html', 'png']
    """
    out = [f.strip().lower() for f in str(text).split(",") if f.strip()]
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        raise InputError(f"--format {text!r}: unknown format {', '.join(bad) or '(none)'}; "
                         f"use a comma-separated list of {', '.join(FORMATS)}")
    return list(dict.fromkeys(out))


def chromium_path() -> str:
    """The system Chromium's path; :class:`InputError` saying how to install it if absent.

    Examples
    --------
    >>> chromium_path().endswith("chromium") or chromium_path()   # doctest: +SKIP
    True
    """
    exe = os.environ.get("MACROATTR_CHROMIUM") or shutil.which("chromium") \
        or shutil.which("chromium-browser")
    if not exe:
        raise InputError("PDF and PNG exports need Chromium: install Debian's 'chromium' "
                         "package (make browser) or set MACROATTR_CHROMIUM to its path")
    return exe


class _Browser:
    """One headless Chromium page on a local file, offline."""

    def __init__(self, html: Path, width: int = PNG_WIDTH, scale: int = 1):
        self.html, self.width, self.scale = Path(html), width, scale

    def __enter__(self):
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(executable_path=chromium_path(),
                                                     args=CHROMIUM_ARGS)
        except Exception as exc:  # noqa: BLE001 - a broken browser install is the user's to fix
            self._pw.stop()
            raise InputError(f"could not start Chromium for the export ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0]}); check `chromium --version`") from None
        ctx = self._browser.new_context(viewport={"width": self.width, "height": 900},
                                        device_scale_factor=self.scale,
                                        service_workers="block")
        page = ctx.new_page()
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
            ("file://", "data:", "blob:", "about:")) else r.abort())
        page.goto(self.html.resolve().as_uri(), wait_until="load")
        n = page.locator(".plotly-graph-div").count()
        if n:
            page.wait_for_function(
                f"document.querySelectorAll('.plotly-graph-div .main-svg').length >= {n}",
                timeout=30_000)
        self.page = page
        return self

    def __exit__(self, *exc):
        self._browser.close()
        self._pw.stop()


#: Set when the caller of an export was interrupted: the worker stops at the next chart.
_STOP = threading.Event()


def _off_loop(fn):
    """Run ``fn`` in a worker thread: Playwright's sync API refuses a thread with a running
    asyncio loop (a Jupyter kernel, a test session that already drives a browser)."""
    import functools
    from concurrent.futures import ThreadPoolExecutor

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        _STOP.clear()
        with ThreadPoolExecutor(1, thread_name_prefix="macroattr-export") as ex:
            try:
                return ex.submit(fn, *args, **kwargs).result()
            except BaseException:  # SIGTERM / Ctrl-C in the caller: the worker stops too
                _STOP.set()
                raise

    return wrapper


@_off_loop
def export_pdf(html: str | os.PathLike[str], target: str | os.PathLike[str] | None = None) -> Path:
    """Print a rendered report to PDF (A4, print stylesheet, backgrounds kept).

    Returns the PDF's path (default: the HTML's with ``.pdf``).
    """
    html = Path(html)
    target = Path(target) if target else html.with_suffix(".pdf")
    # lay the page out at A4's printable width (210 - 2 x 12 mm = 186 mm = 703 CSS px), so
    # plotly sizes every chart to the paper, not to a screen
    with _Browser(html, width=703) as b:
        b.page.emulate_media(media="print")
        # pin every chart to its printed width: a responsive chart re-lays itself out on the
        # resize events printing fires, and shrinks
        b.page.evaluate("""() => Promise.all(Array.from(document.querySelectorAll(
            '.plotly-graph-div')).map(d => Plotly.relayout(d, {autosize: false,
            width: d.parentElement.clientWidth})))""")
        data = b.page.pdf(format="A4", print_background=True, outline=True, tagged=True,
                          margin={"top": "14mm", "bottom": "14mm", "left": "12mm",
                                  "right": "12mm"})
    with atomic_path(target) as tmp:
        Path(tmp).write_bytes(data)
        Path(tmp).chmod(0o644)
    return target


@_off_loop
def export_pngs(html: str | os.PathLike[str], out_dir: str | os.PathLike[str] | None = None,
                ) -> list[Path]:
    """One PNG per chart of a rendered report, ``<report>_<chart>.png`` (2x pixel density,
    the chart's heading included), for slides. Returns the paths in page order."""
    html = Path(html)
    out_dir = Path(out_dir) if out_dir else html.parent
    out: list[Path] = []
    with _Browser(html, width=PNG_WIDTH, scale=PNG_SCALE) as b:
        figs = b.page.locator("figure.chart")
        b.page.add_style_tag(content=PNG_CSS)
        for i in range(figs.count()):
            if _STOP.is_set():
                raise InputError("PNG capture stopped: the export was interrupted")
            fig = figs.nth(i)
            chart_id = (fig.get_attribute("id") or f"fig-{i}").removeprefix("fig-")
            target = out_dir / f"{html.stem}_{chart_id}.png"
            fig.scroll_into_view_if_needed()
            data = fig.screenshot(type="png", animations="disabled")
            with atomic_path(target) as tmp:
                Path(tmp).write_bytes(data)
                Path(tmp).chmod(0o644)
            out.append(target)
    return out


def _sheet_name(name: str, used: set[str]) -> str:
    base = "".join(ch for ch in name if ch not in '[]:*?/\\')[:31] or "sheet"
    out, i = base, 2
    while out.lower() in used:
        out = f"{base[:28]}_{i}"
        i += 1
    used.add(out.lower())
    return out


def wide_with_intervals(attribution: pd.DataFrame, labels: dict[str, str] | None = None,
                        ) -> pd.DataFrame:
    """Periods as rows; per component three columns: mean, HDI low, HDI high (pp).

    Examples
    --------
    >>> t = pd.DataFrame({"period": ["2024Q3"] * 2, "component": ["rates", "total"],
    ...                   "mean": [1.0, 2.0], "hdi_low": [0.5, 2.0], "hdi_high": [1.5, 2.0]})
    >>> list(wide_with_intervals(t).columns)
    ['period', 'rates', 'rates HDI low', 'rates HDI high', 'total']
    """
    labels = labels or {}
    t = attribution.assign(period=attribution["period"].astype(str))
    periods = list(pd.unique(t["period"]))
    out = pd.DataFrame({"period": periods})
    if "complete" in t.columns:
        out["complete"] = t.groupby("period", sort=False)["complete"].first().reindex(periods) \
            .to_numpy()
    for comp in pd.unique(t["component"]):
        sub = t[t["component"] == comp].set_index("period").reindex(periods)
        name = labels.get(comp, comp)
        out[name] = sub["mean"].to_numpy()
        if comp != "total":
            out[f"{name} HDI low"] = sub["hdi_low"].to_numpy()
            out[f"{name} HDI high"] = sub["hdi_high"].to_numpy()
    return out


def export_xlsx(content, target: str | os.PathLike[str], fit: Any = None) -> Path:
    """An Excel workbook of the report's tables (and, given the fit, its whole quarterly
    attribution): ``attribution`` (tidy, as the CSV), ``attribution wide`` (means and HDIs per
    component), then every table of the page (headline, months, trailing quarters,
    coefficients, explained share, diagnostics, series, ...) and the factor definitions."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheets: list[tuple[str, str, pd.DataFrame]] = []
    labels = getattr(content, "labels", {}) or {}
    if fit is not None:
        attr = fit.attribution(freq="Q", hdi=0.9)
        sheets.append(("attribution", "Quarterly attribution over the fit span (pp, 90% HDI); "
                       "complete = False for a quarter the data cover only in part", attr))
        sheets.append(("attribution wide", "Quarterly attribution, one row per quarter: mean and "
                       "90% HDI per component (pp)", wide_with_intervals(attr, labels)))
    for key, table in content.tables.items():
        if table.frame is not None:
            sheets.append((key, table.caption, table.frame))
    for sec in getattr(content, "sections", []) or []:
        for key, table in sec.tables.items():
            if table.frame is not None:
                sheets.append((key, table.caption, table.frame))
    factors = pd.DataFrame(content.provenance.get("factors") or [])
    if not factors.empty:
        sheets.append(("factors", "Factor definitions: label, id, group, unit, FRED ids, span",
                       factors))
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for name, caption, frame in sheets:
        ws = wb.create_sheet(_sheet_name(name, used))
        ws.append(list(map(str, frame.columns)))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in frame.itertuples(index=False):
            ws.append([_cell(v) for v in row])
        for i, col in enumerate(frame.columns, start=1):
            fmt = number_format(frame, col)
            if name == "attribution wide" and fmt:
                fmt = "0.00"  # every number of the wide sheet is pp
            if fmt:
                for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = fmt
        ws.freeze_panes = "A2"
        for i, col in enumerate(frame.columns, start=1):
            width = max([len(str(col))] + [len(str(v)) for v in frame[col].head(200)]) + 2
            ws.column_dimensions[get_column_letter(i)].width = min(60, width)
        ws.sheet_properties.tabColor = "0072B2" if name.startswith("attribution") else None
        # the caption as the sheet's header text (shown when printing), not as a data row
        ws.oddHeader.center.text = caption[:250]
    about = wb.create_sheet(_sheet_name("about", used), 0)
    about.append(["item", "value"])
    for cell in about[1]:
        cell.font = Font(bold=True)
    for k, v in [("report", content.title), ("quarter", content.quarter),
                 ("data to", content.freshness.get("data_to", "–")),
                 ("limited by", content.freshness.get("limited_by", "–")),
                 ("model", content.model.get("line", "–")),
                 ("convergence gate", "passed" if content.gate["passed"] else "FAILED"),
                 ("rendered", content.rendered_at),
                 ("units", "pp = percentage points of log relative return unless a column "
                           "says otherwise")]:
        about.append([k, v])
    about.column_dimensions["A"].width = 18
    about.column_dimensions["B"].width = 100
    _text_stays_text(wb)
    with atomic_path(Path(target)) as tmp:
        wb.save(tmp)
        Path(tmp).chmod(0o644)
    return Path(target)


def _text_stays_text(wb) -> None:  # noqa: ANN001 - an openpyxl Workbook
    """Every cell of every sheet (headers, labels, captions, the about sheet) whose text a
    spreadsheet would run as a formula (:func:`macroattr.core.io.formula_like`: ``= + - @``,
    tab, CR) is stored as text with Excel's quote prefix: shown as typed, never evaluated,
    not even after the cell is edited."""
    from macroattr.core.io import formula_like

    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if formula_like(cell.value):
                    cell.data_type = "s"
                    cell.quotePrefix = True


_PP_COLUMNS = ("mean", "median", "hdi_low", "hdi_high", "observed", "total", "effect", "sd")


def number_format(frame: pd.DataFrame, col: Any) -> str | None:
    """The Excel number format of a column: pp to 2 decimals (``0.00``), shares as
    percentages (``0.0"%"`` on values already in percent), other floats to 3 decimals;
    integers, dates and text as they are.

    Examples
    --------
    >>> t = pd.DataFrame({"component": ["rates"], "mean": [-8.485e-05], "unit": ["pp"]})
    >>> number_format(t, "mean"), number_format(t, "component")
    ('0.00', None)
    >>> number_format(pd.DataFrame({"mean": [1.6], "unit": ["%"]}), "mean")
    '0.0"%"'
    """
    s = frame[col]
    if not pd.api.types.is_float_dtype(s):
        return None
    name = str(col).lower()
    units = set(frame["unit"].astype(str)) if "unit" in frame.columns else set()
    if units == {"%"} or "share" in name or name.startswith("p_") or "%" in name:
        return '0.0"%"' if units == {"%"} or "%" in name else "0.0%"
    if units == {"pp"} or (not units and (name in _PP_COLUMNS or " hdi " in f" {name} "
                                          or name.endswith(("hdi low", "hdi high")))):
        return "0.00"
    return "0.000"


def _cell(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, (pd.Timestamp,)):
        return v.to_pydatetime()
    if hasattr(v, "item") and getattr(v, "ndim", 1) == 0:
        v = v.item()
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, (list, tuple, dict)):
        return str(v)
    return v


def export_report(fit, quarter: str, out_dir: str | os.PathLike[str],
                  formats: Iterable[str] = ("html",), *, scenarios: Any = None,
                  progress: Callable[[str], None] | None = None, other: Any = None,
                  other_label: str = "") -> dict[str, list[Path]]:
    """Render a quarter and write the formats asked for; returns ``{format: [paths]}``.

    HTML is always written (PDF and PNG are printed from it). All or nothing: every file is
    made in a temp folder inside ``out_dir`` and moved into place only when all are complete
    (:func:`macroattr.reports.render.publish_report`).
    """
    from macroattr.reports.content import report_content
    from macroattr.reports.render import check_out_dir, publish_report

    formats = list(formats)
    say = progress or (lambda _line: None)
    out_dir = Path(out_dir)
    check_out_dir(out_dir)
    say(f"composing {quarter}")
    content = report_content(fit, quarter, scenarios=scenarios, other=other,
                             other_label=other_label)
    made: dict[str, list[Path]] = {}

    def build(html: Path) -> list[Path]:  # in the staging folder, beside the staged page
        if "pdf" in formats:
            say("printing PDF")
            made["pdf"] = [export_pdf(html)]
        if "png" in formats:
            say("capturing charts as PNG")
            made["png"] = export_pngs(html)
        if "xlsx" in formats:
            say("writing Excel workbook")
            made["xlsx"] = [export_xlsx(content, html.with_suffix(".xlsx"), fit)]
        return [p for fmt in ("pdf", "png", "xlsx") for p in made.get(fmt, [])]

    paths = publish_report(content, out_dir, build)
    final = {p.name: p for p in paths}
    written: dict[str, list[Path]] = {"html": [paths[0]]}
    for fmt, staged in made.items():
        written[fmt] = [final[p.name] for p in staged]
    return written
