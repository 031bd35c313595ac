"""Rendering real fits: numbers, index/manifest, escaping, failure modes (no browser)."""

from __future__ import annotations

import html as html_lib
import json
import re
import urllib.parse
from io import StringIO

import pandas as pd
import pytest

from macroattr.core.errors import InputError
from macroattr.reports import render_index, render_report
from macroattr.reports.content import fit_quarters, report_content


def _entry(manifest: dict, quarter: str) -> dict:
    """The manifest entry of the page ``<quarter>.html`` (entries are keyed by quarter and model)."""
    return next(e for e in manifest["reports"].values() if e["quarter"] == quarter)


def _data_value(html: str, component: str) -> float:
    m = re.search(rf'data-component="{component}" data-mean="([-0-9.]+)"', html)
    assert m, f"no tile for {component}"
    return float(m.group(1))


def test_latest_is_last_complete_quarter_of_the_fit(exact_fit, rendered):
    idx = exact_fit.panel.data.index
    last = idx[-1]
    expected = last.to_period("Q") if last.month % 3 == 0 else last.to_period("Q") - 1
    from tests.reports.conftest import static_page

    assert rendered["latest"].name == static_page(str(expected))
    assert rendered["latest"].stat().st_mode & 0o777 == 0o644  # publishable: world-readable
    assert fit_quarters(exact_fit)[-1] == str(expected)


def test_headline_numbers_equal_the_attribution_table(exact_fit, rendered):
    html = rendered["latest"].read_text()
    q = rendered["latest"].stem.split("-")[0]
    attr = exact_fit.attribution(freq="Q").query("period == @q").set_index("component")
    for comp in ["alpha", *exact_fit.config.groups, "residual"]:
        assert _data_value(html, comp) == pytest.approx(attr.loc[comp, "mean"], abs=5e-6)
    total = float(re.search(r'id="headline-total" data-value="([-0-9.]+)"', html).group(1))
    assert total == pytest.approx(attr.loc["total", "mean"], abs=5e-6)
    # the components add up to the observed relative return
    parts = sum(_data_value(html, c) for c in ["alpha", *exact_fit.config.groups, "residual"])
    assert parts == pytest.approx(total, abs=1e-4)


def test_csv_download_is_the_quarter_attribution(exact_fit, rendered):
    html = rendered["older"].read_text()
    m = re.search(r'href="(data:text/csv;charset=utf-8,[^"]+)" download="attribution_2024Q3.csv"', html)
    assert m
    csv = urllib.parse.unquote(m.group(1).split(",", 1)[1].replace("&amp;", "&"))
    got = pd.read_csv(StringIO(csv))
    want = exact_fit.attribution(freq="Q").query("period == '2024Q3'")
    # reader labels in the component column, the ids beside them
    assert list(got["component_id"]) == list(want["component"])
    assert got["component"].iloc[0] == "Alpha (constant)" and got["component"].iloc[-1] == "Observed total"
    assert got["mean"].to_numpy() == pytest.approx(want["mean"].to_numpy())
    assert got["hdi_low"].to_numpy() == pytest.approx(want["hdi_low"].to_numpy())


def test_report_is_self_contained(rendered):
    from macroattr.reports.charts import plotly_js

    html = rendered["latest"].read_text()
    lib = plotly_js()  # the basic bundle: every default chart is a bar or scatter trace
    assert "plotly.js (basic - minified)" in lib[:200]
    assert html.count(lib[:2000]) == 1  # plotly.js inlined exactly once
    head, rest = html.split(lib[:2000], 1)
    page = head + rest[rest.index("</script>"):]  # the page without the library itself
    assert len(re.findall(r"Plotly\.newPlot", page)) == 7  # 6 + the scenarios chart
    for bad in ("src=", 'href="http', "cdn.", "<link ", "@import", "url(http"):
        assert bad not in page
    assert "Content-Security-Policy" in page and "connect-src 'none'" in page


def test_every_section_present_with_units(exact_fit, rendered):
    html = rendered["latest"].read_text()
    for sec in ("headline", "waterfall", "monthly", "trailing", "cumulative", "coefficients",
                "ppc", "diagnostics", "provenance", "model"):
        assert f'<section id="{sec}"' in html
    for sid in exact_fit.panel.meta["series"]:
        assert f"<td>{sid}</td>" in html.replace("&amp;", "&").replace("&#34;", '"') or sid in html
    assert f"seed <strong>{exact_fit.config.sampler.seed}</strong>" in html
    assert "pymc" in html and "plotly" in html  # package versions
    assert "pp per" in html  # coefficient units
    assert "Convergence gate FAILED" not in html


