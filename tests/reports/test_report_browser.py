"""Open rendered reports and the index in headless Chromium (Debian's, via Playwright)."""

from __future__ import annotations

import math

import pytest

from macroattr.reports import render_report

pytestmark = pytest.mark.browser

CHARTS = ("waterfall", "monthly", "trailing", "cumulative", "coefficients", "ppc")


def _cut_off_tables(page) -> list[str]:
    """Captions of the tables wider than their box (their right columns hidden until scrolled)."""
    return page.evaluate("""() => [...document.querySelectorAll('.table-wrap')]
        .filter(e => e.scrollWidth > e.clientWidth + 1)
        .map(e => { const t = e.querySelector('table');
                    return (t && t.caption ? t.caption.textContent : '') + ' ' + e.scrollWidth + '>' + e.clientWidth; })""")


def _assert_clean(log):
    assert log.errors == [], log.errors
    assert log.requests == [], f"the page made network requests: {log.requests}"
    assert log.dialogs == []


@pytest.mark.parametrize("width", [1280, 390])
def test_report_renders_offline_with_charts_and_true_numbers(width, exact_fit, rendered,
                                                             open_page, output_dir):
    page, log = open_page(rendered["latest"], width=width)
    page.wait_for_function(
        f"document.querySelectorAll('.plotly-graph-div .main-svg').length >= {len(CHARTS)}")
    for chart in CHARTS:
        fig = page.locator(f"#fig-{chart}")
        assert fig.locator(".main-svg").count() >= 1, chart
        box = fig.bounding_box()
        assert box["height"] > 150 and box["width"] <= width, (chart, box)
        assert fig.locator("[role=img]").get_attribute("aria-label")
    # headline numbers shown equal the fit's attribution table for that quarter
    q = rendered["latest"].stem.split("-")[0]
    attr = exact_fit.attribution(freq="Q").query("period == @q").set_index("component")
    from macroattr.reports.tables import pp, sign_class

    total_text = page.inner_text("#headline-total")
    assert total_text.replace("\n", " ").startswith(pp(attr.loc['total', 'mean']))
    assert total_text.strip().endswith("pp")
    for comp in ["alpha", *exact_fit.config.groups, "residual"]:
        tile = page.locator(f'.tile[data-component="{comp}"]')
        assert tile.locator(".val").inner_text() == f"{pp(attr.loc[comp, 'mean'])} pp"
        assert (f"{pp(attr.loc[comp, 'hdi_low'])} to {pp(attr.loc[comp, 'hdi_high'])} pp"
                in tile.locator(".hdi").inner_text())
        # a zero is 0.00 in the neutral colour; no sign is claimed for it
        assert sign_class(attr.loc[comp, "mean"]) in tile.locator(".val").get_attribute("class")
        if pp(attr.loc[comp, "mean"]) == "0.00" or "0.00" in (pp(attr.loc[comp, "hdi_low"]),
                                                             pp(attr.loc[comp, "hdi_high"])):
            assert "excludes 0" not in tile.inner_text()
    # header: data to (limited by a named series), rendered, model and method, gate
    assert page.inner_text("#fact-data-to").startswith(exact_fit.span[1])
    assert "limited by" in page.inner_text("#fact-data-to")
    model_text = page.inner_text("#fact-model")
    assert "static betas" in model_text and "exact" in model_text
    assert page.inner_text("#fact-gate").strip() == "passed"
    # both legs: their log spread is the headline (to display rounding), their simple
    # difference is shown, and the note says why the two spreads differ
    legs = page.locator("#headline-legs")
    small = float(legs.locator('tr[data-leg="small"]').get_attribute("data-value"))
    large = float(legs.locator('tr[data-leg="large"]').get_attribute("data-value"))
    log_spread = 100 * (math.log1p(small / 100) - math.log1p(large / 100))
    assert log_spread == pytest.approx(attr.loc["total", "mean"], abs=1e-6)
    assert legs.locator('tr[data-leg="small"] td').inner_text() == f"{small:+.2f}%"
    assert legs.locator('tr[data-leg="simple"] td').inner_text() == f"{small - large:+.2f} pp"
    assert "log spread" in page.inner_text("#legs-note")
    # explained share: the fit's fitted/observed variance share with its interval
    vs = exact_fit.variance_shares(exact_fit.freq).set_index("component").loc["fitted/observed"]
    share = page.inner_text("#explained-share")
    assert (f"{vs['mean']:.1f}% of the variance of monthly relative returns (90% HDI "
            f"{vs['hdi_low']:.1f} to {vs['hdi_high']:.1f}%)") in share
    # readable at this width: the page itself never scrolls sideways (wide tables scroll inside)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"page is {overflow}px wider than a {width}px screen"
    assert page.evaluate("getComputedStyle(document.body).fontSize") in ("15px", "16px")
    if width >= 1280:  # on a laptop screen no table is cut off on the right either
        assert _cut_off_tables(page) == [], f"tables scroll sideways at {width}px"
    page.screenshot(path=str(output_dir / f"report_{width}.png"), full_page=True)
    # charts are interactive: hovering a waterfall bar shows its value and interval
    bar = page.locator("#fig-waterfall .barlayer .point path").first
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#fig-waterfall .hoverlayer .hovertext", timeout=5000)
    hover = page.locator("#fig-waterfall .hoverlayer").text_content()
    assert f"{attr.loc['alpha', 'mean']:+.2f} pp" in hover and "90% HDI" in hover
    _assert_clean(log)


