"""The static model's log density as a disk-cached numba C callback for nutpie.

The static regression (``alpha + Z @ beta``, whitened Gaussian prior on ``beta``,
half-normal ``sigma``, Student-t or normal errors, weakly informative family) has a log
density small enough to write out with its gradient. Written as module-level
``numba.cfunc(..., cache=True)`` functions that read every data array and prior value
through nutpie's ``user_data`` pointer, it compiles once and is loaded from numba's disk
cache by every later process (nutpie's own callback closes over the data and is compiled
anew in each process: ~8 s here). The chains then run in parallel without the GIL.

The unconstrained point is ``[alpha_std, beta_std (K), log sigma_std, log nu]`` (``nu``
only for Student-t), the value variables of :func:`models.specs.build_pymc_model` in the
same order, and the log density equals that model's ``logp()`` (jacobians and constants
included; a test checks value and gradient against PyMC). A refit swaps the data buffer:
:meth:`StaticKernelModel.with_data`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numba
import numpy as np
from numba import types

from macroattr.models.config import ModelConfig
from macroattr.models.estimation.design import Design

__all__ = ["compile_static", "pack_data", "supports"]

_LOG_2PI = math.log(2.0 * math.pi)
# user_data layout (float64): [T, K, student_t, alpha_sd, sigma_sd, nu_shape, nu_rate,
#                              logdet_W, Z (T*K, row-major), y (T), W (K*K, row-major)]
_HEAD = 8


def supports(design: Design, config: ModelConfig) -> bool:
    """Whether this callback implements the model of ``config`` (static, weakly informative)."""
    return (
        config.model.betas == "static"
        and config.priors.family != "conjugate"
        and config.model.likelihood in ("student_t", "normal")
    )


def pack_data(design: Design, config: ModelConfig) -> np.ndarray:
    """The ``user_data`` buffer: shapes, prior values, design, target and prior whitening.

    Examples
    --------
    >>> from macroattr.models.synthetic import simulate_panel
    >>> from macroattr.models.estimation.design import build_design
    >>> panel, truth = simulate_panel(n=40, seed=0)
    >>> cfg = ModelConfig(groups=truth["groups"])
    >>> buf = pack_data(build_design(panel, cfg), cfg)
    >>> int(buf[0]), int(buf[1])  # periods, factors
    (40, 5)
    """
    from macroattr.models.estimation.specs import data_values

    vals = data_values(design, config)
    Z = np.ascontiguousarray(vals["Z"], dtype=np.float64)
    y = np.ascontiguousarray(vals["y"], dtype=np.float64)
    W = np.ascontiguousarray(vals["beta_whiten"], dtype=np.float64)
    p = config.priors
    T, K = Z.shape
    head = [
        T,
        K,
        1.0 if config.model.likelihood == "student_t" else 0.0,
        p.alpha_sd,
        p.sigma_sd,
        p.nu_shape,
        p.nu_rate,
        float(np.sum(np.log(np.abs(np.diag(W))))),
    ]
    return np.concatenate([np.asarray(head, dtype=np.float64), Z.ravel(), y, W.ravel()])


@numba.njit(cache=True)
def digamma(x: float) -> float:
    r = 0.0
    while x < 6.0:
        r -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)
    return (
        r
        + math.log(x)
        - 0.5 / x
        - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))))
    )


@numba.njit(cache=True)
def logp_grad(x: np.ndarray, ud: np.ndarray, g: np.ndarray) -> float:
    T = int(ud[0])
    K = int(ud[1])
    st = ud[2] > 0.5
    a_sd, s_sd, nu_a, nu_b, logdet_w = ud[3], ud[4], ud[5], ud[6], ud[7]
    zo = _HEAD
    yo = zo + T * K
    wo = yo + T
    a = x[0]
    ls = x[K + 1]
    sig = math.exp(ls)
    # priors
    lp = -0.5 * (a / a_sd) ** 2 - math.log(a_sd) - 0.5 * _LOG_2PI
    g[0] = -a / a_sd**2
    for i in range(K + 1, g.shape[0]):
        g[i] = 0.0
    for j in range(K):
        g[1 + j] = 0.0
    for i in range(K):  # -0.5 |W b|^2 + log|det W|
        wb = 0.0
        for j in range(K):
            wb += ud[wo + i * K + j] * x[1 + j]
        lp -= 0.5 * wb * wb
        for j in range(K):
            g[1 + j] -= ud[wo + i * K + j] * wb
    lp += logdet_w
    lp += math.log(2.0) - 0.5 * _LOG_2PI - math.log(s_sd) - 0.5 * (sig / s_sd) ** 2 + ls
    g[K + 1] = 1.0 - (sig / s_sd) ** 2
    nu = 0.0
    if st:
        ln = x[K + 2]
        nu = math.exp(ln)
        lp += nu_a * math.log(nu_b) - math.lgamma(nu_a) + nu_a * ln - nu_b * nu
        g[K + 2] = nu_a - nu_b * nu
    # likelihood
    inv = 1.0 / sig
    s_w = 0.0
    s_wr = 0.0
    s_log = 0.0
    gz = np.zeros(K)
    for t in range(T):
        mu = a
        for j in range(K):
            mu += ud[zo + t * K + j] * x[1 + j]
        r = (ud[yo + t] - mu) * inv
        if st:  # one division and one log per period: log1p(r^2/nu) = log(nu + r^2) - log(nu)
            d = nu + r * r
            w = (nu + 1.0) * r / d
            s_log += math.log(d)
        else:
            w = r
            s_log += r * r
        s_w += w
        s_wr += w * r
        for j in range(K):
            gz[j] += w * ud[zo + t * K + j]
    g[0] += s_w * inv
    for j in range(K):
        g[1 + j] += gz[j] * inv
    g[K + 1] += s_wr - T
    if st:
        s_log -= T * math.log(nu)
        s_dnu = s_wr / nu  # sum (nu + 1) r^2 / (nu (nu + r^2))
        h = 0.5 * (nu + 1.0)
        lp += T * (
            math.lgamma(h) - math.lgamma(0.5 * nu) - 0.5 * math.log(nu * math.pi) - ls
        )
        lp -= h * s_log
        dnu = (
            T * (0.5 * digamma(h) - 0.5 * digamma(0.5 * nu) - 0.5 / nu)
            - 0.5 * s_log
            + 0.5 * s_dnu
        )
        g[K + 2] += nu * dnu
    else:
        lp += -T * (0.5 * _LOG_2PI + ls) - 0.5 * s_log
    return lp


logp_sig = types.int64(
    types.uint64,
    types.CPointer(types.double),
    types.CPointer(types.double),
    types.CPointer(types.double),
    types.CPointer(types.double),
)


@numba.cfunc(logp_sig, cache=True)
def logp_c(dim, x_, out_, logp_, ud_):
    head = numba.carray(ud_, (_HEAD,))
    T = int(head[0])
    K = int(head[1])
    n = K + 2 + (1 if head[2] > 0.5 else 0)
    if dim != n:
        return -1
    ud = numba.carray(ud_, (_HEAD + T * K + T + K * K,))
    x = numba.carray(x_, (n,))
    out = numba.carray(out_, (n,))
    lp = logp_grad(x, ud, out)
    logp_[0] = lp
    for i in range(n):
        if not math.isfinite(out[i]):
            return 3
    if not math.isfinite(lp):
        return 4
    return 0


expand_sig = types.int64(
    types.uint64,
    types.uint64,
    types.CPointer(types.double),
    types.CPointer(types.double),
    types.CPointer(types.double),
)


@numba.cfunc(expand_sig, cache=True)
def expand_c(dim, n_out, x_, out_, ud_):
    head = numba.carray(ud_, (_HEAD,))
    K = int(head[1])
    n = K + 2 + (1 if head[2] > 0.5 else 0)
    if dim != n or n_out != n:
        return -1
    x = numba.carray(x_, (n,))
    out = numba.carray(out_, (n,))
    for i in range(K + 1):
        out[i] = x[i]
    for i in range(K + 1, n):
        out[i] = math.exp(x[i])
    return 0


def compile_static(design: Design, config: ModelConfig) -> Any:
    """A nutpie model of the static fit on the cached C callback.

    Returns
    -------
    StaticKernelModel
        For ``nutpie.sample``; ``.with_data(design, config)`` swaps data and prior values.

    Examples
    --------
    >>> import nutpie
    >>> from macroattr.models.synthetic import simulate_panel
    >>> from macroattr.models.estimation.design import build_design
    >>> panel, truth = simulate_panel(n=80, seed=0)
    >>> cfg = ModelConfig(groups=truth["groups"])
    >>> cm = compile_static(build_design(panel, cfg), cfg)
    >>> tr = nutpie.sample(cm, draws=100, tune=100, chains=2, seed=1, progress_bar=False)
    >>> sorted(tr["posterior"].data_vars)
    ['alpha_std', 'beta_std', 'nu', 'sigma_std']
    """
    import pandas as pd

    st = config.model.likelihood == "student_t"
    K = design.n_factors
    names = ["alpha_std", "beta_std", "sigma_std"] + (["nu"] if st else [])
    shapes = [(), (K,), ()] + ([()] if st else [])
    n = K + 2 + int(st)
    starts = np.cumsum([0, 1, K, 1])
    slices = [
        slice(int(starts[i]), int(starts[i]) + int(np.prod(s)))
        for i, s in enumerate(shapes)
    ]
    base = np.zeros(n)
    if st:  # log of the prior mean of nu
        base[-1] = np.log(config.priors.nu_shape / config.priors.nu_rate)

    def initial_point(seed: int) -> np.ndarray:
        # as PyMC's jittered start: the prior-centred point plus U(-1, 1) per coordinate
        return base + np.random.default_rng(seed).uniform(-1.0, 1.0, n)

    buf = pack_data(design, config)
    buf.flags.writeable = False
    return _model_class()(
        _n_dim=n,
        dims={"beta_std": ("factor",)},
        _coords={"factor": pd.Index(list(design.factors))},
        _shapes=dict(zip(names, shapes, strict=True)),
        compiled_logp_func=logp_c,
        compiled_expand_func=expand_c,
        initial_point_func=initial_point,
        shared_data={"user_data": buf},
        shared_var_keys={},
        user_data=buf,
        n_expanded=n,
        shape_info=(names, slices, shapes),
        logp_func=None,
        expand_func=None,
    )


_CLASS: list[type] = []


def _model_class() -> type:
    if _CLASS:
        return _CLASS[0]
    from nutpie.compile_pymc import CompiledPyMCModel

    @dataclasses.dataclass(frozen=True)
    class StaticKernelModel(CompiledPyMCModel):
        """nutpie model on the static C callback; data live in one float64 buffer."""

        def with_data(self, design: Design, config: ModelConfig) -> StaticKernelModel:  # type: ignore[override]
            buf = pack_data(design, config)
            if buf[1] != self.user_data[1] or (buf[2] > 0.5) != (
                self.user_data[2] > 0.5
            ):
                raise ValueError(
                    "with_data: the factors or the likelihood differ; compile anew"
                )
            buf.flags.writeable = False
            return dataclasses.replace(
                self, user_data=buf, shared_data={"user_data": buf}
            )

    _CLASS.append(StaticKernelModel)
    return StaticKernelModel


def __getattr__(name: str) -> Any:
    if name == "StaticKernelModel":
        return _model_class()
    raise AttributeError(name)
