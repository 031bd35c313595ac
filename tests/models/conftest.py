"""Fixtures for the model tests: small simulated panels with known truth."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault(
    "PYTENSOR_FLAGS", f"base_compiledir={Path(__file__).resolve().parents[2] / '.cache' / 'pytensor'}"
)


@pytest.fixture
def sim():
    """(panel, truth) of 240 simulated months with known alpha and betas."""
    from macroattr.models.synthetic import simulate_panel

    return simulate_panel(n=240, seed=11)


@pytest.fixture
def exact_cfg(sim):
    from macroattr.models import ModelConfig

    return ModelConfig(groups=sim[1]["groups"]).override(method="exact", likelihood="normal",
                                                         draws=500, chains=4)
