"""The one JSON line both reference scripts (plain PyMC, bambi) print at the end."""

from __future__ import annotations

import json
import time


def print_reference_result(idata, t0: float, t_sample_start: float, t_sample_end: float) -> None:
    """Print in-process seconds, sampling seconds, min bulk ESS, max R-hat and divergences.

    ArviZ computes the diagnostics, as the end of a hand-written script would.
    """
    import arviz as az

    post = idata["posterior"]
    post = post.to_dataset() if hasattr(post, "to_dataset") else post
    ess = az.ess(post)
    rhat = az.rhat(post)
    print(json.dumps({
        "in_process_s": time.perf_counter() - t0, "sample_s": t_sample_end - t_sample_start,
        "ess_bulk_min": min(float(v.min()) for v in ess.data_vars.values()),
        "rhat_max": max(float(v.max()) for v in rhat.data_vars.values()),
        "divergences": int(idata["sample_stats"]["diverging"].values.sum()),
    }))