def test_report_print_stylesheet_hides_navigation(rendered, open_page, output_dir):
    page, log = open_page(rendered["older"])
    page.emulate_media(media="print")
    assert page.locator("nav.toc").is_hidden()
    assert page.locator(".csv").first.is_hidden()
    assert page.locator("#fig-waterfall .main-svg").first.is_visible()
    pdf = page.pdf(path=str(output_dir / "report_print.pdf"), format="A4")
    assert pdf[:4] == b"%PDF"
    _assert_clean(log)


@pytest.mark.parametrize("width", [1280, 390])
def test_index_lists_quarters_with_headline_numbers(width, exact_fit, rendered, open_page,
                                                    output_dir):
    page, log = open_page(rendered["dir"] / "index.html", width=width)
    rows = page.locator("#quarters tbody tr")
    assert rows.count() == 2
    assert [rows.nth(i).get_attribute("data-quarter") for i in range(2)] == [
        rendered["latest"].stem.split("-")[0], rendered["older"].stem.split("-")[0]]
    attr = exact_fit.attribution(freq="Q").query("period == '2024Q3'").set_index("component")
    row = page.locator('#quarters tr[data-quarter="2024Q3"]')
    assert row.locator('td[data-component="total"]').inner_text() == f"{attr.loc['total', 'mean']:+.2f}"
    assert row.locator('td[data-component="leverage"]').inner_text() == f"{attr.loc['leverage', 'mean']:+.2f}"
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    if width >= 1280:  # every column of the index is on screen (none scrolled off)
        assert _cut_off_tables(page) == [], f"index table scrolls sideways at {width}px"
    page.screenshot(path=str(output_dir / f"index_{width}.png"), full_page=True)
    # the link opens the quarter's report
    row.locator("a").click()
    page.wait_for_load_state("load")
    assert page.url.endswith(rendered["older"].name)
    assert "2024Q3" in page.inner_text("h1")
    _assert_clean(log)


def test_script_in_series_title_is_shown_as_text(exact_fit, tmp_path, open_page):
    meta = exact_fit.panel.meta
    sid = next(iter(meta["series"]))
    original = meta["series"][sid].get("title")
    evil = "<script>alert('pwned')</script><img src=x onerror=alert(2)> title"
    meta["series"][sid]["title"] = evil
    try:
        path = render_report(exact_fit, "2024Q3", tmp_path)
    finally:
        meta["series"][sid]["title"] = original
    page, log = open_page(path)
    assert page.locator("#series-table").get_by_text(evil, exact=True).count() == 1
    page.wait_for_timeout(200)
    assert log.dialogs == []
    assert page.locator("#series-table img").count() == 0
    _assert_clean(log)


def test_failed_gate_banner_is_visible_and_red(failed_gate_fit, tmp_path, open_page, output_dir):
    path = render_report(failed_gate_fit, "latest", tmp_path)
    page, log = open_page(path, width=390)
    banner = page.locator("#gate-banner")
    assert banner.is_visible()
    assert banner.bounding_box()["y"] < 5  # at the very top
    assert page.evaluate("getComputedStyle(document.querySelector('#gate-banner')).backgroundColor") \
        == "rgb(176, 0, 32)"
    assert "FAILED" in banner.inner_text()
    page.screenshot(path=str(output_dir / "report_failed_gate_390.png"))
    _assert_clean(log)
