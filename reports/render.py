"""Render a fit's quarterly report and the index of rendered quarters to HTML.

Each report is one self-contained HTML file: the stylesheet and plotly's
JavaScript are inlined once, charts are plotly figures, tables download as CSV
data URIs, and a content-security policy forbids any request from the page.
Every file is written atomically (temp file + rename).
"""

from __future__ import annotations

import datetime as _dt
import functools
import importlib.metadata
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from macroattr.core.errors import InputError
from macroattr.core.io import atomic_path
from macroattr.reports.charts import chart_div, plotly_js_for

__all__ = ["render_report", "render_index", "check_out_dir", "DEFAULT_OUT_DIR", "MANIFEST_NAME"]

#: Where reports go unless told otherwise (relative to the working directory).
DEFAULT_OUT_DIR = Path("reports/build")
#: The JSON manifest kept beside the reports so the index can be rebuilt.
MANIFEST_NAME = "reports.json"
_MANIFEST_VERSION = 2


def _bytecode_cache():
    """Jinja's compiled templates kept between processes in its per-user temp folder (0.1 s of
    every page otherwise; a changed template is recompiled, Jinja checks the source's hash).
    A cache that cannot be made or written is skipped, never an error."""
    import jinja2

    class QuietCache(jinja2.FileSystemBytecodeCache):
        def dump_bytecode(self, bucket) -> None:  # noqa: ANN001 - jinja's signature
            try:
                super().dump_bytecode(bucket)
            except OSError:  # full disk, read-only temp: compile again next time
                pass

    try:
        return QuietCache()
    except (OSError, RuntimeError):  # no safe per-user temp folder
        return None


