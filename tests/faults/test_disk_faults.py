"""Disk faults (issue 16): every write checks its destination before the work and a disk
error (full, read-only, no permission) is one line, exit 2, with no temp file left and the
previous file untouched. A full disk is a real small tmpfs where the machine allows it
(root), else a faked ENOSPC.

Each case asserts the exit code, the single line and that nothing on disk changed."""

from __future__ import annotations

import errno
import os

import pytest

from tests.cli import one_line_error, run_cli, skip_unless_ci

from .conftest import tree


@pytest.fixture
def panel_file(tmp_path):
    """A simulated panel and, beside it, ``model.toml`` with its groups."""
    from macroattr.models import ModelConfig
    from macroattr.models.synthetic import simulate_panel

    p = tmp_path / "in" / "panel.csv"
    panel, truth = simulate_panel(n=120, seed=3)
    panel.to_file(p)
    (p.parent / "model.toml").write_text(ModelConfig(groups=truth["groups"]).to_toml())
    return p


def _errors(err: str) -> str:
    """stderr without the progress lines (``fitting ...``) that precede an error."""
    lines = [x for x in err.splitlines() if x.startswith("macroattr:")]
    assert len(lines) == 1, err
    return lines[0]


def _fit(panel, out, capsys, *extra):
    return run_cli(["fit", "--panel", str(panel), "--config", str(panel.parent / "model.toml"),
                    "--method", "exact", "--draws", "200", "--chains", "2", "--out", str(out), *extra], capsys)


def test_fit_out_on_a_full_disk_is_one_line_and_keeps_the_previous_fit(panel_file, full_disk, capsys):
    where, prepare, _ = full_disk
    out = where / "fit.nc"
    code, _, err = _fit(panel_file, out, capsys)
    assert code == 0, err
    prepare()  # now fill the disk
    before = tree(where)
    code, _, err = _fit(panel_file, out, capsys, "--seed", "9")
    line = one_line_error(code, _errors(err))
    assert "fit.nc" in line and ("No space left on device" in line or "free" in line)
    assert tree(where) == before  # previous fit intact, no .fit.nc.*.tmp


def test_disk_error_during_the_write_itself_leaves_no_temp_file(panel_file, tmp_path, capsys, monkeypatch):
    """The free-space check passed but the disk filled while writing (or a quota hit): the
    write's OSError, not an HDF5 crash, becomes the one line."""
    out = tmp_path / "fits" / "fit.nc"
    code, _, err = _fit(panel_file, out, capsys)
    assert code == 0, err
    before = tree(out.parent)

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    code, _, err = _fit(panel_file, out, capsys, "--seed", "9")
    line = one_line_error(code, _errors(err))
    assert line == (f"macroattr: error: cannot write {out}: No space left on device; free some space or "
                    "choose another path (nothing was changed)")
    assert tree(out.parent) == before


def test_run_fit_cache_on_a_full_disk_is_one_line(full_disk, tmp_path, capsys, monkeypatch):
    from macroattr.models import ModelConfig

    where, prepare, _ = full_disk
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / "exact.toml"
    cfg.write_text(ModelConfig.shipped("static_monthly").override(method="exact", draws=200, chains=2).to_toml())
    (where / "fits").mkdir()
    prepare()
    before = tree(where)
    code, _, err = run_cli(["run", "--config", str(cfg), "--source", "snapshot", "--cache-dir", str(where),
                            "--out", str(tmp_path / "reports"), "--start", "2015-01-01"], capsys)
    line = one_line_error(code, _errors(err))  # progress lines precede it
    assert "fit" in line and ("No space left on device" in line or "free" in line)
    assert tree(where) == before
    assert not (tmp_path / "reports").exists() or not list((tmp_path / "reports").glob("*.html"))


def test_data_panel_on_a_full_disk_is_one_line_without_sidecar(full_disk, capsys):
    where, prepare, _ = full_disk
    prepare()
    before = tree(where)
    code, _, err = run_cli(["data", "panel", "--start", "2020-01-31", "--end", "2020-12-31",
                            "--out", str(where / "p.csv")], capsys)
    line = one_line_error(code, err)
    assert "p.csv" in line and ("No space left on device" in line or "free" in line)
    assert tree(where) == before


def test_data_refresh_into_a_full_disk_is_one_line(full_disk, capsys, monkeypatch, fred_key, fred_server):
    where, prepare, state = full_disk
    if not state["real"]:
        skip_unless_ci("no real full file system here (tmpfs mount refused); the store writes "
                       "with Path.write_text, which the faked disk cannot intercept")
    monkeypatch.setenv("FRED_API_KEY", fred_key)
    (where / ".lock").touch()  # the store's (empty) lock file, as after any earlier refresh
    prepare(leave=0)
    before = tree(where)
    code, _, err = run_cli(["data", "refresh", "--series", "GDP", "--vintages", "--store", str(where),
                            "--fred-url", fred_server.url, "--rate", "1000"], capsys)
    lines = [x for x in err.splitlines() if x.startswith("macroattr:")]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("macroattr: error: cannot write")
    assert "No space left on device" in lines[0] and "GDP.json" in lines[0]
    assert tree(where) == before


