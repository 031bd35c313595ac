"""The main job's panel kept in the cache (macroattr.jobs.cache.cached_panel): read back
while nothing it is built from changed, the very panel a build gives (so the same fit cache
key), rebuilt when a user file's bytes, the FRED store, the settings or ``--refit`` say so;
an unreadable kept file or a read-only cache never fails the job."""

from __future__ import annotations

from pathlib import Path

import pytest

from macroattr.data_pipelines import panel as panel_mod
from macroattr.jobs import cache as C
from macroattr.jobs.cache import cached_panel, fit_cache_key, panel_cache_key, panel_keeper
from macroattr.jobs.inputs import build_config_panel
from macroattr.jobs.run_config import PanelSettings
from macroattr.models import ModelConfig
from tests.cli import run_cli

EVENTS = "date,label\n2016-11-08,election\n2020-11-03,election\n"


@pytest.fixture(autouse=True)
def _no_fred_key(monkeypatch):
    monkeypatch.delenv("FRED_API_KEY", raising=False)


@pytest.fixture
def counted(monkeypatch):
    """Count real panel builds."""
    calls = []
    real = panel_mod.build_panel

    def build(*a, **k):  # noqa: ANN002, ANN003
        calls.append(1)
        return real(*a, **k)

    monkeypatch.setattr(panel_mod, "build_panel", build)
    import macroattr.data_pipelines as dp

    monkeypatch.setattr(dp, "build_panel", build)
    return calls


def _cfg():
    return ModelConfig.shipped("static_monthly")


def test_kept_panel_is_the_built_panel(tmp_path, counted):
    s = PanelSettings(start="2015-01-31", end="2024-12-31")
    a, ca = build_config_panel(_cfg(), s, builder=panel_keeper(tmp_path))
    b, cb = build_config_panel(_cfg(), s, builder=panel_keeper(tmp_path))
    assert len(counted) == 1                                        # read back, not rebuilt
    assert b.data.equals(a.data) and list(b.data.columns) == list(a.data.columns)
    assert b.meta == a.meta and cb == ca
    assert fit_cache_key(b, cb, s) == fit_cache_key(a, ca, s)       # the same cached fit
    plain, _ = build_config_panel(_cfg(), s)                         # no keep: always built
    assert len(counted) == 2 and plain.data.equals(a.data)
    build_config_panel(_cfg(), s, builder=panel_keeper(tmp_path, refresh=True))
    assert len(counted) == 3                                        # --refit rebuilds it


def test_a_changed_user_file_or_setting_is_a_new_panel(tmp_path, counted):
    events = tmp_path / "events.csv"
    events.write_text(EVENTS)
    s = PanelSettings(start="2015-01-31", end="2024-12-31", events_csv=events)
    a, _ = build_config_panel(_cfg(), s, builder=panel_keeper(tmp_path))
    assert a.data["event_election"].sum() == 2
    events.write_text(EVENTS + "2024-11-05,election\n")               # same name, new bytes
    b, _ = build_config_panel(_cfg(), s, builder=panel_keeper(tmp_path))
    assert len(counted) == 2 and b.data["event_election"].sum() == 3
    build_config_panel(_cfg(), s.updated(start="2016-01-31"), builder=panel_keeper(tmp_path))
    assert len(counted) == 3
    assert len(list((tmp_path / "panels").glob("*.parquet"))) == 3


def test_the_fred_store_keys_fred_and_auto_panels(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    s = PanelSettings()
    snap = panel_cache_key(s, "snapshot", store)
    auto = panel_cache_key(s, "auto", store)
    (store / "DGS2.json").write_text("{}")
    assert panel_cache_key(s, "auto", store) != auto                # the store changed
    assert panel_cache_key(s, "fred", store) != panel_cache_key(s, "auto", store)
    assert panel_cache_key(s, "snapshot", store) == snap            # the snapshot does not read it


def test_the_code_key_covers_the_builder_and_the_snapshot():
    """The builder's code, the embedded snapshot and core's calendars are in the key."""
    C._build_code_hash.cache_clear()
    seen = []
    real = Path.read_bytes

    def spy(self):  # noqa: ANN001, ANN202
        seen.append(self.name)
        return real(self)

    try:
        Path.read_bytes = spy
        C._build_code_hash()
    finally:
        Path.read_bytes = real
        C._build_code_hash.cache_clear()
    assert {"panel.py", "factors.py", "daily.parquet", "monthly.parquet", "provenance.csv",
            "dates.py"} <= set(seen)


def test_unreadable_kept_panel_is_rebuilt(tmp_path, counted):
    s = PanelSettings(start="2020-01-31", end="2020-12-31")
    a, _ = build_config_panel(_cfg(), s, builder=panel_keeper(tmp_path))
    (kept,) = (tmp_path / "panels").glob("*.parquet")
    kept.write_bytes(b"not parquet")
    b, _ = build_config_panel(_cfg(), s, builder=panel_keeper(tmp_path))
    assert len(counted) == 2 and b.data.equals(a.data)
    c, _ = build_config_panel(_cfg(), s, builder=panel_keeper(tmp_path))   # rewritten whole
    assert len(counted) == 2 and c.data.equals(a.data)


def test_unwritable_cache_builds_the_panel(tmp_path, monkeypatch):
    def refuse(self, path):  # noqa: ANN001, ANN202 - a read-only or full disk
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(panel_mod.Panel, "to_file", refuse)
    s = PanelSettings(start="2020-01-31", end="2020-12-31")
    p = cached_panel(s, "snapshot", lambda: panel_mod.build_panel(s), cache_dir=tmp_path)
    assert len(p.data) == 12 and not list((tmp_path / "panels").glob("*"))


def test_run_then_the_main_fit_build_the_panel_once(tmp_path, capsys, counted):
    """``run`` keeps its panel; :func:`main_fit` on that config (what ``event``,
    ``scenario`` and ``summary`` read) reads it back and finds the same fit."""
    from macroattr.jobs.run import main_fit

    cfg = tmp_path / "exact.toml"
    cfg.write_text(ModelConfig.shipped("static_monthly").override(method="exact", draws=200,
                                                                  chains=2).to_toml()
                   + '\n[panel]\nstart = "2015-01-31"\n')
    cache = tmp_path / "cache"
    code, _, err = run_cli(["run", "--source", "snapshot", "--config", str(cfg), "--quarter",
                            "2024Q4", "--out", str(tmp_path / "site"), "--cache-dir", str(cache)],
                           capsys)
    assert code == 0, err
    built = len(counted)
    m = main_fit(cfg, source="snapshot", cache_dir=cache)
    assert len(counted) == built and m.reused
    assert main_fit(cfg, source="snapshot", cache_dir=cache, refit=True).path == m.path
    assert len(counted) == built + 1                                # --refit rebuilds it
