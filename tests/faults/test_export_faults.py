"""Report exports are all or nothing (issue 22): a quarter's page, PDF, PNGs and workbook are
built in a temp folder inside the output folder and moved into place only when every one is
complete. Chromium missing or failing after the HTML, a disk that fills midway (a real small
tmpfs), SIGTERM while the PNGs are captured: exit code, one line, the output folder exactly as
before (no partial file, no temp folder). The workbook keeps formula-like text as text on every
sheet; HTML-like group names are escaped on the page."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli import one_line_error, run_cli, skip_unless_ci

from .conftest import small_fs, tree

QUARTER = "2009Q3"
EVIL = ['<img src=x onerror=alert(1)>', '=HYPERLINK("http://x.invalid","y")', "@SUM(1+1)",
        "+rates", "-lev", "\tTAB"]


@pytest.fixture(scope="module")
def fit_file(tmp_path_factory):
    """An exact fit of a small simulated monthly panel (2000-01 to 2009-12), its groups
    named with formula-like and HTML-like text."""
    from macroattr.models import ModelConfig, fit_model
    from macroattr.models.synthetic import simulate_panel

    panel, truth = simulate_panel(n=120, seed=7)
    groups = dict(zip(EVIL, truth["groups"].values(), strict=False))
    for i, cols in enumerate(list(truth["groups"].values())[len(groups):]):
        groups[f"g{i}"] = cols
    fit = fit_model(panel, ModelConfig(groups=groups).override(method="exact", draws=200, chains=2))
    return Path(fit.save(tmp_path_factory.mktemp("fit") / "fit.nc"))


def _report(fit_file, out, capsys, formats="html"):
    return run_cli(["report", "--fit", str(fit_file), "--quarter", QUARTER, "--format", formats,
                    "--out", str(out)], capsys)


def _everything(folder: Path) -> list[str]:
    """Every entry under ``folder`` (folders included: an empty temp folder counts)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def previous(fit_file, tmp_path, capsys):
    """An output folder holding an earlier render of the quarter (its files must survive)."""
    out = tmp_path / "reports"
    code, _, err = _report(fit_file, out, capsys)
    assert code == 0, err
    return out


