"""Shared pytest fixtures (keep small; each area appends its own)."""

from __future__ import annotations

import shutil
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


@pytest.fixture(scope="session")
def main_fits(tmp_path_factory) -> Path:
    """A fit cache holding the main job's two fits on the embedded snapshot, each made once
    per session exactly as ``macroattr run --source snapshot`` makes them: the main fit
    (``configs/default.toml``) and its scenario cross-check (``configs/static_monthly.toml``).

    Read-only: a test that reads or writes a cache takes :func:`main_cache` (a copy). Tests
    that check a command *makes* the main fit (``event`` without a fit) keep an empty cache.
    """
    from macroattr.configs import config_path
    from macroattr.jobs.run import main_fit

    cache = tmp_path_factory.mktemp("main-fits") / "cache"
    made = [main_fit(source="snapshot", cache_dir=cache),
            main_fit(config_path("static_monthly"), source="snapshot", cache_dir=cache)]
    assert not any(m.reused for m in made)
    return cache


def copy_main_fits(main_fits: Path, dest: Path) -> Path:
    """``dest``: a new fit cache directory holding copies of the session's main fits."""
    shutil.copytree(main_fits, dest)
    return dest


@pytest.fixture
def main_cache(main_fits, tmp_path) -> Path:
    """A fresh fit cache (``tmp_path/cache``) already holding the main job's fits (copies of
    :func:`main_fits`): what a user's cache holds after ``macroattr run``."""
    return copy_main_fits(main_fits, tmp_path / "cache")


@pytest.fixture
def cheap_sampler(monkeypatch):
    """Swap NUTS for cheap stand-in draws (plumbing tests of fits, CLI and reports)."""
    from tests.support.cheap_nuts import install_cheap_sampler

    install_cheap_sampler(monkeypatch)
