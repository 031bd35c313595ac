"""``macroattr data refresh|status|show``: exit codes, one-line errors, no key anywhere."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from tests.cli import fred_cli

from .conftest import fixture_json, recorded_series


@pytest.fixture
def run(capsys, monkeypatch, fred_key, fred_server, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    return fred_cli(capsys, monkeypatch, fred_key, fred_server, tmp_path / "store")


def _error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("macroattr:")]


def test_refresh_status_show_round_trip(run, tmp_path, fred_key, caplog):
    code, out, err = run("data", "refresh", "--series", "DGS2,GNPCA", "--vintages")
    assert code == 0, err
    assert "DGS2" in out and "new" in out and "2026-04-17" in out
    code, out, _ = run("data", "status", url=False)
    assert code == 0 and "DGS2" in out and "GNPCA" in out
    code, out, _ = run("data", "show", "DGS2", url=False)
    assert code == 0 and "# title: Market Yield" in out
    csv = tmp_path / "dgs2.csv"
    code, out, _ = run("data", "show", "DGS2", "--out", str(csv), url=False)
    assert code == 0 and f"wrote {len(recorded_series('DGS2'))} rows" in out
    got = pd.read_csv(csv, parse_dates=["date"]).set_index("date")["value"]
    want = recorded_series("DGS2")
    assert got.index.equals(want.index) and got.equals(want.rename("value"))
    # the key is in no output, no log record and no file of the store
    blob = "".join(run.outputs) + " ".join(r.getMessage() for r in caplog.records)
    assert fred_key not in blob
    files = [p for p in run.store.rglob("*") if p.is_file()]
    assert len(files) >= 2 and all(fred_key.encode() not in p.read_bytes() for p in files)


def test_missing_key_is_one_line_pointing_to_snapshot(run, monkeypatch):
    monkeypatch.delenv("FRED_API_KEY")
    code, out, err = run("data", "refresh", "--series", "DGS2")
    assert code == 2
    [line] = err.strip().splitlines()
    assert "FRED_API_KEY" in line and "--source snapshot" in line


def test_bad_key_exit_3_store_empty(run, monkeypatch, fred_key):
    monkeypatch.setenv("FRED_API_KEY", "0" * 32)
    code, out, err = run("data", "refresh", "--series", "DGS2")
    assert code == 3
    [line] = _error_lines(err)
    assert "rejected the API key" in line and "DGS2" in line and "0" * 32 not in line
    assert not (run.store / "series").exists() or not list((run.store / "series").iterdir())


def test_unknown_series_fails_alone(run):
    code, out, err = run("data", "refresh", "--series", "NOSUCH,GNPCA")
    assert code == 3
    [line] = _error_lines(err)
    assert "1 of 2 series failed" in line and "NOSUCH" in line and "does not exist" in line
    assert "GNPCA:" not in line
    assert "GNPCA" in out and "new" in out
    assert (run.store / "series" / "GNPCA.json").is_file()


@pytest.mark.parametrize(
    ("fault", "words"),
    [("503", "HTTP 503"), ("429:0", "HTTP 429"), ("truncate", "malformed"), ("slow:1.5", "timeout")],
)
def test_fred_faults_exit_3_with_one_line(run, fred_server, fault, words, fred_key):
    run("data", "refresh", "--series", "GNPCA")
    before = (run.store / "series" / "GNPCA.json").read_bytes()
    fred_server.fail("GNPCA", always=fault)
    code, out, err = run("data", "refresh", "--series", "GNPCA", "--full")
    assert code == 3
    [line] = _error_lines(err)
    assert "GNPCA" in line and words in line and fred_key not in line
    assert (run.store / "series" / "GNPCA.json").read_bytes() == before


def test_show_bad_inputs(run):
    run("data", "refresh", "--series", "GNPCA")
    code, _, err = run("data", "show", "GNPCA", "--as-of", "not-a-date", url=False)
    assert code == 2 and "--as-of" in _error_lines(err)[0]
    code, _, err = run("data", "show", "GNPCA", "--as-of", "2020-01-01", url=False)
    assert code == 2 and "--vintages" in _error_lines(err)[0]
    code, _, err = run("data", "show", "DGS10", url=False)
    assert code == 2 and "not in the store" in _error_lines(err)[0]
    code, _, err = run("data", "refresh", "--series", "DGS2", "--fred-url", "ftp://nowhere", url=False)
    assert code == 2 and "not an http" in _error_lines(err)[0]


def test_show_as_of_uses_vintages(run):
    run("data", "refresh", "--series", "GDP", "--vintages")
    code, out, _ = run("data", "show", "GDP", "--as-of", "2019-01-01", url=False)
    assert code == 0
    assert "# as_of: 2019-01-01" in out and out.strip().splitlines()[-1].startswith("2018-07-01,")


def test_refresh_table_shows_stored_vintages_for_unchanged_series(run):
    n = len(fixture_json("GDP")["vintage_dates"])
    code, out, err = run("data", "refresh", "--series", "GDP", "--vintages")
    assert code == 0, err
    [row] = [line for line in out.splitlines() if " GDP " in line]
    assert "new" in row and f"{n} (+{n})" in row
    code, out, err = run("data", "refresh", "--series", "GDP", "--vintages")
    assert code == 0, err
    [row] = [line for line in out.splitlines() if " GDP " in line]
    assert "unchanged" in row and f" {n} " in row and "(+" not in row and row.rstrip(" │|").split()[-1] == str(n)
