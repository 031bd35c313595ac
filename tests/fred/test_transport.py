"""The FRED transport against the recorded-headers replay server in every mode and against
hostile server behaviour: each refresh stores exactly the recorded values; every hang,
redirect and echo is one bounded line with the key nowhere."""

from __future__ import annotations

import time
import urllib.parse

import numpy as np
import pandas as pd
import pytest
import requests

from macroattr.core.errors import FredError
from macroattr.data_pipelines.fred.client import FredClient, FredConfig
from macroattr.data_pipelines.fred.refresh import refresh
from macroattr.data_pipelines.fred.store import SeriesStore
from tests.fred_server import FIXTURES, MODES, FredServer, load_fixture

from .conftest import recorded_series, wire_float

#: every recorded series with observations (UNRATE's recording holds only its vintage dates)
ALL = [n for n in sorted(p.stem for p in FIXTURES.glob("*.json") if p.stem.isupper() and not p.stem.endswith("_checks"))
       if load_fixture(n)["observations"]["date"]]


def _config(**kw) -> FredConfig:
    base = dict(timeout=1.0, max_attempts=2, backoff_initial=0.01, backoff_max=0.02, jitter=0.1, rate=1000.0,
                deadline=3.0)
    base.update(kw)
    return FredConfig(**base)


@pytest.mark.parametrize("mode", MODES)
def test_whole_refresh_in_every_mode_stores_exactly_the_recorded_values(mode, fred_key, tmp_path):
    with FredServer(fred_key, mode=mode) as srv:
        client = FredClient(fred_key, base_url=srv.url, config=_config(deadline=30.0))
        store = SeriesStore(tmp_path / "store")
        results = refresh(store, client, ALL, vintages=True)
        assert [r.status for r in results] == ["new"] * len(ALL), [r.error for r in results]
        # what the server sent carries FRED's recorded headers (Apache, gzip unless identity)
        r = requests.get(f"{srv.url}/series", params={"series_id": "DGS2", "api_key": fred_key})
        assert r.headers["Server"] == "Apache" and r.headers["Vary"] == "Accept-Encoding"
        assert r.headers["Strict-Transport-Security"] == "max-age=86400"
        assert r.headers.get("Content-Encoding") == (None if mode == "identity" else "gzip")
        if mode == "chunked":
            assert r.headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in r.headers
        if mode == "close":
            assert r.headers["Connection"] == "close"
        if mode == "http10":
            assert r.raw.version == 10
    for sid in ALL:
        got, meta = store.read(sid)
        want = recorded_series(sid)
        assert got.index.equals(want.index), sid
        np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())  # exact, NaN where FRED sent "."
        assert meta["title"] == load_fixture(sid)["info"][0]["title"]
    v = load_fixture("GDP")["vintages"]
    vint = store.read_vintages("GDP")
    assert len(vint) == len(v["date"]) == 3201
    np.testing.assert_array_equal(vint["value"].to_numpy(), np.array([wire_float(x) for x in v["value"]]))


@pytest.mark.parametrize("fault", ["trickle-status:0.05", "trickle-headers:0.05", "continue", "trickle:0.05"])
def test_a_server_that_never_finishes_is_one_line_within_the_deadline(fault, fred_key, fred_server):
    fred_server.fail("DGS2", always=fault)
    client = FredClient(fred_key, base_url=fred_server.url, config=_config(deadline=1.5))
    t0 = time.monotonic()
    with pytest.raises(FredError) as exc:
        client.observations("DGS2")
    took = time.monotonic() - t0
    assert took < 3.0, took  # one attempt: a deadline is not retried
    msg = str(exc.value)
    assert "\n" not in msg and "1.5 s deadline" in msg and "not retried" in msg and fred_key not in msg
    assert msg.count("Retry later") == 1


def test_redirect_to_another_port_is_refused_and_the_key_never_goes_there(fred_key, fred_server):
    with FredServer(fred_key) as other:
        for location in (f"{other.url}/series/observations?{{query}}", f"{other.url}/series/observations?series_id=DGS2"):
            fred_server.clear()
            fred_server.fail("DGS2", location and f"redirect:{location}")
            client = FredClient(fred_key, base_url=fred_server.url, config=_config())
            with pytest.raises(FredError) as exc:
                client.observations("DGS2")
            msg = str(exc.value)
            assert "redirected the request for DGS2 to http://127.0.0.1:" in msg and "not followed" in msg
            assert fred_key not in msg and "\n" not in msg
        assert other.requests == []  # nothing, with or without the key, reached the other host


