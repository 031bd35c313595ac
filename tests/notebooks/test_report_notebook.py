"""The papermill report notebook is the main job: by default it renders what `macroattr run`
renders from the same cached fit, its headline is `macroattr attribution`'s to 1e-9; given a
saved fit it renders what `macroattr report --fit` renders; it fails with the CLI's one-line
message on bad input, leaving nothing behind."""

from __future__ import annotations

import json
import re

from pathlib import Path

import pytest

from macroattr.core.errors import InputError
from macroattr.cli import main
from macroattr.reports.notebook import render_report_notebook

pytestmark = pytest.mark.notebook

def _entry(manifest: dict, quarter: str, page: str | None = None) -> dict:
    """The manifest entry of the page ``<quarter>.html`` (entries are keyed by quarter and model)."""
    return next(e for e in manifest["reports"].values() if e["file"] == (page or f"{quarter}.html"))


QUARTER = "2024Q4"


def _cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    out = capsys.readouterr()
    return exc.value.code or 0, out.out, out.err


def _numbers(html: str) -> list[str]:
    """Every signed/decimal number in the report's visible text and tables, in order, minus
    the parts that legitimately differ between two renders (timestamps, timings)."""
    body = html.split("<body", 1)[1]
    body = re.sub(r"<script.*?</script>", "", body, flags=re.S)
    body = re.sub(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?[^<\s]*", "", body)
    body = re.sub(r"(built_at|fitted_at|rendered|timings?|sampling_s|compile_s|diagnostics_s|"
                  r"total_s|[Rr]endered at)[^<]*(<[^>]*>[^<]*){0,3}", "", body)
    text = re.sub(r"<[^>]+>", " ", body)
    return re.findall(r"[-+−]?\d+\.\d+", text)


def test_report_notebook_renders_the_cli_report(tmp_path, exact_config, cli_fit, capsys):
    cli_dir = tmp_path / "cli"
    code, out, err = _cli(["report", "--fit", str(cli_fit), "--quarter", QUARTER,
                           "--out", str(cli_dir)], capsys)
    assert code == 0, err
    nb_dir = tmp_path / "nb"
    res = render_report_notebook(QUARTER, config=exact_config, out_dir=nb_dir,
                                 cache_dir=tmp_path / "cache")
    # this model is not the default, so both pages carry its name: <quarter>-<model>.html
    page = Path(out.strip().splitlines()[-1]).name
    assert page.startswith(f"{QUARTER}-") and res.quarter == QUARTER
    assert res.report == nb_dir.resolve() / page
    assert res.notebook == nb_dir.resolve() / "notebooks" / f"{Path(page).stem}.ipynb"
    assert res.notebook.is_file() and not list(nb_dir.glob(".report-notebook.*"))

    a = _entry(json.loads((cli_dir / "reports.json").read_text()), QUARTER, page)
    b = _entry(json.loads((nb_dir / "reports.json").read_text()), QUARTER, page)
    for k in ("rendered_at", "file"):
        a.pop(k, None), b.pop(k, None)
    # headline numbers, gate, span, method: identical (floats to 1e-12: the CLI renders the
    # saved fit, the notebook its own in-memory refit; the printed numbers below are equal)
    floats = {k for k, v in a.items() if isinstance(v, float)}
    assert {k: v for k, v in a.items() if k not in floats | {"components"}} == \
        {k: v for k, v in b.items() if k not in floats | {"components"}}
    for k in floats:
        assert a[k] == pytest.approx(b[k], rel=1e-12, abs=1e-12), k
    for ca, cb in zip(a.get("components", []), b.get("components", []), strict=True):
        assert ca.keys() == cb.keys()
        for k, v in ca.items():
            assert v == (pytest.approx(cb[k], rel=1e-12, abs=1e-12) if isinstance(v, float) else cb[k])
    na = _numbers((cli_dir / page).read_text())
    nb = _numbers(res.report.read_text())
    assert len(na) > 50 and na == nb


def test_quarterly_notebook_is_the_main_job(tmp_path, monkeypatch, capsys, main_cache):
    """Default parameters = `make run`: the daily state-space main fit (cached where `run`
    keeps it: the session's main fits), the latest complete quarter, the plain
    `<quarter>.html`; the headline table and the page's numbers equal `macroattr
    attribution`'s on the main fit to 1e-9."""
    import pandas as pd

    from .conftest import cell_text, errors, execute

    cache = main_cache
    before = {f: f.stat().st_mtime_ns for f in (cache / "fits").glob("*.nc")}
    monkeypatch.setenv("MACROATTR_CACHE_DIR", str(cache))  # the CLI's main fit: the same cache
    headline_csv = tmp_path / "headline.csv"
    nb = execute("quarterly_report.ipynb", tmp_path, source="snapshot",
                 out_dir=str(tmp_path / "nb"), cache_dir=str(cache),
                 headline_csv=str(headline_csv))
    assert errors(nb) == []
    printed = cell_text(nb, "if fit_path:")
    # it reused the main job's fit: the daily state-space model, exact posterior
    from macroattr.jobs.run import main_fit

    main = main_fit(source="snapshot", cache_dir=cache)
    assert main.reused and f"reusing {main.path}" in printed and "configs/default.toml" in printed
    assert main.fit.config.model.betas == "state_space" and main.fit.meta["method"] == "exact"
    assert main.fit.freq == "D"
    page = Path(printed.strip().splitlines()[-1].removeprefix("report: "))
    quarter = page.stem
    assert re.fullmatch(r"\d{4}Q[1-4]", quarter), page  # the default model's plain page
    assert "convergence gate: PASSED" in cell_text(nb, "gate = fit.diagnostics.gate")
    fits = {f: f.stat().st_mtime_ns for f in (cache / "fits").glob("*.nc")}
    assert len(fits) == 2 and fits == before  # the main fit and run's cross-check fit, reused

    code, _, err = _cli(["attribution", "--source", "snapshot", "--out", str(tmp_path / "a.csv")],
                        capsys)
    assert code == 0, err
    cli = pd.read_csv(tmp_path / "a.csv", dtype={"period": str}).query("period == @quarter")
    got = pd.read_csv(headline_csv, dtype={"period": str})
    assert list(got["component"]) == list(cli["component"]) and len(got) >= 5
    for col in ("mean", "median", "hdi_low", "hdi_high"):
        assert (got[col].to_numpy() - cli[col].to_numpy()).__abs__().max() < 1e-9, col
    # the CLI read the fit the notebook's main job cached (no refit, no other fit)
    assert {f: f.stat().st_mtime_ns for f in (cache / "fits").glob("*.nc")} == fits
    # the page says the same numbers (its manifest keeps them at full precision; the page of
    # `macroattr run` is pinned to the CLI in tests/macroattr/test_routes.py)
    entry = _entry(json.loads((tmp_path / "nb" / "reports.json").read_text()), quarter)
    assert entry["default_model"] and entry["gate_passed"]
    want = cli.set_index("component")
    for c in entry["components"]:
        for stat in ("mean", "hdi_low", "hdi_high"):
            assert abs(c[f"{stat}_pp"] - want.loc[c["name"], stat]) < 1e-9, (c["name"], stat)
    # the pieces add up to the observed total
    total = got.set_index("component")["mean"]
    assert total.drop("total").sum() == pytest.approx(total["total"], abs=1e-9)


def test_report_notebook_renders_a_saved_fit(tmp_path, cli_fit):
    res = render_report_notebook("latest", fit=cli_fit, out_dir=tmp_path)
    assert res.report.is_file() and re.fullmatch(r"\d{4}Q[1-4]", res.quarter)
    assert (tmp_path / "index.html").is_file()


def test_report_notebook_bad_quarter_is_the_cli_line(tmp_path, cli_fit, capsys):
    code, _, err = _cli(["report", "--fit", str(cli_fit), "--quarter", "1985Q1",
                         "--out", str(tmp_path / "cli")], capsys)
    assert code == 2
    with pytest.raises(InputError) as exc:
        render_report_notebook("1985Q1", fit=cli_fit, out_dir=tmp_path / "nb")
    assert f"macroattr: error: {exc.value}" == err.strip()
    assert not list((tmp_path / "nb").rglob("*.ipynb")) and not list((tmp_path / "nb").glob("*.html"))


def test_report_notebook_missing_inputs(tmp_path):
    with pytest.raises(InputError, match="config .*nope.toml not found"):
        render_report_notebook(config=tmp_path / "nope.toml", out_dir=tmp_path)
    with pytest.raises(InputError, match="fit file .*nope.nc not found"):
        render_report_notebook(fit=tmp_path / "nope.nc", out_dir=tmp_path)
    with pytest.raises(InputError, match="report notebook .* not found"):
        render_report_notebook(notebook=tmp_path / "x.ipynb", out_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
