"""Scores of probabilistic forecasts: log predictive density, CRPS, interval coverage.

A forecast is either a **mixture** (one Student-t or normal component per posterior
draw: location ``mu``, scale ``sigma``, degrees of freedom ``nu`` or None for normal) or
a single **Student-t** (the frequentist references and the state-space filter's
one-step-ahead densities). Every score is for one realised value ``y``:

- ``log_score``: log predictive density, ``log mean_s p(y | draw s)`` for a mixture
  (exact, by log-sum-exp), higher is better;
- ``crps``: continuous ranked probability score in the target's unit, lower is better;
  closed form for a normal or Student-t (Gneiting & Raftery 2007; Jordan, Krueger &
  Lerch 2019), and for a mixture the ensemble estimator ``E|Y - y| - E|Y - Y'| / 2``
  over predictive draws (exact for the draws' empirical distribution, computed in
  ``O(m log m)`` by sorting);
- ``inside``: whether ``y`` falls in the central interval of probability ``prob``;
- ``error``: ``y`` minus the predictive mean.

No scoring package (``properscoring``, ``scoringrules``) is a dependency of macroattr;
the closed forms are tested against the ensemble estimator and vice versa.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

__all__ = ["Score", "crps_ensemble", "crps_normal", "crps_t", "mixture_log_score",
           "score_mixture", "score_t"]


@dataclass(frozen=True)
class Score:
    """Scores of one forecast against one realised value (target units, e.g. pp)."""

    mean: float
    sd: float
    lower: float
    upper: float
    log_score: float
    crps: float
    inside: bool
    error: float

    def as_dict(self, prefix: str = "") -> dict[str, float | bool]:
        """The scores as ``{prefix + name: value}``."""
        return {f"{prefix}{k}": getattr(self, k) for k in
                ("mean", "sd", "lower", "upper", "log_score", "crps", "inside", "error")}


def crps_normal(y: float, mu: float, sigma: float) -> float:
    """CRPS of ``Normal(mu, sigma)`` at ``y`` (closed form).

    Examples
    --------
    >>> round(crps_normal(0.0, 0.0, 1.0), 6)   # (sqrt(2) - 1) / sqrt(pi)
    0.233695
    """
    z = (y - mu) / sigma
    return float(sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi)))


def crps_t(y: float, mu: float, sigma: float, df: float) -> float:
    """CRPS of a location-scale Student-t (``df > 1``) at ``y`` (closed form).

    Examples
    --------
    >>> abs(crps_t(0.3, 0.0, 1.0, 1e7) - crps_normal(0.3, 0.0, 1.0)) < 1e-6   # t -> normal
    True
    """
    if not df > 1:
        raise ValueError(f"the CRPS of a Student-t needs df > 1 (got {df})")
    z = (y - mu) / sigma
    # log of B(1/2, df - 1/2) / B(1/2, df/2)^2, stable for large df
    lbeta = special.betaln(0.5, df - 0.5) - 2 * special.betaln(0.5, df / 2)
    term3 = 2 * np.sqrt(df) / (df - 1) * np.exp(lbeta)
    val = (z * (2 * stats.t.cdf(z, df) - 1)
           + 2 * stats.t.pdf(z, df) * (df + z * z) / (df - 1) - term3)
    return float(sigma * val)


def crps_ensemble(draws: np.ndarray, y: float) -> float:
    """CRPS of the empirical distribution of ``draws`` at ``y``:
    ``mean|X - y| - mean|X - X'| / 2``, with the pair term from sorted draws.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(200_000)
    >>> abs(crps_ensemble(x, 0.5) - crps_normal(0.5, 0.0, 1.0)) < 2e-3
    True
    """
    x = np.sort(np.asarray(draws, dtype=np.float64).ravel())
    m = len(x)
    first = np.abs(x - y).mean()
    # sum_{i,j} |x_i - x_j| = 2 * sum_i (2i - m - 1) x_(i)  (1-based ranks)
    pair = 2.0 * np.dot(2 * np.arange(1, m + 1) - m - 1, x) / (m * m)
    return float(first - 0.5 * pair)


def mixture_log_score(y: float, mu: np.ndarray, sigma: np.ndarray,
                      nu: np.ndarray | None = None) -> float:
    """Log density at ``y`` of the equal-weight mixture of the draws' normals (``nu``
    None) or Student-t's.

    Examples
    --------
    >>> float(round(mixture_log_score(0.0, np.zeros(3), np.ones(3)) - stats.norm.logpdf(0.0), 12))
    0.0
    """
    mu, sigma = np.asarray(mu, float), np.asarray(sigma, float)
    z = (y - mu) / sigma
    lp = (stats.norm.logpdf(z) if nu is None else stats.t.logpdf(z, np.asarray(nu, float))) - np.log(sigma)
    return float(special.logsumexp(lp) - np.log(lp.size))


def score_mixture(y: float, mu: np.ndarray, sigma: np.ndarray, nu: np.ndarray | None = None,
                  prob: float = 0.9, seed: int = 0, n_noise: int = 1) -> Score:
    """Score the posterior predictive mixture of a fitted model for one period.

    ``mu``, ``sigma`` (and ``nu``) hold one value per posterior draw (target units).
    CRPS and the central ``prob`` interval come from ``n_noise`` predictive draws per
    posterior draw (seeded); the log score and the mean are exact.

    Examples
    --------
    >>> s = score_mixture(1.0, np.zeros(4000), np.ones(4000), seed=1)
    >>> round(s.log_score, 4), s.inside, round(s.error, 2)
    (-1.4189, True, 1.0)
    """
    mu, sigma = np.asarray(mu, float).ravel(), np.asarray(sigma, float).ravel()
    rng = np.random.default_rng(seed)
    shape = (n_noise, mu.size)
    if nu is None:
        e = rng.standard_normal(shape)
    else:
        e = rng.standard_t(np.asarray(nu, float).ravel(), size=shape)
    draws = (mu + sigma * e).ravel()
    lo, hi = np.quantile(draws, [(1 - prob) / 2, (1 + prob) / 2])
    mean = float(mu.mean())
    return Score(mean=mean, sd=float(draws.std(ddof=1)), lower=float(lo), upper=float(hi),
                 log_score=mixture_log_score(y, mu, sigma, nu), crps=crps_ensemble(draws, y),
                 inside=bool(lo <= y <= hi), error=float(y - mean))


def score_t(y: float, mean: float, scale: float, df: float | None, prob: float = 0.9) -> Score:
    """Score a single location-scale Student-t (``df`` None or infinite: normal).

    Examples
    --------
    >>> s = score_t(0.0, 0.0, 1.0, None)
    >>> round(s.log_score, 4), round(s.upper, 3), round(s.crps, 4)
    (-0.9189, 1.645, 0.2337)
    """
    normal = df is None or not np.isfinite(df)
    dist = stats.norm if normal else stats.t(df)
    z = (y - mean) / scale
    lo, hi = (mean + scale * q for q in dist.ppf([(1 - prob) / 2, (1 + prob) / 2]))
    return Score(mean=float(mean), sd=float(scale) * (1.0 if normal else np.sqrt(df / (df - 2)) if df > 2 else np.inf),
                 lower=float(lo), upper=float(hi), log_score=float(dist.logpdf(z) - np.log(scale)),
                 crps=crps_normal(y, mean, scale) if normal else crps_t(y, mean, scale, df),
                 inside=bool(lo <= y <= hi), error=float(y - mean))
