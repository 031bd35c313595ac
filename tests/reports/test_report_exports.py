"""Exports (PDF, PNG per chart, Excel), the index per quarter and model, `report --all` with
its plain progress lines, and the CLI's help and version."""

from __future__ import annotations

import re
import shutil
import subprocess

import pandas as pd
import pytest

from tests.cli import one_line_error
from tests.cli import run_cli as run


def _pdf_text(path) -> tuple[int, str]:
    from pypdf import PdfReader

    pages = len(PdfReader(str(path)).pages)
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                              text=True, check=True).stdout
    else:
        text = "\n".join(p.extract_text() or "" for p in PdfReader(str(path)).pages)
    return pages, text


@pytest.mark.browser
def test_report_exports_pdf_pngs_and_workbook(exact_fit, fit_file, tmp_path, capsys, open_page):
    from PIL import Image

    from macroattr.reports.exports import PNG_CSS, PNG_SCALE, PNG_WIDTH

    out = tmp_path / "build"
    code, so, se = run(["report", "--fit", str(fit_file), "--quarter", "2024Q3",
                        "--format", "html,pdf,png,xlsx", "--out", str(out)], capsys)
    assert code == 0, se
    written = [p for p in so.split()]
    from tests.reports.conftest import static_page

    html = out / static_page("2024Q3")
    stem = html.stem
    assert str(html) in written and str(out / static_page("2024Q3", "pdf")) in written
    attr = exact_fit.attribution("Q").query("period == '2024Q3'").set_index("component")
    # PDF: several A4 pages, the headline number and title as text
    pages, text = _pdf_text(out / static_page("2024Q3", "pdf"))
    assert pages >= 3
    flat = " ".join(text.split())
    assert f"{attr.loc['total', 'mean']:+.2f} pp" in flat
    assert "attribution of 2024Q3" in flat and "Explained share" in flat
    # the note first: page 1 holds the headline cards (each label, mean and interval whole)
    from pypdf import PdfReader

    from macroattr.reports.tables import fmt, pp

    reader = PdfReader(str(out / static_page("2024Q3", "pdf")))
    import unicodedata

    def page_text(i: int) -> str:  # NFKC: the font's ligatures (fl, fi) back to letters
        return unicodedata.normalize("NFKC", reader.pages[i].extract_text() or "")

    from macroattr.data_pipelines.catalog import display_label

    first = " ".join(page_text(0).split())
    labels = {"alpha": "Alpha (constant)", "rates": "Rates", "inflation": "Inflation",
              "leverage": "Credit (leverage)", "political": display_label("political"),
              "residual": "Residual (unexplained)"}
    for comp, label in labels.items():
        r = attr.loc[comp]
        assert f"{label} {pp(r['mean'])} pp" in first, (comp, first[first.find("Alpha"):][:600])
        assert f"90% HDI {pp(r['hdi_low'])} to {pp(r['hdi_high'])} pp" in first, comp
    assert "excludes 0" not in first or all(
        pp(attr.loc[c, "mean"]) != "0.00" for c in labels)
    # no token broken across lines: every number of the headline table is whole in the
    # extracted text of the note's pages, in its row
    note = "\n".join(page_text(i) for i in range(2))
    lines = [" ".join(l.split()) for l in note.splitlines()]
    for comp, label in [*labels.items(), ("total", "Observed total")]:
        r = attr.loc[comp]
        cells = [fmt(float(r[k]), 2) for k in ("mean", "hdi_low", "hdi_high")]
        assert any(l.startswith(f"2024Q3 {label} ") and l.split(label)[1].split()[:3] == cells
                   for l in lines), (comp, cells, [l for l in lines if label in l])
    # and nowhere a date or a number split: no line ends in a digit-hyphen or starts a
    # fragment such as "-10-03"
    # (every page: the series and factor tables' first/last/available dates included)
    split = re.search(r"\b\d{4}-\s*\n\s*\d{2}-\d{2}|\b\d{4}-\d{2}-\s*\n\s*\d{2}\b", text)
    assert not split, text[max(split.start() - 80, 0):split.end() + 40]
    assert "▶" not in text and "▸" not in text  # no collapsed <details> printed
    # PNG: one per chart of the page, each the chart's own size at 2x
    page, _ = open_page(html, width=PNG_WIDTH)
    page.add_style_tag(content=PNG_CSS)
    figs = page.locator("figure.chart")
    ids = [figs.nth(i).get_attribute("id").removeprefix("fig-") for i in range(figs.count())]
    pngs = sorted(out.glob(f"{stem}_*.png"))
    assert sorted(p.stem.removeprefix(f"{stem}_") for p in pngs) == sorted(ids)
    for cid in ids:
        box = page.locator(f"#fig-{cid}").bounding_box()
        with Image.open(out / f"{stem}_{cid}.png") as im:
            im.verify()
        with Image.open(out / f"{stem}_{cid}.png") as im:
            assert im.format == "PNG"
            assert abs(im.width - box["width"] * PNG_SCALE) <= 2 * PNG_SCALE, (cid, im.size, box)
            assert abs(im.height - box["height"] * PNG_SCALE) <= 4 * PNG_SCALE, (cid, im.size, box)
    # Excel: the attribution sheet is the attribution CSV, row for row
    csv = tmp_path / "attr.csv"
    code, _, se = run(["attribution", "--fit", str(fit_file), "--freq", "Q", "--out", str(csv)],
                      capsys)
    assert code == 0, se
    sheet = pd.read_excel(out / static_page("2024Q3", "xlsx"), sheet_name="attribution")
    want = pd.read_csv(csv)
    assert list(sheet.columns) == list(want.columns)
    pd.testing.assert_frame_equal(sheet, want, check_dtype=False, atol=1e-6)
    book = pd.read_excel(out / static_page("2024Q3", "xlsx"), sheet_name=None)
    assert {"about", "attribution wide", "coefficients", "explained", "series", "factors"} \
        <= set(book)
    wide = book["attribution wide"].set_index("period")
    assert wide.loc["2024Q3", "Rates HDI low"] == pytest.approx(attr.loc["rates", "hdi_low"])


