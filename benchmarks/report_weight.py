"""Benchmark: report page weight (monthly, daily) and ``macroattr summary`` wall time.

Page weight: the default model by the exact method (4 x 1000 draws) on the embedded monthly
panel and on the daily panel, rendered for the latest quarter; bytes of the page, of the inlined
plotly.js, of everything else. Reference in the same session: the same monthly page with
plotly.py's full bundle inlined (what every page carried before issue 15).

Summary: ``macroattr summary --fit FIT`` as a fresh process (wall = start to exit, imports
included) on a monthly NUTS fit of the default model, default (no PSIS-LOO) against ``--loo``
(what ``summary`` always did before), interleaved, medians of ``--repeats``.

Run: ``python -m benchmarks.report_weight [--repeats 5] [--no-daily]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _page(fit, out: Path, full_bundle: bool = False) -> dict:
    from macroattr.reports import charts, render, render_report

    original = render.plotly_js_for
    if full_bundle:
        render.plotly_js_for = lambda figures: charts.plotly_js(full=True)
    try:
        t = time.perf_counter()
        path = render_report(fit, "latest", out)
        secs = time.perf_counter() - t
    finally:
        render.plotly_js_for = original
    html = path.read_text(encoding="utf-8")
    js = charts.plotly_js(full=full_bundle)
    return {"bytes": path.stat().st_size, "plotly_js_bytes": len(js.encode()),
            "other_bytes": path.stat().st_size - len(js.encode()), "render_s": secs,
            "basic_bundle": "plotly.js (basic" in html[:5000] or "plotly.js (basic" in js[:300]}


def _summary_times(fit_path: Path, repeats: int) -> dict:
    exe = str(Path(sys.executable).with_name("macroattr"))
    runs = {"default": [], "--loo": []}
    for _ in range(repeats):
        for name, extra in (("default", []), ("--loo", ["--loo"])):
            t = time.perf_counter()
            subprocess.run([exe, "summary", "--fit", str(fit_path), *extra], check=True,
                           capture_output=True)
            runs[name].append(time.perf_counter() - t)
    return {k: {"median_s": statistics.median(v), "runs_s": v} for k, v in runs.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-daily", action="store_true")
    args = ap.parse_args()
    from macroattr.data_pipelines import build_panel
    from macroattr.models import ModelConfig, fit_model

    out: dict = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                 "load_avg": os.getloadavg()}
    tmp = Path(tempfile.mkdtemp(prefix="bench-report-"))
    monthly = fit_model(build_panel(freq="M"), ModelConfig.default().override(method="exact"))
    out["monthly"] = _page(monthly, tmp / "m")
    out["monthly_full_bundle"] = _page(monthly, tmp / "m_full", full_bundle=True)
    if not args.no_daily:
        daily = fit_model(build_panel(freq="D"), ModelConfig.default().override(method="exact"))
        out["daily"] = _page(daily, tmp / "d")
    nuts = fit_model(build_panel(freq="M"), ModelConfig.default())
    fit_path = tmp / "nuts.nc"
    nuts.save(str(fit_path))
    out["summary"] = _summary_times(fit_path, args.repeats)
    print(json.dumps(out, indent=2, default=float))
    results = Path(__file__).resolve().parent / "results"
    results.mkdir(exist_ok=True)
    (results / "report_weight.json").write_text(json.dumps(out, indent=2, default=float))


if __name__ == "__main__":
    main()
