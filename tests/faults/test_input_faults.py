"""Hostile and mistaken inputs (issue 16): gaps, duplicates, order, overflow, ambiguous or
out-of-range dates, absurd draws, colliding event labels, binary or endless configs. Each
is one line, exit 2, nothing written; no silent wrong number."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from macroattr.core.errors import InputError
from tests.cli import one_line_error, run_cli

from .conftest import tree


def _sim():
    from macroattr.models import ModelConfig
    from macroattr.models.synthetic import simulate_panel

    panel, truth = simulate_panel(n=120, seed=5)
    return panel, ModelConfig(groups=truth["groups"]).override(method="exact", draws=200, chains=2)


def test_target_levels_with_missing_months_are_refused_not_booked_as_one_month(tmp_path, capsys):
    t = tmp_path / "levels.csv"
    rows = ["date,small,large"]
    for d, s in [("1988-01-29", 100), ("1988-02-29", 101), ("1988-03-31", 102),  # then six months missing
                 ("1988-09-30", 115), ("1988-10-31", 116)]:
        rows.append(f"{d},{s},{100}")
    t.write_text("\n".join(rows) + "\n")
    out = tmp_path / "p.csv"
    before = tree(tmp_path)
    code, _, err = run_cli(["data", "panel", "--target-csv", str(t), "--factors", "d_2y", "--out", str(out)], capsys)
    line = one_line_error(code, err)
    assert "no level in month(s) 1988-04 to 1988-08" in line and "1988-09 return would span 6 months" in line
    assert str(t) in line
    assert tree(tmp_path) == before


def test_daily_levels_with_a_long_hole_are_refused():
    from macroattr.data_pipelines.target import pair_rel_return

    idx = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-02-20", "2024-02-21"])
    s = pd.Series([100.0, 101.0, 120.0, 121.0], idx)
    with pytest.raises(InputError, match=r"48 days between the closes of 2024-01-03 and 2024-02-20"):
        pair_rel_return(s, s * 0 + 100.0, "D", where="my.csv")


@pytest.mark.parametrize("fault", ["duplicate", "unsorted"])
def test_fit_refuses_duplicate_or_unsorted_dates(fault):
    """The rule of plain panel files (one row per period, in order) holds for any panel a
    model is fitted on: rows are never re-sorted or summed silently."""
    from macroattr.models import fit_model

    panel, cfg = _sim()
    df = panel.data
    if fault == "duplicate":
        df = pd.concat([df.iloc[:10], df.iloc[9:10], df.iloc[10:]])
        want = f"date {df.index[9]:%Y-%m-%d} appears twice"
    else:
        df = pd.concat([df.iloc[:10], df.iloc[11:12], df.iloc[10:11], df.iloc[12:]])
        want = "dates are not in order"
    panel.data = df
    with pytest.raises(InputError, match=want):
        fit_model(panel, cfg)


def test_huge_target_value_is_one_line_not_nan_coefficients(tmp_path, capsys):
    panel, cfg = _sim()
    panel.data.iloc[5, 0] = 1e308  # finite, but its square overflows
    p = tmp_path / "panel.csv"
    panel.to_file(p)
    (tmp_path / "m.toml").write_text(cfg.to_toml())
    before = tree(tmp_path)
    code, _, err = run_cli(["fit", "--panel", str(p), "--config", str(tmp_path / "m.toml"),
                            "--out", str(tmp_path / "fit.nc")], capsys)
    line = one_line_error(code, err)
    assert "column 'rel_return' holds values too large to fit (largest |value| 1e+308)" in line
    assert tree(tmp_path) == before


def test_gate_fails_on_non_finite_draws():
    from macroattr.models import fit_model
    from macroattr.models.fit.diagnostics import compute_diagnostics

    panel, cfg = _sim()
    cfg = cfg.override(draws=600)
    fit = fit_model(panel, cfg)
    assert fit.diagnostics.gate.passed
    beta = fit.posterior["beta_std"].values
    beta[0, :3, 0] = np.inf
    beta[1, 0, 1] = np.nan
    gate = compute_diagnostics(fit, cfg.gate, cfg.sampler.method).gate
    assert not gate.passed
    assert any("non-finite draws (alpha, beta)" in r for r in gate.reasons), gate.reasons


@pytest.mark.parametrize(("argv", "option"), [
    (["data", "panel", "--as-of", "05/06/2024"], "--as-of"),
    (["data", "panel", "--start", "05/06/2020"], "--start"),
    (["data", "panel", "--end", "6.5.2024"], "--end"),
    (["data", "panel", "--end", "2300-01-01"], "--end"),
])
def test_ambiguous_or_out_of_range_dates_are_one_line(argv, option, tmp_path, capsys):
    before = tree(tmp_path)
    code, _, err = run_cli([*argv, "--out", str(tmp_path / "p.csv")], capsys)
    line = one_line_error(code, err)
    assert option in line
    assert ("day/month order is ambiguous" in line) or ("outside the dates pandas can hold" in line)
    assert tree(tmp_path) == before


def test_ambiguous_date_in_config_and_fit_options(tmp_path, capsys):
    panel, cfg = _sim()
    p = tmp_path / "panel.csv"
    panel.to_file(p)
    bad = tmp_path / "bad.toml"
    bad.write_text('[panel]\nstart = "05/06/2020"\n' + cfg.to_toml())
    before = tree(tmp_path)
    code, _, err = run_cli(["run", "--config", str(bad), "--source", "snapshot",
                            "--out", str(tmp_path / "r")], capsys)
    line = one_line_error(code, err)
    assert "panel.start" in line and "'05/06/2020'" in line and "ambiguous" in line
    good = tmp_path / "m.toml"
    good.write_text(cfg.to_toml())
    before = tree(tmp_path)
    code, _, err = run_cli(["fit", "--panel", str(p), "--config", str(good), "--start", "01/02/2000",
                            "--out", str(tmp_path / "f.nc")], capsys)
    line = one_line_error(code, err)
    assert "start" in line and "ambiguous" in line
    assert tree(tmp_path) == before


def test_absurd_draws_are_refused_before_sampling(tmp_path, capsys):
    panel, cfg = _sim()
    p = tmp_path / "panel.csv"
    panel.to_file(p)
    (tmp_path / "m.toml").write_text(cfg.to_toml())
    before = tree(tmp_path)
    code, _, err = run_cli(["fit", "--panel", str(p), "--config", str(tmp_path / "m.toml"),
                            "--method", "nuts", "--draws", "1000000000", "--out", str(tmp_path / "f.nc")], capsys)
    line = one_line_error(code, err)
    assert "1,000,000,000 draws would hold about" in line and "GiB" in line and "fewer --draws" in line
    assert "fitting" not in err
    assert tree(tmp_path) == before


def test_event_labels_that_collide_are_refused(tmp_path, capsys):
    ev = tmp_path / "events.csv"
    ev.write_text("date,label\n2017-05-07,Élection présidentielle\n2022-04-24,Election presidentielle\n")
    before = tree(tmp_path)
    code, _, err = run_cli(["data", "panel", "--events-csv", str(ev), "--start", "2016-01-31",
                            "--out", str(tmp_path / "p.csv")], capsys)
    line = one_line_error(code, err)
    assert "line 3" in line and "'Election presidentielle'" in line and "'Élection présidentielle'" in line
    assert "both become factor event_election_presidentielle" in line
    assert tree(tmp_path) == before


def test_non_ascii_labels_are_kept_as_distinct_factors(tmp_path):
    from macroattr.data_pipelines.user_files import read_events

    ev = tmp_path / "events.csv"
    ev.write_text("date,label\n2017-05-07,Élection\n2018-01-01,Lection\n2019-01-01,选举\n2020-01-01,ÉLECTION\n")
    labels = read_events(ev)
    assert labels.tolist() == ["election", "lection", "label_ad930328", "election"]


@pytest.mark.parametrize("kind", ["binary", "endless"])
def test_binary_or_endless_config_is_one_line(kind, tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    if kind == "binary":
        cfg.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    else:
        cfg = "/dev/zero"
    before = tree(tmp_path)
    code, _, err = run_cli(["run", "--config", str(cfg), "--source", "snapshot", "--out", str(tmp_path / "r")], capsys)
    line = one_line_error(code, err)
    assert "config" in line and (("binary" in line) if kind == "binary" else ("not a regular file" in line))
    assert tree(tmp_path) == before


def test_toml_date_literal_after_2262_is_one_line(tmp_path, capsys):
    cfg = tmp_path / "d.toml"
    cfg.write_text("[panel]\nend = 2300-01-01\n")  # a TOML date, not a string
    before = tree(tmp_path)
    code, _, err = run_cli(["run", "--config", str(cfg), "--source", "snapshot", "--out", str(tmp_path / "r")], capsys)
    line = one_line_error(code, err)
    assert "panel.end: 2300-01-01 is outside the dates pandas can hold" in line
    assert tree(tmp_path) == before


def test_events_file_that_is_a_device_is_one_line(tmp_path, capsys):
    code, _, err = run_cli(["data", "panel", "--events-csv", "/dev/zero", "--out", str(tmp_path / "p.csv")], capsys)
    assert "--events-csv /dev/zero is a device, not a regular file" in one_line_error(code, err)
    assert tree(tmp_path) == {}
