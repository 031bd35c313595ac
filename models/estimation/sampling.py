"""Drawing the posterior: exact conjugate draws or NUTS (nutpie, PyMC, numpyro).

Compiled samplers are cached in-process keyed by model *structure* (groups layout,
betas, likelihood, prior family, pooling and array ranks/shapes that change the graph), so
a notebook refit after changing a prior value or the data span only swaps ``pm.Data``
values and samples. Across processes PyMC's compiled C modules are cached on disk under
``PYTENSOR_FLAGS=base_compiledir=...``.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from macroattr.core.errors import InputError

from macroattr.models.config import ModelConfig
from macroattr.models.estimation.design import Design

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["check_method", "clear_cache", "nuts_engine", "sample_posterior"]

_CACHE: dict[tuple[Any, ...], dict[str, Any]] = {}
_STATS = ("diverging", "energy", "n_steps", "step_size", "tree_depth")
# time-varying fits on at most this many periods use the disk-cached compiled path (monthly:
# 448 periods, 1.9 s compile + 12.5 s sampling against 17 s + 5.3 s for the numba callback);
# longer (daily, 6,335 days: 46 s sampling numba against 115 s cached) keep the numba callback
CACHED_MAX_OBS = 2000


def clear_cache() -> None:
    """Forget compiled samplers (tests; freeing memory)."""
    _CACHE.clear()


def _cache_key(design: Design, config: ModelConfig, sampler: str) -> tuple[Any, ...]:
    knots = design.n_knots if config.model.betas == "time_varying" else 0
    return (sampler, config.structure_key(), tuple(design.factors), knots)


def _exact(design: Design, config: ModelConfig) -> tuple[xr.Dataset, None, dict[str, Any]]:
    import xarray as xr

    from macroattr.models.estimation.exact import draw_exact

    t0 = time.perf_counter()
    d = draw_exact(design, config)
    post = xr.Dataset(
        {
            "alpha_std": (("chain", "draw"), d["alpha"]),
            "beta_std": (("chain", "draw", "factor"), d["beta"]),
            "sigma_std": (("chain", "draw"), d["sigma"]),
        },
        coords={"chain": np.arange(d["alpha"].shape[0]), "draw": np.arange(d["alpha"].shape[1]),
                "factor": design.factors},
    )
    return post, None, {"sampling_s": time.perf_counter() - t0, "compile_s": 0.0,
                        "sampler": "conjugate-nig", "cache_hit": False}


def _tidy(tree: Any, design: Design) -> tuple[xr.Dataset, xr.Dataset]:
    import xarray as xr

    from macroattr.models.estimation.specs import STORED_VARS

    post_src = tree["posterior"].to_dataset() if hasattr(tree["posterior"], "to_dataset") else tree["posterior"]
    keep = [v for v in STORED_VARS if v in post_src]
    post = post_src[keep].load()
    post = post.assign_coords(chain=np.arange(post.sizes["chain"]), draw=np.arange(post.sizes["draw"]))
    if "factor" in post.dims:
        post = post.assign_coords(factor=list(design.factors))
    for v in list(post.data_vars):
        post[v] = post[v].astype(np.float32 if v == "tv_path" else np.float64)
    drop = [c for c in post.coords if c not in post.dims]
    post = post.drop_vars(drop)
    ss_src = tree["sample_stats"].to_dataset() if hasattr(tree["sample_stats"], "to_dataset") else tree["sample_stats"]
    stats = xr.Dataset({k: ss_src[k].load() for k in _STATS if k in ss_src})
    stats = stats.assign_coords(chain=np.arange(stats.sizes["chain"]), draw=np.arange(stats.sizes["draw"]))
    stats = stats.drop_vars([c for c in stats.coords if c not in stats.dims])
    if "diverging" in stats:
        stats["diverging"] = stats["diverging"].astype(bool)
    post.attrs, stats.attrs = {}, {}  # sampler timestamps would break "same seed, same fit"
    return post, stats


def _nutpie(design: Design, config: ModelConfig, progress: bool) -> tuple[Any, dict[str, Any]]:
    import nutpie

    from macroattr.models.estimation import static_kernel
    from macroattr.models.estimation.compiled import compile_nutpie
    from macroattr.models.estimation.specs import STORED_VARS, build_pymc_model, data_values

    s = config.sampler
    key = _cache_key(design, config, "nutpie")
    t0 = time.perf_counter()
    entry = _CACHE.get(key)
    hit = entry is not None
    if entry is None and static_kernel.supports(design, config):
        # the static model's hand-written log density: a numba C callback loaded from
        # numba's disk cache, chains in parallel without the GIL (see macroattr.models.estimation.static_kernel)
        entry = _CACHE[key] = {"compiled": static_kernel.compile_static(design, config),
                               "data": None, "cores": None}
    elif entry is None:
        model = build_pymc_model(design, config)
        if config.model.betas == "static" or design.n_obs <= CACHED_MAX_OBS:
            # start-up dominates: PyTensor functions cached on disk across processes behind
            # nutpie's Python-function interface (~1-2 s to start instead of a 15-35 s
            # per-process numba compile; the chains share the GIL, which costs less than the
            # compile while gradients are cheap; see benchmarks/RESULTS.md)
            compiled = compile_nutpie(model, STORED_VARS)
            names = {d.name for d in model.data_vars}
            # one sampling thread: the chains hold the GIL for every gradient, and threads
            # fighting over it made monthly TV sampling ~25% slower (15.1-16.0 s vs 11.7 s)
            cores = 1
        else:
            # long time-varying runs on many periods (daily): numba-compiled callbacks run the
            # chains in parallel without the GIL, which outweighs the per-process compile
            compiled = nutpie.compile_pymc_model(model, freeze_model=False)
            names = {v.name for v in compiled.shared_var_keys}
            cores = None  # nutpie's default: one thread per core
        entry = _CACHE[key] = {"compiled": compiled, "data": names, "cores": cores}
    elif entry["data"] is None:
        entry["compiled"] = entry["compiled"].with_data(design, config)
    else:
        vals = data_values(design, config)
        entry["compiled"] = entry["compiled"].with_data(
            **{k: np.ascontiguousarray(v) for k, v in vals.items() if k in entry["data"]})
    t1 = time.perf_counter()
    report = {}
    if callable(progress):  # plain progress lines (a log, a scheduled job): counts, no bar
        def _on_chains(chains, _cb=progress):
            _cb(sum(int(c.finished_draws) for c in chains), sum(int(c.total_draws) for c in chains))

        report = {"progress_callback": _on_chains, "progress_rate": 1000}
    tree = nutpie.sample(entry["compiled"], draws=s.draws, tune=s.tune, chains=s.chains,
                         seed=s.seed, progress_bar=progress is True, target_accept=s.target_accept,
                         **report,
                         save_warmup=False, adaptation=s.adaptation,
                         **({"cores": min(c for c in (entry["cores"], s.cores) if c)}
                            if entry["cores"] or s.cores else {}))
    t2 = time.perf_counter()
    return tree, {"compile_s": t1 - t0, "sampling_s": t2 - t1, "sampler": "nutpie", "cache_hit": hit}


def _cached_pymc_model(design: Design, config: ModelConfig, sampler: str) -> tuple[Any, bool]:
    """The PyMC model for this structure, built once; a refit swaps its ``pm.Data`` values."""
    import pymc as pm

    from macroattr.models.estimation.specs import build_pymc_model, data_values

    key = _cache_key(design, config, sampler)
    entry = _CACHE.get(key)
    if entry is None:
        _CACHE[key] = {"model": build_pymc_model(design, config)}
        return _CACHE[key]["model"], False
    model = entry["model"]
    with model:
        names = {v.name for v in model.data_vars}
        pm.set_data({k: v for k, v in data_values(design, config).items() if k in names})
    return model, True


def _pymc(design: Design, config: ModelConfig, progress: bool) -> tuple[Any, dict[str, Any]]:
    import pymc as pm

    from macroattr.models.estimation.specs import STORED_VARS

    s = config.sampler
    t0 = time.perf_counter()
    model, hit = _cached_pymc_model(design, config, "pymc")
    t1 = time.perf_counter()
    extra = {}
    if callable(progress):  # plain progress lines: count draws as the chains report them
        total, seen = s.chains * (s.tune + s.draws), [0]

        def _on_draw(trace, draw, _cb=progress):  # noqa: ARG001 - PyMC's callback signature
            seen[0] += 1
            if seen[0] % 50 == 0 or seen[0] == total:
                _cb(seen[0], total)

        extra = {"callback": _on_draw}
    with model:
        tree = pm.sample(draws=s.draws, tune=s.tune, chains=s.chains, random_seed=s.seed,
                         target_accept=s.target_accept, nuts_sampler="pymc", **extra,
                         progressbar=progress is True, compute_convergence_checks=False,
                         cores=s.cores or min(s.chains, 2), discard_tuned_samples=True,
                         var_names=[v for v in STORED_VARS if v in model.named_vars],
                         **_safe_mp_context())
    t2 = time.perf_counter()
    return tree, {"compile_s": t1 - t0, "sampling_s": t2 - t1, "sampler": "pymc", "cache_hit": hit}


def _safe_mp_context() -> dict[str, str]:
    """PyMC's chain processes fork by default; forking after JAX started its threads (a
    numpyro fit earlier in the same notebook) can deadlock, so start them from a clean
    forkserver then."""
    import sys

    return {"mp_ctx": "forkserver"} if "jax" in sys.modules else {}


def nuts_engine(config: ModelConfig) -> str:
    """The NUTS implementation a fit of ``config`` actually runs: the configured
    ``[sampler] name``, except for state-space betas, whose hyperparameter model runs on
    PyMC's own sampler (its likelihood is a compiled Op nutpie cannot run in parallel).

    Examples
    --------
    >>> cfg = ModelConfig(groups={"r": ["d_2y"]})
    >>> nuts_engine(cfg), nuts_engine(cfg.override(betas="state_space", method="nuts"))
    ('nutpie', 'pymc')
    """
    if config.model.betas == "state_space":
        return "pymc"
    return config.sampler.name


def check_method(config: ModelConfig) -> None:
    """Refuse (one-line :class:`InputError`) a method the model does not have: ``exact``
    for knot-grid time-varying betas, (state-space betas have both ``exact`` and ``nuts``).

    Examples
    --------
    >>> cfg = ModelConfig(groups={"r": ["d_2y"]}).override(betas="state_space", method="exact")
    >>> check_method(cfg) is None
    True
    """
    s = config.sampler
    if s.method == "exact" and config.model.betas == "time_varying":
        raise InputError("method 'exact' needs static betas or state-space betas; for "
                         "time-varying betas by the exact method set [model] betas = "
                         "\"state_space\" (--betas state_space), else use method 'nuts'")


def sample_posterior(
    design: Design, config: ModelConfig, progress: Any = False
) -> tuple[xr.Dataset, xr.Dataset | None, dict[str, Any]]:
    """Draw the posterior for a design; returns (posterior, sample_stats, info).

    ``progress``: True shows the product's one progress report
    (:func:`macroattr.core.progress.sampler_progress`: a bar on a terminal, plain lines in a
    notebook or log; never a sampler's own widget, which would leave its object's repr in a
    notebook); a callable ``progress(done, total)`` is called with draw counts (tuning
    included) about once a second instead (nutpie, PyMC).

    ``info`` holds timings (``compile_s``, ``sampling_s``), the sampler used and whether
    the compiled sampler came from the in-process cache.
    """
    s = config.sampler
    check_method(config)
    if config.model.betas == "state_space":
        from macroattr.models.statespace.paths import draw_state_space

        post, info = draw_state_space(design, config, progress=progress is True)
        return post, info.pop("sample_stats", None), info
    if s.method == "exact":
        return _exact(design, config)
    if s.name == "numpyro":
        try:
            import jax  # noqa: F401
            import numpyro  # noqa: F401
        except ImportError:  # also a broken install (e.g. jaxlib missing)
            raise InputError("sampler 'numpyro' needs jax and numpyro: pip install numpyro jax, "
                             "or choose sampler 'nutpie' or 'pymc'") from None
        tree, info = _numpyro(design, config, progress is True)
    elif progress is True:  # one progress UI, as the CLI's
        from macroattr.core.progress import sampler_progress

        sampler = _nutpie if s.name == "nutpie" else _pymc
        tree, info = sampler(design, config, sampler_progress("fit"))
    elif s.name == "nutpie":
        tree, info = _nutpie(design, config, progress)
    else:
        tree, info = _pymc(design, config, progress)
    post, stats = _tidy(tree, design)
    return post, stats, info


def _jax_compilation_cache() -> None:
    """Keep JAX's compiled programs on disk beside PyTensor's cache (``<base_compiledir>/jax``)
    unless the user chose a directory (``JAX_COMPILATION_CACHE_DIR``): a refit of the same
    model then reads its XLA programs instead of compiling them again (JAX's persistent
    compilation cache, a public option)."""
    import jax
    import pytensor

    if jax.config.jax_compilation_cache_dir is None:
        jax.config.update("jax_compilation_cache_dir",
                          os.path.join(pytensor.config.base_compiledir, "jax"))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.05)


def _numpyro(design: Design, config: ModelConfig, progress: bool) -> tuple[Any, dict[str, Any]]:
    """NUTS in numpyro on the JAX-compiled log density of the same PyMC model.

    PyMC turns the model into a JAX function (``float64``: PyTensor's default ``floatX``
    switches JAX to 64-bit) and runs numpyro's NUTS from jittered initial points drawn with
    the seed; chains are vectorised (``chain_method="vectorized"``: one CPU device, faster
    than drawing them one after another), so the seed reproduces every draw. The data are
    baked into the JAX function as constants, so each fit traces and compiles it anew
    (seconds); only the PyMC model is reused across refits.
    """
    import pymc as pm

    from macroattr.models.estimation.specs import STORED_VARS

    s = config.sampler
    t0 = time.perf_counter()
    _jax_compilation_cache()
    model, hit = _cached_pymc_model(design, config, "numpyro")
    t1 = time.perf_counter()
    with model:
        tree = pm.sample(draws=s.draws, tune=s.tune, chains=s.chains, random_seed=s.seed,
                         nuts_sampler="numpyro", progressbar=progress,
                         compute_convergence_checks=False,
                         nuts={"target_accept": s.target_accept, "chain_method": "vectorized"},
                         var_names=[v for v in STORED_VARS if v in model.named_vars])
    t2 = time.perf_counter()
    return tree, {"compile_s": t1 - t0, "sampling_s": t2 - t1, "sampler": "numpyro", "cache_hit": hit}