def test_report_format_rejects_unknown_formats(fit_file, tmp_path, capsys):
    code, so, se = run(["report", "--fit", str(fit_file), "--format", "html,docx",
                        "--out", str(tmp_path)], capsys)
    line = one_line_error(code, se)
    assert "docx" in line and "html, pdf, png, xlsx" in line
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.fixture(scope="module")
def default_fit_2024():
    """The default model (daily state space, exact) on 2023-2024: small and quick."""
    from macroattr.data_pipelines import build_panel
    from macroattr.models import ModelConfig, fit_model

    panel = build_panel(freq="D", start="2023-01-01", end="2024-12-31")
    return fit_model(panel, ModelConfig.default().override(draws=100))


@pytest.mark.parametrize("order", ["default first", "default last"])
def test_pages_are_keyed_by_the_whole_model_whatever_the_render_order(
        order, exact_fit, default_fit_2024, monthly_panel, tmp_path):
    """Two models of one quarter are two pages and two index rows; the plain <quarter>.html
    is the default model's in either order; a model on other factors is a third page."""
    import json

    from macroattr.models import fit_model
    from macroattr.reports import render_report
    from macroattr.reports.render import MANIFEST_NAME

    from tests.reports.conftest import exact_config, static_page

    fewer = fit_model(monthly_panel, exact_config().override(
        groups={"rates": ["d_2y"], "leverage": ["d_baa_spread"]}))
    fits = [exact_fit, fewer, default_fit_2024]
    if order == "default first":
        fits = fits[::-1]
    paths = {id(f): render_report(f, "2024Q3", tmp_path) for f in fits}
    again = render_report(exact_fit, "2024Q3", tmp_path)  # re-render: replaces its own page
    assert again == paths[id(exact_fit)]
    assert paths[id(default_fit_2024)].name == "2024Q3.html"
    assert paths[id(exact_fit)].name == static_page("2024Q3")
    other = paths[id(fewer)].name
    assert other.startswith("2024Q3-monthly-static-normal-exact-") and other != static_page("2024Q3")
    assert all(p.exists() for p in paths.values())
    # each page shows its own model's numbers
    for f, path in ((exact_fit, paths[id(exact_fit)]), (default_fit_2024, paths[id(default_fit_2024)])):
        total = f.attribution("Q").query("period == '2024Q3' and component == 'total'")["mean"].item()
        assert f'id="headline-total" data-value="{total:.6f}"' in path.read_text()
    entries = json.loads((tmp_path / MANIFEST_NAME).read_text())["reports"]
    models = sorted(e["model"] for e in entries.values() if e["quarter"] == "2024Q3")
    assert len(models) == 3 and len(set(e["file"] for e in entries.values())) == 3
    assert "monthly static normal exact" in models and "daily state_space normal exact" in models
    assert "monthly static normal exact; rates: d_2y, leverage: d_baa_spread" in models
    index = (tmp_path / "index.html").read_text()
    rows = re.findall(r'<tr data-quarter="2024Q3" data-model="([^"]+)">', index)
    assert sorted(rows) == models
    for p in paths.values():
        assert f'href="{p.name}"' in index
    # one headline-attribution chart per model
    assert len(re.findall(r'id="fig-over-quarters-\d"', index)) == 3
    # the explained share of each model's fit, as on its page
    share = exact_fit.summary.explained_share("M").iloc[0]
    assert f'data-explained="{share["mean"]:.6f}"' in index


