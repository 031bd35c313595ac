"""Benchmark: what saving a state-space fit costs (the stored reductions, issue 25).

Each child process builds the default config's panel (daily state space, exact), fits it
once and then computes, step by step, the reductions :func:`macroattr.models.fit.stored.fill`
keeps in the fit file: the smoothed draw, the period sums (months and quarters revised,
quarters first estimated), span averages, explained share, the predictive checks (days,
months), volatility and beta-path summaries (HDI of every day), the one-step-ahead
predictives, and whatever ``fill`` adds beyond those ("rest"). Per step: wall and CPU time
(``time.process_time``: all threads of the child).

``--reference DIR`` also runs a reference tree in the same session, interleaved with the
current code (A, B, A, B, ...): ``DIR`` holds an importable ``macroattr`` package (e.g. an
older commit exported with ``git archive`` and its top-level folders linked under
``macroattr/``), run with ``python -S`` and ``PYTHONPATH=DIR:<site-packages>`` so the
editable install does not shadow it. One warm-up child per contender first (numba caches).

This is a benchmark, not a test; figures depend on the machine and its load (recorded).

``--fresh-fit`` times the whole ``macroattr fit`` (fit, stored reductions, file) as fresh
processes instead, current and reference interleaved.

Usage::

    .venv/bin/python -m benchmarks.store_cost --repeats 3 [--reference /tmp/old_pkg] [--fresh-fit]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from benchmarks._harness import REPO

STEPS = ("fit", "smoothed draw", "sums M", "sums Q", "sums Q first estimate", "coefficients",
         "parameters", "explained share", "ppc D", "ppc M", "volatility", "beta paths",
         "one-step-ahead", "rest of fill")


def worker(config: str) -> dict[str, float]:
    """Time each step in this process (run in a child)."""
    from macroattr.cli.model import _load_panel
    from macroattr.models.estimation.fitting import fit_model
    from macroattr.models.fit import stored

    try:
        from macroattr.jobs.run_config import load_run_config
    except ImportError:  # older trees
        from macroattr.config import load_run_config

    run_cfg = load_run_config(Path(config))
    p, cfg = _load_panel(None, None, run_cfg, config_given=True)
    cfg = cfg.for_panel(p)
    S = stored.STORED_HDI
    out: dict[str, float] = {}
    fit = None

    def do_fit() -> None:
        nonlocal fit
        fit = fit_model(p, cfg)

    steps = [("fit", do_fit),
             ("smoothed draw", lambda: fit.paths.smoothed_states()),
             ("sums M", lambda: fit.attribution("M", S)),
             ("sums Q", lambda: fit.attribution("Q", S)),
             ("sums Q first estimate", lambda: fit.attribution("Q", S, estimate="filtered")),
             ("coefficients", lambda: fit.coefficients(S)),
             ("parameters", lambda: fit.parameters(S)),
             ("explained share", lambda: fit.summary.explained_share(["D", "M", "Q"], S)),
             ("ppc D", lambda: fit.ppc("D", S)),
             ("ppc M", lambda: fit.ppc("M", S)),
             ("volatility", lambda: fit.volatility(S)),
             ("beta paths", lambda: fit.beta_paths(S)),
             ("one-step-ahead", lambda: (fit.one_step_ahead(), fit.one_step_ahead(static=True))),
             ("rest of fill", lambda: stored.fill(fit))]
    for name, f in steps:
        t, c = time.perf_counter(), time.process_time()
        f()
        out[f"{name} wall"] = time.perf_counter() - t
        out[f"{name} cpu"] = time.process_time() - c
    out["load"] = os.getloadavg()[0]
    return out


def _child(reference: str | None, config: str) -> dict[str, float]:
    env = dict(os.environ)
    cmd = [sys.executable]
    if reference:
        env["PYTHONPATH"] = os.pathsep.join([reference, sysconfig.get_paths()["purelib"], str(REPO)])
        cmd.append("-S")
    else:
        env["PYTHONPATH"] = str(REPO)
    cmd += ["-c", f"import json, benchmarks.store_cost as b; print(json.dumps(b.worker({config!r})))"]
    # the reference runs from its own folder: ``-c`` puts the working directory first on sys.path
    res = subprocess.run(cmd, env=env, cwd=reference or REPO, capture_output=True, text=True)
    if res.returncode:
        raise RuntimeError(res.stderr[-2000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def _fresh_fit(reference: str | None, config: str, out: str) -> dict[str, float]:
    """``macroattr fit --config C --out F -q`` as a fresh child (the current console script,
    or the reference tree's CLI under ``python -S``): wall, CPU (user + system), peak MB."""
    env = dict(os.environ)
    if reference:
        env["PYTHONPATH"] = os.pathsep.join([reference, sysconfig.get_paths()["purelib"]])
        cmd = [sys.executable, "-S", "-c", "import sys; from macroattr.cli import main; "
               "sys.argv[0] = 'macroattr'; sys.exit(main())"]
    else:
        cmd = [str(Path(sys.executable).with_name("macroattr"))]
    cmd += ["fit", "--config", config, "--out", out, "--quiet"]
    load = os.getloadavg()[0]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=reference or REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(proc.stderr.read().decode()[-2000:] if proc.stderr else "fit failed")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "rss_mb": usage.ru_maxrss / 1024.0, "load": load}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--reference", help="a reference tree holding a macroattr package")
    ap.add_argument("--config", default=str(REPO / "configs" / "default.toml"))
    ap.add_argument("--fresh-fit", action="store_true",
                    help="time `macroattr fit` (fit and save) as fresh processes instead")
    args = ap.parse_args(argv)
    who = {"current": None, **({"reference": args.reference} if args.reference else {})}
    if args.fresh_fit:
        import tempfile

        tmp = tempfile.mkdtemp(prefix="store_cost_")
        for name, ref in who.items():  # warm-up (numba caches)
            _fresh_fit(ref, args.config, f"{tmp}/{name}.nc")
        fits: dict[str, list[dict[str, float]]] = {k: [] for k in who}
        for i in range(args.repeats):
            for name, ref in who.items():
                r = _fresh_fit(ref, args.config, f"{tmp}/{name}.nc")
                fits[name].append(r)
                print(f"  [fit {name} {i + 1}] wall {r['wall']:.2f} s, cpu {r['cpu']:.2f} s, "
                      f"peak {r['rss_mb']:.0f} MB, load {r['load']:.2f}", file=sys.stderr, flush=True)
        for name, v in fits.items():
            print(f"{name}: `macroattr fit` wall {statistics.median(r['wall'] for r in v):.2f} s, "
                  f"CPU {statistics.median(r['cpu'] for r in v):.2f} s, peak "
                  f"{statistics.median(r['rss_mb'] for r in v):.0f} MB (medians of {len(v)}; "
                  f"walls {', '.join(f'{r["wall"]:.1f}' for r in v)})")
        return 0
    for name, ref in who.items():  # warm-up: numba caches of each tree
        print(f"warming {name} ...", file=sys.stderr, flush=True)
        _child(ref, args.config)
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in who}
    for i in range(args.repeats):
        for name, ref in who.items():
            r = _child(ref, args.config)
            runs[name].append(r)
            tot = sum(r[f"{s} cpu"] for s in STEPS[1:])
            print(f"  [{name} {i + 1}] store cpu {tot:.2f} s, load {r['load']:.2f}",
                  file=sys.stderr, flush=True)
    med = {k: {m: statistics.median(r[m] for r in v) for m in v[0]} for k, v in runs.items()}
    cols = list(who)
    print("| step | " + " | ".join(f"{c} wall s | {c} CPU s" for c in cols) + " |")
    print("|---|" + "---|---|" * len(cols))
    for s in STEPS:
        print(f"| {s} | " + " | ".join(f"{med[c][f'{s} wall']:.2f} | {med[c][f'{s} cpu']:.2f}"
                                       for c in cols) + " |")
    for c in cols:
        w = sum(med[c][f"{s} wall"] for s in STEPS[1:])
        cpu = sum(med[c][f"{s} cpu"] for s in STEPS[1:])
        print(f"{c}: stored reductions {w:.2f} s wall, {cpu:.2f} s CPU (sum of step medians)")
    loads = [r["load"] for v in runs.values() for r in v]
    print(f"load (1-min) after each child: {min(loads):.2f}..{max(loads):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
