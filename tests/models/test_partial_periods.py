"""Periods the data cover only in part are flagged, whole ones never are."""

from __future__ import annotations

import pandas as pd

from macroattr.core.periods import partial_periods


def test_monthly_data_ending_in_april_make_the_quarter_and_year_partial():
    idx = pd.date_range("1988-01-31", "2025-04-30", freq="ME")
    assert partial_periods(idx, "M", "Q") == ["2025Q2"]
    assert partial_periods(idx, "M", "Y") == ["2025"]
    assert partial_periods(idx, "M", "M") == []


def test_monthly_data_starting_mid_quarter_flag_the_first_quarter():
    idx = pd.date_range("2003-02-28", "2024-12-31", freq="ME")
    assert partial_periods(idx, "M", "Q") == ["2003Q1"]
    assert partial_periods(idx, "M", "Y") == ["2003"]


def test_daily_data_ending_on_a_holiday_eve_are_whole():
    # Good Friday 2024-03-29 closed the market: the quarter's last session was 03-28
    idx = pd.bdate_range("2024-01-02", "2024-03-28")
    assert partial_periods(idx, "D", "Q") == []
    assert partial_periods(pd.bdate_range("2024-01-02", "2024-03-11"), "D", "Q") == ["2024Q1"]
    assert partial_periods(pd.bdate_range("2024-01-02", "2024-03-11"), "D", "M") == ["2024-03"]


def test_attribution_cli_notes_the_partial_quarter(tmp_path):
    import subprocess
    import sys

    fit = tmp_path / "fit.nc"
    cli = [sys.executable, "-m", "macroattr.cli"]
    from macroattr.configs import config_path

    subprocess.run([*cli, "fit", "--config", str(config_path("static_monthly")), "--freq", "M",
                    "--method", "exact", "--draws", "200",
                    "--end", "2024-11-30", "--out", str(fit)], check=True, capture_output=True)
    r = subprocess.run([*cli, "attribution", "--fit", str(fit), "--freq", "Q", "--out",
                        str(tmp_path / "a.csv")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert pd.read_csv(tmp_path / "a.csv")["period"].iloc[-1] == "2024Q4"
    # the default panel starts 1988-11 (the policy surprises' start), so 1988Q4 is partial too
    assert "note: 1988Q4, 2024Q4 covered only in part" in r.stderr
