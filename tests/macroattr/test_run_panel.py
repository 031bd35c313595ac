"""``macroattr run`` builds the panel its config's ``[panel]`` table (and the CLI panel
options) ask for: frequency, span, user files; the fit cache keys on those settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from macroattr.core.errors import InputError
from tests.cli import one_line_error as _one_line_error
from tests.cli import run_cli as _run
from macroattr.jobs.run_config import PanelSettings, load_run_config
from macroattr.models import ModelConfig, load_fit
from macroattr.models.config import default_config_path

os.environ.setdefault(
    "PYTENSOR_FLAGS", f"base_compiledir={Path(__file__).resolve().parents[2] / '.cache' / 'pytensor'}"
)
CONFIGS = default_config_path().parent
EVENTS = "date,label\n2016-11-08,election\n2020-11-03,election\n2024-11-05,election\n2020-03-16,covid\n"




def _exact_config(folder: Path, panel: str = "") -> Path:
    """The default model with the instant exact posterior and a given [panel] table."""
    path = folder / "exact.toml"
    model = ModelConfig.shipped("static_monthly").override(method="exact", draws=300, chains=2).to_toml()
    path.write_text(model + "\n" + panel)
    return path


@pytest.fixture(autouse=True)
def _no_fred_key(monkeypatch):
    monkeypatch.delenv("FRED_API_KEY", raising=False)


# ---------------------------------------------------------------- configuration
def test_shipped_configs_declare_their_panel():
    assert load_run_config(CONFIGS / "static_monthly.toml").panel == PanelSettings()  # monthly, full span
    # the default is the daily state-space model from 2000
    default = load_run_config(None)
    assert (default.panel.freq, default.panel.start) == ("D", "2000-01-01")
    assert default.model.model.betas == "state_space" and default.model.sampler.method == "exact"
    assert default == load_run_config(CONFIGS / "default.toml")
    # the model layer reads the same file and skips the application's [panel] table
    assert ModelConfig.from_toml(CONFIGS / "default.toml") == default.model


def test_panel_paths_are_relative_to_the_config_file(tmp_path):
    sub = tmp_path / "cfg"
    sub.mkdir()
    (sub / "events.csv").write_text(EVENTS)
    path = sub / "run.toml"
    path.write_text('[panel]\nfreq = "d"\nstart = 2019-01-01\nfactors = "d_2y, dlog_epu"\n'
                    'events_csv = "events.csv"\n[groups]\nrates = ["d_2y"]\npolitical = ["dlog_epu"]\n')
    rc = load_run_config(path)
    assert rc.panel.freq == "D" and rc.panel.start == "2019-01-01"  # TOML date literal accepted
    assert rc.panel.factors == ["d_2y", "dlog_epu"]
    assert rc.panel.events_csv == (sub / "events.csv").resolve()
    # CLI overrides win; None leaves the config's value
    new = rc.panel.updated(freq="M", end="2024-12-31", start=None)
    assert (new.freq, new.start, new.end) == ("M", "2019-01-01", "2024-12-31")
    assert new.key() != rc.panel.key()


@pytest.mark.parametrize("body, needle", [
    ('[panel]\nfrq = "D"\n', "unknown key 'panel.frq'"),
    ('[panel]\nfreq = "W"\n', "panel.freq"),
    ('[panel]\nstart = "2019-13-01"\n', "panel.start: '2019-13-01' is not a date"),
    ('[panel]\nevents_csv = "missing.csv"\n', "panel.events_csv: file"),
    ('panel = 3\n', "[panel] must be a table"),
])
def test_bad_panel_table_is_one_line_exit_2(tmp_path, capsys, body, needle):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(body)
    with pytest.raises(InputError, match=needle.replace("[", r"\[").replace(".", r"\.")):
        load_run_config(cfg)
    code, out, err = _run(["run", "--source", "snapshot", "--config", str(cfg), "--out",
                           str(tmp_path / "site"), "--cache-dir", str(tmp_path / "cache")], capsys)
    line = _one_line_error(code, err)
    assert needle in line and "bad.toml" in line
    assert out == "" and not (tmp_path / "site").exists() and not (tmp_path / "cache").exists()


@pytest.mark.parametrize("args, needle", [
    (["--freq", "W"], "--freq"),
    (["--start", "yesterday"], "--start: 'yesterday' is not a date"),
    (["--events-csv", "no_such_events.csv"], "--events-csv: file"),
])
def test_bad_panel_option_is_one_line_exit_2(tmp_path, capsys, args, needle):
    code, _, err = _run(["run", "--source", "snapshot", *args, "--out", str(tmp_path / "site"),
                         "--cache-dir", str(tmp_path / "cache")], capsys)
    assert needle in _one_line_error(code, err)
    assert not (tmp_path / "cache").exists()


# ---------------------------------------------------------------- end to end
def test_run_with_events_csv_fits_the_event_indicators(tmp_path, capsys):
    (tmp_path / "events.csv").write_text(EVENTS)
    cfg = _exact_config(tmp_path, '[panel]\nstart = "2010-01-31"\nevents_csv = "events.csv"\n')
    cache, site = tmp_path / "cache", tmp_path / "site"
    argv = ["run", "--source", "snapshot", "--config", str(cfg), "--quarter", "2024Q4",
            "--out", str(site), "--cache-dir", str(cache)]
    code, out, err = _run(argv, capsys)
    assert code == 0, err
    # other factors than the default model's: the page carries the model in its name
    assert Path(out.strip()).parent == site and Path(out.strip()).name.startswith("2024Q4-")
    assert Path(out.strip()).is_file()
    assert "event_election -> political" in err
    (fit_path,) = (cache / "fits").glob("*.nc")
    fit = load_fit(str(fit_path))
    assert fit.config.groups["political"] == ["d_rep_win_prob", "dlog_epu", "event_covid", "event_election"]
    data = fit.panel.data
    assert str(data.index[0].date()) == "2010-01-31"
    assert data.loc["2020-11-30", "event_election"] == 1 and data.loc["2020-10-31", "event_election"] == 0
    assert data["event_election"].sum() == 3 and data["event_covid"].sum() == 1
    assert "event_election" in fit.coefficients()["factor"].tolist()
    assert fit.panel.meta["series"]["user:events"]["source"] == "user"
    # the panel settings key the cache: same settings reuse, other settings fit anew
    code, _, err = _run(argv, capsys)
    assert code == 0 and "reusing" in err
    code, _, err = _run([*argv, "--start", "2012-01-31"], capsys)
    assert code == 0 and "reusing" not in err
    assert len(list((cache / "fits").glob("*.nc"))) == 2


def test_run_daily_time_varying_config_builds_a_daily_panel(tmp_path, capsys, cheap_sampler):
    # a knot-grid model on a daily [panel] table, made small, and a --start override of its span
    model = ModelConfig.shipped("static_monthly").override(betas="time_varying", draws=50, chains=2)
    cfg = tmp_path / "daily_time_varying.toml"
    cfg.write_text(model.to_toml() + '\n[panel]\nfreq = "D"\nstart = "2000-01-01"\n')
    cache, site = tmp_path / "cache", tmp_path / "site"
    code, out, err = _run(["run", "--source", "snapshot", "--config", str(cfg), "--start",
                           "2023-01-01", "--end", "2024-12-31", "--out", str(site),
                           "--cache-dir", str(cache)], capsys)
    assert code == 0, err
    assert "building daily panel 2023-01-01..2024-12-31" in err
    # not the default model, so its page carries the model's name: 2024Q4-<model>.html
    page = Path(out.strip())
    assert page.parent == site and page.name.startswith("2024Q4-") and page.suffix == ".html"
    (fit_path,) = (cache / "fits").glob("*.nc")
    fit = load_fit(str(fit_path))
    assert fit.panel.meta["freq"] == "D" and fit.freq == "D"
    assert fit.config.model.betas == "time_varying"
    assert 480 < fit.design.n_obs < 520  # trading days, not 24 months
    assert fit.meta["sampler"] == "cheap-stand-in"
    # --freq overrides the config's [panel] freq: a monthly panel, a different cached fit
    code, _, err = _run(["run", "--source", "snapshot", "--config", str(cfg), "--freq", "M",
                         "--start", "2015-01-31", "--out", str(site), "--cache-dir", str(cache)],
                        capsys)
    assert code == 0, err
    assert "building monthly panel" in err
    monthly = [load_fit(str(p)) for p in (cache / "fits").glob("*.nc") if p != fit_path]
    assert len(monthly) == 1 and monthly[0].panel.meta["freq"] == "M"


def test_fit_without_panel_file_uses_the_config_panel_table(tmp_path, capsys):
    cfg = _exact_config(tmp_path, '[panel]\nfreq = "D"\nstart = "2023-01-01"\nend = "2024-06-30"\n')
    code, _, err = _run(["fit", "--config", str(cfg), "--out", str(tmp_path / "d.nc")], capsys)
    assert code == 0, err
    daily = load_fit(str(tmp_path / "d.nc"))
    assert daily.freq == "D" and 360 < daily.design.n_obs < 385
    code, _, err = _run(["fit", "--config", str(cfg), "--freq", "M", "--out", str(tmp_path / "m.nc")],
                        capsys)
    assert code == 0, err
    monthly = load_fit(str(tmp_path / "m.nc"))
    assert monthly.freq == "M" and monthly.design.n_obs == 18
