"""One class per model kind: capabilities are declared by the class, never discovered."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import numpy as np
import pytest

from macroattr.core.errors import InputError
from macroattr.models import ModelConfig, fit_model
from macroattr.models.fit import draws
from macroattr.models.fit.base import Fit
from macroattr.models.fit.kinds import fit_class, make_fit
from macroattr.models.fit.state_space import StateSpaceFit
from macroattr.models.fit.static import KnotGridFit, StaticFit
from macroattr.models.synthetic import simulate_panel

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fits():
    panel, truth = simulate_panel(n=90, seed=4)
    base = ModelConfig(groups=truth["groups"]).override(draws=60, chains=2)
    static = fit_model(panel, base.override(method="exact", likelihood="normal"))
    ss = fit_model(panel, base.override(betas="state_space", method="exact"))
    return static, ss


def test_each_kind_has_its_class_and_declares_what_it_can_do(fits):
    static, ss = fits
    assert type(static) is StaticFit and type(ss) is StateSpaceFit
    assert (static.kind, static.estimates, static.time_varying, static.state_space) == (
        "static", ("smoothed",), False, False)
    assert (ss.kind, ss.estimates, ss.time_varying, ss.state_space) == (
        "state_space", ("smoothed", "filtered"), True, True)
    assert (KnotGridFit.kind, KnotGridFit.time_varying, KnotGridFit.estimates) == (
        "time_varying", True, ("smoothed",))
    for betas, cls in (("static", StaticFit), ("time_varying", KnotGridFit),
                       ("state_space", StateSpaceFit)):
        assert fit_class(ModelConfig().override(betas=betas)) is cls
    assert draws.estimates(static) == ("revised",)
    assert draws.estimates(ss) == ("revised", "real time")


def test_the_base_class_is_not_a_fit_of_any_kind(fits):
    static, _ = fits
    with pytest.raises(TypeError, match="abstract"):
        Fit(static.posterior, None, static.panel, static.config, static.meta)


def test_refused_estimates_and_state_space_only_methods_are_one_line(fits):
    static, ss = fits
    with pytest.raises(InputError, match="needs a state-space fit"):
        static.betas(estimate="filtered", draws=True)
    with pytest.raises(InputError, match="is not an estimate: use revised .alias smoothed. or first estimate"):
        ss.betas(estimate="revisd", draws=True)
    for name in ("discounts", "p_varies", "static_counterpart"):
        with pytest.raises(InputError, match="state-space fits only"):
            getattr(static, name)()
    with pytest.raises(InputError, match="no real-time"):
        draws.window_contributions(static, "2000-03-31", "2000-06-30", "real time")


def test_make_fit_rebuilds_the_same_numbers(fits):
    static, ss = fits
    for f in fits:
        again = make_fit(f.posterior, f.sample_stats, f.panel, f.config, f.meta, f.diagnostics)
        assert type(again) is type(f)
        np.testing.assert_allclose(again.contributions("Q").values, f.contributions("Q").values,
                                   atol=1e-9)


def test_no_capability_discovery_or_private_writes_outside_the_fit_classes():
    """No ``inspect.signature`` probing in fit.draws, no trial calls, and no module outside
    ``models/fit`` assigns a private attribute of a fit."""
    src = (ROOT / "models" / "fit" / "draws.py").read_text()
    assert "inspect" not in src and "accepts(" not in src
    offenders = []
    for folder in ("models", "reports", "macroattr", "data_pipelines"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.parent == ROOT / "models" / "fit":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Assign | ast.AugAssign):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for t in targets:
                        if (isinstance(t, ast.Attribute) and t.attr.startswith("_")
                                and isinstance(t.value, ast.Name) and t.value.id == "fit"):
                            offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders
    assert "_ss_paths" not in inspect.getsource(__import__(
        "macroattr.models.estimation.fitting", fromlist=["x"]))


def test_the_hooks_are_abstract():
    """Fit is an abstract base: it and a kind missing a hook cannot be built; the shipped
    kinds implement every hook."""
    import inspect

    import pytest

    from macroattr.models.fit.base import Fit
    from macroattr.models.fit.kinds import KINDS

    hooks = {"_beta_nat_time", "_components_time", "_sigma_time", "_beta_average_draws",
             "parameter_draws", "one_step_ahead"}
    assert Fit.__abstractmethods__ == hooks
    with pytest.raises(TypeError, match="abstract"):
        Fit(None, None, None, None, {})

    class Half(Fit):
        kind = "half"

        def _sigma_time(self, t0, t1, estimate="smoothed"):
            return None

    with pytest.raises(TypeError, match="_beta_nat_time"):
        Half(None, None, None, None, {})
    for cls in KINDS.values():
        assert not inspect.isabstract(cls), cls
