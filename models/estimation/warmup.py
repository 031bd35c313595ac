"""Compile the exact engine's Numba kernels ahead of first use: ``python -m
macroattr.models.estimation.warmup`` (run by ``make`` at install).

Each kernel is compiled once (``cache=True``) into Numba's cache beside the source, for this
Python; a fresh command, a notebook or each worker of a parallel test run then loads it
instead of compiling it again (about 40 s on a 2-core machine). The warm-up fits the shipped
daily model (forecast monitoring, subset mixture, discount grid) on a small simulated
panel and reads its revised and first-estimate attribution, so every kernel a fit and a
report call is compiled with the very argument types they use.
"""

from __future__ import annotations

import sys
import time

__all__ = ["warm"]


def warm() -> float:
    """Fit and attribute a small simulated daily panel; returns the seconds it took.

    Examples
    --------
    >>> warm() < 600                                  # doctest: +SKIP
    True
    """
    from macroattr.models import ModelConfig, fit_model
    from macroattr.models.synthetic import simulate_panel

    t0 = time.perf_counter()
    panel, truth = simulate_panel(n=300, freq="D", seed=0)
    cfg = ModelConfig.shipped("default").override(groups=truth["groups"], draws=20, chains=2)
    fit = fit_model(panel, cfg)
    fit.attribution("Q")
    fit.attribution("Q", estimate="filtered")
    fit.coefficients()
    return time.perf_counter() - t0


def main() -> int:
    """Print one line: what was compiled and how long it took."""
    print(f"[setup] compiled the exact engine's kernels in {warm():.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
