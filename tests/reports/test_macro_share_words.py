"""Labels that tell the truth: the headline states the macro share in plain words, the
state-space alpha is the trend (never macro), and the market control is never macro —
not in the headline, the explained share, an event window's share or the index."""

from __future__ import annotations

import pytest

from macroattr.reports.narrative import headline_reading

#: The issue's 2024Q4 numbers (pp).
Q4 = {"alpha": {"mean": -1.60, "hdi_low": -2.9, "hdi_high": -0.3},
      "rates": {"mean": -0.30, "hdi_low": -0.6, "hdi_high": -0.05},
      "inflation": {"mean": -0.16, "hdi_low": -0.3, "hdi_high": 0.01},
      "residual": {"mean": -0.07, "hdi_low": -0.1, "hdi_high": -0.04}}


def test_the_headline_states_the_macro_share_in_plain_words():
    text = headline_reading("2024Q4", -2.13, Q4, ["rates", "inflation"], trend=True)
    assert "In plain words: macro -0.46 of -2.13 pp (22%); trend -1.60; residual -0.07; " \
           "most of the quarter is not macro." in text
    assert "trend (time-varying intercept) adds -1.60 pp" in text and "not counted as macro" in text
    assert "All macro groups together account for -0.46 pp" in text
    assert "constant (alpha)" not in text
    static = headline_reading("2024Q4", -2.13, Q4, ["rates", "inflation"], trend=False)
    assert "macro -0.46 of -2.13 pp (22%); constant -1.60" in static


def test_the_market_control_is_never_macro_in_the_words():
    comps = {**Q4, "market": {"mean": -5.0, "hdi_low": -6.0, "hdi_high": -4.0}}
    text = headline_reading("2024Q4", -7.13, comps, ["rates", "inflation", "market"], trend=True,
                            labels={"market": "market (not macro)"})
    assert "macro -0.46 of -7.13 pp (6%); trend -1.60; market (not macro) -5.00; residual -0.07" in text
    assert "The largest macro contribution came from rates" in text
    assert "All macro groups together account for -0.46 pp" in text
    assert "market (not macro) control adds -5.00 pp" in text


@pytest.fixture(scope="module")
def market_fit():
    """The daily state-space model with the market control, 2023-2024 (exact, few draws)."""
    from macroattr.jobs.run_config import load_run_config
    from macroattr.models import fit_model
    from macroattr.jobs.inputs import build_config_panel

    rc = load_run_config(None)
    groups = {**rc.model.groups, "market": ["mkt_return"]}
    model = rc.model.override(groups=groups, draws=50, chains=2)
    panel, cfg = build_config_panel(model, rc.panel.updated(start="2023-01-01", end="2024-12-31"))
    return fit_model(panel, cfg)


def test_report_and_window_keep_trend_and_market_outside_macro(market_fit):
    from macroattr.reports.content import report_content

    fit = market_fit
    c = report_content(fit, "2024Q3")
    h = c.headline
    assert c.labels["alpha"].lower() == "trend (time-varying intercept)"
    assert h["largest_group"] != "market"
    comps = {x["name"]: x["mean"] for x in h["components"]}
    macro = sum(v for k, v in comps.items() if k in ("rates", "inflation", "leverage", "political"))
    assert h["explained"] == pytest.approx(macro, abs=1e-12)
    assert h["macro_share"] == pytest.approx(100 * macro / h["total"], rel=1e-12)
    assert h["plain"].startswith(f"macro {macro:+.2f} of {h['total']:+.2f} pp")
    assert "; trend " in h["plain"] and "market (not macro)" in h["plain"].lower()
    assert f"Macro share:</strong> {h['plain']}" in _page(c)
    assert c.manifest_entry()["largest_group"] != "market"
    # the explained share counts the macro groups' variance only
    vs = fit.variance_shares("D").set_index("component")
    share = fit.summary.explained_share("D").iloc[0]
    assert share["mean"] == pytest.approx(vs.loc["macro/observed", "mean"], abs=1e-9)
    assert share["mean"] < vs.loc["fitted/observed", "mean"]  # trend and market left out
    # an event window's share: macro groups only
    ev = fit.event("2024-07-10", "2024-07-16")
    i = [ev.components.index(g) for g in ("rates", "inflation", "leverage", "political")]
    want = 100 * ev.draws[:, i].sum(axis=1).mean() / ev.observed
    assert ev.explained_share() == pytest.approx(want, rel=1e-12)
    assert "market" in ev.share_text() and "; trend " in ev.share_text()


def _page(content) -> str:
    import tempfile

    from macroattr.reports.render import write_report

    out = write_report(content, tempfile.mkdtemp())
    return out.read_text(encoding="utf-8")
