"""``macroattr report`` and ``macroattr run`` from the command line (in-process ``main``)."""

from __future__ import annotations

import os
import re

import pandas as pd
import pytest

from tests.cli import one_line_error as _one_line_error
from tests.cli import run_cli as _run




def _entry(manifest: dict, quarter: str) -> dict:
    """The manifest entry of the page ``<quarter>.html`` (entries are keyed by quarter and model)."""
    return next(e for e in manifest["reports"].values() if e["quarter"] == quarter)


@pytest.fixture(scope="module")
def tiny_config(tmp_path_factory):
    """The default model with the instant exact posterior, small enough to fit in seconds."""
    from macroattr.models import ModelConfig

    path = tmp_path_factory.mktemp("cfg") / "tiny.toml"
    path.write_text(ModelConfig.shipped("static_monthly").override(method="exact", draws=500, chains=2).to_toml())
    return path


def test_report_prints_path_and_numbers_equal_attribution_cli(fit_file, tmp_path, capsys):
    code, out, err = _run(["report", "--fit", str(fit_file), "--quarter", "2024Q3",
                           "--out", str(tmp_path / "site")], capsys)
    assert code == 0, err
    path = out.strip().splitlines()[-1]
    from tests.reports.conftest import static_page

    assert path == str(tmp_path / "site" / static_page("2024Q3"))
    html = open(path, encoding="utf-8").read()
    code, _, err = _run(["attribution", "--fit", str(fit_file), "--freq", "Q",
                         "--out", str(tmp_path / "attr.csv")], capsys)
    assert code == 0, err
    table = pd.read_csv(tmp_path / "attr.csv").query("period == '2024Q3'").set_index("component")
    for comp, row in table.iterrows():
        if comp == "total":
            m = re.search(r'id="headline-total" data-value="([-0-9.]+)"', html)
        else:
            m = re.search(rf'data-component="{comp}" data-mean="([-0-9.]+)"', html)
        assert m, comp
        assert float(m.group(1)) == pytest.approx(row["mean"], abs=2e-6), comp
    assert (tmp_path / "site" / "index.html").exists()


def test_report_latest(fit_file, exact_fit, tmp_path, capsys):
    code, out, _ = _run(["report", "--fit", str(fit_file), "--out", str(tmp_path)], capsys)
    from macroattr.reports.content import fit_quarters

    assert code == 0 and out.strip().endswith(f"{fit_quarters(exact_fit)[-1]}-monthly-static-normal-exact.html")


@pytest.mark.parametrize("quarter, needle", [("1960Q1", "outside"), ("2024-Q3", "not a quarter label")])
def test_report_bad_quarter(fit_file, tmp_path, capsys, quarter, needle):
    code, out, err = _run(["report", "--fit", str(fit_file), "--quarter", quarter,
                           "--out", str(tmp_path)], capsys)
    line = _one_line_error(code, err)
    assert needle in line and quarter in line
    assert not list(tmp_path.glob("*.html")) and not list(tmp_path.glob(".*tmp"))


def test_report_not_a_fit(tmp_path, capsys, monthly_panel):
    junk = tmp_path / "panel.csv"
    monthly_panel.to_file(junk)
    code, _, err = _run(["report", "--fit", str(junk), "--out", str(tmp_path / "o")], capsys)
    assert "panel.csv" in _one_line_error(code, err)
    code, _, err = _run(["report", "--fit", str(tmp_path / "missing.nc"), "--out",
                         str(tmp_path / "o")], capsys)
    assert "missing.nc" in _one_line_error(code, err)
    assert not list((tmp_path / "o").glob("*.html")) if (tmp_path / "o").exists() else True


def test_report_unwritable_out(fit_file, tmp_path, capsys):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    code, _, err = _run(["report", "--fit", str(fit_file), "--out", str(blocker / "sub")], capsys)
    assert "blocker" in _one_line_error(code, err)
    if os.geteuid() != 0:  # root ignores directory permissions
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        code, _, err = _run(["report", "--fit", str(fit_file), "--out", str(ro)], capsys)
        assert "not writable" in _one_line_error(code, err)