def test_redirect_within_the_configured_origin_is_followed_with_the_key(fred_key, fred_server):
    path = urllib.parse.urlsplit(fred_server.url).path
    fred_server.fail("DGS2", f"redirect:{path}/series/observations?series_id=DGS2&hop=1")
    client = FredClient(fred_key, base_url=fred_server.url, config=_config())
    got = client.observations("DGS2")
    assert got.equals(recorded_series("DGS2").rename("value"))
    first, second = fred_server.requests_for("DGS2")
    assert first.status == 302 and second.query.get("hop") == "1" and second.query["api_key"] == fred_key


def test_an_error_echoing_the_key_in_any_case_or_encoding_is_redacted(fred_server):
    key = "Ab+/ =&Key%25xyz0123"  # special characters: a URL-encoded echo differs from the key
    with FredServer(key) as srv:
        srv.fail("DGS2", "echo")
        client = FredClient(key, base_url=srv.url, config=_config())
        with pytest.raises(FredError) as exc:
            client.observations("DGS2")
        msg = str(exc.value)
    forms = {key, key.upper(), key.lower(), urllib.parse.quote(key, safe=""), urllib.parse.quote_plus(key),
             urllib.parse.quote(key, safe="").lower()}
    assert "***" in msg and not any(f in msg for f in forms), msg


def test_duplicate_dates_are_refused_naming_them(fred_key, fred_server):
    fred_server.fail("DGS2", "dup:3")
    client = FredClient(fred_key, base_url=fred_server.url, config=_config())
    with pytest.raises(FredError) as exc:
        client.observations("DGS2")
    last3 = recorded_series("DGS2").index[-3:].strftime("%Y-%m-%d")
    msg = str(exc.value)
    assert "lists 3 date(s) more than once" in msg and all(d in msg for d in last3)


def test_a_date_pandas_cannot_hold_is_one_line(fred_key, fred_server):
    fred_server.fail("DGS2", "date:9999-12-31")
    client = FredClient(fred_key, base_url=fred_server.url, config=_config())
    with pytest.raises(FredError) as exc:
        client.observations("DGS2")
    assert "'9999-12-31'" in str(exc.value) and "not a date between 1677-09-22 and 2262-04-11" in str(exc.value)


@pytest.mark.parametrize("fault,full", [("dup:19", False), ("shrink:265", False), ("gap:40", False),
                                        ("gap:40", True), ("date:9999-12-31", False)])
def test_a_refresh_that_would_lose_data_keeps_the_stored_file(fault, full, fred_key, fred_server, tmp_path):
    client = FredClient(fred_key, base_url=fred_server.url, config=_config())
    store = SeriesStore(tmp_path / "store")
    refresh(store, client, ["DGS2"])
    before = store.file("DGS2").read_bytes()
    meta = store.meta("DGS2")
    # FRED has updated the series: the refresh fetches again (tail, or all with full)
    fx = load_fixture("DGS2")
    fx["info"][0]["last_updated"] = "2099-01-01 00:00:00-05"
    fred_server.add(fx)
    try:
        fred_server.fail("DGS2", always=fault)
        (res,) = refresh(store, client, ["DGS2"], full=full, revision_window_days=400)
    finally:
        fred_server.add(load_fixture("DGS2"))
    assert res.status == "failed" and "\n" not in res.error
    assert store.file("DGS2").read_bytes() == before and store.meta("DGS2") == meta
    if fault.startswith(("shrink", "gap")):
        import re

        n = int(fault.split(":")[1])
        want = recorded_series("DGS2").dropna()
        m = re.search(r"would drop ([\d,]+) of the ([\d,]+) stored observations \((\d{4}-\d\d-\d\d)", res.error)
        assert m, res.error
        assert 0 < int(m[1].replace(",", "")) <= n and int(m[2].replace(",", "")) == len(want)
        assert pd.Timestamp(m[3]) in want.index  # names the first date it would drop
        assert ("full" if full else "incremental") in res.error
    stored, _ = store.read("DGS2")
    pd.testing.assert_series_equal(stored, recorded_series("DGS2").rename("DGS2"), check_freq=False)
