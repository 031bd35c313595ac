"""Credibility on the real daily panel (issue 20): the last 8 complete quarters' groups whose
sign the page calls settled, before (time-varying vs the static comparators only) and after
the robust rule (revised, first estimate, static comparators and HAC OLS must all agree),
with P(varies) and its sensitivity, and the end-of-sample betas of the mixture paths. The
static comparator is what the page uses: the shipped static configuration's fit
(configs/static_monthly.toml, ``macroattr.jobs.run.main_fit``: the cross-check fit ``run``
caches), with ``--filter-static`` the same filter with discounts 1 instead; the breaks the
forecast monitor found are listed.

Usage::

    python -m benchmarks.credibility
"""

from __future__ import annotations

import json
import time


def main() -> None:
    import sys

    import numpy as np

    from macroattr.jobs.run_config import load_run_config
    from macroattr.models import fit_model
    from macroattr.models.analysis.robust import sign_status
    from macroattr.jobs.inputs import build_config_panel
    from macroattr.reports.model_check import model_check_content
    from benchmarks import _harness as h

    rc = load_run_config(h.REPO / "configs" / "default.toml")
    panel, cfg = build_config_panel(rc.model, rc.panel)
    t = time.perf_counter()
    fit = fit_model(panel, cfg)
    fit_s = time.perf_counter() - t
    static, label = None, ""
    if "--filter-static" not in sys.argv:
        from macroattr.configs import config_path
        from macroattr.jobs.run import main_fit, other_shipped

        _, label = other_shipped(cfg)
        static = main_fit(config_path("static_monthly"), source="snapshot").fit
    quarters = [q for q in fit.quarters if q not in fit.partial_periods("Q")][-8:]
    rows = []
    for q in quarters:
        mc = model_check_content(fit, q, static_fit=static, static_label=label)
        rev = mc["revision"].set_index("component")
        st = mc["static"].set_index("component")
        before, after = [], []
        for g in fit.config.groups:
            def row(prefix, frame):
                return {"mean": frame.loc[g, f"{prefix}_mean"], "hdi_low": frame.loc[g, f"{prefix}_hdi_low"],
                        "hdi_high": frame.loc[g, f"{prefix}_hdi_high"]}
            old = {"time-varying": row("time_varying", st), "static": row("static", st)}
            if "static_on_months_mean" in st.columns:
                old["static on months"] = row("static_on_months", st)
            if sign_status(old) == "settled":
                before.append(g)
            if mc["status"][g] == "settled":
                after.append(g)
        rows.append({"quarter": q, "settled_before": before, "settled_after": after})
        print(json.dumps(rows[-1]), flush=True)
    b = fit.betas(start=fit.span[1], draws=True).isel(time=-1)
    end = {str(f): [round(float(b.sel(factor=f).mean()), 3), round(float(b.sel(factor=f).std()), 3)]
           for f in b["factor"].values}
    iv = fit.interventions()
    print(json.dumps({"static_comparator": mc["static_name"],
                      "breaks": [[f"{o:%Y-%m-%d}", f"{g:%Y-%m-%d}", round(float(w), 3)]
                                 for o, g, w in iv.itertuples(index=False)]}))
    print(json.dumps({"fit_s_in_process_first": round(fit_s, 2), "p_varies": fit.p_varies_text(),
                      "end_beta_mean_sd": end}))


if __name__ == "__main__":
    main()
