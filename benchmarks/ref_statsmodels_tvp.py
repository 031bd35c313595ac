"""Reference: time-varying betas with statsmodels' state space, as a user would write them.

The time-varying-parameter regression of statsmodels' custom state-space example
(``sm.tsa.statespace.MLEModel``): alpha and every beta a Gaussian random walk with its own
constant variance, a constant observation variance, all ``1 + p`` variances estimated by
maximum likelihood (``fit()``: L-BFGS with numerical gradients), then ``--draws`` (default
1,000) paths of the states from the simulation smoother (Durbin & Koopman), kept as float32
like macroattr's paths. Same days, target and factors (macroattr's scaled units) and the same
prior mean and covariance of the first state as the exact daily fit, read from the ``.npz``
:mod:`benchmarks.keep_the_lead` writes (the reference does not pay for building the panel:
that favours it).

The model is not the same as macroattr's: fixed state variances found by MLE instead of
discount factors averaged by marginal likelihood, and no drifting volatility. What is the
same is the filter: with the state variances at 0 and the observation variance known, this
model's log-likelihood is that of macroattr's forward filter with both discounts 1 and a
known variance; ``--check FILE`` writes that log-likelihood (at ``sigma2 = S0``) for
:mod:`benchmarks.keep_the_lead` to compare.

Prints one JSON line: in-process seconds, MLE seconds, simulation seconds, the estimated
standard deviations, the log-likelihood at the MLE.

Usage::

    python -m benchmarks.ref_statsmodels_tvp INPUTS.npz [--draws 1000] [--check out.npz]
"""

from __future__ import annotations

import argparse
import json
import time

T0 = time.perf_counter()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("inputs")
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--check", default=None)
    ap.add_argument("--seed", type=int, default=20240701)
    a = ap.parse_args()

    import numpy as np
    import statsmodels.api as sm

    z = np.load(a.inputs)
    y, F = z["y"], z["F"]
    T, p = F.shape
    S0 = float(z["d0"]) / float(z["n0"])

    class TVRegression(sm.tsa.statespace.MLEModel):
        """y_t = F_t theta_t + e_t, theta_t = theta_{t-1} + w_t (diagonal state covariance)."""

        def __init__(self, endog: np.ndarray, exog: np.ndarray) -> None:
            super().__init__(endog=endog, k_states=exog.shape[1])
            self.initialize_known(z["m0"].astype(float), z["C0"] * S0)
            self["design"] = exog.T[np.newaxis, :, :]
            self["selection"] = np.eye(self.k_states)
            self["transition"] = np.eye(self.k_states)

        @property
        def param_names(self) -> list[str]:
            return ["obs.var"] + [f"state.var.{i}" for i in range(self.k_states)]

        @property
        def start_params(self) -> np.ndarray:
            return np.r_[np.var(self.endog), np.full(self.k_states, 1e-4)]

        def transform_params(self, unconstrained: np.ndarray) -> np.ndarray:
            return unconstrained ** 2

        def untransform_params(self, constrained: np.ndarray) -> np.ndarray:
            return constrained ** 0.5

        def update(self, params: np.ndarray, **kwargs: object) -> None:
            params = super().update(params, **kwargs)
            self["obs_cov", 0, 0] = params[0]
            self["state_cov"] = np.diag(params[1:])

    mod = TVRegression(y, F)
    check = {}
    if a.check:
        check["loglike_static_known"] = float(mod.loglike(np.r_[S0, np.zeros(p)]))
    t1 = time.perf_counter()
    res = mod.fit(disp=False, maxiter=500)
    t2 = time.perf_counter()
    mod.update(res.params)
    sim = mod.simulation_smoother(rng=np.random.default_rng(a.seed))
    paths = np.empty((a.draws, T, p), dtype=np.float32)
    for i in range(a.draws):
        sim.simulate()
        paths[i] = sim.simulated_state.T
    t3 = time.perf_counter()
    if a.check:
        np.savez(a.check, smoothed_mean=res.smoothed_state.T, path_mean=paths.mean(0),
                 params=res.params, **check)
    print(json.dumps({"in_process_s": time.perf_counter() - T0, "mle_s": t2 - t1,
                      "simulate_s": t3 - t2, "draws": a.draws, "days": T,
                      "loglike": float(res.llf), "converged": bool(res.mle_retvals.get("converged")),
                      "iterations": int(res.mle_retvals.get("iterations", -1)),
                      "sd": [float(v) for v in np.sqrt(res.params)], **check}))


if __name__ == "__main__":
    main()
