"""PyMC model graphs on the standardised scale.

Data (factors, target, knot interpolation) and every prior hyper-parameter are
``pm.Data`` containers, so a refit after changing a prior value or the data span only
swaps values: the compiled sampler is reused (see :mod:`models.sampling`).

Betas: partial pooling of the coefficients of a group of two or more factors towards a
shared group mean, ``beta = mu[g] + group_tau * z`` with ``mu[g] ~ Normal(0, group_sd)``,
integrated out analytically to a fixed multivariate normal prior and sampled centred (the
spread ``group_tau`` is fixed: with two or three factors per group a learned spread is barely
identified and makes a funnel that diverges, and a non-centred ``mu`` mixes poorly when daily
data pin the betas down); ``Normal(0, beta_sd)`` for single-factor groups. Time-varying betas: each factor's beta is
its base value plus a random walk on a coarse knot grid, linearly interpolated to periods,
non-centred (``z ~ Normal(0, 1)`` innovations scaled by a per-factor log-normal scale) and
centred over time so the base beta is the average beta over the fit span.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from macroattr.models.config import ModelConfig
from macroattr.models.estimation.design import Design

__all__ = ["beta_prior_cov", "build_pymc_model", "data_values", "pooled_groups"]


def pooled_groups(design: Design, config: ModelConfig) -> list[str]:
    """Groups whose factors share a pooled mean/spread (pooling on, 2+ factors)."""
    if not config.priors.pooling or config.priors.family == "conjugate":
        return []
    return [g for g, cols in design.groups.items() if len(cols) >= 2]


PRIOR_KEYS = ("alpha_sd", "beta_sd", "group_sd", "group_tau", "sigma_sd", "nu_shape", "nu_rate",
              "sigma2_shape", "sigma2_scale", "tv_log_median", "tv_log_sd", "knot_step_sqrt")


def beta_prior_cov(design: Design, config: ModelConfig) -> np.ndarray:
    """Prior covariance of the standardised betas (weakly informative family).

    Pooled groups: ``beta = mu[g] + group_tau * z`` with ``mu[g] ~ Normal(0, group_sd)``
    integrated out (variance ``group_sd^2 + group_tau^2``, covariance ``group_sd^2`` within the
    group); other factors ``Normal(0, beta_sd)``.
    """
    p = config.priors
    pooled = pooled_groups(design, config)
    fg = {c: g for g, cols in design.groups.items() for c in cols}
    K = design.n_factors
    cov = np.diag(np.full(K, p.beta_sd**2))
    for i, fi in enumerate(design.factors):
        for j, fj in enumerate(design.factors):
            if fg[fi] in pooled and fg[fi] == fg[fj]:
                cov[i, j] = p.group_sd**2 + (p.group_tau**2 if i == j else 0.0)
    return cov


def data_values(design: Design, config: ModelConfig) -> dict[str, np.ndarray]:
    """Values of every ``pm.Data`` container (used to build and to refit).

    Few containers on purpose: each one adds code the compiled sampler must carry, so the
    prior hyper-parameters travel together in one vector ``prior`` (order ``PRIOR_KEYS``).
    """
    p = config.priors
    h = float(design.knot_years[1] - design.knot_years[0])
    prior = {k: float(getattr(p, k)) for k in PRIOR_KEYS[:9]}
    prior.update(tv_log_median=float(np.log(p.tv_scale_median)), tv_log_sd=float(p.tv_scale_log_sd),
                 knot_step_sqrt=float(np.sqrt(h)))
    vals = {"Z": design.Z, "y": design.ys,
            "prior": np.array([prior[k] for k in PRIOR_KEYS], dtype=np.float64),
            "beta_whiten": np.linalg.inv(np.linalg.cholesky(beta_prior_cov(design, config)))}
    if config.model.betas == "time_varying":
        B_mean = np.zeros(design.n_knots)
        np.add.at(B_mean, design.knot_idx, 1.0 - design.knot_w)
        np.add.at(B_mean, design.knot_idx + 1, design.knot_w)
        vals.update(knot_idx=design.knot_idx.astype(np.int64), knot_w=design.knot_w,
                    knot_mean=B_mean / design.n_obs)
    return vals


def build_pymc_model(design: Design, config: ModelConfig) -> Any:
    """Build the PyMC model for a design and config.

    Free variables are named so that the stored posterior has ``alpha_std``, ``beta_std``,
    ``sigma_std`` (+ ``nu``, ``tv_scale``, ``tv_path``).

    Examples
    --------
    >>> from macroattr.models.synthetic import simulate_panel
    >>> from macroattr.models.estimation.design import build_design
    >>> panel, truth = simulate_panel(n=60, seed=0)
    >>> cfg = ModelConfig(groups=truth["groups"])
    >>> m = build_pymc_model(build_design(panel, cfg), cfg)
    >>> sorted(v.name for v in m.free_RVs)[:2]
    ['alpha_std', 'beta_std']
    """
    import pymc as pm
    import pytensor.tensor as pt

    K = design.n_factors
    vals = data_values(design, config)
    pooled = pooled_groups(design, config)
    coords = {"factor": design.factors}
    tv = config.model.betas == "time_varying"
    if tv:
        coords["knot"] = np.arange(design.n_knots)
        coords["knot_step"] = np.arange(design.n_knots - 1)
    conj = config.priors.family == "conjugate"
    with pm.Model(coords=coords) as model:
        d = {k: pm.Data(k, v) for k, v in vals.items()}
        pr = d.pop("prior")
        d.update({k: pr[i] for i, k in enumerate(PRIOR_KEYS)})
        if conj:
            sigma2 = pm.InverseGamma("sigma2_std", alpha=d["sigma2_shape"], beta=d["sigma2_scale"])
            sigma = pm.Deterministic("sigma_std", pt.sqrt(sigma2))
            alpha = pm.Normal("alpha_std", 0.0, sigma * d["alpha_sd"])
            beta = pm.Normal("beta_std", 0.0, sigma * d["beta_sd"], dims="factor")
        else:
            alpha = pm.Normal("alpha_std", 0.0, d["alpha_sd"])
            # centred fixed Gaussian prior N(0, C) written as a whitened quadratic form
            # (W = chol(C)^-1 is data): cheap to compile, and a changed prior is new data
            beta = pm.Flat("beta_std", dims="factor")
            wb = pt.dot(d["beta_whiten"], beta)
            pm.Potential("beta_prior", -0.5 * pt.sum(wb**2) + pt.sum(pt.log(pt.abs(pt.diag(d["beta_whiten"])))))
            sigma = pm.HalfNormal("sigma_std", d["sigma_sd"])
        if tv:
            log_scale = pm.Normal("tv_log_scale", d["tv_log_median"], d["tv_log_sd"], dims="factor")
            scale = pm.Deterministic("tv_scale", pt.exp(log_scale), dims="factor")
            innov = pm.Normal("tv_z", 0.0, 1.0, dims=("knot_step", "factor"))
            walk = pt.cumsum(innov * (scale * d["knot_step_sqrt"])[None, :], axis=0)
            walk = pt.concatenate([pt.zeros((1, K)), walk], axis=0)
            path = walk - pt.dot(d["knot_mean"], walk)[None, :]
            path = pm.Deterministic("tv_path", path, dims=("knot", "factor"))
            w = d["knot_w"][:, None]
            dev = path[d["knot_idx"]] * (1.0 - w) + path[d["knot_idx"] + 1] * w
            mu_y = alpha + pt.sum((beta[None, :] + dev) * d["Z"], axis=1)
        else:
            mu_y = alpha + pt.dot(d["Z"], beta)
        if config.model.likelihood == "student_t":
            nu = pm.Gamma("nu", alpha=d["nu_shape"], beta=d["nu_rate"])
            pm.StudentT("obs", nu=nu, mu=mu_y, sigma=sigma, observed=d["y"], shape=d["y"].shape)
        else:
            pm.Normal("obs", mu=mu_y, sigma=sigma, observed=d["y"], shape=d["y"].shape)
    return model


STORED_VARS = ("alpha_std", "beta_std", "sigma_std", "nu",
               "tv_scale", "tv_path")
