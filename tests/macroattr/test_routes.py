"""One question, one answer: every route to a number reads the main job's fit.

The July 2024 window, a shipped scenario and a quarter's attribution, each asked through the
CLI (no ``--fit``), the report of ``macroattr run`` (its CSV downloads, full precision) and
Python on the main fit, agree to 1e-9. The notebook route is checked in
tests/notebooks/test_execute_notebooks.py. A shorter span is refused silently nowhere: it is
asked for (``--fit-start``) and stated, with how it differs from the main fit.
"""

from __future__ import annotations

import html as _html
import io
import re
import urllib.parse

import pandas as pd
import pytest

from tests.cli import run_cli

WINDOW = ("2024-07-10", "2024-07-16")
QUARTER = "2024Q3"
STATS = ("mean", "median", "hdi_low", "hdi_high")


@pytest.fixture(scope="module")
def routes(tmp_path_factory, main_fits):
    """The main fit (the session's, copied into this module's cache) and the 2024Q3 report
    `run` renders on it."""
    from macroattr.jobs.run import main_fit, run_pipeline
    from tests.conftest import copy_main_fits

    root = tmp_path_factory.mktemp("routes")
    cache = copy_main_fits(main_fits, root / "cache")
    main = main_fit(source="snapshot", cache_dir=cache)
    assert main.reused  # the session's main fit, key checked: the very file `run` makes
    result = run_pipeline(quarter=QUARTER, source="snapshot", cache_dir=cache,
                          out_dir=root / "reports", progress=None)
    return {"main": main, "run": result, "cache": cache, "root": root,
            "html": result.report.read_text(encoding="utf-8")}


def _download(page: str, name: str) -> pd.DataFrame:
    """The table behind the page's ``Download <name>`` link (the data URI's CSV)."""
    m = re.search(r'href="(data:text/csv[^"]*)" download="' + re.escape(name) + '"', page)
    assert m, f"no download {name} on the page"
    uri = _html.unescape(m[1])
    text = urllib.parse.unquote(uri.split(",", 1)[1])
    df = pd.read_csv(io.StringIO(text), dtype={"period": str})
    # the page's downloads show reader labels and keep the ids in <name>_id columns
    for col in ("component", "factor", "group"):
        if f"{col}_id" in df.columns:
            df = df.drop(columns=[col]).rename(columns={f"{col}_id": col})
    return df


def _same(a: pd.DataFrame, b: pd.DataFrame, key: str | list[str], cols=STATS) -> None:
    a, b = a.set_index(key), b.set_index(key)
    assert list(a.index) == list(b.index)
    for col in cols:
        diff = (a[col].astype(float) - b[col].astype(float)).abs().max()
        assert diff < 1e-9, (col, diff)


def test_run_and_every_read_route_use_one_cached_fit(routes):
    from macroattr.configs import config_path
    from macroattr.jobs.run import main_fit

    assert routes["run"].reused_fit and routes["run"].fit_path == routes["main"].path
    # besides it, only the other shipped model's main fit (the scenarios' cross-check)
    other = main_fit(config_path("static_monthly"), source="snapshot", cache_dir=routes["cache"])
    assert other.reused and routes["run"].other_fit_path == other.path
    assert sorted((routes["cache"] / "fits").glob("*.nc")) == sorted([routes["main"].path, other.path])


def test_scenarios_show_the_other_shipped_model_and_flag_sign_disagreements(routes, capsys):
    """Beside each effect, the static monthly model's; a sign disagreement is flagged on the
    page and in the CLI, exactly where the two posterior means differ in sign."""
    from macroattr.configs import config_path
    from macroattr.models.analysis.scenarios import run_scenarios
    from macroattr.jobs.run import main_fit

    other = main_fit(config_path("static_monthly"), source="snapshot", cache_dir=routes["cache"]).fit
    results, _ = run_scenarios(routes["main"].fit, other=other, other_label="static")
    assert results and all(r.other is not None for r in results)
    page = routes["html"]
    assert "effect in the static monthly model (configs/static_monthly.toml)" in page
    table = _download(page, f"scenarios_models_{QUARTER}.csv").set_index("scenario")
    code, stdout, err = run_cli(["scenario", "--source", "snapshot", "--cache-dir", str(routes["cache"])],
                                capsys)
    assert code == 0, err
    for r in results:
        mine, theirs = float(r.effect.mean()), r.other["mean"]
        assert table.loc[r.name, "this model"] == pytest.approx(mine, abs=1e-9)
        assert table.loc[r.name, "other model"] == pytest.approx(theirs, abs=1e-9)
        assert bool(table.loc[r.name, "sign disagrees"]) == (mine * theirs < 0)
        flagged = any(f.startswith("SIGN DISAGREEMENT") for f in r.flags)
        assert flagged == (mine * theirs < 0)
    n = sum(r.other["disagree"] for r in results)
    assert page.count("sign-flag") == n and stdout.count("FLAG: SIGN DISAGREEMENT") == n


