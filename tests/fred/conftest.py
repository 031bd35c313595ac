"""Fixtures for the FRED tests: a replay server on 127.0.0.1, a key, a fast client config."""

from __future__ import annotations

import json
import math
import secrets

import pandas as pd
import pytest

from tests.fred_server import FIXTURES, FredServer

from macroattr.data_pipelines.fred.client import FredClient, FredConfig


@pytest.fixture(scope="session")
def fred_key() -> str:
    """A FRED-shaped key (32 lowercase alphanumerics), unique per test session."""
    return secrets.token_hex(16)


@pytest.fixture(scope="session")
def _server(fred_key):
    with FredServer(fred_key) as srv:
        yield srv


@pytest.fixture
def fred_server(_server):
    """The replay server, with no queued faults and no recorded requests."""
    _server.clear()
    yield _server
    _server.clear()


@pytest.fixture
def fast_config() -> FredConfig:
    """Tiny waits so retry tests take milliseconds (Retry-After is still honoured)."""
    return FredConfig(
        timeout=1.0, max_attempts=3, backoff_initial=0.01, backoff_max=0.05, jitter=0.1, rate=1000.0
    )


@pytest.fixture
def client(fred_server, fred_key, fast_config) -> FredClient:
    return FredClient(fred_key, base_url=fred_server.url, config=fast_config)


def fixture_json(name: str) -> dict:
    """The recorded fixture, read independently of the server."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def wire_float(text: str) -> float:
    return math.nan if text == "." else float(text)


def recorded_series(name: str) -> pd.Series:
    """Latest observations of a fixture as floats on a DatetimeIndex (NaN for '.')."""
    obs = fixture_json(name)["observations"]
    return pd.Series(
        [wire_float(v) for v in obs["value"]], index=pd.DatetimeIndex(pd.to_datetime(obs["date"]), name="date")
    )