def test_an_older_manifest_page_of_another_model_gives_the_plain_name_to_the_default(
        exact_fit, default_fit_2024, tmp_path):
    """A directory where a non-default model's page was written as <quarter>.html (before
    pages were keyed by the whole model): the default model takes the plain name, the other
    page moves to its own name, both stay listed."""
    import json

    from macroattr.reports import render_report
    from macroattr.reports.render import MANIFEST_NAME

    from tests.reports.conftest import static_page

    mine = render_report(exact_fit, "2024Q3", tmp_path)
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text())
    (key, entry), = manifest["reports"].items()
    entry.pop("default_model", None)
    entry["file"] = "2024Q3.html"
    mine.rename(tmp_path / "2024Q3.html")
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(manifest))
    default = render_report(default_fit_2024, "2024Q3", tmp_path)
    assert default.name == "2024Q3.html"
    assert (tmp_path / static_page("2024Q3")).is_file()
    assert "static betas" in (tmp_path / static_page("2024Q3")).read_text()
    files = sorted(e["file"] for e in json.loads((tmp_path / MANIFEST_NAME).read_text())["reports"].values())
    assert files == sorted(["2024Q3.html", static_page("2024Q3")])


def test_report_all_renders_every_quarter_with_plain_progress_lines(monthly_panel, tmp_path,
                                                                    capsys):
    from macroattr.models import fit_model

    from tests.reports.conftest import exact_config, static_page

    fit = fit_model(monthly_panel, exact_config(start="2024-07-01"))  # six quarters to render
    path = tmp_path / "short.nc"
    fit.save(str(path))
    code, so, se = run(["report", "--fit", str(path), "--all", "--out", str(tmp_path / "b")],
                       capsys)
    assert code == 0, se
    assert [p for p in so.split()] == [str(tmp_path / "b" / static_page(q)) for q in fit.quarters]
    n = len(fit.quarters)
    # not a terminal: plain lines with percent, count, elapsed time and ETA (no bar codes)
    lines = [ln for ln in se.splitlines() if ln.startswith("report: ")]
    assert lines and re.fullmatch(
        rf"report: 100% \({n}/{n} quarters\), elapsed \d+:\d\d:\d\d, ETA 0:00:00 - {fit.quarters[-1]}",
        lines[-1]), se
    assert "\x1b[" not in se


def test_progress_lines_in_a_captured_log():
    import io

    from macroattr.core.progress import Progress, sampler_progress

    log = io.StringIO()
    with Progress(3, "fit", unit="draws", stream=log, every=0, tty=False) as p:
        for _ in range(3):
            p.advance(1)
    lines = log.getvalue().splitlines()
    assert [ln.split(",")[0] for ln in lines] == ["fit: 33% (1/3 draws)", "fit: 67% (2/3 draws)",
                                                  "fit: 100% (3/3 draws)"]
    assert all(re.search(r"elapsed \d+:\d\d:\d\d, ETA \d+:\d\d:\d\d", ln) for ln in lines)
    quiet = io.StringIO()  # lines at most every `every` seconds, the last always
    cb = sampler_progress("fit", stream=quiet, every=3600)
    for done in range(0, 1001, 100):
        cb(done, 1000)
    assert len(quiet.getvalue().splitlines()) == 1  # only 100% within the hour


