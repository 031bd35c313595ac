"""Backtest: 20-origin monthly backtest of the NUTS static model on 1 and 2 Dask workers,
and the state-space exact model's one-pass backtest beside it.

Contenders, each a fresh ``macroattr backtest`` process (wall = interpreter start to exit,
imports, local cluster start-up and panel building included), repeats interleaved, each
run with an empty task cache:

* NUTS static default config (nutpie, 4 chains x 1000 draws + 1000 tuning), 20 quarterly
  origins (forecasts of 2019Q1..2023Q4), expanding window, on a local cluster of **1**
  worker process (one thread: the 20 fits one after another, chains sequential);
* the same on **2** worker processes (one thread each);
* the same ``--serial`` in one process, where nutpie runs the 4 chains on its own
  thread pool (one thread per core): the no-Dask reference;
* the state-space exact model (``configs/default.toml`` on the monthly panel),
  the same 20 origins, scored from **one** filter pass.

Usage::

    python -m benchmarks.backtest [--repeats 3] [--quick]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd

from benchmarks import _harness as h

START, END = "2019Q1", "2023Q4"           # 20 quarters -> 20 origins


def _state_space_config(tmp: Path) -> Path:
    from macroattr.configs import config_path

    src = config_path("default").read_text()
    src = src.replace('freq = "D"', 'freq = "M"').replace('start = "2000-01-01"', 'start = "1990-01-31"')
    p = tmp / "monthly_state_space.toml"
    p.write_text(src)
    return p


def main(argv: list[str] | None = None) -> None:
    ap = h.parser(__doc__.splitlines()[0])
    args = h.parse(ap, argv)
    start, end = ("2023Q1", "2023Q4") if args.quick else (START, END)
    tiny = ["--chains", "2", "--draws", "50", "--tune", "50"] if args.quick else []
    mac = h.console_script("macroattr")
    with tempfile.TemporaryDirectory(prefix="bench-bt-") as tmp_s:
        tmp = Path(tmp_s)
        ss = _state_space_config(tmp)
        if args.quick:  # 2 x 50 draws cannot pass the convergence gate: relax it for the smoke run
            from macroattr.models.config import default_config_path

            quick_cfg = tmp / "quick.toml"
            quick_cfg.write_text(default_config_path().read_text().replace(
                "rhat_max = 1.01", "rhat_max = 10.0").replace("ess_bulk_min = 400", "ess_bulk_min = 1"))
            tiny = [*tiny, "--config", str(quick_cfg)]
        count = {"n": 0}

        def run(extra: list[str], *, nuts: bool = True) -> h.ChildRun:
            count["n"] += 1
            out = tmp / f"out{count['n']}"
            cmd = [mac, "backtest", "--start", start, "--end", end, "--out", out,
                   "--cache-dir", tmp / f"cache{count['n']}", *extra, *(tiny if nuts else [])]
            r = h.run_child(cmd).check()
            r.tasks = pd.read_csv(out / "tasks.csv")          # type: ignore[attr-defined]
            r.summary = pd.read_csv(out / "summary.csv")      # type: ignore[attr-defined]
            return r

        runners = {
            "NUTS static, 1 worker": lambda: run(["--workers", "1"]),
            "NUTS static, 2 workers": lambda: run(["--workers", "2"]),
            "NUTS static, serial (no Dask)": lambda: run(["--serial"]),
            "state-space exact, one pass": lambda: run(["--config", ss, "--serial"], nuts=False),
        }
        print(f"backtest {start}..{end}: {len(runners)} contenders x {args.repeats} repeats",
              file=sys.stderr)
        runs = h.interleave(runners, args.repeats)

    w = {k: h.median([r.wall_s for r in v]) for k, v in runs.items()}
    header = ["contender", "origins", "failed", "wall s (median)", "min..max s",
              "mean task s (in worker)", "peak RSS MB (parent)", "log score (mean)", "CRPS (mean, pp)",
              "coverage 90% (%)"]
    rows = []
    for k, v in runs.items():
        last = v[-1]
        t, s = last.tasks, last.summary.set_index("model").loc["macroattr"]
        rows.append([k, len(t), int((t["status"] == "failed").sum()), w[k],
                     f"{min(r.wall_s for r in v):.2f}..{max(r.wall_s for r in v):.2f}",
                     float(t["seconds"].mean()), max(r.maxrss_mb for r in v),
                     float(s["log_score_mean"]), float(s["crps_mean"]),
                     float(s.filter(like="coverage_").iloc[0])])
    speedup = w["NUTS static, 1 worker"] / w["NUTS static, 2 workers"]
    targets = [h.target("speed-up, 2 workers vs 1 (wall)", speedup, "> 1 (2 cores)", speedup > 1),
               h.target("state-space one pass / NUTS 2 workers (wall)",
                        w["state-space exact, one pass"] / w["NUTS static, 2 workers"], "< 1",
                        w["state-space exact, one pass"] < w["NUTS static, 2 workers"])]
    h.report("backtest", args, header, rows, targets, {
        "wall_s": w, "walls_all": {k: [r.wall_s for r in v] for k, v in runs.items()},
        "task_seconds": {k: v[-1].tasks["seconds"].tolist() for k, v in runs.items()},
        "span": [start, end]})


if __name__ == "__main__":
    main()
