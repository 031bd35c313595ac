"""The series store and incremental refresh: atomicity, locking, changes, as-of reads."""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from macroattr.core.errors import InputError
from macroattr.data_pipelines.fred.client import FredAuthError, FredClient
from macroattr.data_pipelines.fred.refresh import refresh
from macroattr.data_pipelines.fred.store import META_KEYS, SeriesStore

from .conftest import fixture_json, recorded_series


def test_refresh_stores_values_and_metadata(client, tmp_path):
    store = SeriesStore(tmp_path)
    [res] = refresh(store, client, ["dgs2"])
    assert res.status == "new" and res.new_obs == recorded_series("DGS2").notna().sum()
    values, meta = store.read("DGS2")
    want = recorded_series("DGS2")
    np.testing.assert_array_equal(values.to_numpy(), want.to_numpy())
    assert values.index.equals(want.index)
    assert set(META_KEYS) <= set(meta)
    assert meta["source"] == "fred" and meta["id"] == "DGS2" and meta["frequency"] == "Daily"
    assert meta["last"] == want.dropna().index[-1].strftime("%Y-%m-%d") == res.last
    assert meta["realtime_start"] == fixture_json("DGS2")["realtime"]
    assert store.has("DGS2") and not store.has("GDP") and store.list() == ["DGS2"]


def _edited_fixture(name, new_date, new_value, revise):
    fx = copy.deepcopy(fixture_json(name))
    obs = fx["observations"]
    for date, value in revise.items():
        obs["value"][obs["date"].index(date)] = value
    obs["date"].append(new_date)
    obs["value"].append(new_value)
    fx["info"][0]["last_updated"] = "2026-04-22 07:51:02-05"
    return fx


def test_incremental_refresh_fetches_only_the_tail_and_reports_changes(client, fred_server, tmp_path):
    store = SeriesStore(tmp_path)
    refresh(store, client, ["DGS2"], revision_window_days=30)
    old, _ = store.read("DGS2")
    # FRED publishes one more day and revises a value inside the window and one far outside it
    fred_server.add(_edited_fixture("DGS2", "2026-04-20", "3.70", {"2026-04-10": "3.99", "2016-03-01": "9.99"}))
    try:
        fred_server.clear()
        [res] = refresh(store, client, ["DGS2"], revision_window_days=30)
    finally:
        fred_server.add(fixture_json("DGS2"))
    assert (res.status, res.new_obs, res.revised_obs, res.last) == ("updated", 1, 1, "2026-04-20")
    [req] = fred_server.requests_for("DGS2", "observations")
    assert req.query["observation_start"] == "2026-03-18"  # last stored date 2026-04-17 minus 30 days
    new, meta = store.read("DGS2")
    assert new["2026-04-10"] == 3.99 and new["2026-04-20"] == 3.70
    assert new["2016-03-01"] == old["2016-03-01"]  # outside the window: not fetched again
    assert len(new) == len(old) + 1 and meta["last_updated"] == "2026-04-22 07:51:02-05"


def test_unchanged_series_costs_one_request(client, fred_server, tmp_path):
    store = SeriesStore(tmp_path)
    refresh(store, client, ["GNPCA"])
    before = store.file("GNPCA").read_bytes()
    fred_server.clear()
    [res] = refresh(store, client, ["GNPCA"])
    assert res.status == "unchanged"
    assert [r.path for r in fred_server.requests] == ["/fred/series"]
    assert store.file("GNPCA").read_bytes() == before


def test_failed_series_leaves_its_file_untouched_and_others_refresh(client, fred_server, tmp_path):
    store = SeriesStore(tmp_path)
    refresh(store, client, ["GNPCA"])
    before = store.file("GNPCA").read_bytes()
    fred_server.fail("GNPCA", always="503")
    results = refresh(store, client, ["GNPCA", "NOSUCH", "FEDFUNDS"], full=True)
    status = {r.series_id: r.status for r in results}
    assert status == {"GNPCA": "failed", "NOSUCH": "failed", "FEDFUNDS": "new"}
    assert "503" in results[0].error and "GNPCA" in results[0].error
    assert store.file("GNPCA").read_bytes() == before
    assert store.list() == ["FEDFUNDS", "GNPCA"]


