"""Fits with static betas (:class:`StaticFit`) and with knot-grid time-varying betas
(:class:`KnotGridFit`): the model-specific pieces of :class:`~macroattr.models.fit.base.Fit`.

Both sample alpha, betas and the residual scale on the standardised scale (``alpha_std``,
``beta_std``, ``sigma_std``, optional Student-t ``nu``); a knot-grid fit adds a centred
random-walk deviation per knot (``tv_path``) and its yearly scale (``tv_scale``),
interpolated linearly between knots. Errors are normal or Student-t with a constant scale;
only the revised (smoothed) estimate exists.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from macroattr.models.fit.base import Fit

__all__ = ["KnotGridFit", "StaticFit"]


class StaticFit(Fit):
    """A fit with static betas (``[model] betas = "static"``)."""

    kind: ClassVar[str] = "static"

    def _beta_std_time(self, t0: int, t1: int) -> np.ndarray:
        """Standardised betas (sample, time, factor) for rows t0:t1 (a broadcast view)."""
        base = self._flat("beta_std")[:, None, :]
        return np.broadcast_to(base, (base.shape[0], t1 - t0, base.shape[2]))

    def _beta_nat_time(self, t0: int, t1: int, estimate: str = "smoothed") -> np.ndarray:
        d = self.design
        return self._beta_std_time(t0, t1) * (d.y_sd / d.x_sd)[None, None, :]

    def _betas_array(self, t0: int, t1: int, estimate: str) -> np.ndarray:
        c, dr = self._shape()
        return np.broadcast_to(  # zero-copy over time
            self._flat("beta_std").reshape(c, dr, 1, -1) * (self.design.y_sd / self.design.x_sd),
            (c, dr, t1 - t0, self.design.n_factors))

    def _components_time(self, t0: int, t1: int, estimate: str = "smoothed",
                         blocks: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        d = self.design
        beta = self._beta_nat_time(t0, t1)
        X = d.X[t0:t1]
        alpha0 = d.y_mean + d.y_sd * self._flat("alpha_std")
        alpha = alpha0[:, None] - beta @ d.x_mean
        per_factor = beta * X[None, :, :]
        G = len(d.groups)
        out = np.empty((beta.shape[0], t1 - t0, G + 2))
        out[:, :, 0] = alpha
        k = 0
        for gi, cols in enumerate(d.groups.values()):
            out[:, :, gi + 1] = per_factor[:, :, k : k + len(cols)].sum(axis=2)
            k += len(cols)
        out[:, :, G + 1] = d.y[t0:t1][None, :] - out[:, :, : G + 1].sum(axis=2)
        return out

    def _sigma_scale(self) -> np.ndarray:
        """(sample,) residual scale in the target's unit (the t scale for Student-t errors)."""
        return self.design.y_sd * self._flat("sigma_std")

    def _sigma_time(self, t0: int, t1: int, estimate: str = "smoothed") -> np.ndarray:
        sigma = self._sigma_scale()
        return np.broadcast_to(sigma[:, None], (sigma.shape[0], t1 - t0))

    def _nu(self) -> np.ndarray | None:
        return self._flat("nu") if "nu" in self.draw_set else None

    def _beta_average_draws(self) -> np.ndarray:
        d = self.design
        return self._flat("beta_std") * (d.y_sd / d.x_sd)

    def parameter_draws(self) -> dict[str, tuple[np.ndarray, str]]:
        """Flat draws (sample,) of every scalar parameter in natural units, with units:
        alpha (pp per period), sigma (pp), nu, and random-walk sds of time-varying betas."""
        d = self.design
        per = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}[d.freq]
        tu = self.target_unit
        beta = self._flat("beta_std") * (d.y_sd / d.x_sd)
        out = {"alpha": (d.y_mean + d.y_sd * self._flat("alpha_std") - beta @ d.x_mean,
                         f"{tu} per {per}"),
               "sigma": (self._sigma_scale(), f"{tu} per {per}")}
        if "nu" in self.draw_set:
            out["nu"] = (self._flat("nu"), "degrees of freedom")
        return out

    def one_step_ahead(self, static: bool = False) -> pd.DataFrame:
        from macroattr.models.statespace.paths import static_one_step_ahead

        return static_one_step_ahead(self.design, self.config)

    def forecast_draws(self, x: np.ndarray, date: pd.Timestamp | None = None,
                       rng: np.random.Generator | None = None,
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(mu, sigma, nu) per posterior draw of the next period given factor values ``x``
        (natural units) on ``date``, with the betas of the last fitted period (nu is None
        for normal errors)."""
        d = self.design
        beta = np.array(self._beta_nat_time(d.n_obs - 1, d.n_obs)[:, 0, :])   # (sample, factor)
        beta = self._step_betas(beta, date, rng)
        mu = d.y_mean + d.y_sd * self._flat("alpha_std") + beta @ (x - d.x_mean)
        return mu, self._sigma_scale(), self._nu()

    def _step_betas(self, beta: np.ndarray, date: pd.Timestamp | None,
                    rng: np.random.Generator | None) -> np.ndarray:
        return beta


class KnotGridFit(StaticFit):
    """A fit with knot-grid time-varying betas (``[model] betas = "time_varying"``)."""

    kind: ClassVar[str] = "time_varying"
    time_varying: ClassVar[bool] = True

    def _beta_std_time(self, t0: int, t1: int) -> np.ndarray:
        base = self._flat("beta_std")[:, None, :]
        d = self.design
        path = self._flat("tv_path")  # (sample, knot, factor), centred over time
        idx, w = d.knot_idx[t0:t1], d.knot_w[t0:t1]
        dev = path[:, idx, :] * (1.0 - w)[None, :, None] + path[:, idx + 1, :] * w[None, :, None]
        return base + dev

    def _betas_array(self, t0: int, t1: int, estimate: str) -> np.ndarray:
        return Fit._betas_array(self, t0, t1, estimate)

    def parameter_draws(self) -> dict[str, tuple[np.ndarray, str]]:
        d = self.design
        fu = self.factor_units()
        out = super().parameter_draws()
        sc = self._flat("tv_scale") * (d.y_sd / d.x_sd)
        for k, f in enumerate(d.factors):
            out[f"beta_rw_sd[{f}]"] = (sc[:, k], f"{fu[f]}, sd of a 1-year change")
        return out

    def _step_betas(self, beta: np.ndarray, date: pd.Timestamp | None,
                    rng: np.random.Generator | None) -> np.ndarray:
        """Each draw's betas take the random walk's step from the last fitted period to
        ``date`` (sd ``tv_scale`` per year, scaled by the square root of the elapsed years)."""
        if date is None:
            return beta
        d = self.design
        years = max(0.0, (pd.Timestamp(date) - d.dates[-1]).days / 365.25)
        sd = self._flat("tv_scale") * (d.y_sd / d.x_sd)[None, :] * np.sqrt(years)
        rng = rng if rng is not None else np.random.default_rng(self.config.sampler.seed)
        return beta + sd * rng.standard_normal(beta.shape)
