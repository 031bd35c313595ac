"""Forecast monitoring with automatic intervention (West & Harrison, ch. 11).

The discount model lets betas drift slowly; an abrupt break (a beta changing sign within a
few days) is tracked only after months, and the revised path smooths straight through it.
West & Harrison's remedy is to *monitor* the one-step-ahead forecasts and *intervene* when
they keep failing.

The monitor here scores the standard model ``M0`` against the alternative ``M1`` "the state
jumped at the start (onset) of the current run of poor forecasts": ``M1`` is the same filter
restarted at the onset with the drifting block's prior covariance inflated,
``R_o = C_{o-1} / (delta_beta * delta_int)`` instead of ``C_{o-1} / delta_beta``. The
cumulative log Bayes factor of the run is ``log L_t = sum_{j = o}^{t} (log p0(y_j) - log
p1(y_j))``. As in West & Harrison's cumulative monitor, a run ends when ``L_t >= 1`` (the
standard model is at least as good: a fresh alternative starts at the next period) and a
break is signalled when ``L_t < tau`` after at least two forecasts (monitoring starts once
the filter has seen ten periods per state element: the prior's start-up is not a break). Because ``M1`` learns the
size and direction of the jump from the run's data (a beta that changed sign shows up as
forecast errors correlated with that factor), it has far more power against a change in a
regression coefficient than the scale-inflated alternative ``p1(u) = p0(u / k) / k``
of the textbook's level monitor, which sees only larger errors.

At a signal at period ``t`` the filter takes the alternative's state (the filter as if it
had intervened at the onset, which has learnt the new regime from the run's data) and
monitoring restarts: the real-time (filtered) values, the one-step-ahead predictives and
the marginal likelihood are those of this on-line procedure, each using data to its own
period only. The switch is recorded as an intervention at ``t`` (``step_discount[t] =
delta_beta * delta_int``): a real-time block of periods drawn jointly across it (a quarter
as first estimated) links the two sides by that inflated step, an approximation for the one
block holding the switch. The run dates the break's onset ``o``; the revised (smoothed) paths
are drawn from the same model with the interventions placed at the onsets, in hindsight
(:func:`intervention_rows`): the filter is rerun with those rows fixed and the backward
sampler uses exactly that filter's per-step discounts, so the smoothed paths are those of
one dynamic linear model with known (data-decided) interventions. A filter whose monitor
never fires is the plain filter, bit for bit.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> T = 600
>>> F = np.column_stack([np.ones(T), rng.normal(size=T)])
>>> beta = np.where(np.arange(T) < 300, 1.0, -1.0)          # a sign flip
>>> y = beta * F[:, 1] + rng.normal(size=T)
>>> from macroattr.models.statespace.dlm import DLMPrior, forward_filter
>>> r = forward_filter(y, F, 0.999, 1.0, DLMPrior.conjugate(2), monitor=Monitor())
>>> int(r.interventions()[0]), int(r.onsets()[0])     # signalled, and dated back to the onset
(303, 292)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from macroattr.models.statespace.kernels import filter_start, filter_step, store_at

__all__ = ["Monitor", "forward_filter_monitored"]



@dataclass(frozen=True)
class Monitor:
    """Settings of the forecast monitor.

    ``tau``: the Bayes-factor threshold of a signal (the alternative must be ``1 / tau``
    times as likely as the standard model over the run); ``delta_int``: the extra discount
    of an intervention (0.1: the drifting block's variance times 10 for that step).
    """

    tau: float = 0.02
    delta_int: float = 0.1

    @property
    def log_tau(self) -> float:
        return float(math.log(self.tau))


@numba.njit(cache=True, nogil=True)
def forward_filter_monitored(y, F, delta_beta, delta_v, vary, m0, C0, n0, d0, log_tau,
                             delta_int, store, m_out, L_out, n_out, d_out, f_out, q_out,
                             df_out, ll_out, step_out, onset_out, fixed, slot):  # noqa: ANN001
    """The forward filter of :func:`macroattr.models.statespace.kernels.forward_filter`
    with forecast monitoring and automatic intervention (module docstring).

    ``step_out[t]`` is the discount of the drifting block at step ``t`` (``delta_beta``, or
    ``delta_beta * delta_int`` at an intervention: a fixed one, or the row where the monitor
    switched to the alternative) and ``onset_out[t]`` the first row of the run of poor
    forecasts behind a switch at ``t`` (-1 elsewhere). With ``fixed`` non-empty ((T,) bool) nothing is monitored: the
    interventions are at the rows where ``fixed`` is True (the retrospective placement at
    the onsets). ``slot``: the rows ``m``, ``L`` are kept in, as in
    :func:`~macroattr.models.statespace.kernels.forward_filter`. Returns the log marginal
    likelihood (sum of ``ll_out``).
    """
    T, p = F.shape
    m, C, n, d, S, known, R, RF, Cs, L = filter_start(m0, C0, n0, d0)
    # the alternative: the filter restarted at the run's onset with an inflated prior
    m1 = np.empty(p)
    C1 = np.empty((p, p))
    n1 = n
    d1 = d
    S1 = S
    active = False
    onset = -1
    logL = 0.0
    run = 0
    monitoring = fixed.shape[0] == 0
    intervene = False
    total = 0.0
    for t in range(T):
        onset_out[t] = -1
    for t in range(T):
        if not monitoring:
            intervene = fixed[t]
        dstep = delta_beta * delta_int if intervene else delta_beta
        step_out[t] = dstep
        if monitoring and not intervene and not active and t >= 10 * p:  # a fresh alternative
            for i in range(p):
                m1[i] = m[i]
                for j in range(p):
                    C1[i, j] = C[i, j]
            n1, d1, S1 = n, d, S
            active = True
            onset = t
            logL = 0.0
            run = 0
        d1step = delta_beta * delta_int if run == 0 else delta_beta
        ok1 = True
        if monitoring and active:
            _, q1, _, ll1, n1, d1, S1 = filter_step(y[t], F, t, m1, C1, n1, d1, S1, d1step,
                                                    delta_v, vary, known, R, RF)
            # an alternative that broke down numerically (its inflated covariance lost
            # positivity, e.g. a state without data for long under a fast discount) is no
            # evidence of a break: the run is dropped
            ok1 = q1 > 0.0 and math.isfinite(ll1) and (known or (d1 > 0.0 and S1 > 0.0))
        else:
            ll1 = 0.0
        f, q, df, ll, n, d, S = filter_step(y[t], F, t, m, C, n, d, S, dstep, delta_v, vary,
                                            known, R, RF)
        f_out[t] = f
        q_out[t] = q
        df_out[t] = df
        ll_out[t] = ll
        total += ll
        intervene = False
        if monitoring and active and not ok1:
            active = False
        elif monitoring and active:
            logL += ll - ll1
            run += 1
            if logL >= 0.0:  # the standard model holds its own: the run ends
                active = False
            elif logL < log_tau and run >= 2:  # a break: the filter takes the alternative
                for i in range(p):
                    m[i] = m1[i]
                    for j in range(p):
                        C[i, j] = C1[i, j]
                n, d, S = n1, d1, S1
                step_out[t] = delta_beta * delta_int
                onset_out[t] = onset
                active = False
        if store:
            store_at(t, slot, m, C, S, n, d, Cs, L, m_out, L_out, n_out, d_out)
    return total
