"""A user's own plain CSV panel (date, rel_return, factor columns; no sidecar) fits through
the CLI with groups and units from the config; bad plain files fail with one line."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

from tests.cli import one_line_error, run_cli

from macroattr.data_pipelines.panel import Panel
from macroattr.models import load_fit


def _plain_csv(path, n=120, seed=0, start="2010-01-31"):
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=n, freq="ME")
    x1, x2 = rng.normal(0, 0.25, n), rng.normal(0, 1.0, n)
    y = 0.2 - 2.0 * x1 + 0.8 * x2 + rng.normal(0, 1.0, n)
    pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "rel_return": y, "my_rate": x1,
                  "sentiment": x2}).to_csv(path, index=False)
    return path


CONFIG = textwrap.dedent("""
    [groups]
    rates = ["my_rate"]
    mood = ["sentiment"]

    [units]
    my_rate = "pp"

    [sampler]
    method = "exact"
    draws = 500
""")


def test_plain_csv_with_custom_factor_names_fits_through_the_cli(tmp_path, capsys):
    csv = _plain_csv(tmp_path / "my.csv")
    cfg = tmp_path / "my.toml"
    cfg.write_text(CONFIG)
    code, out, err = run_cli(["fit", "--panel", str(csv), "--config", str(cfg), "--out",
                              str(tmp_path / "f.nc")], capsys)
    assert code == 0, err
    fit = load_fit(tmp_path / "f.nc")
    coef = fit.coefficients().set_index("factor")
    assert list(coef.index) == ["my_rate", "sentiment"]
    # units: the config names my_rate's ("pp": a rate, so per 100 bp); sentiment has none
    assert coef.loc["my_rate", "unit"] == "pp per 100 bp"
    assert coef.loc["sentiment", "unit"] == "pp per unit of sentiment"
    assert coef.loc["my_rate", "hdi_low"] < -2.0 < coef.loc["my_rate", "hdi_high"]
    assert coef.loc["sentiment", "hdi_low"] < 0.8 < coef.loc["sentiment", "hdi_high"]
    assert fit.freq == "M" and any("no .meta.json sidecar" in n for n in fit.panel.meta["notes"])


def test_plain_daily_csv_reads_as_daily(tmp_path):
    days = pd.bdate_range("2024-01-02", periods=40)
    pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "rel_return": 0.1, "x": 1.0}).to_csv(
        tmp_path / "d.csv", index=False)
    assert Panel.read(tmp_path / "d.csv").meta["freq"] == "D"


@pytest.mark.parametrize("rows,message", [
    ([("2024-01-31", 1.0, 0.1), ("2024-01-31", 2.0, 0.2)], "date 2024-01-31 appears twice"),
    ([("2024-02-29", 1.0, 0.1), ("2024-01-31", 2.0, 0.2)], "dates are not in order (2024-01-31 follows 2024-02-29)"),
    ([("05/06/2024", 1.0, 0.1)], "date '05/06/2024' is not an ISO date"),
    ([("2024-01-31", "abc", 0.1)], "column rel_return holds non-numeric values"),
    ([("2024-01-31", 1.0, "inf")], "non-finite value in column x on 2024-01-31"),
])
def test_bad_plain_csv_gives_one_line(tmp_path, capsys, rows, message):
    csv = tmp_path / "bad.csv"
    pd.DataFrame(rows, columns=["date", "rel_return", "x"]).to_csv(csv, index=False)
    cfg = tmp_path / "c.toml"
    cfg.write_text('[groups]\nrates = ["x"]\n[sampler]\nmethod = "exact"\n')
    before = sorted(p.name for p in tmp_path.iterdir())
    code, _, err = run_cli(["fit", "--panel", str(csv), "--config", str(cfg), "--out",
                            str(tmp_path / "f.nc")], capsys)
    line = one_line_error(code, err)
    assert message in line and str(csv) in line
    assert sorted(p.name for p in tmp_path.iterdir()) == before
