"""One validation formatter (macroattr.core.validation): a file with several errors reports
every one of them in one line naming the file and each key (config, panel table, scenarios;
grid files: tests/macroattr/test_grid.py)."""

from __future__ import annotations

import pytest

from macroattr.core.errors import InputError
from tests.cli import one_line_error, run_cli


def test_config_with_three_errors_reports_all_three(tmp_path, capsys):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[panel]\nfreq = "W"\nstart = "05/06/2020"\nfrq = 1\n'
                   '[groups]\nrates = ["d_2y"]\n')
    from macroattr.jobs.run_config import load_run_config

    with pytest.raises(InputError) as exc:
        load_run_config(cfg)
    line = str(exc.value)
    assert str(cfg) in line and "3 problems" in line
    for key in ("panel.freq: unknown frequency 'W'", "panel.start: '05/06/2020'",
                "unknown key 'panel.frq'"):
        assert key in line, key
    code, _, err = run_cli(["run", "--config", str(cfg), "--source", "snapshot",
                            "--out", str(tmp_path / "site")], capsys)
    assert "3 problems" in one_line_error(code, err)


def test_model_tables_with_three_errors(tmp_path):
    from macroattr.models import ModelConfig

    cfg = tmp_path / "m.toml"
    cfg.write_text('[groups]\nrates = ["d_2y"]\n[model]\nbetas = "wavy"\n'
                   '[sampler]\ndraws = "many"\n[gate]\nrhat = 1.1\n')
    with pytest.raises(InputError) as exc:
        ModelConfig.from_toml(cfg)
    line = str(exc.value)
    assert str(cfg) in line and "3 problems" in line
    assert "model.betas" in line and "'wavy'" in line
    assert "sampler.draws" in line and "'many'" in line
    assert "unknown key 'gate.rhat'" in line and "allowed:" in line


def test_scenario_file_with_three_errors(tmp_path):
    from macroattr.models.analysis.scenarios import load_scenarios

    f = tmp_path / "s.toml"
    f.write_text('[scenarios.a]\nshocks = { d_2y = "up" }\ncolour = "red"\n'
                 '[scenarios.b]\nhorizon = 5\nshocks = { d_2y = 1.0 }\nfoo = 1\n')
    with pytest.raises(InputError) as exc:
        load_scenarios(f)
    line = str(exc.value)
    assert line.startswith(f"scenario file {f}: ") and "problems" in line
    assert "scenarios.a.shocks.d_2y" in line
    assert "unknown key 'scenarios.a.colour'" in line and "unknown key 'scenarios.b.foo'" in line
    assert len(line.splitlines()) == 1
