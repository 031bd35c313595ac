"""Benchmark: an event window on a long daily fit, span-restricted vs whole-history.

``fit.event`` asks the fit for the window's contributions only
(``fit.contributions("D", start=, end=)``); the reference is what notebook 03 used to do by
hand: the whole history's daily contributions, then the window's sessions selected and summed.
Both give the same draws (checked here to 1e-9). Fits: the daily state-space model
(``configs/default.toml``, exact, 4 x 250 draws) and the default static model by the
exact method (4 x 1000 draws) on the embedded daily panel from 2000; wall times are medians of
``--repeats`` in-process runs after one warm-up, interleaved; peak memory is tracemalloc's.

Run: ``python -m benchmarks.event_window [--repeats 5] [--quick]``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import tracemalloc

import numpy as np

WINDOW = ("2024-07-10", "2024-07-16")


def _whole_history(fit, start: str, end: str) -> np.ndarray:
    c = fit.contributions("D")
    days = [p for p in c["period"].values if start <= p <= end]
    s = c.sel(period=days).sum("period").stack(s=("chain", "draw")).transpose("s", "component")
    return np.asarray(s.values)


def _measure(fn, repeats: int) -> tuple[float, float]:
    fn()  # warm-up (state-space paths drawn and cached, imports)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(times), peak


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="2024 only, 2 x 50 draws, 1 repeat")
    args = ap.parse_args(argv)
    from macroattr.configs import config_path
    from macroattr.data_pipelines import build_panel
    from macroattr.models import ModelConfig, fit_model

    start = "2024-01-01" if args.quick else "2000-01-01"
    repeats = 1 if args.quick else args.repeats
    small = {"draws": 50, "chains": 2} if args.quick else {}
    fits = {
        "state-space (exact, 1,000 draws)": ModelConfig.from_toml(config_path("default")).override(**small),
        "static (exact, 4,000 draws)": ModelConfig.default().override(method="exact", **small),
    }
    panel = build_panel(freq="D", start=start, end="2024-12-31",
                        factors=next(iter(fits.values())).factors)
    assert all(c.factors == next(iter(fits.values())).factors for c in fits.values())
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}; "
          f"panel {len(panel.data)} days from {panel.data.index[0]:%Y-%m-%d}; window {WINDOW[0]}..{WINDOW[1]}")
    print(f"{'fit':<36} {'fit.event s':>12} {'whole history s':>16} {'ratio':>7} "
          f"{'peak MB event':>14} {'peak MB whole':>14}")
    for name, cfg in fits.items():
        fit = fit_model(panel, cfg)
        ev = fit.event(*WINDOW)
        np.testing.assert_allclose(ev.draws, _whole_history(fit, *WINDOW), atol=1e-9)
        t_ev, m_ev = _measure(lambda: fit.event(*WINDOW), repeats)  # noqa: B023
        t_wh, m_wh = _measure(lambda: _whole_history(fit, *WINDOW), repeats)  # noqa: B023
        print(f"{name:<36} {t_ev:>12.3f} {t_wh:>16.3f} {t_ev / t_wh:>7.3f} {m_ev:>14.1f} {m_wh:>14.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
