"""Results on stdout, status on stderr, ``--quiet`` and ``--json`` (issue 23 item 5).

``summary --json`` holds the numbers the Python API gives for the same fit (1e-9);
``compare --json`` and ``data status --json`` parse and name their keys; ``--quiet`` leaves
stderr empty on success; panel options are declared once (PanelSettings <-> CLI options).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.cli import run_cli


@pytest.fixture(scope="module")
def fit_files(tmp_path_factory):
    """Two exact static fits of a simulated panel (seconds)."""
    from macroattr.models import ModelConfig, fit_model
    from macroattr.models.synthetic import simulate_panel

    root = tmp_path_factory.mktemp("fits")
    panel, truth = simulate_panel(n=180, seed=7)
    cfg = ModelConfig(groups=truth["groups"]).override(method="exact", likelihood="normal",
                                                       draws=300, chains=2)
    paths = []
    for seed in (1, 2):
        f = fit_model(panel, cfg.override(seed=seed))
        p = root / f"fit{seed}.nc"
        f.save(p)
        paths.append(p)
    return paths


def _close(got, want, what):
    if isinstance(want, float) and np.isnan(want):
        assert got is None, what
    elif isinstance(want, (float, np.floating)):
        assert got == pytest.approx(float(want), rel=1e-9, abs=1e-9), what
    else:
        assert got == want, what


def _same_records(got, frame, what):
    want = frame.to_dict(orient="records")
    assert len(got) == len(want), what
    for g, w in zip(got, want):
        assert set(g) == {str(k) for k in w}, what
        for k, v in w.items():
            _close(g[str(k)], v, f"{what}.{k}")


def test_summary_json_holds_the_python_numbers(fit_files, capsys):
    from macroattr.models import load_fit

    code, out, err = run_cli(["summary", "--fit", str(fit_files[0]), "--json", "--hdi", "0.8"], capsys)
    assert code == 0, err
    doc = json.loads(out)  # stdout is one JSON document: nothing else on it
    assert doc["schema"] == "macroattr.summary/1" and doc["hdi"] == 0.8
    f = load_fit(fit_files[0])
    assert doc["fit"]["span"] == list(f.span) and doc["fit"]["periods"] == f.design.n_obs
    _same_records(doc["coefficients"], f.coefficients(0.8), "coefficients")
    _same_records(doc["parameters"], f.parameters(0.8), "parameters")
    _same_records(doc["explained_share"], f.summary.explained_share(hdi=0.8), "explained_share")
    _same_records(doc["attribution"]["rows"], f.attribution("Q", 0.8), "attribution")
    assert doc["attribution"]["freq"] == "Q"
    assert {r["unit"] for r in doc["attribution"]["rows"]} == {"pp"}
    assert doc["diagnostics"]["gate"]["passed"] is bool(f.diagnostics.gate.passed)
    assert doc["fit"]["line"].startswith("fit: ")  # which fit answered


def test_quiet_prints_nothing_on_stderr(fit_files, tmp_path, capsys):
    code, out, err = run_cli(["summary", "--fit", str(fit_files[0]), "--quiet"], capsys)
    assert code == 0 and err == "" and "coefficients" in out
    csv = tmp_path / "a.csv"
    code, out, err = run_cli(["attribution", "--fit", str(fit_files[0]), "--freq", "Y", "--quiet",
                              "--out", str(csv)], capsys)
    assert code == 0 and err == "" and csv.exists() and f"to {csv}" in out
    code, out, err = run_cli(["attribution", "--fit", str(fit_files[0]), "--freq", "Y",
                              "--out", str(csv)], capsys)
    assert code == 0 and "fit:" in err  # without --quiet the status line (which fit) is there
    # errors still print under --quiet: one line
    code, out, err = run_cli(["summary", "--fit", str(tmp_path / "nope.nc"), "--quiet"], capsys)
    assert code == 2 and err.startswith("macroattr: error: ") and len(err.strip().splitlines()) == 1


def test_compare_json(fit_files, capsys):
    code, out, err = run_cli(["compare", *map(str, fit_files), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema"] == "macroattr.compare/1"
    assert [r["fit"] for r in doc["rows"]] and {r["fit"] for r in doc["rows"]} == {"fit1", "fit2"}
    from macroattr.models import load_fit
    from macroattr.models.analysis.comparison import compare

    table = compare({p.stem: load_fit(p) for p in fit_files})
    want = table.reset_index().rename(columns={table.index.name or "index": "fit"})
    _same_records(doc["rows"], want, "compare")
    assert all(np.isfinite(r["elpd"]) for r in doc["rows"])


def test_data_status_json(tmp_path, capsys):
    code, out, err = run_cli(["data", "status", "--store", str(tmp_path / "store"), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema"] == "macroattr.data_status/1" and doc["series"] == []
    assert doc["store"] == str(tmp_path / "store")


def test_panel_options_are_the_panel_settings():
    """Every PanelSettings field is an option of `data panel` and `run` with the field's help,
    and no other panel option exists there."""
    import typer.main

    from macroattr.cli import app
    from macroattr.data_pipelines.settings import PanelSettings

    command = typer.main.get_command(app)
    for path in (("data", "panel"), ("run",)):
        cmd = command
        for name in path:
            cmd = cmd.commands[name]
        params = {p.name: p for p in cmd.params}
        for name in PanelSettings.names():
            assert name in params, (path, name)
            assert params[name].help == PanelSettings.describe(name), (path, name)
            assert f"--{name.replace('_', '-')}" in params[name].opts


@pytest.mark.parametrize("argv", [["run"], ["fit"], ["summary"], ["data", "panel"], ["backtest"],
                                  ["event"], ["data", "refresh"]])
def test_help_is_plain_with_value_types(argv, capsys):
    """Help through Typer's supported plain mode (rich_markup_mode=None): no box, options name
    their value type (`--out PATH`), nothing patched in Typer."""
    import re

    code, out, err = run_cli([*argv, "--help"], capsys)
    assert code == 0 and err == ""
    assert "╭" not in out and not re.search(r"^\s+--[\w-]+ <\w+>", out, re.M), out
    assert re.search(r"--\w[\w-]* (PATH|TEXT|INTEGER|NUMBER)\b", out)
    import typer.core

    assert "macroattr" not in getattr(typer.core.TyperOption.display_type_rich, "__module__", "")


def test_fit_quiet_has_no_status_or_progress(tmp_path, capsys):
    from macroattr.models.synthetic import simulate_panel

    panel, _ = simulate_panel(n=120, seed=3)
    p = tmp_path / "panel.csv"
    panel.to_file(p)
    argv = ["fit", "--panel", str(p), "--betas", "static", "--method", "exact", "--draws", "200",
            "--out", str(tmp_path / "f.nc")]
    code, out, err = run_cli([*argv, "--quiet"], capsys)
    assert code == 0 and err == "" and "convergence gate" in out and (tmp_path / "f.nc").exists()
    code, out, err = run_cli(argv, capsys)
    assert code == 0 and "fitting static betas" in err  # the status line, without --quiet
