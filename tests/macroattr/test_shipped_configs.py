"""Every shipped configuration passes its own convergence gate, at its own settings.

A config in ``configs/`` is what a user runs as is (``macroattr run --config ...``), so its
fit must be publishable: each is fitted exactly as ``run`` fits it (its ``[panel]``
table, its sampler settings, the snapshot; once per session, ``tests.conftest.main_fits``)
and its gate must pass. The shipped models are
cheap at full settings (the exact state-space default in seconds, the static monthly model
with nutpie 4 x 1000 in a few more), so nothing is shrunk. The knot-grid time-varying configs
were retired for failing theirs (benchmarks/configs keeps them as benchmark inputs).
"""

from __future__ import annotations

import pytest

from macroattr.configs import config_path, names


@pytest.mark.parametrize("name", names())
def test_shipped_config_passes_its_gate(name, main_cache, monkeypatch):
    from macroattr.jobs.run import main_fit

    monkeypatch.delenv("FRED_API_KEY", raising=False)
    # the shipped configs are the main job's fits (tests.conftest.main_fits, made as `run`
    # makes them) and found here under their cache keys; a config not among them is fitted
    fit = main_fit(config_path(name), source="snapshot", cache_dir=main_cache).fit
    gate = fit.diagnostics.gate
    assert gate.passed, f"configs/{name}.toml: {gate.line()}"
    # at the config's own settings, not a shrunk stand-in
    cfg = fit.config.sampler
    assert (cfg.chains, cfg.draws) == (4, 1000) or cfg.method == "exact", (cfg.chains, cfg.draws)
    assert fit.meta.get("sampler") != "cheap-stand-in"
