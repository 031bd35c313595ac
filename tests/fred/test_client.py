"""The hardened client against the replay server: real values, retries, throttle, redaction."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from macroattr.core.errors import FredError, InputError
from macroattr.data_pipelines.fred.client import FredAuthError, FredClient, FredConfig, resolve_api_key, vintage_as_of

from .conftest import fixture_json, recorded_series, wire_float


def test_observations_equal_the_recorded_values(client):
    got = client.observations("DGS2")
    want = recorded_series("DGS2")
    assert got.dtype == np.float64 and isinstance(got.index, pd.DatetimeIndex)
    assert got.index.equals(want.index)
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())  # NaN where FRED sent "."
    assert got.isna().sum() == sum(v == "." for v in fixture_json("DGS2")["observations"]["value"]) > 0


def test_cpi_api_recording_round_trips(client):
    got = client.observations("CPIAUCSL")
    want = recorded_series("CPIAUCSL")
    pd.testing.assert_series_equal(got, want, check_names=False, check_index_type=False, check_freq=False)
    assert got.loc["2024-11-01"] == 316.441  # as in the raw recording


def test_series_info_is_the_recorded_metadata(client):
    info = client.series_info("gdp")
    rec = fixture_json("GDP")["info"][0]
    for key in ("title", "units", "frequency", "seasonal_adjustment", "last_updated", "observation_end"):
        assert info[key] == rec[key]


def test_all_releases_are_typed_and_equal_the_recording(client):
    got = client.all_releases("GDP")
    v = fixture_json("GDP")["vintages"]
    assert got["value"].dtype == np.float64
    assert str(got["date"].dtype).startswith("datetime64") and str(got["realtime_start"].dtype).startswith("datetime64")
    want = pd.DataFrame(
        {
            "date": pd.to_datetime(v["date"]),
            "realtime_start": pd.to_datetime(v["realtime_start"]),
            "value": [wire_float(x) for x in v["value"]],
        }
    ).sort_values(["date", "realtime_start"], kind="stable")
    assert len(got) == len(want) == 3201
    np.testing.assert_array_equal(got["date"].to_numpy(), want["date"].to_numpy())
    np.testing.assert_array_equal(got["realtime_start"].to_numpy(), want["realtime_start"].to_numpy())
    np.testing.assert_array_equal(got["value"].to_numpy(), want["value"].to_numpy())
    # realtime_end rebuilt from the next vintage agrees with FRED's own where FRED closed the period
    ends = pd.to_datetime([e if e != "9999-12-31" else None for e in v["realtime_end"]])
    np.testing.assert_array_equal(got["realtime_end"].to_numpy(), ends.to_numpy())


def test_as_of_gives_one_value_per_date_equal_to_fred_as_of_answer(client):
    got = client.as_of("GDP", "2019-01-01")
    rec = fixture_json("GDP_recorded_checks")["as_of_2019_01_01"]
    # FRED's answer lists every vintage up to 2019-01-01; the one in force ends on that day
    in_force = {
        d: wire_float(v)
        for d, e, v in zip(rec["date"], rec["realtime_end"], rec["value"], strict=True)
        if e == "2019-01-01" and v != "."
    }
    assert got.index.is_unique
    assert len(rec["date"]) > len(got) == len(in_force) > 200
    want = pd.Series(in_force).rename(index=pd.Timestamp).sort_index()
    np.testing.assert_array_equal(got.index.to_numpy(), want.index.to_numpy())
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())


def test_first_release_equals_fred_output_type_4_answer(client, fred_server):
    got = client.first_release("GDP")
    rec = fixture_json("GDP_recorded_checks")["first_release"]
    assert list(got.index.strftime("%Y-%m-%d")) == rec["date"]
    assert got.tolist() == [float(x) for x in rec["value"]]
    assert fred_server.requests_for("GDP")[-1].query["output_type"] == "4"


def test_vintage_dates(client):
    got = client.vintage_dates("GDP")
    assert list(got.strftime("%Y-%m-%d")) == fixture_json("GDP")["vintage_dates"]


def test_vintage_as_of_picks_latest_vintage_not_after_cutoff():
    v = pd.DataFrame(
        {
            "date": pd.to_datetime(["2020-01-01"] * 3 + ["2020-04-01"]),
            "realtime_start": pd.to_datetime(["2020-04-29", "2020-05-28", "2020-06-25", "2020-07-30"]),
            "value": [1.0, 2.0, np.nan, 4.0],
        }
    )
    assert vintage_as_of(v, "2020-05-28").tolist() == [2.0]
    assert vintage_as_of(v, "2020-07-01").empty  # withdrawn in the vintage in force
    assert vintage_as_of(v, "2020-04-28").empty


def test_retries_5xx_and_dropped_connections_then_succeeds(client, fred_server):
    fred_server.fail("DGS2", "500", "drop")
    s = client.observations("DGS2")
    assert len(s) == len(recorded_series("DGS2"))
    reqs = fred_server.requests_for("DGS2", "observations")
    assert len(reqs) == 3


def test_retry_after_is_honoured(client, fred_server):
    fred_server.fail("DGS2", "429:1")
    client.observations("DGS2")
    first, second = fred_server.requests_for("DGS2", "observations")
    assert first.status == 429
    assert second.at - first.at >= 0.95  # backoff alone would be ~0.01 s


def test_rate_limit_beyond_retry_budget_is_one_line_fred_error(client, fred_server, fred_key):
    fred_server.fail("DGS2", always="429:0")
    with pytest.raises(FredError) as err:
        client.observations("DGS2")
    msg = str(err.value)
    assert "DGS2" in msg and "429" in msg and "\n" not in msg and fred_key not in msg
    assert len(fred_server.requests_for("DGS2")) == 3  # max_attempts
    assert err.value.__cause__ is None and err.value.__suppress_context__


def test_retry_after_longer_than_allowed_stops_at_once(fred_server, fred_key, fast_config):
    c = FredClient(fred_key, base_url=fred_server.url, config=fast_config.model_copy(update={"max_retry_after": 5}))
    fred_server.fail("DGS2", "429:3600")
    with pytest.raises(FredError, match="Retry-After"):
        c.observations("DGS2")
    assert len(fred_server.requests_for("DGS2")) == 1


def test_timeout_then_retry(fred_server, fred_key, fast_config):
    c = FredClient(fred_key, base_url=fred_server.url, config=fast_config.model_copy(update={"timeout": 0.3}))
    fred_server.fail("GNPCA", "slow:1")
    assert len(c.observations("GNPCA")) == 20
    fred_server.fail("GNPCA", always="slow:0.6")
    with pytest.raises(FredError, match="timeout"):
        c.observations("GNPCA")


def test_truncated_body_is_malformed_error(client, fred_server):
    # every answer is cut, so a retry (e.g. after a client timeout on a loaded machine,
    # which once consumed a one-shot fault) still meets a truncated body
    fred_server.fail("DGS2", always="truncate")
    with pytest.raises(FredError, match=r"malformed response for DGS2"):
        client.observations("DGS2")


def test_unknown_series_and_bad_key(client, fred_server, fast_config):
    with pytest.raises(FredError, match=r"no series NOSUCH"):
        client.observations("NOSUCH")
    bad = FredClient("0123456789abcdef0123456789abcdef", base_url=fred_server.url, config=fast_config)
    with pytest.raises(FredAuthError) as err:
        bad.series_info("DGS2")
    assert "0123456789abcdef0123456789abcdef" not in str(err.value)
    assert "api_key" in str(err.value) and "DGS2" in str(err.value)
    assert len(fred_server.requests_for("NOSUCH")) == 1  # 400s are not retried


def test_throttle_spaces_requests(fred_server, fred_key, fast_config):
    c = FredClient(fred_key, base_url=fred_server.url, config=fast_config.model_copy(update={"rate": 5.0}))
    for _ in range(4):
        c.series_info("GNPCA")
    times = [r.at for r in fred_server.requests_for("GNPCA")]
    assert len(times) == 4
    assert min(np.diff(times)) >= 0.18


def test_key_never_in_messages_or_logs(fred_server, fred_key, fast_config, caplog):
    caplog.set_level(logging.DEBUG)
    c = FredClient(fred_key, base_url=fred_server.url, config=fast_config)
    fred_server.fail("DGS2", "500", "429:0", always="drop")
    errors = []
    for sid in ("DGS2", "NOSUCH"):
        try:
            c.observations(sid)
        except FredError as exc:
            errors.append(exc)
    assert len(errors) == 2
    assert fred_server.requests_for("DGS2")[0].query["api_key"] == fred_key  # it was sent
    text = " ".join(str(e) + repr(e) for e in errors) + repr(c)
    text += " ".join(r.getMessage() for r in caplog.records)
    assert any("retry" in r.getMessage() for r in caplog.records)
    assert fred_key not in text


def test_missing_key_says_how_to_set_it(monkeypatch, tmp_path):
    monkeypatch.delenv("FRED_API_KEY", raising=False)
    with pytest.raises(InputError, match=r"FRED_API_KEY.*--api-key-file.*--source snapshot"):
        FredClient()
    empty = tmp_path / "key.txt"
    empty.write_text("\n")
    with pytest.raises(InputError, match="key.txt is empty"):
        resolve_api_key(api_key_file=empty)
    with pytest.raises(InputError, match="cannot read the FRED key file"):
        resolve_api_key(api_key_file=tmp_path / "missing.txt")


def test_key_file_and_env_and_url_precedence(monkeypatch, tmp_path, fred_server, fred_key):
    f = tmp_path / "k"
    f.write_text(fred_key + "\n")
    monkeypatch.setenv("FRED_API_KEY", "wrongwrongwrongwrong")
    monkeypatch.setenv("MACROATTR_FRED_URL", fred_server.url)
    c = FredClient(api_key_file=f, config=FredConfig(rate=1000))
    assert c.base_url == fred_server.url
    assert c.series_info("GNPCA")["id"] == "GNPCA"
    with pytest.raises(InputError, match="not an http"):
        FredClient(fred_key, base_url="ftp://x")