def test_chromium_failing_after_the_html_leaves_the_folder_as_it_was(fit_file, previous, tmp_path,
                                                                     capsys, monkeypatch):
    broken = tmp_path / "chromium"
    broken.write_text("#!/bin/sh\necho 'chromium: cannot open display' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setenv("MACROATTR_CHROMIUM", str(broken))
    before, entries = tree(previous), _everything(previous)
    code, out, err = _report(fit_file, previous, capsys, "html,pdf,png,xlsx")
    line = one_line_error(code, err)
    assert "could not start Chromium for the export" in line and "chromium --version" in line
    assert out == ""
    assert tree(previous) == before and _everything(previous) == entries  # no page, no temp folder


@pytest.mark.parametrize("route", ["cli", "python"])
def test_chromium_missing_writes_nothing(route, fit_file, previous, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("MACROATTR_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    before, entries = tree(previous), _everything(previous)
    if route == "cli":
        code, _, err = _report(fit_file, previous, capsys, "html,pdf")
        line = one_line_error(code, err)
    else:
        from macroattr.core.errors import InputError
        from macroattr.models import load_fit
        from macroattr.reports.exports import export_report

        with pytest.raises(InputError) as exc:
            export_report(load_fit(fit_file), QUARTER, previous, ["html", "png"])
        line = str(exc.value)
    assert "PDF and PNG exports need Chromium: install Debian's 'chromium' package" in line
    assert tree(previous) == before and _everything(previous) == entries


def _html_size(fit_file, tmp_path, capsys) -> int:
    out = tmp_path / "measure"
    assert _report(fit_file, out, capsys)[0] == 0
    return next(out.glob(f"{QUARTER}*.html")).stat().st_size


@pytest.mark.browser
@pytest.mark.parametrize("formats,room,fails_on", [
    ("html,png,xlsx", 120_000, ".png"),   # the page fits, the charts do not
    ("html,xlsx", 16_000, ".xlsx"),        # the page fits, the workbook does not
], ids=["png", "xlsx"])
def test_disk_full_midway_is_one_line_and_leaves_nothing(formats, room, fails_on, fit_file, tmp_path,
                                                         capsys):
    size = _html_size(fit_file, tmp_path, capsys) + room
    where = tmp_path / "small"
    with small_fs(where, f"{size // 1024}k") as real:
        if not real:
            skip_unless_ci("no real small file system here (tmpfs mount refused)")
        code, out, err = _report(fit_file, where, capsys, formats)
        line = one_line_error(code, err)
        assert "No space left on device" in line and fails_on in line
        assert f"cannot write {where}{os.sep}" in line  # the folder given, not the temp folder
        assert ".macroattr-stage-" not in line
        assert _everything(where) == []  # no page, no partial export, no temp folder


@pytest.mark.browser
def test_sigterm_while_capturing_pngs_leaves_the_folder_as_it_was(fit_file, previous, tmp_path):
    before, entries = tree(previous), _everything(previous)
    env = dict(os.environ, MPLBACKEND="Agg", COLUMNS="200")
    proc = subprocess.Popen([sys.executable, "-m", "macroattr.cli", "report", "--fit", str(fit_file),
                             "--quarter", QUARTER, "--format", "html,png,xlsx", "--out",
                             str(previous)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if list(previous.glob(".macroattr-stage-*/*.png")):  # the first charts are captured
                break
            time.sleep(0.02)
        assert proc.poll() is None, "the export ended before any PNG was captured"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, err
    lines = [x for x in err.splitlines() if x.strip()]
    assert lines == ["macroattr: error: stopped by SIGTERM; files not finished were removed, "
                     "earlier files are unchanged"], err
    assert out == ""
    assert tree(previous) == before and _everything(previous) == entries


def test_a_complete_export_moves_every_file_into_place(fit_file, tmp_path, capsys):
    out = tmp_path / "reports"
    code, so, err = _report(fit_file, out, capsys, "html,xlsx")
    assert code == 0, err
    names = _everything(out)
    assert not [n for n in names if n.startswith(".macroattr-stage-")]
    page = next(out.glob(f"{QUARTER}*.html"))
    assert so.split() == [str(page), str(page.with_suffix(".xlsx"))]
    assert {"index.html", "reports.json", page.name, page.with_suffix(".xlsx").name} <= set(names)
    assert oct(page.stat().st_mode & 0o777) == "0o644"


def test_workbook_keeps_formula_like_text_as_text_on_every_sheet(fit_file, tmp_path, capsys):
    from openpyxl import load_workbook

    out = tmp_path / "reports"
    assert _report(fit_file, out, capsys, "html,xlsx")[0] == 0
    wb = load_workbook(next(out.glob(f"{QUARTER}*.xlsx")))
    risky, where = 0, set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if isinstance(v, str) and v.startswith(("=", "+", "-", "@", "\t", "\r")):
                    try:
                        float(v)
                        continue
                    except ValueError:
                        pass
                    assert cell.data_type == "s" and cell.quotePrefix, (ws.title, cell.coordinate, v)
                    risky += 1
                    where.add((ws.title, cell.row == 1))
    assert risky > 20
    # the labels of the wide sheet are its header row: they were live formulas
    assert ("attribution wide", True) in where
    assert {t for t, _ in where} >= {"attribution", "attribution wide", "headline", "trailing"}


def test_html_like_group_names_are_text_on_the_page(fit_file, tmp_path, capsys):
    out = tmp_path / "reports"
    assert _report(fit_file, out, capsys)[0] == 0
    html = next(out.glob(f"{QUARTER}*.html")).read_text()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    # inside the charts' JSON the name is escaped too: no tag can start there
    for body in re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S):
        assert "<img" not in body