@functools.lru_cache(maxsize=1)
def _env():
    import jinja2

    from macroattr.reports.tables import pp, sign_class, whole_dates

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("macroattr.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters["pp"] = pp            # +1.23 / -0.50 / 0.00
    env.filters["sign"] = sign_class  # pos / neg / zero (neutral)
    env.filters["whole_dates"] = whole_dates  # an ISO date never split across lines
    return env


@functools.lru_cache(maxsize=1)
def _css() -> str:
    from importlib.resources import files

    return files("macroattr.reports").joinpath("static/report.css").read_text(encoding="utf-8")


def _version() -> str:
    try:
        return importlib.metadata.version("macroattr")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


def check_out_dir(out_dir: Path) -> None:
    """Create ``out_dir`` if needed; :class:`InputError` when it cannot be written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> check_out_dir(pathlib.Path(tempfile.mkdtemp()) / "reports")
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"output directory {out_dir} is a file; pass --out a directory")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create output directory {out_dir}: "
                         f"{exc.strerror or exc}; choose a writable --out") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise InputError(f"output directory {out_dir} is not writable; choose a writable --out")


#: The page's own sections, in order: (id, table-of-contents name). Sections added by other
#: modules (``ReportContent.sections``: model check, scenarios, event windows) go after the
#: predictive fit, before the diagnostics.
CORE_SECTIONS = [("headline", "Headline"), ("waterfall", "Waterfall"), ("monthly", "Months"),
                 ("trailing", "Trailing quarters"), ("cumulative", "Cumulative"),
                 ("coefficients", "Coefficients"), ("ppc", "Predictive fit")]
TAIL_SECTIONS = [("diagnostics", "Diagnostics"), ("provenance", "Data"), ("model", "Model")]


def page_sections(content) -> list[dict[str, str]]:
    """The sections of a report page in order: ``{id, nav, template}``; one include each."""
    out = [{"id": i, "nav": n, "template": f"sections/{i}.html.j2"} for i, n in CORE_SECTIONS]
    if getattr(content, "analysis", None):  # scenarios and event windows (reports.analysis)
        out += [{"id": "scenarios", "nav": "Scenarios", "template": "_scenarios.html.j2"},
                {"id": "events", "nav": "Event windows", "template": "_events.html.j2"}]
    for sec in getattr(content, "sections", []) or []:
        out.append({"id": sec.id, "nav": sec.title, "template": f"sections/{sec.template}",
                    "section": sec})
    out += [{"id": i, "nav": n, "template": f"sections/{i}.html.j2"} for i, n in TAIL_SECTIONS]
    return out


def _all_charts(content) -> dict[str, Any]:
    charts = dict(content.charts)
    for sec in getattr(content, "sections", []) or []:
        charts.update(sec.charts)
    return charts


def render_report(fit, quarter: str = "latest", out_dir: str | os.PathLike[str] = DEFAULT_OUT_DIR,
                  *, scenarios: str | os.PathLike[str] | None = None, other: Any = None,
                  other_label: str = "") -> Path:
    """Render one quarter of a fit to ``out_dir/<quarter>.html`` (the default model; any other
    model: ``<quarter>-<model>.html``, :func:`page_name`) and refresh the index.

    Parameters
    ----------
    fit
        A :class:`models.Fit`, or the path of a fit saved as NetCDF.
    quarter
        ``"2024Q3"`` or ``"latest"`` (the last complete quarter in the fit's span).
    out_dir
        Output directory (created if needed); also receives ``index.html`` and the
        ``reports.json`` manifest.
    scenarios
        Scenario TOML for the scenarios and event-window sections (default: the shipped
        standard set, :mod:`macroattr.models.analysis.scenarios`).
    other, other_label
        A fit of the other shipped model and its name, shown beside each scenario effect.

    Returns
    -------
    pathlib.Path
        The report's path.

    Raises
    ------
    InputError
        A quarter outside the fit's span, a file that is not a fit, an unwritable
        output directory. No partial file is left behind.

    Examples
    --------
    >>> from macroattr.models import load_fit                                  # doctest: +SKIP
    >>> render_report(load_fit("fit.nc"), "latest", "reports/build") # doctest: +SKIP
    PosixPath('reports/build/2024Q3.html')
    """
    from macroattr.reports.content import check_is_fit, report_content
    from macroattr.models.plotting.figures import component_colour

    if isinstance(fit, (str, os.PathLike)):
        from macroattr.models import load_fit

        fit = load_fit(fit)
    check_is_fit(fit)
    out_dir = Path(out_dir)
    check_out_dir(out_dir)
    content = report_content(fit, quarter, scenarios=scenarios, other=other,
                             other_label=other_label)
    return write_report(content, out_dir)


def write_report(content, out_dir: str | os.PathLike[str] = DEFAULT_OUT_DIR) -> Path:
    """Write a composed report (:func:`reports.content.report_content`) and refresh the index.

    The file is ``<quarter>.html`` for the default model, ``<quarter>-<model>.html`` for
    any other (:func:`page_name`): one page and one index row per quarter and whole model
    (frequency, betas, likelihood, method, factors by group), never a silent replacement.
    """
    return publish_report(content, out_dir)[0]


def page_html(content) -> str:
    """The report page of a composed report (inline scripts not yet pinned)."""
    from macroattr.models.plotting.figures import component_colour

    names = [c["name"] for c in content.headline["components"]]
    colours = {n: component_colour(n, names) for n in names}
    return _env().get_template("report.html.j2").render(
        c=content, css=_css_markup(), page_sections=page_sections(content),
        plotly_js=_markup(plotly_js_for(ch.figure for ch in _all_charts(content).values())),
        colours=colours,
        plots={k: chart_div(ch) for k, ch in _all_charts(content).items()},
        versions={"macroattr": _version()},
    )


def publish_report(content, out_dir: str | os.PathLike[str] = DEFAULT_OUT_DIR,
                   build: Callable[[Path], list[Path]] | None = None) -> list[Path]:
    """Write the page and the exports ``build(staged_html)`` makes beside it, all or nothing.

    Everything is first written into a temp folder inside ``out_dir``
    (:func:`macroattr.core.io.staging_dir`); only when the page and every export are complete
    are they moved into ``out_dir`` (renames, with SIGTERM held back for those few
    milliseconds), the manifest recorded and the index rebuilt. Chromium missing or failing,
    a full disk, an interruption midway: ``out_dir`` is left as it was and the temp folder
    removed. Returns the final paths, the page first.
    """
    from macroattr.core.io import sigterm_held, staging_dir

    out_dir = Path(out_dir)
    check_out_dir(out_dir)
    html = page_html(content)
    entry = content.manifest_entry()
    with staging_dir(out_dir) as stage:
        staged = stage / page_name(entry)
        try:
            _write_public(staged, html)
            extra = list(build(staged)) if build is not None else []
        except InputError as exc:  # name the place the user gave, not the temp folder
            raise InputError(str(exc).replace(f"{stage}{os.sep}", f"{out_dir}{os.sep}")) from None
        moved: list[Path] = []

        def commit(target: Path) -> None:
            os.replace(staged, target)
            for p in extra:
                os.replace(p, out_dir / p.name)
                moved.append(out_dir / p.name)

        with sigterm_held():
            target = _record(out_dir, entry, commit)
            render_index(out_dir)
    return [target, *moved]


def _markup(text: str):
    from markupsafe import Markup

    return Markup(text)


def _css_markup():
    return _markup(_css())


def _read_manifest(out_dir: Path) -> dict[str, Any]:
    path = out_dir / MANIFEST_NAME
    if not path.exists():
        return {"version": _MANIFEST_VERSION, "reports": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data.get("reports"), dict):
            raise ValueError("no 'reports' mapping")
    except (OSError, ValueError, AttributeError) as exc:
        raise InputError(f"report manifest {path} is unreadable ({exc}); delete it and "
                         f"re-render the quarters you need") from None
    return data


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "model"


def _entry_key(entry: dict[str, Any]) -> str:
    return f"{entry['quarter']} {entry.get('model', '')}".strip()


def _slug_hash(model: str) -> str:
    """A file-name part for a model key: its frequency/betas/likelihood/method slug, plus a
    short hash of the whole key when it also names factors (so two factor sets never
    share a file)."""
    import hashlib

    base, _, factors = model.partition(";")
    slug = _slug(base)
    if factors.strip():
        slug += "-" + hashlib.sha256(model.encode("utf-8")).hexdigest()[:8]
    return slug


def page_name(entry: dict[str, Any]) -> str:
    """The file of a quarter's page: ``<quarter>.html`` for the default model
    (``configs/default.toml``), ``<quarter>-<model>.html`` for any other, whatever the
    order in which models are rendered.

    Examples
    --------
    >>> page_name({"quarter": "2024Q4", "model": "monthly static normal exact",
    ...            "default_model": False})
    '2024Q4-monthly-static-normal-exact.html'
    >>> page_name({"quarter": "2024Q4", "model": "x", "default_model": True})
    '2024Q4.html'
    """
    q = entry["quarter"]
    if entry.get("default_model"):
        return f"{q}.html"
    return f"{q}-{_slug_hash(str(entry.get('model', '')))}.html"


def _record(out_dir: Path, entry: dict[str, Any], write) -> Path:
    """Under the manifest's lock: write the page to its own file (:func:`page_name`) with
    ``write(path)`` and record the entry, one per quarter and whole model. Entries of
    other models are kept; an entry of an older manifest whose file is the one this page
    now owns (another model's page written as ``<quarter>.html`` before pages were keyed
    by the whole model) moves to its own name first."""
    from filelock import FileLock

    with FileLock(str(out_dir / f".{MANIFEST_NAME}.lock")):
        data = _read_manifest(out_dir)
        reports = data["reports"]
        key = _entry_key(entry)
        name = page_name(entry)
        for k, e in list(reports.items()):
            if k == key:
                continue
            held = e.get("file", f"{k}.html")
            if held != name:
                continue
            if "model" not in e:  # manifest v1: the same page rendered again, replaced
                del reports[k]
                continue
            own = page_name({"quarter": e["quarter"], "model": e["model"]})
            if own != name and (out_dir / held).exists():
                os.replace(out_dir / held, out_dir / own)
            reports[k] = e | {"file": own}
        stale = reports.get(key, {}).get("file")
        target = out_dir / name
        write(target)
        if stale and stale != name and (out_dir / stale).exists():
            (out_dir / stale).unlink()
        data["version"] = _MANIFEST_VERSION
        reports[key] = entry | {"file": name}
        _write_public(out_dir / MANIFEST_NAME, json.dumps(data, indent=2, sort_keys=True))
    return target


def render_index(out_dir: str | os.PathLike[str] = DEFAULT_OUT_DIR) -> Path:
    """Rebuild ``out_dir/index.html`` from the manifest of rendered quarters.

    Quarters whose HTML file has been deleted are left out.

    Parameters
    ----------
    out_dir
        The reports directory.

    Returns
    -------
    pathlib.Path
        The index's path.

    Examples
    --------
    >>> import tempfile
    >>> render_index(tempfile.mkdtemp()).name
    'index.html'
    """
    out_dir = Path(out_dir)
    check_out_dir(out_dir)
    data = _read_manifest(out_dir)
    entries = [e for k, e in data["reports"].items()
               if (out_dir / e.get("file", f"{k}.html")).exists()]
    for e in entries:
        e.setdefault("model", "–")
    entries.sort(key=lambda e: (e["quarter"], e["model"]), reverse=True)
    components: list[str] = []
    labels: dict[str, str] = {}
    for e in entries:
        e["by_name"] = {c["name"]: c for c in e.get("components", [])}
        labels.update(e.get("labels") or {})
        for name in e["by_name"]:
            if name not in components:
                components.append(name)
    # alpha first, residual last, groups in first-seen order between
    components = ([c for c in components if c == "alpha"]
                  + [c for c in components if c not in ("alpha", "residual")]
                  + [c for c in components if c == "residual"])
    charts = _index_charts(entries, labels)
    html = _env().get_template("index.html.j2").render(
        entries=entries, components=components, css=_css_markup(), labels=labels,
        charts=charts, plotly_js=_markup(plotly_js_for([c.figure for c in charts]))
        if charts else "", plots={c.id: chart_div(c) for c in charts},
        models=sorted({e["model"] for e in entries}),
        rendered_at=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        manifest_name=MANIFEST_NAME, version=_version(),
    )
    target = out_dir / "index.html"
    _write_public(target, html)
    return target


def _index_charts(entries: list[dict[str, Any]], labels: dict[str, str]) -> list[Any]:
    """One chart per model: the headline attribution of each rendered quarter (stacked
    contributions with the observed total), oldest quarter first."""
    import pandas as pd

    from macroattr.models.plotting import figures
    from macroattr.reports.content import HDI_PROB, Chart

    charts = []
    models = sorted({e["model"] for e in entries})
    for i, model in enumerate(models):
        mine = sorted((e for e in entries if e["model"] == model), key=lambda e: e["quarter"])
        rows = []
        for e in mine:
            for c in e.get("components", []):
                rows.append({"period": e["quarter"], "component": c["name"], "mean": c["mean_pp"],
                             "hdi_low": c["hdi_low_pp"], "hdi_high": c["hdi_high_pp"],
                             "unit": "pp"})
            rows.append({"period": e["quarter"], "component": "total", "mean": e["total_pp"],
                         "hdi_low": e["total_pp"], "hdi_high": e["total_pp"], "unit": "pp"})
        if not rows:
            continue
        table = pd.DataFrame(rows)
        quarters = [e["quarter"] for e in mine]
        title = f"Headline attribution of the rendered quarters, {model} (pp)"
        alt = "Stacked contributions per rendered quarter: " + " | ".join(
            f"{e['quarter']}: total {e['total_pp']:+.2f} pp" for e in mine) + "."
        charts.append(Chart(f"over-quarters-{i}", title, alt, figures.stacked_contributions.spec(
            table, quarters, title=title, hdi=HDI_PROB, labels=labels)))
    return charts


def _fill(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _write_public(target: Path, text: str) -> None:
    """Write atomically, readable by everyone (reports are published; the temp file of
    :func:`atomic_path` is private until renamed). A failed write leaves the previous
    file untouched and becomes a one-line :class:`InputError`."""
    try:
        if target.suffix.lower() == ".html":
            from macroattr.reports.csp import pin_scripts

            text = pin_scripts(text)  # CSP: hashes of our inline scripts, no 'unsafe-inline'
        with atomic_path(target) as tmp:
            _fill(tmp, text)
            tmp.chmod(0o644)
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}; free some space or "
                         f"choose another --out (the previous file, if any, is unchanged)") from None
