"""Shared pytest fixtures (keep small; each area appends its own)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RAW_DIR = REPO.parent / "shared" / "data" / "raw"


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    """The raw data directory ``../shared/data/raw`` (present in CI; fail loudly if not)."""
    assert RAW_DIR.is_dir(), f"{RAW_DIR} is missing: the data tests need ../shared/data/raw"
    return RAW_DIR


@pytest.fixture(scope="session")
def monthly_panel():
    """The default monthly panel from the embedded snapshot (built once per session)."""
    from data_pipelines import build_panel

    return build_panel(freq="M")


@pytest.fixture
def cheap_sampler(monkeypatch):
    """Swap NUTS for cheap stand-in draws (plumbing tests of fits, CLI and reports)."""
    from models.testing import install_cheap_sampler

    install_cheap_sampler(monkeypatch)
