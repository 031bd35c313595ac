"""Non-finite or absurd values refused where they enter: one line, exit 2, nothing written."""

from __future__ import annotations

import pytest

from tests.cli import one_line_error, run_cli

from .conftest import tree

CONFIGS = [
    ("x = " + "[" * 3000 + "]" * 3000 + "\n", "nests arrays or tables too deeply"),
    ("[priors]\nbeta_sd = inf\n", "priors.beta_sd: Input should be a finite number"),
    ("[priors]\nbeta_sd = nan\n", "priors.beta_sd: Input should be a finite number"),
    ("[state_space]\nscale_years = 1e9\n", "state_space.scale_years: Input should be less than or equal to 100"),
    ('[panel]\nstart = "banana"\n', "panel.start: 'banana' is not a date"),
]


@pytest.mark.parametrize("text,words", CONFIGS, ids=["nested", "inf", "nan", "scale_years", "start"])
def test_bad_config_values_are_one_line(text, words, tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    before = tree(tmp_path)
    code, _, err = run_cli(["fit", "--config", str(cfg), "--out", str(tmp_path / "f.nc")], capsys)
    assert words in one_line_error(code, err)
    assert tree(tmp_path) == before


@pytest.mark.parametrize("command", [["summary"], ["attribution", "--out", "a.csv"]])
@pytest.mark.parametrize("hdi", ["nan", "inf", "1.5", "0"])
def test_hdi_must_be_a_probability(command, hdi, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(command + ["--hdi", hdi], capsys)
    assert "must be a probability between 0 and 1" in one_line_error(code, err)
    assert list(tmp_path.iterdir()) == []
