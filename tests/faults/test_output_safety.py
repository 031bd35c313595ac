"""What the product writes or prints is safe (issue 16): CSV cells cannot run as formulas,
terminal output carries no escape sequences or rich markup, the report's CSP pins its inline
scripts by hash, and the fit cache trusts the key stored inside a fit, not its file name."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import urllib.parse

import pandas as pd
import pytest

from tests.cli import run_cli

EVIL = "=cmd|' /C calc'!A0"


def _sim_with_groups(groups_names):
    from macroattr.models import ModelConfig
    from macroattr.models.synthetic import simulate_panel

    panel, truth = simulate_panel(n=120, seed=7)
    groups = dict(zip(groups_names, truth["groups"].values(), strict=False))
    rest = list(truth["groups"].values())[len(groups):]
    for i, cols in enumerate(rest):
        groups[f"g{i}"] = cols
    return panel, ModelConfig(groups=groups).override(method="exact", draws=200, chains=2)


def test_attribution_csv_neutralises_formula_cells_but_keeps_negative_numbers(tmp_path, capsys):
    panel, cfg = _sim_with_groups([EVIL, "@SUM(1+1)", "+rates", "-lev"])
    p = tmp_path / "panel.csv"
    panel.to_file(p)
    (tmp_path / "m.toml").write_text(cfg.to_toml())
    fit = tmp_path / "f.nc"
    assert run_cli(["fit", "--panel", str(p), "--config", str(tmp_path / "m.toml"), "--out", str(fit)], capsys)[0] == 0
    out = tmp_path / "attr.csv"
    code, _, err = run_cli(["attribution", "--fit", str(fit), "--out", str(out)], capsys)
    assert code == 0, err
    t = pd.read_csv(out, dtype={"component": str})
    comps = set(t["component"])
    assert {"'" + EVIL, "'@SUM(1+1)", "'+rates", "'-lev"} <= comps
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in comps)
    assert (t["mean"] < 0).any() and t["mean"].dtype == float  # numbers stay numbers
    raw = out.read_text()
    assert "\n-" in raw or ",-" in raw  # negative numbers are written as plain numbers


def test_report_csv_downloads_neutralise_text_cells():
    from macroattr.reports.tables import csv_data_uri

    frame = pd.DataFrame({"series": [EVIL, "\tTAB", "\rCR", "ok", "-1.23"], "mean": [-1.23, 2, 3, 4, 5]})
    text = urllib.parse.unquote(csv_data_uri(frame).split(",", 1)[1])
    import csv
    import io

    # Python 3.13's csv quotes a field holding CR, 3.12's does not: either way the ' comes first
    assert "\n'\rCR," in text or '\n"\'\rCR",' in text
    rows = list(csv.reader(io.StringIO(text.replace("\r", ""), newline="")))[1:]
    assert [r[0] for r in rows] == ["'=cmd|' /C calc'!A0", "'\tTAB", "'CR", "ok", "-1.23"]
    assert rows[0][1] == "-1.23"


@pytest.fixture
def hostile_store(tmp_path, monkeypatch):
    from macroattr.data_pipelines.fred.store import SeriesStore

    st = SeriesStore(tmp_path / "store")
    title = "Yield\x1b]0;pwned\x07\x1b[2J [/] [bold red]x[/bold red]\u202e"
    obs = pd.Series([1.0, 2.0], index=pd.to_datetime(["2024-01-01", "2024-02-01"]))
    st.write("EVIL", obs, {"title": title, "units": "Percent\x1b[31m", "frequency": "Monthly"})
    monkeypatch.setenv("MACROATTR_STORE", str(st.path))
    monkeypatch.setenv("COLUMNS", "200")
    return st


def test_data_status_strips_escapes_and_shows_markup_as_text(hostile_store, capsys):
    code, out, err = run_cli(["data", "status"], capsys)
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "[/]" in out and "[bold red]x" in out  # shown literally, not interpreted


def test_data_show_strips_escapes(hostile_store, capsys):
    code, out, err = run_cli(["data", "show", "EVIL"], capsys)
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out
    assert "# title: Yield0;pwned [/] [bold red]x[/bold red]" in out or "# title: Yield [/]" in out
    assert "# units: Percent" in out


def _exact_run(tmp_path, capsys, cfg_text, cache):
    cfg = tmp_path / "m.toml"
    cfg.write_text(cfg_text)
    return run_cli(["run", "--config", str(cfg), "--source", "snapshot", "--cache-dir", str(cache),
                    "--out", str(tmp_path / "reports"), "--start", "2015-01-01"], capsys)


@pytest.fixture
def two_configs():
    from macroattr.models import ModelConfig

    base = ModelConfig.shipped("static_monthly").override(method="exact", draws=200, chains=2)
    return base.to_toml(), base.override(seed=99).to_toml()


def test_report_csp_pins_inline_scripts_by_hash(tmp_path, capsys, monkeypatch, two_configs):
    monkeypatch.chdir(tmp_path)
    code, out, err = _exact_run(tmp_path, capsys, two_configs[0], tmp_path / "cache")
    assert code == 0, err
    html = (tmp_path / "reports" / out.strip().split("/")[-1]).read_text()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    script_src = re.search(r"script-src ([^;]+)", csp).group(1).split()
    assert "'unsafe-inline'" not in script_src and script_src
    bodies = re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S)
    want = {"'sha256-" + base64.b64encode(hashlib.sha256(b.encode()).digest()).decode() + "'" for b in bodies}
    assert len(bodies) >= 2 and set(script_src) == want


def test_fit_cache_checks_the_key_inside_the_file(tmp_path, capsys, monkeypatch, two_configs):
    """A cached fit replaced by one made for another configuration is refitted, not published."""
    monkeypatch.chdir(tmp_path)
    cache_a, cache_b = tmp_path / "a", tmp_path / "b"
    code, _, err = _exact_run(tmp_path, capsys, two_configs[0], cache_a)
    assert code == 0, err
    code, _, err = _exact_run(tmp_path, capsys, two_configs[1], cache_b)
    assert code == 0, err
    [fa] = (cache_a / "fits").glob("*.nc")
    [fb] = (cache_b / "fits").glob("*.nc")
    shutil.copyfile(fb, fa)  # the other configuration's fit under this configuration's name
    code, _, err = _exact_run(tmp_path, capsys, two_configs[0], cache_a)
    assert code == 0, err
    assert "was made for another panel or configuration" in err and "refitting" in err
    assert "reusing" not in err
    from macroattr.models import load_fit

    assert load_fit(fa).config.sampler.seed == 20240701 or load_fit(fa).config.sampler.seed != 99
    code, _, err = _exact_run(tmp_path, capsys, two_configs[0], cache_a)
    assert code == 0 and "reusing" in err and "key checked" in err
