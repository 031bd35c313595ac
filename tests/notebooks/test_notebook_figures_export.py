"""A notebook that ran ``macroattr.notebook.setup()`` keeps its figures when exported to HTML
by nbconvert: plotly.js is embedded once (no CDN) and every figure draws offline."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.notebook

CELLS = [
    "import macroattr.notebook\nmacroattr.notebook.setup()",
    "import pandas as pd\nfrom macroattr.models.plotting import figures\n"
    "t = pd.DataFrame({'period': '2024Q3', 'component': ['alpha', 'rates', 'residual', 'total'],\n"
    "                  'mean': [0.1, 1.0, 2.0, 3.1], 'hdi_low': [0.0, 0.5, 1.5, 3.1],\n"
    "                  'hdi_high': [0.2, 1.5, 2.5, 3.1], 'unit': 'pp'})\n"
    "figures.waterfall(t, '2024Q3')",
    "figures.stacked_contributions(t)",
]


def test_exported_notebook_html_draws_its_figures(tmp_path):
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    html, _ = HTMLExporter().from_notebook_node(nb)
    path = tmp_path / "exported.html"
    path.write_text(html, encoding="utf-8")
    assert html.count("Plotly.newPlot(") >= 2
    # plotly.js is embedded, not loaded from its CDN (notebook_connected would do that)
    assert "plotly.js v" in html and 'src="https://cdn.plot.ly' not in html
    # open it offline: both figures draw (plotly.js comes from the notebook, not the network)
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("needs Debian's chromium: run `make browser`")
    from concurrent.futures import ThreadPoolExecutor

    # in a thread of its own: another suite's session may already drive Playwright here
    with ThreadPoolExecutor(1) as ex:
        count, blocked = ex.submit(_open_offline, exe, path).result()
    assert count == 2
    assert not [u for u in blocked if "plot.ly" in u or "plotly" in u], blocked


def _open_offline(exe: str, path: Path) -> tuple[int, list[str]]:
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()

        def route(r):
            if r.request.url.startswith(("file://", "data:", "blob:", "about:")):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        page.route("**/*", route)
        page.goto(Path(path).as_uri(), wait_until="load")
        page.wait_for_function(
            "document.querySelectorAll('.plotly-graph-div .main-svg').length >= 2", timeout=30_000)
        count = page.locator(".plotly-graph-div").count()
        browser.close()
    return count, blocked
