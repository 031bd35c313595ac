"""FRED faults (issue 16): every fetch has a total deadline and a size cap, a run-level retry
budget with a circuit breaker and visible progress, an ``inf`` value or a shrinking history
fails that series alone, a read-only store or a hostile key file is one line, and a fallback
to the snapshot is printed AND recorded in the output.

Each case asserts the exit code, the single ``macroattr:`` line, and that nothing on disk
changed (the store's files byte for byte)."""

from __future__ import annotations

import time

import pytest

from tests.cli import fred_cli, run_cli
from macroattr.core.errors import FredError
from macroattr.data_pipelines.fred.client import FredClient, FredConfig

from .conftest import tree


@pytest.fixture
def run(capsys, monkeypatch, fred_key, fred_server, tmp_path):
    return fred_cli(capsys, monkeypatch, fred_key, fred_server, tmp_path / "store")


def one_error(err: str) -> str:
    """The single ``macroattr:`` line (refresh also draws progress bars on stderr)."""
    lines = [line for line in err.splitlines() if line.startswith("macroattr:")]
    assert len(lines) == 1 and lines[0].startswith("macroattr: error: "), err
    return lines[0]


@pytest.fixture
def stored(run):
    """A store holding GNPCA (and DGS2), and a function that asserts it is unchanged."""
    code, _, err = run("data", "refresh", "--series", "GNPCA,DGS2")
    assert code == 0, err
    before = tree(run.store)
    return lambda: tree(run.store) == before


def test_trickling_answer_stops_at_the_total_deadline(run, fred_server, stored, fred_key):
    fred_server.fail("GNPCA", always="trickle:0.2")  # one byte every 0.2 s: each read is "on time"
    t0 = time.monotonic()
    code, out, err = run("data", "refresh", "--series", "GNPCA", "--full", "--deadline", "1.5")
    assert time.monotonic() - t0 < 20  # the 10,000-byte trickle alone would take 2,000 s
    line = one_error(err)
    assert code == 3 and "GNPCA" in line and "1.5 s deadline" in line and fred_key not in line
    assert stored()


def test_endless_answer_stops_at_the_deadline_or_size_cap(run, fred_server, stored):
    fred_server.fail("GNPCA", always="endless")
    code, out, err = run("data", "refresh", "--series", "GNPCA", "--full", "--deadline", "2")
    line = one_error(err)
    assert code == 3 and "GNPCA" in line and ("deadline" in line or "too large" in line)
    assert stored()


def test_size_cap_bounds_memory_for_an_endless_stream(fred_server, fred_key):
    cfg = FredConfig(timeout=2, deadline=30, max_bytes=1 << 20, max_attempts=1, rate=1000)
    client = FredClient(fred_key, base_url=fred_server.url, config=cfg)
    fred_server.fail("GNPCA", always="endless")
    with pytest.raises(FredError, match=r"GNPCA is too large \(more than 1,048,576 bytes"):
        client.observations("GNPCA")


def test_oversized_answer_is_refused_from_its_header(run, fred_server, stored):
    fred_server.fail("GNPCA", always="oversize:500000000")
    code, out, err = run("data", "refresh", "--series", "GNPCA", "--full")
    line = one_error(err)
    assert code == 3 and "too large" in line and "announced 500,000,000 bytes" in line
    assert fred_server.bytes_sent < 50 << 20  # the client hung up long before 500 MB
    assert stored()


def test_inf_value_fails_that_series_alone_with_a_summary(run, fred_server, stored):
    gnpca = run.store / "series" / "GNPCA.json"
    before = gnpca.read_bytes()
    fred_server.fail("GNPCA", always="inf")
    code, out, err = run("data", "refresh", "--series", "GNPCA,DGS2", "--full")
    line = one_error(err)
    assert code == 3 and "1 of 2 series failed" in line
    assert "non-finite value (inf) for GNPCA" in line and "DGS2:" not in line
    assert "DGS2" in out and "GNPCA" in out and "failed" in out  # the summary table
    assert gnpca.read_bytes() == before  # GNPCA kept as it was; DGS2 was refreshed


def test_429_storm_spends_the_retry_budget_then_the_breaker_opens(run, fred_server, stored):
    fred_server.fail("*", always="429:0")
    ids = "GNPCA,DGS2,GDP,CPIAUCSL,UNRATE"
    code, out, err = run("data", "refresh", "--series", ids, "--full", "--retry-budget", "2")
    line = one_error(err)
    assert code == 3 and "5 of 5 series failed" in line and "circuit breaker open" in line
    assert "retry 1/2 in" in err and "retry budget" in err  # progress, as it happens
    assert "circuit breaker open, the remaining series are not requested" in err
    asked = {r.series_id for r in fred_server.requests}
    assert asked == {"GNPCA", "DGS2", "GDP"}  # three failures in a row, then no more requests
    assert stored()