@pytest.mark.parametrize("command", ["panel", "fit", "attribution"])
def test_out_onto_a_directory_is_refused_before_the_work(command, panel_file, tmp_path, capsys):
    target = tmp_path / "outdir.csv"
    target.mkdir()
    if command == "panel":
        argv = ["data", "panel", "--start", "2020-01-31", "--end", "2020-12-31", "--out", str(target)]
    elif command == "fit":
        target = tmp_path / "outdir.nc"
        target.mkdir()
        argv = ["fit", "--panel", str(panel_file), "--config", str(panel_file.parent / "model.toml"),
                "--method", "exact", "--out", str(target)]
    else:
        fit = tmp_path / "f.nc"
        assert _fit(panel_file, fit, capsys)[0] == 0
        argv = ["attribution", "--fit", str(fit), "--out", str(target)]
    before = tree(tmp_path)
    code, out, err = run_cli(argv, capsys)
    line = one_line_error(code, err)
    assert f"--out {target} is a directory" in line
    assert tree(tmp_path) == before  # no orphan sidecar, no temp file
    assert "fitting" not in err


def test_panel_out_equal_to_an_input_is_refused(tmp_path, capsys):
    t = tmp_path / "t.csv"
    t.write_text("date,rel_return\n2024-01-31,1.0\n2024-02-29,-0.5\n2024-03-31,0.2\n")
    before = tree(tmp_path)
    code, _, err = run_cli(["data", "panel", "--target-csv", str(t), "--factors", "d_2y", "--out", str(t)], capsys)
    line = one_line_error(code, err)
    assert f"--out {t} is also the input" in line and "destroy" in line
    assert tree(tmp_path) == before


def test_attribution_out_equal_to_its_fit_is_refused(panel_file, tmp_path, capsys):
    fit = tmp_path / "f.nc"
    assert _fit(panel_file, fit, capsys)[0] == 0
    before = tree(tmp_path)
    code, _, err = run_cli(["attribution", "--fit", str(fit), "--out", str(fit)], capsys)
    line = one_line_error(code, err)
    assert f"--out {fit} is also the input --fit {fit}" in line
    assert tree(tmp_path) == before


def test_unwritable_fit_out_is_refused_before_the_fit(panel_file, readonly_dir, capsys):
    where, make_readonly = readonly_dir
    make_readonly()
    before = tree(where)
    code, _, err = _fit(panel_file, where / "fit.nc", capsys)
    line = one_line_error(code, err)
    assert "--out" in line and "cannot write" in line
    assert "fitting" not in err  # refused before the (long) fit started
    assert tree(where) == before


def test_read_only_fit_cache_is_refused_before_the_fit(readonly_dir, tmp_path, capsys, monkeypatch):
    from macroattr.models import ModelConfig

    where, make_readonly = readonly_dir
    make_readonly()
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / "exact.toml"
    cfg.write_text(ModelConfig.shipped("static_monthly").override(method="exact", draws=200, chains=2).to_toml())
    code, _, err = run_cli(["run", "--config", str(cfg), "--source", "snapshot", "--cache-dir", str(where),
                            "--out", str(tmp_path / "reports"), "--start", "2015-01-01"], capsys)
    line = one_line_error(code, _errors(err))
    assert "fit cache" in line and "cannot write" in line
    assert "fitted in" not in err and "[2/3] fit: static" not in err  # before the fit
    assert tree(where) == {}


def test_failed_save_leaves_no_hdf5_handle_that_crashes_later(tmp_path, monkeypatch):
    """Saves refused after the in-memory file was built (no free space; a disk error while
    writing) must not leave an HDF5 handle whose later garbage collection crashes the process
    (it did: a segfault at a random later moment, while the memoryview pinned the buffer)."""
    import gc

    from macroattr.core import io
    from macroattr.core.errors import InputError
    from macroattr.models import ModelConfig, fit_model
    from macroattr.models.synthetic import simulate_panel

    panel, truth = simulate_panel(n=120, seed=3)
    fit = fit_model(panel, ModelConfig(groups=truth["groups"]).override(method="exact", draws=200, chains=2))
    real_check, real_fsync = io.check_destination, os.fsync

    def no_space(target, **kw):
        if kw.get("need_bytes"):
            raise InputError(f"cannot write {target}: no space (test)")
        return real_check(target, **kw)

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    for i in range(3):
        fit.save(str(tmp_path / "ok.nc"))
        monkeypatch.setattr(io, "check_destination", no_space)
        with pytest.raises(InputError, match="no space"):
            fit.save(str(tmp_path / f"a{i}.nc"))
        monkeypatch.setattr(io, "check_destination", real_check)
        monkeypatch.setattr(os, "fsync", full)
        with pytest.raises(InputError, match="No space left on device"):
            fit.save(str(tmp_path / f"b{i}.nc"))
        monkeypatch.setattr(os, "fsync", real_fsync)
        gc.collect()  # with the buffer pinned, this is where the process died
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.nc"]
