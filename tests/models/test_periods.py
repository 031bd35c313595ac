"""Periods in one home: the quarters of a fit follow its own span and one completeness rule."""

from __future__ import annotations

import pandas as pd
import pytest

from macroattr.models import ModelConfig, fit_model
from macroattr.core.periods import complete_periods, complete_quarters, partial_periods


@pytest.fixture(scope="module")
def panel():
    from macroattr.data_pipelines import build_panel

    return build_panel(freq="M", start="2022-01-01", end="2024-12-31")


def test_a_fit_ending_mid_quarter_reports_its_last_complete_quarter(panel, tmp_path, capsys):
    cfg = ModelConfig.shipped("static_monthly").override(method="exact", draws=200, end="2024-08-31")
    fit = fit_model(panel, cfg)
    assert fit.quarters[-1] == "2024Q2"          # 2024Q3 has only July and August
    assert fit.partial_periods("Q") == ["2024Q3"]
    # the report resolves "latest" from the fit, not from the (longer) panel
    from macroattr.reports.content import fit_quarters

    assert fit_quarters(fit)[-1] == "2024Q2"
    # and the CLI agrees
    from tests.cli import run_cli

    fit.save(tmp_path / "f.nc")
    code, out, err = run_cli(["report", "--fit", str(tmp_path / "f.nc"), "--quarter", "latest",
                              "--out", str(tmp_path / "r")], capsys)
    assert code == 0, err
    pages = sorted(p.name for p in (tmp_path / "r").glob("*.html") if p.name != "index.html")
    assert len(pages) == 1 and pages[0].startswith("2024Q2")
    assert out.strip().endswith(pages[0])


def test_one_rule_for_daily_and_monthly():
    months = pd.date_range("2024-01-31", "2024-08-31", freq="ME")
    days = pd.bdate_range("2024-01-02", "2024-08-30")
    assert complete_quarters(months, "M") == complete_quarters(days, "D") == ["2024Q1", "2024Q2"]
    assert partial_periods(months, "M", "Q") == partial_periods(days, "D", "Q") == ["2024Q3"]
    # a daily series that stops a week before the quarter's end is partial
    assert complete_periods(pd.bdate_range("2024-04-01", "2024-06-21"), "D", "Q") == []
    # Good Friday: the last session of 2024Q1 was 03-28, still complete
    assert complete_periods(pd.bdate_range("2024-01-02", "2024-03-28"), "D", "Q") == ["2024Q1"]
    # a monthly series with a month missing inside the quarter is not complete
    gap = months.delete(4)  # drop May
    assert "2024Q2" not in complete_quarters(gap, "M")


def test_vectorised_labels_are_the_strftime_labels():
    """period_labels formats each period once (NumPy) for naive dates: the very strings of
    strftime / year-quarter formatting, for daily, month-end and scattered dates."""
    import numpy as np
    import pandas as pd

    from macroattr.core.periods import period_labels

    rng = np.random.default_rng(1)
    cases = [pd.bdate_range("1999-12-27", "2026-08-21"),
             pd.date_range("1999-01-31", "2026-08-31", freq="ME"),
             pd.DatetimeIndex(np.sort(rng.choice(pd.date_range("1900-01-01", "2099-12-31").values,
                                                 500, replace=False)))]
    for d in cases:
        want = {"D": list(d.strftime("%Y-%m-%d")), "M": list(d.strftime("%Y-%m")),
                "Q": [f"{y}Q{q}" for y, q in zip(d.year, d.quarter, strict=True)],
                "Y": list(d.strftime("%Y"))}
        for f, labels in want.items():
            got = period_labels(d, f)
            assert got.dtype == object and got.tolist() == labels


def test_quarters_of_is_quarter_of_on_every_label_and_timestamp():
    """The vectorised quarter labels the report filters with equal the one-label rule on
    daily, monthly and quarterly labels and on timestamps (quarter edges included), index kept."""
    import numpy as np
    import pandas as pd

    from macroattr.core.periods import quarter_of, quarters_of

    days = pd.date_range("1999-12-30", "2001-01-02", freq="D")
    cases = [pd.Series(days.strftime("%Y-%m-%d")),
             pd.Series(pd.period_range("1999-11", "2001-02", freq="M").astype(str)).repeat(3),
             pd.Series(["2024Q4", "2025Q1", "2025q2"])]
    for labels in cases:
        labels = labels.set_axis(np.arange(len(labels))[::-1])
        got = quarters_of(labels)
        assert got.index.equals(labels.index)
        assert got.tolist() == [quarter_of(v) for v in labels]
    stamps = pd.Series(days)
    assert quarters_of(stamps).tolist() == [quarter_of(d.strftime("%Y-%m-%d")) for d in days]
    assert quarters_of(stamps).tolist().count("2000Q1") == 91  # leap year quarter


def test_quarter_of_month_and_day_labels_is_pandas_quarter():
    """The string fast path of :func:`quarter_of` gives pandas' quarter for every day and
    month label of 1999–2030 (and still parses quarter labels)."""
    from macroattr.core.periods import quarter_of, quarters_of

    days = pd.date_range("1999-01-01", "2030-12-31")
    months = pd.period_range("1999-01", "2030-12", freq="M")
    want = [str(d.to_period("Q")) for d in days] + [str(m.asfreq("Q")) for m in months]
    labels = [d.strftime("%Y-%m-%d") for d in days] + [str(m) for m in months]
    assert [quarter_of(x) for x in labels] == want
    assert quarters_of(pd.Series(labels)).tolist() == want
    assert quarter_of("2024q3") == "2024Q3"
