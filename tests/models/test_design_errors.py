"""Bad panels give one-line InputErrors naming the column, date or factor at fault."""

from __future__ import annotations

import numpy as np
import pytest

from macroattr.core.errors import InputError
from macroattr.data_pipelines.panel import Panel
from macroattr.models import fit_model


def _panel_with(sim, **changes):
    panel, _ = sim
    df = panel.data.copy()
    for col, fn in changes.items():
        df[col] = fn(df)
    return Panel(df, dict(panel.meta))


def _fit(panel, cfg):
    return fit_model(panel, cfg)


def test_missing_column(sim, exact_cfg):
    panel, _ = sim
    p = Panel(panel.data.drop(columns=["cpi_surprise"]), panel.meta)
    with pytest.raises(InputError, match=r"no column 'cpi_surprise' \(group 'inflation'\)"):
        _fit(p, exact_cfg)


def test_nan_inside_span_names_column_and_date(sim, exact_cfg):
    def poke(df):
        v = df["d_2y"].to_numpy().copy()
        v[17] = np.nan
        return v

    p = _panel_with(sim, d_2y=poke)
    date = p.data.index[17].date()
    with pytest.raises(InputError, match=rf"'d_2y' is missing \(NaN\) on {date}"):
        _fit(p, exact_cfg)


def test_nan_outside_span_is_fine(sim, exact_cfg):
    def poke(df):
        v = df["d_2y"].to_numpy().copy()
        v[0] = np.nan
        return v

    p = _panel_with(sim, d_2y=poke)
    fit = _fit(p, exact_cfg.override(start=str(p.data.index[1].date())))
    assert fit.design.n_obs == len(p.data) - 1


def test_constant_factor(sim, exact_cfg):
    p = _panel_with(sim, dlog_epu=lambda df: np.full(len(df), 0.3))
    with pytest.raises(InputError, match="'dlog_epu' is constant"):
        _fit(p, exact_cfg)


def test_collinear_factors(sim, exact_cfg):
    p = _panel_with(sim, d_baa_spread=lambda df: 2.0 * df["d_2y"] - df["cpi_surprise"])
    with pytest.raises(InputError, match="collinear"):
        _fit(p, exact_cfg)


def test_fewer_observations_than_parameters(sim, exact_cfg):
    panel, _ = sim
    cfg = exact_cfg.override(end=str(panel.data.index[5].date()))
    with pytest.raises(InputError, match="6 observations .* 7 parameters"):
        _fit(panel, cfg)


def test_exact_method_refuses_time_varying(sim, exact_cfg):
    with pytest.raises(InputError, match="exact' needs static betas"):
        _fit(sim[0], exact_cfg.override(betas="time_varying"))
