"""The page says when a stale factor was carried (set to 0) or dropped, not only what ends the data."""

from types import SimpleNamespace

from macroattr.reports.content import _freshness


def _fit(policy, stale):
    meta = {"freshness": {"data_to": "2026-08-21", "limited_by": "rel_return (IWM/SPY)",
                          "stale": stale, "stale_policy": policy},
            "spans": {"d_2y": ["2000-01-03", "2026-04-17"], "rel_return": ["2000-01-03", "2026-08-21"]}}
    return SimpleNamespace(panel=SimpleNamespace(meta=meta), span=("2000-01-03", "2026-08-21"))


def test_carried_factor_is_named_with_its_data_end_and_where_its_moves_go():
    text = _freshness(_fit("carry", ["d_2y"]))["stale_text"]
    assert text.startswith("2-year Treasury yield (d_2y; data end 2026-04-17): set to 0") and "residual" in text


def test_dropped_factor_is_named_and_no_stale_factor_says_nothing():
    assert _freshness(_fit("drop", ["d_2y"]))["stale_text"] == "2-year Treasury yield (d_2y; data end 2026-04-17): left out of this model (stale)"
    assert _freshness(_fit("trim", []))["stale_text"] == ""


def test_what_ends_the_data_is_the_series_then_its_reader_label():
    fr = _freshness(_fit("carry", ["d_2y"]))
    assert fr["limited_by"] == "IWM/SPY, the relative return"
    from macroattr.reports.content import _limited_by_text

    assert _limited_by_text("dlog_epu (USEPUINDXM)", "dlog_epu").startswith("USEPUINDXM, ")
    assert "dlog_epu" not in _limited_by_text("dlog_epu (USEPUINDXM)", "dlog_epu")
    assert _limited_by_text("requested end date") == "requested end date"
    assert _limited_by_text("my_col (X)") == "my_col (X)"  # a user's column keeps its name
