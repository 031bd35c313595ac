"""Property tests of the transforms (hypothesis) and of the CPI surprise's real-time property."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from macroattr.data_pipelines.cpi import cpi_surprise, mom_change
from macroattr.data_pipelines.target import pair_rel_return
from macroattr.data_pipelines.transforms import (align_asof, diff, log_change, month_end_sample,
                                       run_length_spans, splice)

levels = st.lists(st.floats(0.5, 5000.0, allow_nan=False), min_size=2, max_size=60)


def _daily(values, start="2020-01-01"):
    idx = pd.bdate_range(start, periods=len(values))
    return pd.Series(values, index=idx, dtype="float64")


@given(levels)
def test_differences_telescope(vals):
    s = _daily(vals)
    d = diff(s)
    assert np.isnan(d.iloc[0])
    assert d.iloc[1:].sum() == pytest.approx(s.iloc[-1] - s.iloc[0], abs=1e-6)


@given(levels)
def test_log_changes_telescope_and_invert(vals):
    s = _daily(vals)
    lc = log_change(s)
    assert lc.iloc[1:].sum() == pytest.approx(np.log(s.iloc[-1] / s.iloc[0]), abs=1e-9)
    rebuilt = s.iloc[0] * np.exp(lc.iloc[1:].cumsum())
    np.testing.assert_allclose(rebuilt.to_numpy(), s.iloc[1:].to_numpy(), rtol=1e-9)


def test_log_change_rejects_non_positive():
    with pytest.raises(ValueError):
        log_change(pd.Series([1.0, 0.0]))


@given(st.lists(st.floats(1.0, 100.0), min_size=30, max_size=200), st.integers(0, 4))
def test_month_end_sample_takes_last_observation_of_each_month(vals, drop_every):
    s = _daily(vals)
    if drop_every:
        s = s.iloc[:: drop_every + 1]
    me = month_end_sample(s, complete_only=False)
    for label, v in me.items():
        in_month = s[(s.index.year == label.year) & (s.index.month == label.month)]
        assert v == in_month.iloc[-1]
        assert label == (in_month.index[-1] + pd.offsets.MonthEnd(0)).normalize()
    # complete_only drops only a final month that stops before its last business day
    mc = month_end_sample(s, complete_only=True)
    assert mc.index.equals(me.index[: len(mc)]) and len(me) - len(mc) in (0, 1)
    if len(mc) < len(me):
        assert s.index[-1] < pd.offsets.BMonthEnd().rollback(s.index[-1] + pd.offsets.MonthEnd(0))


@given(levels, levels)
def test_monthly_rel_returns_add_up_to_the_whole_span(a, b):
    n = min(len(a), len(b))
    idx = pd.date_range("2001-01-31", periods=n, freq="ME")
    small, large = pd.Series(a[:n], idx), pd.Series(b[:n], idx)
    r = pair_rel_return(small, large, "M")
    total = 100 * (np.log(small.iloc[-1] / small.iloc[0]) - np.log(large.iloc[-1] / large.iloc[0]))
    assert r.sum() == pytest.approx(total, abs=1e-7)


@settings(max_examples=60)
@given(st.lists(st.sampled_from(["p", "f", "both", "none"]), min_size=1, max_size=40))
def test_splice_continuity(pattern):
    idx = pd.date_range("2000-01-31", periods=len(pattern), freq="ME")
    p = pd.Series([1.0 if c in ("p", "both") else np.nan for c in pattern], idx)
    f = pd.Series([2.0 if c in ("f", "both") else np.nan for c in pattern], idx)
    v, lab = splice(p, f, ("P", "F"))
    covered = idx[[c != "none" for c in pattern]]
    assert v.index.equals(covered) and not v.isna().any()
    assert ((v == 1.0) == (lab == "P")).all()  # primary wherever it exists, else fallback
    spans = run_length_spans(lab)
    # runs are contiguous, ordered, alternate in source and cover every period exactly once
    assert sum(len(lab[s["first"]:s["last"]]) for s in spans) == len(lab)
    assert all(a["source"] != b["source"] for a, b in zip(spans, spans[1:]))
    if spans:
        assert spans[0]["first"] == f"{lab.index[0]:%Y-%m-%d}" and spans[-1]["last"] == f"{lab.index[-1]:%Y-%m-%d}"


def test_align_asof_never_bridges_long_gaps_or_extends_the_end():
    s = pd.Series([1.0, 2.0], index=pd.to_datetime(["2024-01-02", "2024-01-20"]))
    out = align_asof(s, pd.DatetimeIndex(["2024-01-03", "2024-01-12", "2024-01-20", "2024-01-22"]))
    assert out.iloc[0] == 1.0 and np.isnan(out.iloc[1]) and out.iloc[2] == 2.0 and np.isnan(out.iloc[3])


# -- CPI surprise -----------------------------------------------------------------------------


def _real_cpi():
    from macroattr.data_pipelines.sources import get_series

    return get_series("CPIAUCSL")[0]


def test_cpi_surprise_uses_only_earlier_prints():
    cpi = _real_cpi()
    base = cpi_surprise(cpi)
    # append two years of wild fake prints: every earlier surprise must be unchanged
    rng = np.random.default_rng(0)
    fut_idx = pd.date_range(cpi.index[-1] + pd.offsets.MonthBegin(1), periods=24, freq="MS")
    fake = pd.Series(cpi.iloc[-1] * np.exp(np.cumsum(rng.normal(0.05, 0.03, 24))), index=fut_idx)
    extended = cpi_surprise(pd.concat([cpi, fake]))
    pd.testing.assert_frame_equal(extended.loc[base.index], base)
    # and rewriting the LAST print changes nothing before it but changes its own surprise
    bumped = cpi.copy()
    bumped.iloc[-1] *= 1.01
    b = cpi_surprise(bumped)
    pd.testing.assert_frame_equal(b.iloc[:-1], base.iloc[:-1])
    assert b["surprise"].iloc[-1] > base["surprise"].iloc[-1] + 0.5


def test_cpi_surprise_real_values_and_release_month(monthly_panel, raw_dir):
    tab = cpi_surprise(_real_cpi())
    raw = pd.read_csv(raw_dir / "fred_monthly/CPIAUCSL.csv", index_col=0)["CPIAUCSL"]
    june = 100 * (raw["2022-06-01"] / raw["2022-05-01"] - 1)  # the hot June 2022 print (~ +1.3% m/m)
    assert tab.loc["2022-06-01", "actual"] == pytest.approx(june, abs=1e-9) and june > 1.0
    assert tab.loc["2022-06-01", "surprise"] > 0.3
    # the June 2022 print was released in July 2022: that is where the panel puts it, as actual minus
    # the market consensus (1.3% vs 1.1% m/m, ForexFactory), not the AR(1) surprise
    from macroattr.data_pipelines.cpi import apply_consensus_table, consensus_table

    with_cons = apply_consensus_table(tab, consensus_table())
    assert with_cons.loc["2022-06-01", "surprise"] == pytest.approx(0.2)
    assert with_cons.loc["2022-06-01", "forecast_source"] == "consensus (ForexFactory)"
    assert monthly_panel.data.loc["2022-07-31", "cpi_surprise"] == pytest.approx(0.2)
    # 2019 has no consensus: the AR(1) surprise stays there
    assert with_cons.loc["2019-06-01", "surprise"] == tab.loc["2019-06-01", "surprise"]
    assert abs(tab["surprise"].dropna().mean()) < 0.05  # a sensible forecast is roughly unbiased


def test_cpi_mom_is_nan_across_the_missing_october_2025():
    mom = mom_change(_real_cpi())
    assert np.isnan(mom["2025-10-01"]) and np.isnan(mom["2025-11-01"])
    assert not np.isnan(mom["2025-09-01"])


def test_consensus_replaces_the_forecast():
    cpi = _real_cpi()
    cons = pd.Series([0.1], index=pd.DatetimeIndex(["2024-06-01"]))
    tab = cpi_surprise(cpi, cons)
    assert tab.loc["2024-06-01", "forecast_source"] == "consensus"
    assert tab.loc["2024-06-01", "surprise"] == pytest.approx(tab.loc["2024-06-01", "actual"] - 0.1)
    assert tab.loc["2024-05-01", "forecast_source"] == "ar1"


def test_month_labels_match_the_per_month_join():
    """The vectorised month labels of the election odds equal the per-month join they replace
    (distinct sources in session order, "none" for a month without any)."""
    import numpy as np
    import pandas as pd

    from macroattr.data_pipelines.factors import _month_labels
    from macroattr.data_pipelines.transforms import month_end

    rng = np.random.default_rng(3)
    days = pd.bdate_range("2019-11-01", "2021-03-31")
    labels = pd.Series(rng.choice(["none", "none", "none", "predictit", "polymarket"], len(days)),
                       index=days, dtype=object)
    labels["2020-02-01":"2020-02-29"] = "none"
    want = labels.groupby(month_end(labels.index)).agg(
        lambda x: "+".join(dict.fromkeys(v for v in x if v != "none")) or "none")
    got = _month_labels(labels)
    pd.testing.assert_series_equal(got, want)
    assert list(got.index) == list(want.index)
    assert got["2020-02-29"] == "none" and "+" in "".join(got)
