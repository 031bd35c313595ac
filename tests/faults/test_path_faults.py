"""Every command's outputs against its inputs, and inputs that are no regular file: one line,
exit 2, the inputs' bytes unchanged, nothing left behind, all before any work starts."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.cli import one_line_error, run_cli

from .conftest import tree


@pytest.fixture
def place(tmp_path: Path) -> Path:
    (tmp_path / "sc.toml").write_text("[scenarios.up]\nd_2y = 1.0\n")
    (tmp_path / "ev.csv").write_text("date,label\n2024-01-02,x\n")
    (tmp_path / "panel.csv").write_text("date,rel_return\n")
    (tmp_path / "panel.csv.meta.json").write_text("{}")
    (tmp_path / "outdir").mkdir()
    (tmp_path / "outdir" / "spec.toml").write_text("[grid]\n")
    os.link(tmp_path / "sc.toml", tmp_path / "hard.toml")
    (tmp_path / "soft.toml").symlink_to(tmp_path / "sc.toml")
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    os.mkfifo(tmp_path / "fifo")
    return tmp_path


EVENT = ["event", "--start", "2024-01-01", "--end", "2024-01-05"]
CASES = [
    (["scenario", "--scenarios", "sc.toml", "--out", "sc.toml"], "--out sc.toml is also the input --scenarios"),
    (["scenario", "--scenarios", "sc.toml", "--out", "hard.toml"], "--out hard.toml is also the input --scenarios"),
    (["scenario", "--scenarios", "sc.toml", "--out", "soft.toml"], "--out soft.toml is also the input --scenarios"),
    (EVENT + ["--events-csv", "ev.csv", "--out", "ev.csv"], "--out ev.csv is also the input --events-csv"),
    (EVENT + ["--out", "a.csv", "--daily-out", "outdir"], "--daily-out outdir is a directory"),
    (EVENT + ["--out", "a.csv", "--daily-out", "a.csv"], "name the same place"),
    (["backtest", "--panel", "panel.csv", "--out", ".", "--start", "2020-01-01", "--end", "2021-01-01"],
     "--out . holds the input --panel"),
    (["grid", "--specs", "outdir/spec.toml", "--out", "outdir"], "--out outdir holds the input --specs"),
    (["fit", "--panel", "panel.csv", "--out", "panel.csv.meta.json"], "is also the input --panel sidecar"),
    (["scenario", "--scenarios", "fifo"], "--scenarios fifo is a FIFO (named pipe), not a regular file"),
    (["scenario", "--scenarios", "/dev/zero"], "--scenarios /dev/zero is a device, not a regular file"),
    (["scenario", "--scenarios", "loop1"], "--scenarios loop1 is a symlink loop"),
    (["fit", "--config", "fifo", "--out", "f.nc"], "--config fifo is a FIFO"),
    (["fit", "--panel", "/dev/zero", "--out", "f.nc"], "--panel /dev/zero is a device"),
    (["grid", "--specs", "fifo", "--out", "g"], "--specs fifo is a FIFO"),
    (["data", "panel", "--out", "p.csv", "--events-csv", "loop2"], "--events-csv loop2 is a symlink loop"),
]


@pytest.mark.parametrize("argv,expected", CASES, ids=[" ".join(c[0][:1] + c[0][-2:]) for c in CASES])
def test_paths_are_checked_before_any_work(argv, expected, place, capsys, monkeypatch):
    monkeypatch.chdir(place)
    before = tree(place / "outdir") | {p: tree(place / p) for p in ("sc.toml", "ev.csv", "panel.csv")}
    t0 = time.monotonic()
    code, _, err = run_cli(argv, capsys)
    line = one_line_error(code, err)
    assert expected in line, line
    assert time.monotonic() - t0 < 10  # refused up front: no fit, no hang on the FIFO
    assert tree(place / "outdir") | {p: tree(place / p) for p in ("sc.toml", "ev.csv", "panel.csv")} == before
    assert sorted(p.name for p in place.iterdir()) == sorted(
        ["sc.toml", "ev.csv", "panel.csv", "panel.csv.meta.json", "outdir", "hard.toml", "soft.toml", "loop1",
         "loop2", "fifo"])  # no left-over


def test_a_store_file_that_is_a_fifo_is_one_line(tmp_path, capsys, monkeypatch):
    (tmp_path / "series").mkdir()
    os.mkfifo(tmp_path / "series" / "DGS2.json")
    code, _, err = run_cli(["data", "show", "DGS2", "--store", str(tmp_path)], capsys)
    assert "store file" in one_line_error(code, err) and "FIFO" in err