def test_malformed_answer_keeps_old_series(client, fred_server, tmp_path):
    store = SeriesStore(tmp_path)
    refresh(store, client, ["GNPCA"])
    before = store.file("GNPCA").read_bytes()
    fred_server.fail("*", always="truncate")
    [res] = refresh(store, client, ["GNPCA"], full=True)
    assert res.status == "failed" and "malformed" in res.error
    assert store.file("GNPCA").read_bytes() == before


def test_bad_key_stops_the_refresh(fred_server, fast_config, tmp_path):
    bad = FredClient("f" * 32, base_url=fred_server.url, config=fast_config)
    store = SeriesStore(tmp_path)
    with pytest.raises(FredAuthError):
        refresh(store, bad, ["GNPCA", "DGS2"])
    assert store.list() == []
    assert len(fred_server.requests) == 1


def test_fault_between_temp_write_and_rename_keeps_old_file(client, tmp_path, monkeypatch):
    store = SeriesStore(tmp_path)
    refresh(store, client, ["GNPCA"])
    before = store.file("GNPCA").read_bytes()

    def boom(self, tmp, target):
        assert tmp.stat().st_size > 0 and target.read_bytes() == before
        raise OSError("disk vanished")

    monkeypatch.setattr(SeriesStore, "_before_commit", boom)
    with pytest.raises(OSError):
        refresh(store, client, ["GNPCA"], full=True)
    assert store.file("GNPCA").read_bytes() == before
    assert [p.name for p in (tmp_path / "series").iterdir()] == ["GNPCA.json"]  # no temp left


_KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from macroattr.data_pipelines.fred.store import SeriesStore
    calls = []
    def die(self, tmp, target):
        calls.append(target.name)
        if target.name == sys.argv[1]:
            os.kill(os.getpid(), signal.SIGKILL)   # the worst moment: temp complete, not renamed
    SeriesStore._before_commit = die
    from macroattr.cli import main
    main(sys.argv[2:])
    """
)


def test_sigkill_mid_refresh_leaves_every_series_old_or_new(client, fred_server, fred_key, tmp_path):
    store = SeriesStore(tmp_path / "store")
    refresh(store, client, ["GNPCA", "FEDFUNDS"])
    before = {sid: store.file(sid).read_bytes() for sid in ("GNPCA", "FEDFUNDS")}
    env = dict(os.environ, FRED_API_KEY=fred_key)
    proc = subprocess.run(
        [sys.executable, "-c", _KILLER, "FEDFUNDS.json", "data", "refresh", "--series", "DGS2,FEDFUNDS,GNPCA",
         "--full", "--store", str(store.path), "--fred-url", fred_server.url, "--rate", "1000"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL
    assert store.list() == ["DGS2", "FEDFUNDS", "GNPCA"]
    dgs2, _ = store.read("DGS2")  # written before the kill: new
    assert dgs2.index.equals(recorded_series("DGS2").index)
    assert store.file("FEDFUNDS").read_bytes() == before["FEDFUNDS"]  # killed while writing: old
    assert store.file("GNPCA").read_bytes() == before["GNPCA"]  # not reached: old
    for sid in store.list():
        store.read(sid)
    # the orphaned temp file does not disturb the next refresh
    refresh(store, client, ["FEDFUNDS"], full=True)
    assert store.read("FEDFUNDS")[0].index.equals(recorded_series("FEDFUNDS").index)


def test_lock_blocks_a_second_refresh(client, tmp_path):
    store = SeriesStore(tmp_path)
    with store.lock():
        with pytest.raises(InputError, match="another refresh"):
            refresh(store, client, ["GNPCA"], lock_timeout=0.1)


def test_as_of_read_uses_stored_vintages(client, tmp_path):
    store = SeriesStore(tmp_path)
    refresh(store, client, ["GDP"], vintages=True)
    latest, meta = store.read("GDP")
    asof, ameta = store.read("GDP", as_of="2019-01-01")
    assert ameta["as_of"] == "2019-01-01" and ameta["vintage"] <= "2019-01-01"
    assert asof.equals(client.as_of("GDP", "2019-01-01").rename("GDP"))
    assert asof.index[-1] == pd.Timestamp("2018-07-01") and latest.index[-1] == pd.Timestamp("2024-07-01")
    common = asof.index.intersection(latest.index)
    differs = set(common[asof[common] != latest[common]])
    vint = store.read_vintages("GDP")
    revised_later = set(vint.loc[vint["realtime_start"] > "2019-01-01", "date"])
    assert len(differs) > 50 and differs <= revised_later  # they differ only where a later vintage exists
    with pytest.raises(InputError, match="first stored vintage"):
        store.read("GDP", as_of="1980-01-01")


def test_as_of_without_vintages_says_how_to_get_them(client, tmp_path):
    store = SeriesStore(tmp_path)
    refresh(store, client, ["GNPCA"])
    with pytest.raises(InputError, match=r"refresh --series GNPCA --vintages"):
        store.read("GNPCA", as_of="2020-01-01")


def test_unreadable_or_missing_store_file(tmp_path):
    store = SeriesStore(tmp_path)
    with pytest.raises(InputError, match=r"not in the store .*data refresh --series DGS2"):
        store.read("DGS2")
    (tmp_path / "series").mkdir()
    (tmp_path / "series" / "DGS2.json").write_text('{"format": "macro')
    with pytest.raises(InputError, match=r"DGS2.json is unreadable"):
        store.read("DGS2")
    with pytest.raises(InputError, match="not a FRED series id"):
        store.read("../etc")


def test_default_store_dir_honours_env(monkeypatch, tmp_path):
    monkeypatch.setenv("MACROATTR_STORE", str(tmp_path / "x"))
    assert SeriesStore().path == tmp_path / "x"
    monkeypatch.delenv("MACROATTR_STORE")
    assert "macroattr" in str(SeriesStore().path)


def _gdp_as_published_on(cut: str) -> dict:
    """The GDP fixture as FRED would have served it on ``cut``: only vintages published by then,
    the periods in force that day still open."""
    fx = copy.deepcopy(fixture_json("GDP"))
    v = fx["vintages"]
    rows = [
        (d, a, "9999-12-31" if b >= cut else b, x)
        for d, a, b, x in zip(v["date"], v["realtime_start"], v["realtime_end"], v["value"], strict=True)
        if a <= cut
    ]
    keys = ("date", "realtime_start", "realtime_end", "value")
    fx["vintages"] = {k: [r[i] for r in rows] for i, k in enumerate(keys)}
    fx["vintage_dates"] = [d for d in fx["vintage_dates"] if d <= cut]
    fx["realtime"] = cut
    for row in fx["info"]:
        row.update(realtime_start=cut, realtime_end=cut, last_updated=f"{cut} 07:51:02-05")
    return fx


def test_vintage_refresh_fetches_only_new_vintages_and_equals_a_full_fetch(client, fred_server, tmp_path):
    cut = "2019-01-01"
    store = SeriesStore(tmp_path / "incremental")
    fred_server.add(_gdp_as_published_on(cut))
    try:
        [first] = refresh(store, client, ["GDP"], vintages=True)
    finally:
        fred_server.add(fixture_json("GDP"))
    all_dates = fixture_json("GDP")["vintage_dates"]
    n_old = sum(d <= cut for d in all_dates)
    assert first.status == "new" and first.vintages == first.new_vintages == n_old
    last_stored = store.read_vintages("GDP")["realtime_start"].max().strftime("%Y-%m-%d")
    assert last_stored == max(d for d in all_dates if d <= cut)

    fred_server.clear()
    [res] = refresh(store, client, ["GDP"])  # a series holding vintages keeps getting them
    vint_reqs = [r for r in fred_server.requests_for("GDP", "/observations") if "realtime_start" in r.query]
    assert [r.query["realtime_start"] for r in vint_reqs] == [last_stored]  # not the whole history again
    assert res.status == "updated" and res.vintages == len(all_dates) and res.new_vintages == len(all_dates) - n_old

    full = SeriesStore(tmp_path / "full")
    refresh(full, client, ["GDP"], vintages=True)
    pd.testing.assert_frame_equal(store.read_vintages("GDP"), full.read_vintages("GDP"))
    assert store.read_vintage_dates("GDP").equals(full.read_vintage_dates("GDP"))
    for day in ("2019-01-01", "2020-06-30", "2024-12-19"):
        assert store.read("GDP", as_of=day)[0].equals(full.read("GDP", as_of=day)[0])

    [again] = refresh(store, client, ["GDP"])
    assert (again.status, again.vintages, again.new_vintages) == ("unchanged", len(all_dates), 0)