def test_run_on_snapshot_renders_latest_quarter_and_reuses_fit(tiny_config, tmp_path, capsys,
                                                                monkeypatch, monthly_panel):
    monkeypatch.delenv("FRED_API_KEY", raising=False)
    out_dir, cache = tmp_path / "site", tmp_path / "cache"
    argv = ["run", "--config", str(tiny_config), "--out", str(out_dir), "--cache-dir", str(cache)]
    code, out, err = _run(argv, capsys)
    assert code == 0, err
    idx = monthly_panel.data.index
    last_q = idx[-1].to_period("Q") if idx[-1].month % 3 == 0 else idx[-1].to_period("Q") - 1
    page = out_dir / f"{last_q}-monthly-static-normal-exact.html"  # not the default model
    assert out.strip().splitlines()[-1] == str(page)
    assert page.exists() and (out_dir / "index.html").exists()
    for stage in ("[1/3] panel", "[2/3] fit", "[3/3] report"):
        assert stage in err
    assert "no FRED key" in err and "snapshot" in err
    fits = list((cache / "fits").glob("*.nc"))
    assert len(fits) == 1
    stamp = fits[0].stat().st_mtime_ns
    # unchanged panel, config and seed: the fit is reused, not refitted
    code, out2, err2 = _run(argv, capsys)
    assert code == 0 and "reusing" in err2 and fits[0].stat().st_mtime_ns == stamp
    assert out2 == out
    # --refit forces a new fit; the same seed gives the same numbers
    import json

    def headline():
        entry = _entry(json.loads((out_dir / "reports.json").read_text()), str(last_q))
        return entry["total_pp"], entry["components"]

    before = headline()
    code, _, err3 = _run([*argv, "--refit"], capsys)
    assert code == 0 and "reusing" not in err3 and fits[0].stat().st_mtime_ns != stamp
    assert headline() == before


def test_run_new_seed_is_a_new_fit(tiny_config, tmp_path, capsys):
    from macroattr.models import ModelConfig

    other = tmp_path / "seed.toml"
    other.write_text(ModelConfig.from_toml(tiny_config).override(seed=7).to_toml())
    cache = tmp_path / "cache"
    for cfg in (tiny_config, other):
        code, _, err = _run(["run", "--source", "snapshot", "--config", str(cfg), "--quarter",
                             "2024Q3", "--out", str(tmp_path / "o"), "--cache-dir", str(cache)],
                            capsys)
        assert code == 0, err
    assert len(list((cache / "fits").glob("*.nc"))) == 2


def test_run_bad_quarter_fails_before_fitting(tiny_config, tmp_path, capsys):
    code, _, err = _run(["run", "--source", "snapshot", "--config", str(tiny_config),
                         "--quarter", "2099Q1", "--out", str(tmp_path / "o"),
                         "--cache-dir", str(tmp_path / "cache")], capsys)
    # progress lines of the panel stage, then exactly one error line
    assert err.count("macroattr: error:") == 1
    line = _one_line_error(code, err.strip().splitlines()[-1])
    assert "2099Q1" in line
    assert not (tmp_path / "cache" / "fits").exists()
    assert not list((tmp_path / "o").glob("*.html"))


def test_run_fred_without_key_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("FRED_API_KEY", raising=False)
    code, _, err = _run(["run", "--source", "fred", "--out", str(tmp_path / "o"),
                         "--cache-dir", str(tmp_path / "c")], capsys)
    assert "FRED_API_KEY" in _one_line_error(code, err)


def test_run_unknown_source(tmp_path, capsys):
    code, _, err = _run(["run", "--source", "bloomberg", "--out", str(tmp_path / "o")], capsys)
    assert "bloomberg" in _one_line_error(code, err)
    code, _, err = _run(["run", "--quarter", "Q3", "--out", str(tmp_path / "o")], capsys)
    assert "Q3" in _one_line_error(code, err)


def test_run_composes_the_report_once_for_every_format(tiny_config, tmp_path, capsys, monkeypatch):
    """`run --format html,xlsx` composes the content once; both files come from it."""
    import macroattr.reports.content as content_mod

    calls = []
    real = content_mod.report_content

    def counting(*args, **kwargs):
        calls.append(args[1] if len(args) > 1 else kwargs.get("quarter"))
        return real(*args, **kwargs)

    monkeypatch.setattr(content_mod, "report_content", counting)
    monkeypatch.delenv("FRED_API_KEY", raising=False)
    out_dir = tmp_path / "site"
    code, out, err = _run(["run", "--config", str(tiny_config), "--out", str(out_dir),
                           "--cache-dir", str(tmp_path / "cache"), "--format", "html,xlsx"], capsys)
    assert code == 0, err
    assert len(calls) == 1, calls
    lines = out.strip().splitlines()
    html, book = lines[-2], lines[-1]
    assert html.endswith(".html") and book == html[:-5] + ".xlsx"
    sheet = pd.read_excel(book, sheet_name="attribution")
    assert set(sheet["period"].astype(str)) >= {calls[0]}
    # the content object is public and its sections are reachable by id
    content = real(_loaded_fit(tmp_path / "cache"), calls[0])
    extra = content_mod.Section("perf-probe", "probe", "probe.html.j2", data={"x": 1})
    content.sections.append(extra)
    assert content.section("perf-probe") is extra
    assert content.headline["total"] == pytest.approx(
        float(sheet.query(f"period == '{calls[0]}' and component == 'total'")["mean"].iloc[0]))
    with pytest.raises(KeyError, match="no section"):
        content.section("no-such-section")


def _loaded_fit(cache):
    from macroattr.models import load_fit

    (path,) = list((cache / "fits").glob("*.nc"))
    return load_fit(str(path))
