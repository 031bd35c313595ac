"""Shared pytest fixtures (keep small; each area appends its own)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

# Property tests are deterministic and never time out on a loaded 2-core CI machine: the
# examples are derived from the test (not random per run) and no per-example deadline applies.
settings.register_profile("macroattr", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("macroattr")

REPO = Path(__file__).resolve().parents[1]
RAW_DIR = REPO.parent / "shared" / "data" / "raw"


@pytest.fixture(scope="session")
def raw_dir() -> Path:
    """The raw data directory ``../shared/data/raw``.

    A user's clone has no ``../shared``: the tests that compare the snapshot with the raw
    files skip there with one line.  Under ``CI=true`` the directory must be present, so a
    missing one fails instead of silently skipping the comparison.
    """
    if not RAW_DIR.is_dir():
        from tests.cli import skip_unless_ci

        skip_unless_ci(f"{RAW_DIR} absent (a user's clone): snapshot-vs-raw comparison skipped")
    return RAW_DIR


@pytest.fixture(scope="session")
def monthly_panel():
    """The default monthly panel from the embedded snapshot (built once per session)."""
    from macroattr.data_pipelines import build_panel

    return build_panel(freq="M")


@pytest.fixture
def cheap_sampler(monkeypatch):
    """Swap NUTS for cheap stand-in draws (plumbing tests of fits, CLI and reports)."""
    from tests.support.cheap_nuts import install_cheap_sampler

    install_cheap_sampler(monkeypatch)