def test_july_2024_window_is_one_answer_by_every_route(routes, tmp_path, capsys):
    fit = routes["main"].fit
    python = fit.event(*WINDOW).table()
    out = tmp_path / "window.csv"
    code, stdout, err = run_cli(["event", "--start", WINDOW[0], "--end", WINDOW[1], "--out", str(out),
                                 "--source", "snapshot", "--cache-dir", str(routes["cache"])], capsys)
    assert code == 0, err
    assert "reusing" in err and "fit: the main fit (configs/default.toml" in stdout
    _same(pd.read_csv(out), python, "component")
    report = _download(routes["html"], f"event_{WINDOW[0]}_{WINDOW[1]}.csv")
    _same(report, python, "component")
    # one number for the share, the same on the page and in the CLI's plain words
    share = fit.event(*WINDOW).explained_share()
    assert f"({share:.0f}%)" in stdout


def test_a_scenario_is_one_answer_by_every_route(routes, tmp_path, capsys):
    from macroattr.models.analysis.scenarios import run_scenarios

    (python,), _ = run_scenarios(routes["main"].fit, names=["soft CPI"])
    out = tmp_path / "soft.csv"
    code, stdout, err = run_cli(["scenario", "--scenario", "soft CPI", "--out", str(out),
                                 "--source", "snapshot", "--cache-dir", str(routes["cache"])], capsys)
    assert code == 0, err
    _same(pd.read_csv(out), python.table(), "component")
    page = _download(routes["html"], f"scenarios_{QUARTER}.csv")
    _same(page[page["scenario"] == "soft CPI"].drop(columns=["scenario", "horizon"]),
          python.table(), "component")


def test_a_quarter_is_one_answer_by_every_route(routes, tmp_path, capsys):
    python = routes["main"].fit.attribution("Q", 0.9)
    python = python[python["period"].astype(str) == QUARTER]
    out = tmp_path / "q.csv"
    code, _, err = run_cli(["attribution", "--out", str(out), "--source", "snapshot",
                            "--cache-dir", str(routes["cache"])], capsys)
    assert code == 0, err and "fit: the main fit" in err
    cli = pd.read_csv(out, dtype={"period": str})
    _same(cli[cli["period"] == QUARTER], python, "component")
    _same(_download(routes["html"], f"attribution_{QUARTER}.csv"), python, "component",
          ("mean", "hdi_low", "hdi_high"))  # the page's headline table shows no median


def test_a_shorter_span_is_asked_for_and_stated(routes, tmp_path, capsys):
    code, stdout, err = run_cli(["event", "--start", WINDOW[0], "--end", WINDOW[1],
                                 "--fit-start", "2021-01-04", "--source", "snapshot",
                                 "--cache-dir", str(routes["cache"])], capsys)
    assert code == 0, err
    assert "fit: NOT the main fit — span daily 2021-01-04.." in stdout
    assert "against the main fit (2000-01-03.." in stdout and "macro share" in stdout
    main_share = routes["main"].fit.event(*WINDOW).explained_share()
    assert f"{main_share:.0f}% on the main fit" in stdout


def test_readme_quick_start_runs_as_written(routes, tmp_path, monkeypatch):
    """The README's Python quick start, executed as it stands (on the embedded snapshot, the
    main fit cached above): it reuses the main fit, writes the page the README names and its
    headline is the main fit's. An edit of the README that no longer runs, or that names
    another page, fails here."""
    from pathlib import Path

    from tests.support.layout import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    usage = readme.split("\n## Usage", 1)[1]
    block = re.search(r"```python\n(.*?)```", usage, re.S)[1]
    assert "run_pipeline()" in block, block
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MACROATTR_CACHE_DIR", str(routes["cache"]))
    monkeypatch.delenv("FRED_API_KEY", raising=False)
    ns: dict = {}
    exec(compile(block, "README.md (quick start)", "exec"), ns)  # noqa: S102 - the README's own code
    run = ns["run"]
    assert run.source == "snapshot" and run.reused_fit and run.fit_path == routes["main"].path
    claimed = re.search(r"^run\.report\s+# (\S+\.html)", block, re.M)[1]
    assert run.report == Path(claimed) and (tmp_path / claimed).is_file(), (run.report, claimed)
    got = ns["fit"].summary.attribution(periods=run.quarter)
    want = routes["main"].fit.summary.attribution(periods=run.quarter)
    _same(got, want, "component")