def test_failed_gate_puts_red_banner_first(failed_gate_fit, tmp_path):
    path = render_report(failed_gate_fit, "latest", tmp_path)
    html = path.read_text()
    body = html[html.index("<body>"):]
    assert body.index('id="gate-banner"') < body.index("<h1>")
    for reason in failed_gate_fit.diagnostics.gate.reasons:
        assert reason in html_lib.unescape(html)
    manifest = json.loads((tmp_path / "reports.json").read_text())
    assert _entry(manifest, path.stem.split("-")[0])["gate_passed"] is False
    assert "FAILED" in (tmp_path / "index.html").read_text()


def test_index_lists_quarters_from_manifest_and_rebuilds(exact_fit, rendered):
    out = rendered["dir"]
    index = (out / "index.html").read_text()
    for p in (rendered["latest"], rendered["older"]):
        assert f'href="{p.name}"' in index
    table = index[index.index('<table id="quarters">'):]
    assert table.index(rendered["latest"].stem.split("-")[0]) < table.index(rendered["older"].stem.split("-")[0])  # newest first
    manifest = json.loads((out / "reports.json").read_text())
    entry = _entry(manifest, "2024Q3")
    want = exact_fit.attribution(freq="Q").query("period == '2024Q3'").set_index("component")
    assert entry["total_pp"] == pytest.approx(want.loc["total", "mean"])
    comps = {c["name"]: c["mean_pp"] for c in entry["components"]}
    assert comps["residual"] == pytest.approx(want.loc["residual", "mean"])
    # the index can be rebuilt from the manifest alone
    (out / "index.html").unlink()
    render_index(out)
    assert f'href="{rendered["older"].name}"' in (out / "index.html").read_text()


def test_index_drops_quarters_whose_file_is_gone(rendered, tmp_path):
    import shutil

    site = tmp_path / "site"
    shutil.copytree(rendered["dir"], site)
    (site / rendered["older"].name).unlink()
    index = render_index(site).read_text()
    assert rendered["latest"].name in index and rendered["older"].name not in index


def test_series_title_with_script_is_escaped(exact_fit, tmp_path):
    meta = exact_fit.panel.meta
    sid = next(iter(meta["series"]))
    original = meta["series"][sid].get("title")
    meta["series"][sid]["title"] = "<script>alert('x')</script> Yield"
    try:
        html = render_report(exact_fit, "latest", tmp_path).read_text()
    finally:
        meta["series"][sid]["title"] = original
    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Yield" in html


def test_quarter_outside_span_leaves_nothing(exact_fit, tmp_path):
    with pytest.raises(InputError, match=r"quarter 1970Q1 is outside .*span") as err:
        render_report(exact_fit, "1970Q1", tmp_path)
    assert "\n" not in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_dir_is_one_line_error(exact_fit, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(InputError, match="file") as err:
        render_report(exact_fit, "latest", blocker / "reports")
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="is a file"):
        render_report(exact_fit, "latest", blocker)


