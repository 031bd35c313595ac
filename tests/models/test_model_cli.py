"""CLI: fit / attribution / summary / compare, exit codes and one-line errors."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.cli import run_cli as run


@pytest.fixture
def panel_file(sim, tmp_path):
    p = tmp_path / "panel.csv"
    sim[0].to_file(p)
    return p


def test_fit_exact_then_attribution_summary_compare(panel_file, tmp_path, capsys):
    out = tmp_path / "fit.nc"
    code, so, se = run(["fit", "--panel", str(panel_file), "--betas", "static", "--method", "exact", "--draws", "300",
                        "--out", str(out)], capsys)
    assert code == 0, se
    assert "convergence gate: PASSED" in so and f"wrote {out}" in so
    csv = tmp_path / "attr.csv"
    code, so, se = run(["attribution", "--fit", str(out), "--freq", "Y", "--hdi", "0.8", "--out", str(csv)], capsys)
    assert code == 0, se
    t = pd.read_csv(csv)
    assert list(t.columns) == ["period", "component", "mean", "median", "hdi_low", "hdi_high", "unit",
                               "complete"]
    assert set(t.component) == {"alpha", "rates", "inflation", "leverage", "political", "residual", "total"}
    from macroattr.models import load_fit

    partial = load_fit(str(out)).partial_periods("Y")
    assert t.loc[~t["complete"], "period"].astype(str).unique().tolist() == partial
    code, so, se = run(["summary", "--fit", str(out), "--loo"], capsys)
    assert code == 0 and "pp per 100 bp" in so and "convergence gate: PASSED" in so
    assert "PSIS-LOO: elpd_loo" in so and "predictive interval" in so
    out2 = tmp_path / "fit2.nc"
    run(["fit", "--panel", str(panel_file), "--betas", "static", "--method", "exact", "--draws", "300", "--seed", "3",
         "--out", str(out2)], capsys)
    code, so, se = run(["compare", str(out), str(out2)], capsys)
    assert code == 0 and "elpd" in so


def test_fit_strict_exits_4_when_gate_fails(panel_file, tmp_path, capsys):
    out = tmp_path / "fit.nc"
    code, so, se = run(["fit", "--panel", str(panel_file), "--method", "exact", "--draws", "20",
                        "--chains", "2", "--strict", "--out", str(out)], capsys)
    assert code == 4
    lines = se.strip().splitlines()
    assert lines[-1].startswith("macroattr: error: fit") and "convergence gate" in lines[-1]
    assert "FAILED" in so


def test_fit_nuts_plumbing_with_stand_in(panel_file, tmp_path, capsys, cheap_sampler):
    out = tmp_path / "fit.nc"
    code, so, se = run(["fit", "--panel", str(panel_file), "--betas", "time_varying", "--method", "nuts", "--draws", "50",
                        "--chains", "2", "--out", str(out)], capsys)
    assert code == 0, se
    assert "divergences 0" in so


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["fit", "--panel", "{missing}", "--out", "{out}"], "not found"),
        (["fit", "--panel", "{panel}", "--likelihood", "cauchy", "--out", "{out}"], "model.likelihood"),
        (["fit", "--panel", "{panel}", "--config", "{badcfg}", "--out", "{out}"], "unknown key 'model.beta'"),
        (["fit", "--panel", "{panel}", "--config", "{othercfg}", "--method", "exact", "--out", "{out}"],
         "no column 'unemployment'"),
        (["fit", "--panel", "{panel}", "--out", "{tmp}/fit.csv"], "must end in .nc"),
        (["attribution", "--fit", "{junk}", "--out", "{tmp}/a.csv"], "not a readable NetCDF"),
        (["summary", "--fit", "{tmp}/none.nc"], "not found"),
        (["compare", "{junk}"], "two or more"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, needle, panel_file, tmp_path, capsys):
    (tmp_path / "bad.toml").write_text('[groups]\nrates = ["d_2y"]\n[model]\nbeta = "static"\n')
    (tmp_path / "other.toml").write_text('[groups]\nlabour = ["unemployment"]\n')
    (tmp_path / "junk.nc").write_text("nope")
    subs = {"missing": str(tmp_path / "missing.csv"), "out": str(tmp_path / "f.nc"), "panel": str(panel_file),
            "badcfg": str(tmp_path / "bad.toml"), "othercfg": str(tmp_path / "other.toml"),
            "junk": str(tmp_path / "junk.nc"), "tmp": str(tmp_path)}
    code, so, se = run([a.format(**subs) for a in argv], capsys)
    assert code == 2
    lines = se.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("macroattr: error: ") and needle in lines[0], se
    assert not (tmp_path / "f.nc").exists()


def test_fit_says_loudly_on_stderr_when_the_gate_fails(tmp_path, capsys):
    """A fit that fails its gate writes its file but warns on stderr in one FAILED line;
    --strict exits 4 (issue 24)."""
    from tests.cli import run_cli

    from macroattr.configs import config_path

    argv = ["fit", "--config", str(config_path("static_monthly")), "--method", "exact",
            "--draws", "30", "--chains", "2", "--out", str(tmp_path / "f.nc")]
    code, out, err = run_cli(argv, capsys)
    assert code == 0 and (tmp_path / "f.nc").is_file()
    warn = [line for line in err.splitlines() if line.startswith("WARNING: fit")]
    assert len(warn) == 1 and "FAILED its convergence gate" in warn[0] and "--strict" in warn[0]
    code, out, err = run_cli([*argv, "--strict"], capsys)
    assert code == 4 and "failed the convergence gate" in err


def test_estimate_spellings_are_one_vocabulary():
    """revised/first estimate with smoothed/filtered/real time as aliases (issue 24)."""
    import pytest

    from macroattr.core.errors import InputError
    from macroattr.core.estimates import estimate_name, event_estimate

    for v in ("smoothed", "revised", "Revised"):
        assert estimate_name(v) == "smoothed" and event_estimate(v) == "revised"
    for v in ("filtered", "first estimate", "first-estimate", "real time", "real-time", "realtime"):
        assert estimate_name(v) == "filtered" and event_estimate(v) == "real time"
    with pytest.raises(InputError, match="revised .*first estimate"):
        estimate_name("latest")
