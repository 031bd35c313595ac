"""`macroattr data panel|factors` through the real console entry point: exit codes, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from macroattr.data_pipelines import catalog

from tests.cli import one_line_error
from tests.cli import run_cli as run


def _bad(args, capsys, tmp_path, *needles):
    code, out, err = run([*args, "--out", str(tmp_path / "panel.csv")], capsys)
    line = one_line_error(code, err)
    for n in needles:
        assert n in line, line
    assert not list(tmp_path.glob("panel.csv*")), "no output may be written on bad input"
    return line


def test_panel_writes_csv_and_sidecar(tmp_path, capsys):
    code, out, _ = run(["data", "panel", "--freq", "M", "--start", "2020-01-01", "--end", "2020-12-31",
                        "--out", str(tmp_path / "p.parquet")], capsys)
    assert code == 0
    assert f"wrote {tmp_path / 'p.parquet'}" in out and "12 periods" in out
    df = pd.read_parquet(tmp_path / "p.parquet")
    assert list(df.columns)[:2] == ["date", "rel_return"] and len(df) == 12
    assert (tmp_path / "p.parquet.meta.json").is_file()


def test_factors_lists_catalog(capsys):
    code, out, _ = run(["data", "factors"], capsys)
    assert code == 0
    for name in catalog.FACTORS:
        assert name in out


def test_unknown_factor(tmp_path, capsys):
    _bad(["data", "panel", "--factors", "d_2y,vix"], capsys, tmp_path, "unknown factor 'vix'", "known factors: d_2y")


def test_no_common_data(tmp_path, capsys):
    t = tmp_path / "t.csv"
    t.write_text("date,rel_return\n1990-01-31,1.0\n1990-02-28,2.0\n")
    _bad(["data", "panel", "--target-csv", str(t), "--factors", "d_breakeven_5y"], capsys, tmp_path,
         "no common data", "d_breakeven_5y")


def test_span_before_factor_exists(tmp_path, capsys):
    _bad(["data", "panel", "--start", "1995-01-01", "--factors", "d_2y,d_breakeven_5y"], capsys, tmp_path,
         "before factor d_breakeven_5y exists", "2003-02-28")


@pytest.mark.parametrize(("content", "needles"), [
    ("date,small\n2024-01-31,1\n", ["missing columns", "date,small,large or date,rel_return"]),
    ("date,small,large\n2024-01-31,1,1\n2024-01-31,2,2\n", ["line 3", "duplicate date 2024-01-31"]),
    ("date,small,large\n2024-02-29,1,1\n2024-01-31,2,2\n", ["line 3", "2024-01-31 comes after 2024-02-29", "sort"]),
    ("date,small,large\n2024-01-31,1,1\n2024-02-29,abc,2\n", ["line 3", "2024-02-29", "column small", "'abc'"]),
    ("date,rel_return\n2024-01-31,1\n2024-02-29,\n", ["line 3", "column rel_return", "not a number"]),
    ("date,small,large\n31/01/2024,1,1\n", ["line 2", "'31/01/2024'", "YYYY-MM-DD"]),
])
def test_bad_target_csv(tmp_path, capsys, content, needles):
    t = tmp_path / "target.csv"
    t.write_text(content)
    line = _bad(["data", "panel", "--target-csv", str(t)], capsys, tmp_path, *needles)
    assert str(t) in line


def test_missing_target_file(tmp_path, capsys):
    _bad(["data", "panel", "--target-csv", str(tmp_path / "nope.csv")], capsys, tmp_path, "not found")


def test_bad_freq_and_dates(tmp_path, capsys):
    _bad(["data", "panel", "--freq", "W"], capsys, tmp_path, "unknown frequency 'W'")
    _bad(["data", "panel", "--start", "2024-13-01"], capsys, tmp_path, "'2024-13-01' is not a date")


def test_user_target_levels_futures_events(tmp_path, capsys):
    t = tmp_path / "t.csv"
    t.write_text("date,small,large\n2026-07-31,100,100\n2026-08-31,99,103\n2026-09-30,110,104\n")
    f = tmp_path / "ff.csv"
    f.write_text("date,price,announcement\n2026-09-15,96.40,0\n2026-09-16,96.45,1\n2026-09-30,96.50,0\n")
    e = tmp_path / "e.csv"
    e.write_text("date,label\n2026-09-10,Assassination attempt\n")
    out = tmp_path / "p.csv"
    code, so, err = run(["data", "panel", "--target-csv", str(t), "--futures-csv", str(f), "--events-csv", str(e),
                         "--factors", "mp_target,event_assassination_attempt", "--out", str(out)], capsys)
    assert code == 0, err
    df = pd.read_csv(out, index_col="date")
    # the embedded surprises (30-minute file, then the 2026 one-day proxy) cover to 2026-09-15: the user's
    # futures give the 16 September 2026 announcement, (100-96.45)-(100-96.40)
    assert df.loc["2026-09-30", "mp_target"] == pytest.approx(-0.05)
    assert df.loc["2026-08-31", "mp_target"] == 0.0
    assert df["event_assassination_attempt"].tolist() == [0.0, 1.0]
    import math
    assert df.loc["2026-09-30", "rel_return"] == pytest.approx(100 * (math.log(110 / 99) - math.log(104 / 103)))


def test_console_script_one_line(tmp_path):
    exe = Path(sys.executable).with_name("macroattr")
    r = subprocess.run([str(exe), "data", "panel", "--factors", "bogus", "--out", str(tmp_path / "x.csv")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