def test_not_a_fit_is_rejected(tmp_path, monthly_panel):
    with pytest.raises(InputError, match="not a fit"):
        render_report(monthly_panel, "latest", tmp_path)
    junk = tmp_path / "junk.nc"
    junk.write_text("hello")
    with pytest.raises(InputError, match="junk.nc"):
        render_report(junk, "latest", tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").glob("*.html"))


def test_failure_while_writing_keeps_previous_report(exact_fit, tmp_path, monkeypatch):
    import macroattr.reports.render as render

    from tests.reports.conftest import static_page

    previous = tmp_path / static_page("2024Q3")
    previous.write_text("<p>last quarter's published report</p>")

    def dies_half_way(path, text):
        path.write_text(text[: len(text) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(render, "_fill", dies_half_way)
    with pytest.raises(InputError, match="cannot write .*2024Q3-monthly-static-normal-exact.html: No space left") as err:
        render_report(exact_fit, "2024Q3", tmp_path)
    assert "\n" not in str(err.value)
    assert previous.read_text() == "<p>last quarter's published report</p>"
    # nothing else written (the manifest's lock file aside)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".reports.json.lock") \
        == [previous.name]


def test_reading_and_headline_agree(exact_fit):
    c = report_content(exact_fit, "2024Q3")
    big = c.headline["largest_group"]
    assert f"came from {big}" in c.reading
    means = {x["name"]: x["mean"] for x in c.headline["components"]}
    assert abs(means[big]) == max(abs(means[g]) for g in exact_fit.config.groups)
    assert f"{abs(c.headline['total']):.2f} pp" in c.reading


def test_same_fit_renders_the_same_page(exact_fit, rendered, tmp_path):
    again = render_report(exact_fit, "2024Q3", tmp_path).read_text()
    first = rendered["older"].read_text()
    stamp = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")
    assert stamp.sub("<time>", again) == stamp.sub("<time>", first)


#: Page-weight limits (issue 15): monthly <= 1.5 MB, daily <= 2.5 MB, self-contained.
MONTHLY_LIMIT_BYTES = 1_500_000


def test_monthly_report_weighs_under_the_limit(rendered):
    size = rendered["latest"].stat().st_size
    assert size <= MONTHLY_LIMIT_BYTES, f"{rendered['latest'].name} weighs {size / 1e6:.2f} MB"


def test_partial_periods_are_marked_in_tables_and_csv(exact_fit):
    from macroattr.reports.content import _complete_flags

    attr = exact_fit.attribution("Q")
    marked = attr.loc[~attr["complete"], "period"].unique().tolist()
    last = exact_fit.panel.data.index[-1]
    # the monthly panel ends inside a quarter: that last quarter is marked partial
    assert last.month % 3 != 0 and marked[-1] == f"{last.year}Q{(last.month - 1) // 3 + 1}"
    assert marked == exact_fit.partial_periods("Q")
    flags = _complete_flags(exact_fit, "Q")
    partial = [q for q, ok in flags.items() if not ok]
    assert partial == exact_fit.partial_periods("Q")  # the one rule of core.periods
    assert all(flags[q] for q in exact_fit.quarters)


def test_explained_share_is_the_fitted_over_observed_variance_share(exact_fit):
    share = exact_fit.summary.explained_share(["M", "Q"]).set_index("freq")
    for f in ("M", "Q"):  # one streamed pass gives what variance_shares gives per frequency
        vs = exact_fit.variance_shares(f).set_index("component").loc["macro/observed"]
        for col in ("mean", "hdi_low", "hdi_high"):
            assert share.loc[f, col] == pytest.approx(vs[col], abs=1e-9)
    assert share.loc["M", "periods"] == len(exact_fit.panel.data)


DAILY_LIMIT_BYTES = 2_500_000


@pytest.mark.slow
def test_daily_report_weighs_under_the_limit_and_reads(tmp_path):
    """The full daily snapshot panel (~8,000 sessions): the page stays under 2.5 MB and the
    predictive check is drawn per month, not as thousands of daily points."""
    from macroattr.data_pipelines import build_panel
    from macroattr.models import fit_model

    from tests.reports.conftest import exact_config

    panel = build_panel(freq="D")
    fit = fit_model(panel, exact_config(draws=250, chains=2))  # weight does not depend on draws
    c = report_content(fit, "latest")
    import plotly.graph_objects as go

    ppc = go.Figure(c.charts["ppc"].figure)  # the page's plain dict is a valid figure
    months = {str(d)[:7] for d in panel.data.index}
    assert max(len(t.x) for t in ppc.data) <= len(months)  # one point per month
    path = render_report(fit, "latest", tmp_path)
    size = path.stat().st_size
    assert size <= DAILY_LIMIT_BYTES, f"daily page weighs {size / 1e6:.2f} MB"


def test_compiled_templates_are_kept_between_processes_and_a_broken_cache_is_skipped(tmp_path):
    """A second process loads the page templates from Jinja's per-user bytecode cache (in the
    temp folder), renders the same page text, and a cache that cannot be written is skipped."""
    import os
    import subprocess
    import sys

    import jinja2

    from macroattr.reports import render

    code = ("from macroattr.reports.render import _env\n"
            "e = _env()\n"
            "print(e.bytecode_cache.directory)\n"
            "print(len(e.get_template('report.html.j2').blocks))\n")
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                           timeout=120, check=True).stdout.split() for _ in range(2)]
    cache_dir = runs[0][0]
    assert cache_dir.startswith(str(tmp_path)) and runs[0] == runs[1]
    assert any(name.endswith(".cache") for name in os.listdir(cache_dir))
    # a full disk or a vanished folder: nothing raised, nothing half-written
    cache = render._bytecode_cache()
    cache.directory = str(tmp_path / "gone")
    bucket = jinja2.bccache.Bucket(render._env(), "key", "checksum")
    bucket.code = compile("x = 1", "<template>", "exec")
    cache.dump_bytecode(bucket)
    assert not (tmp_path / "gone").exists()
