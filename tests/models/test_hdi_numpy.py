"""macroattr.models.fit.attribution.hdi_bounds: NumPy HDI gives exactly ArviZ's "nearest" HDI."""

from __future__ import annotations

import numpy as np
import pytest

from macroattr.core.errors import InputError
from macroattr.models.fit.attribution import hdi_bounds


@pytest.mark.parametrize("shape", [(4000,), (4000, 7), (1000, 3, 5), (11, 2)])
@pytest.mark.parametrize("prob", [0.5, 0.9, 0.94])
def test_matches_arviz(shape, prob):
    import arviz as az
    import xarray as xr
    a = np.random.default_rng(sum(shape)).standard_t(3, size=shape)
    dims = ["sample"] + [f"d{i}" for i in range(a.ndim - 1)]
    ref = az.hdi(xr.DataArray(a, dims=dims), prob=prob, dim=["sample"])
    np.testing.assert_array_equal(hdi_bounds(a, prob), ref.transpose(*dims[1:], "ci_bound").to_numpy())


def test_skewed_draws_give_the_narrow_side():
    draws = np.random.default_rng(0).exponential(size=20000)
    lo, hi = hdi_bounds(draws, 0.9)
    assert lo < 0.01 and hi == pytest.approx(-np.log(0.1), rel=0.05)


@pytest.mark.parametrize("prob", [0.0, 1.0, 1.5])
def test_bad_probability_is_an_input_error(prob):
    with pytest.raises(InputError, match="between 0 and 1"):
        hdi_bounds(np.zeros(10), prob)


@pytest.mark.parametrize("shape", [(1000,), (1000, 7), (1000, 3, 5), (11, 2), (3,), (2, 3)])
def test_summary_of_one_sort_is_numpys_to_the_last_digit(shape):
    """summarise_draws takes the median and the HDI from one sort: exactly np.median and
    hdi_bounds (odd and even draw counts, ties, a NaN draw)."""
    from macroattr.models.fit.attribution import summarise_draws

    rng = np.random.default_rng(sum(shape))
    for a in (rng.standard_t(3, size=shape), np.round(rng.normal(size=shape), 1),
              rng.normal(size=(shape[0] + 1, *shape[1:]))):
        if a.ndim > 1 and a.shape[0] > 3:
            a[2, 0] = np.nan
        s = summarise_draws(a, 0.9)
        np.testing.assert_array_equal(s["median"], np.median(a, axis=0))
        np.testing.assert_array_equal(s["mean"], a.mean(axis=0))
        np.testing.assert_array_equal(s["sd"], a.std(axis=0, ddof=1))
        np.testing.assert_array_equal(np.stack([s["hdi_low"], s["hdi_high"]], axis=-1),
                                      hdi_bounds(a, 0.9))