def test_help_has_no_type_noise_and_version_prints(capsys):
    code, so, _ = run(["report", "--help"], capsys)
    assert code == 0 and "<bool>" not in so and "<path>" not in so and "PATH" in so
    code, so, _ = run(["fit", "--help"], capsys)
    assert code == 0 and "<bool>" not in so and "--strict" in so
    import importlib.metadata

    code, so, _ = run(["--version"], capsys)
    assert code == 0 and so.strip() == f"macroattr {importlib.metadata.version('macroattr')}"


def test_compare_prints_elpd_to_its_precision(exact_fit, fit_file, monthly_panel, tmp_path, capsys):
    from macroattr.models import fit_model
    from macroattr.models.analysis.comparison import loo_row

    from tests.reports.conftest import exact_config

    other = fit_model(monthly_panel, exact_config(seed=3, draws=500))
    other_path = tmp_path / "other.nc"
    other.save(str(other_path))
    code, so, se = run(["compare", str(fit_file), str(other_path)], capsys)
    assert code == 0, se
    rows = {ln.split()[0]: ln for ln in so.splitlines()[2:]}
    for name, fit in (("fit", exact_fit), ("other", other)):
        elpd = loo_row(fit)["elpd_loo"]
        assert f"{elpd:.1f}" in rows[name].split(), (rows[name], elpd)  # not rounded to -1100


def test_fit_prints_plain_progress_lines_off_a_terminal(tmp_path, capsys):
    """A NUTS fit run from a log or a scheduled job (stderr not a terminal) says how far it is:
    nutpie's progress callback feeds plain lines, the last at 100% of tuning + draws."""
    out = tmp_path / "f.nc"
    from macroattr.configs import config_path

    code, so, se = run(["fit", "--config", str(config_path("static_monthly")), "--freq", "M",
                        "--draws", "200", "--tune", "200", "--chains", "2",
                        "--out", str(out)], capsys)
    assert code == 0, se
    lines = [ln for ln in se.splitlines() if ln.startswith("fit: ")]
    assert lines and re.fullmatch(r"fit: 100% \(800/800 draws\), elapsed \d+:\d\d:\d\d, "
                                  r"ETA 0:00:00", lines[-1]), se
    assert "\x1b[" not in se and "\r" not in se  # no terminal bar codes in a log


def test_run_passes_method_and_draws_through(tmp_path, capsys):
    from macroattr.models import load_fit

    out, cache = tmp_path / "build", tmp_path / "cache"
    # the default model on 2023-2025 (the options' plumbing, not the main fit's 25 years)
    code, so, se = run(["run", "--source", "snapshot", "--method", "exact", "--draws", "300",
                        "--start", "2023-01-01", "--out", str(out), "--cache-dir", str(cache)],
                       capsys)
    assert code == 0, se
    (fit_path,) = (cache / "fits").glob("*.nc")
    fit = load_fit(str(fit_path))
    assert fit.meta["method"] == "exact" and fit.config.sampler.draws == 300
    page = (out / so.split()[-1].rsplit("/", 1)[-1]).read_text()
    assert f"×300 draws" in page and "exact (" in page  # the header names the method and draws


def test_workbook_keeps_formula_like_text_as_text(exact_fit, tmp_path):
    from openpyxl import load_workbook

    from macroattr.reports.content import report_content
    from macroattr.reports.exports import export_xlsx

    c = report_content(exact_fit, "2024Q3")
    c.tables["series"].frame.loc[0, "title"] = '=HYPERLINK("http://x.invalid","click")'
    path = export_xlsx(c, tmp_path / "w.xlsx")
    ws = load_workbook(path)["series"]
    cell = ws.cell(row=2, column=list(c.tables["series"].frame.columns).index("title") + 1)
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://x.invalid","click")'
