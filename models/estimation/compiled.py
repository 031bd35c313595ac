"""A nutpie sampler built from disk-cached PyTensor functions (fast start in a fresh process).

``nutpie.compile_pymc_model`` wraps the model's log density in a numba C callback that is
compiled anew in every process (5-60 s on a 2-core machine, most of a monthly fit). Here the
log density, its gradient and the "expand" function (unconstrained point -> stored
variables) are ordinary PyTensor functions, whose compiled code PyTensor keeps on disk
under ``PYTENSOR_FLAGS=base_compiledir=...``; nutpie's Rust NUTS calls them through its
Python-function interface. A process after the first pays only graph rewriting (about a
second). The model's ``pm.Data`` containers become explicit inputs, so a refit with new data
or prior values is :meth:`nutpie.compiled_pyfunc.PyFuncModel.with_data` and no compiling.

Each chain gets its own copy of the functions (PyTensor functions keep their work arrays
in the function object and are not safe to share between nutpie's threads).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from math import prod
from typing import Any

import numpy as np

__all__ = ["compile_nutpie"]


def compile_nutpie(model: Any, var_names: Iterable[str]) -> Any:
    """Compile a PyMC model into a nutpie model whose functions are PyTensor-cached.

    Parameters
    ----------
    model : pymc.Model
    var_names
        Variables to store per draw (free variables on their natural support and
        deterministics); names the model lacks are skipped.

    Returns
    -------
    nutpie.compiled_pyfunc.PyFuncModel
        For ``nutpie.sample``; ``.with_data(name=array)`` swaps any ``pm.Data`` value.

    Examples
    --------
    >>> import nutpie, pymc as pm
    >>> with pm.Model() as m:
    ...     x = pm.Data("x", [0.5, 1.5, 1.0])
    ...     mu = pm.Normal("mu", 0, 10)
    ...     _ = pm.Normal("y", mu, 1, observed=x)
    >>> cm = compile_nutpie(m, ["mu"])
    >>> tr = nutpie.sample(cm, draws=200, tune=200, chains=2, seed=1, progress_bar=False)
    >>> abs(float(tr["posterior"]["mu"].mean()) - 1.0) < 0.3
    True
    """
    import pandas as pd
    import pytensor
    import pytensor.tensor as pt
    from nutpie.compiled_pyfunc import from_pyfunc
    from pymc.initial_point import make_initial_point_fn
    from pytensor.graph.replace import clone_replace

    free = list(model.free_RVs)
    values = [model.rvs_to_values[v] for v in free]
    init = make_initial_point_fn(model=model, jitter_rvs=set(free), return_transformed=True)
    init_lock = threading.Lock()  # a compiled PyTensor function: one thread at a time
    start = init(0)  # transformed space, keyed by value-variable name
    shapes = [tuple(np.shape(start[v.name])) for v in values]
    sizes = [prod(s) for s in shapes]
    n_dim = int(sum(sizes))
    offsets = np.cumsum([0, *sizes])

    x = pt.dvector("unconstrained_point")
    data = [d for d in model.data_vars]
    data_in = {d: d.type(name=d.name) for d in data}
    repl: dict[Any, Any] = {v: x[offsets[i]:offsets[i + 1]].reshape(shapes[i]).astype(v.dtype)
                            for i, v in enumerate(values)}
    repl.update(data_in)

    logp = model.logp()
    grad = pt.concatenate([pt.as_tensor(g).ravel() for g in pt.grad(logp, values)])
    wanted = set(var_names)
    outs = [v for v in model.unobserved_value_vars if v.name in wanted]
    out_names = [o.name for o in outs]
    logp, grad, *outs = clone_replace([logp, grad, *outs], replace=repl)
    inputs = [x, *data_in.values()]
    logp_fn = pytensor.function(inputs, [logp, grad], on_unused_input="ignore")
    expand_fn = pytensor.function(inputs, outs, on_unused_input="ignore")

    # stored shapes depend on the data (e.g. time-varying paths): evaluate them once
    data_vals = {d.name: np.asarray(d.get_value()) for d in data}
    x0 = np.concatenate([np.ravel(start[v.name]) for v in values]).astype(np.float64)
    out_shapes = [tuple(np.shape(a)) for a in expand_fn(x0, *data_vals.values())]
    data_names = list(data_vals)

    def make_initial_point(seed: int) -> np.ndarray:
        with init_lock:
            pt_ = init(seed)
        return np.concatenate([np.ravel(pt_[v.name]) for v in values]).astype(np.float64)

    def make_logp_fn():  # one copy per chain (thread)
        f = logp_fn.copy()
        f.trust_input = True

        def logp_and_grad(point: np.ndarray, **shared: np.ndarray) -> tuple[float, np.ndarray]:
            lp, g = f(point, *[shared[k] for k in data_names])
            return float(lp), g

        return logp_and_grad

    def make_expand_fn(seed1: int, seed2: int, chain: int):  # noqa: ARG001 - deterministic
        f = expand_fn.copy()
        f.trust_input = True

        def expand(point: np.ndarray, **shared: np.ndarray) -> dict[str, np.ndarray]:
            vals = f(point, *[shared[k] for k in data_names])
            return {n: np.asarray(v, dtype=np.float64).reshape(s)
                    for n, v, s in zip(out_names, vals, out_shapes, strict=True)}

        return expand

    dims = {n: tuple(model.named_vars_to_dims[n]) for n in out_names if n in model.named_vars_to_dims}
    coords = {k: pd.Index(v if v is not None else range(int(model.dim_lengths[k].eval())))
              for k, v in model.coords.items()}
    return from_pyfunc(
        ndim=n_dim,
        make_logp_fn=make_logp_fn,
        make_expand_fn=make_expand_fn,
        expanded_dtypes=[np.dtype("float64")] * len(out_names),
        expanded_shapes=out_shapes,
        expanded_names=out_names,
        coords=coords,
        dims=dims,
        shared_data={k: np.ascontiguousarray(v) for k, v in data_vals.items()},
        make_initial_point_fn=make_initial_point,
    )