def test_retry_budget_is_shared_by_the_whole_run(fred_server, fred_key):
    waits: list[float] = []
    cfg = FredConfig(timeout=1, max_attempts=10, backoff_initial=1, backoff_max=1, jitter=0,
                     retry_budget=3.5, breaker_failures=99, rate=1000)
    client = FredClient(fred_key, base_url=fred_server.url, config=cfg, sleep=waits.append)
    fred_server.fail("*", always="503")
    for sid in ("GNPCA", "DGS2", "GDP"):
        with pytest.raises(FredError, match="retry budget of 3.5 s is spent"):
            client.series_info(sid)
    retry_waits = [w for w in waits if w >= 0.5]  # (the rest are the rate throttle's)
    assert sum(retry_waits) <= 3.5 and len(retry_waits) == 3  # not 9 waits per series


def test_full_refresh_refuses_a_history_that_shrinks(run, fred_server, stored):
    from tests.fred_server import load_fixture

    fx = load_fixture("GNPCA")
    fx["observations"] = {k: v[-1:] for k, v in fx["observations"].items()}  # 1 observation
    fx["info"][0]["last_updated"] = "2099-01-01 00:00:00-05"
    saved = fred_server.series["GNPCA"]
    fred_server.add(fx)
    try:
        code, out, err = run("data", "refresh", "--series", "GNPCA", "--full")
        line = one_error(err)
        assert code == 3 and "FRED's full answer for GNPCA would drop 19 of the 20 stored observations" in line
        assert "--allow-shrink" in line
        assert stored()
        code, out, err = run("data", "refresh", "--series", "GNPCA", "--full", "--allow-shrink")
        assert code == 0, err
    finally:
        fred_server.series["GNPCA"] = saved


def test_read_only_store_is_one_line(run, readonly_dir, monkeypatch, fred_server):
    where, make_readonly = readonly_dir
    monkeypatch.setenv("MACROATTR_STORE", str(where))
    code, _, err = run("data", "refresh", "--series", "GNPCA")
    assert code == 0, err
    make_readonly()
    before = tree(where)
    code, out, err = run("data", "refresh", "--series", "GNPCA", "--full")
    line = one_error(err)
    assert code == 2 and "cannot be written" in line and "--store" in line
    assert tree(where) == before


@pytest.mark.parametrize("kind", ["binary", "endless"])
def test_binary_or_endless_key_file_is_one_line(run, tmp_path, monkeypatch, kind):
    monkeypatch.delenv("FRED_API_KEY")
    if kind == "binary":
        key = tmp_path / "key.bin"
        key.write_bytes(bytes(range(256)) * 4)
    else:
        key = "/dev/zero"  # reading it whole would never end
    code, out, err = run("data", "refresh", "--series", "GNPCA", "--api-key-file", str(key))
    line = one_error(err)
    assert code == 2 and ("FRED key file" in line or "--api-key-file /dev/zero is a device" in line)
    assert ("binary" in line) if kind == "binary" else ("not a regular file" in line)
    assert not run.store.exists() or tree(run.store) == {}


def test_auto_fallback_is_printed_and_recorded_in_the_report(tmp_path, capsys, monkeypatch, fred_server):
    """``run --source auto`` with FRED failing: exit 0 on the snapshot, and both the progress
    output and the report's provenance say "FRED refresh failed: ...; snapshot used"."""
    from macroattr.models import ModelConfig

    from tests.cli import run_cli

    monkeypatch.setenv("FRED_API_KEY", "f" * 32)  # a key the server rejects
    monkeypatch.setenv("MACROATTR_FRED_URL", fred_server.url)
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / "exact.toml"
    cfg.write_text(ModelConfig.shipped("static_monthly").override(method="exact", draws=200, chains=2).to_toml())
    code, out, err = run_cli(["run", "--config", str(cfg), "--source", "auto",
                              "--store", str(tmp_path / "store"), "--cache-dir", str(tmp_path / "cache"),
                              "--out", str(tmp_path / "reports")], capsys)
    assert code == 0, err
    said = [line.strip() for line in err.splitlines() if "FRED refresh failed:" in line]
    assert said and said[0].endswith("; snapshot used") and "rejected the API key" in said[0]
    html = (tmp_path / "reports" / out.strip().split("/")[-1]).read_text()
    assert 'id="fred-refresh"' in html and "FRED refresh failed: FRED rejected the API key" in html
    assert "f" * 32 not in html and "f" * 32 not in err


def test_the_failure_line_states_each_cause_once_and_the_advice_once(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("FRED_API_KEY", "abcdabcdabcdabcd")
    monkeypatch.setenv("MACROATTR_STORE", str(tmp_path / "store"))
    code, _, err = run_cli(["data", "refresh", "--all-default", "--fred-url", "http://127.0.0.1:9/fred",
                            "--retries", "1", "--rate", "1000"], capsys)
    line = [ln for ln in err.splitlines() if ln.startswith("macroattr: error:")]
    assert code == 3 and len(line) == 1
    line = line[0]
    assert line.count("Retry later") == 1 and line.count("connection refused") == 1 and len(line) < 600, line
    from macroattr.data_pipelines.fred.refresh import default_series

    n = len(default_series())
    assert f"{n} of {n} series failed" in line and "circuit breaker open" in line
