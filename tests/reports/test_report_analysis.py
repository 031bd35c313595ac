"""The report's scenarios and event-window sections (issue #14)."""

from __future__ import annotations

import re

import pytest


@pytest.fixture(scope="module")
def daily_fit():
    from macroattr.data_pipelines import build_panel
    from macroattr.models import ModelConfig, fit_model

    panel = build_panel(freq="D", start="2022-01-01", end="2024-12-31")
    return fit_model(panel, ModelConfig.shipped("static_monthly").override(method="exact", draws=200, chains=2))


def _section(html: str, sid: str) -> str:
    m = re.search(rf'<section id="{sid}".*?</section>', html, re.S)
    assert m, sid
    return m.group(0)


def test_daily_report_attributes_the_named_window_and_the_standard_scenarios(daily_fit, tmp_path):
    from macroattr.reports import render_report

    html = render_report(daily_fit, "2024Q3", tmp_path).read_text()
    ev = _section(html, "events")
    ev_july = daily_fit.event("2024-07-10", "2024-07-16")
    assert "July 2024 small-cap rotation" in ev and "2024-07-10 to 2024-07-16" in ev
    assert f"{ev_july.observed:+.2f} pp" in ev and "2024-07-11 CPI release" in ev
    assert 'id="plot-event-1"' in ev and "event_2024-07-10_2024-07-16.csv" in ev
    sc = _section(html, "scenarios")
    for name in ("dovish surprise", "credit stress", "soft CPI", "2022 rate shock"):
        assert f'data-scenario="{name}"' in sc
    assert "betas as of 2024-12-31" in sc and 'id="plot-scenarios"' in sc
    assert "beyond the data" in sc  # +100 bp in one session is beyond any daily Baa move
    # shocks in reader labels and bp (the catalog's labels), never factor ids
    assert "Baa corporate spread +100 bp" in sc and "2-year Treasury yield -10 bp" in sc
    assert "FOMC target surprise -25 bp" in sc
    cells = " ".join(re.findall(r"<td[^>]*>(.*?)</td>", sc, re.S))
    assert not re.search(r"\b(d_2y|d_baa_spread|mp_target|mp_path|cpi_surprise)\b", cells), cells


def test_quarter_without_a_named_window_shows_its_largest_five_session_moves(daily_fit, tmp_path):
    from macroattr.models.analysis.events import notable_windows
    from macroattr.reports import render_report

    html = render_report(daily_fit, "2024Q2", tmp_path).read_text()
    ev = _section(html, "events")
    assert "largest absolute 5-session moves" in ev
    for a, b in notable_windows(daily_fit, "2024Q2"):
        assert f"{a} to {b}" in ev


def test_monthly_report_says_event_windows_need_a_daily_fit(exact_fit, tmp_path):
    from macroattr.reports.content import report_content

    c = report_content(exact_fit, "2024Q3")
    assert c.analysis.windows == [] and "need a daily fit" in c.analysis.window_notes[0]
    assert [r["name"] for r in c.analysis.scenario_rows] == ["dovish surprise", "credit stress",
                                                            "soft CPI", "2022 rate shock"]
    assert "scenarios" in c.tables and "scenarios" in c.charts


def test_report_cli_takes_a_scenario_file_and_refuses_a_bad_one(fit_file, tmp_path, capsys):
    from tests.cli import one_line_error, run_cli
    from tests.reports.conftest import static_page

    f = tmp_path / "mine.toml"
    f.write_text('[scenarios."spreads +50 bp"]\nshocks = { d_baa_spread = 0.5 }\n')
    out = tmp_path / "out"
    code, stdout, err = run_cli(["report", "--fit", str(fit_file), "--quarter", "2024Q3",
                                 "--out", str(out), "--scenarios", str(f)], capsys)
    assert code == 0, err
    html = (out / static_page("2024Q3")).read_text()
    assert 'data-scenario="spreads +50 bp"' in html and 'data-scenario="credit stress"' not in html
    bad = tmp_path / "bad.toml"
    bad.write_text('[scenarios.x]\nshock = { d_2y = 1 }\n')
    code, _, err = run_cli(["report", "--fit", str(fit_file), "--out", str(tmp_path / "o2"),
                            "--scenarios", str(bad)], capsys)
    line = one_line_error(code, err)
    assert "bad.toml: unknown key 'scenarios.x.shock'" in line and "shocks" in line  # names the allowed key
    assert not (tmp_path / "o2").exists()


def test_state_space_report_windows_show_the_real_time_attribution(tmp_path):
    from macroattr.configs import config_path
    from macroattr.data_pipelines import build_panel
    from macroattr.models import ModelConfig, fit_model
    from macroattr.reports.content import report_content

    cfg = ModelConfig.from_toml(config_path("default")).override(draws=50)
    fit = fit_model(build_panel(freq="D", start="2024-01-01", end="2024-12-31", factors=cfg.factors), cfg)
    c = report_content(fit, "2024Q3")
    (w,) = [w for w in c.analysis.windows if w["start"] == "2024-07-10"]
    rt = c.tables[w["rt"]]
    assert "real time" in rt.caption and rt.rows[-1][0] == "Observed total" and rt.rows[-1][-1] == "total"
    assert rt.rows[-1][1] == c.tables[w["id"]].rows[-1][1]  # same observed total
