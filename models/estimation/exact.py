"""The exact path: iid draws from the conjugate normal-inverse-gamma posterior.

For static betas and normal errors on the standardised scale,

    y_s = a + Z b + e,  e ~ Normal(0, s^2),
    (a, b) | s^2 ~ Normal(0, s^2 * diag(alpha_sd^2, beta_sd^2, ...)),
    s^2 ~ InverseGamma(sigma2_shape, sigma2_scale),

the posterior is normal-inverse-gamma in closed form, so 4,000 draws take milliseconds.
This is the instant preview and the oracle the sampled posterior is tested against
(:func:`models.specs.build_pymc_model` with ``priors.family = "conjugate"`` is the same model).
"""

from __future__ import annotations

import numpy as np

from macroattr.models.config import ModelConfig
from macroattr.models.estimation.design import Design

__all__ = ["exact_posterior", "draw_exact"]


def exact_posterior(design: Design, config: ModelConfig) -> dict[str, np.ndarray | float]:
    """Closed-form posterior hyper-parameters on the standardised scale.

    Returns ``mean`` (1+K,), ``cov_unit`` (1+K, 1+K; multiply by s^2), ``shape``, ``scale``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from types import SimpleNamespace
    >>> from macroattr.models.estimation.design import build_design
    >>> idx = pd.date_range("2000-01-31", periods=50, freq="ME")
    >>> x = np.random.default_rng(1).normal(size=50)
    >>> df = pd.DataFrame({"rel_return": 2 * x, "f": x}, idx)
    >>> cfg = ModelConfig(groups={"g": ["f"]})
    >>> post = exact_posterior(build_design(SimpleNamespace(data=df, meta={}), cfg), cfg)
    >>> round(float(post["mean"][1]), 2)  # 49 / (49 + 1 / 0.5**2): shrunk by the prior
    0.92
    """
    p = config.priors
    Z = design.Z
    T, K = Z.shape
    X1 = np.column_stack([np.ones(T), Z])
    y = design.ys
    prec0 = np.diag(1.0 / np.array([p.alpha_sd**2] + [p.beta_sd**2] * K))
    prec_n = X1.T @ X1 + prec0
    L = np.linalg.cholesky(prec_n)
    xty = X1.T @ y
    mean = np.linalg.solve(prec_n, xty)
    cov_unit = np.linalg.inv(prec_n)
    shape = p.sigma2_shape + T / 2.0
    scale = p.sigma2_scale + 0.5 * float(y @ y - mean @ prec_n @ mean)
    return {"mean": mean, "cov_unit": cov_unit, "prec_chol": L, "shape": shape, "scale": scale}


def draw_exact(design: Design, config: ModelConfig) -> dict[str, np.ndarray]:
    """Draw ``chains x draws`` iid samples; a fixed ``sampler.seed`` gives identical draws.

    Returns standardised-scale arrays ``alpha`` (chain, draw), ``beta`` (chain, draw,
    factor) and ``sigma`` (chain, draw).
    """
    s = config.sampler
    post = exact_posterior(design, config)
    rng = np.random.default_rng(s.seed)
    n = s.chains * s.draws
    K = design.n_factors
    sigma2 = post["scale"] / rng.gamma(post["shape"], 1.0, size=n)
    # coef = mean + sigma * L^{-T} z  has covariance sigma^2 * prec_n^{-1}
    zs = rng.standard_normal((K + 1, n))
    dev = np.linalg.solve(post["prec_chol"].T, zs).T * np.sqrt(sigma2)[:, None]
    coef = post["mean"][None, :] + dev
    shape = (s.chains, s.draws)
    return {
        "alpha": coef[:, 0].reshape(shape),
        "beta": coef[:, 1:].reshape(*shape, K),
        "sigma": np.sqrt(sigma2).reshape(shape),
    }
