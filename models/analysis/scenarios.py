"""Scenarios: the relative return the model expects given shocked factor moves.

A scenario moves some factors by stated amounts over a horizon, in the factors' natural
units (``d_2y=-0.25``: the 2-year yield 25 bp lower), and holds every other factor at the
stated baseline: **zero change** over the horizon. Through the betas as of the fit's end
(the state of a state-space fit at its last date, drawn from the mixture over which betas
drift behind P(varies): at the last date revised and real time use the same data; the betas
at the last date of a time-varying fit, the static betas otherwise), each posterior draw gives

    total = horizon x alpha + sum over groups of sum_k beta_k x shock_k + residual,

with the residual drawn from the model's error distribution at the fit's end (summed over
the horizon's periods): the posterior predictive distribution of the relative return. The
baseline is the same draw with no shock, so ``shock_effect`` (= total - baseline) is the
groups' sum. A **replay** applies a past window's realised factor moves (their sums over the
window, e.g. ``2022Q2``) to today's betas, over that window's length. Shocks larger than the
largest move of that factor over the same horizon in the fit's data are flagged.

Named scenarios live in a TOML file (:func:`load_scenarios`; the shipped set is
``macroattr/configs/scenarios.toml``).

Examples
--------
>>> from macroattr.models.synthetic import simulate_panel
>>> from macroattr.models import ModelConfig, fit_model
>>> panel, truth = simulate_panel(n=240, seed=5)
>>> fit = fit_model(panel, ModelConfig(groups=truth["groups"]).override(method="exact", draws=200))
>>> r = fit.scenario({"d_baa_spread": 1.0})
>>> t = r.table().set_index("component")
>>> bool(t.loc["leverage", "mean"] < 0), t.loc["leverage", "unit"]
(True, 'pp per month')
>>> fit.scenario({"d_baa": 1.0})
Traceback (most recent call last):
...
macroattr.core.errors.InputError: unknown shock 'd_baa'; valid factors of this fit: d_2y, d_policy_path, cpi_surprise, d_baa_spread, dlog_epu
"""

from __future__ import annotations

from macroattr.core.io import toml_loads

import html
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, field_validator

from macroattr.core.dates import parse_period
from macroattr.core.errors import InputError
from macroattr.models.fit.attribution import move_text, summarise_draws
from macroattr.models.fit.draws import fit_dates, noise, state_at_end

__all__ = ["Scenario", "ScenarioFile", "ScenarioResult", "cross_check", "load_scenarios", "parse_horizon",
           "parse_shock", "run_scenario", "run_scenarios", "scenarios_path"]

_HORIZON = re.compile(r"^\s*(\d+)\s*([DWMQY])\s*$", re.IGNORECASE)
#: Native periods per horizon unit: sessions for daily fits, months for monthly fits.
_PER_UNIT = {"D": {"D": 1, "W": 5, "M": 21, "Q": 63, "Y": 252},
             "M": {"M": 1, "Q": 3, "Y": 12}}
_NOUN = {"D": ("session", "sessions"), "M": ("month", "months")}


def scenarios_path() -> Path:
    """The shipped scenario set, ``macroattr/configs/scenarios.toml``."""
    from macroattr.configs import config_path

    return config_path("scenarios")


def parse_horizon(horizon: str | None, freq: str) -> tuple[int, str]:
    """Number of native periods and a label for a horizon such as ``1D``, ``5D``, ``1M``,
    ``1Q``, ``1Y`` (default: one native period). Daily fits count 21 sessions a month.

    Examples
    --------
    >>> parse_horizon("1Q", "D"), parse_horizon("1Q", "M"), parse_horizon(None, "M")
    ((63, '1Q (63 sessions)'), (3, '1Q (3 months)'), (1, '1 month'))
    >>> parse_horizon("1D", "M")
    Traceback (most recent call last):
    ...
    macroattr.core.errors.InputError: horizon '1D' is shorter than the fit's period (monthly); use M, Q or Y (e.g. 1Q)
    """
    f = "D" if str(freq).upper().startswith(("D", "B")) else "M"
    one, many = _NOUN[f]
    if horizon is None:
        return 1, f"1 {one}"
    m = _HORIZON.match(str(horizon))
    if not m or int(m.group(1)) < 1:
        raise InputError(f"horizon {horizon!r} is not like 1D, 5D, 1M, 1Q or 1Y")
    k, unit = int(m.group(1)), m.group(2).upper()
    if unit not in _PER_UNIT[f]:
        raise InputError(f"horizon {horizon!r} is shorter than the fit's period (monthly); "
                         f"use M, Q or Y (e.g. 1Q)")
    n = k * _PER_UNIT[f][unit]
    count = f"{n} {one if n == 1 else many}"
    return n, count if unit == f else f"{k}{unit} ({count})"


def parse_shock(text: str) -> tuple[str, float]:
    """``"d_2y=-0.25"`` -> ``("d_2y", -0.25)``.

    Examples
    --------
    >>> parse_shock("d_baa_spread=+1.0")
    ('d_baa_spread', 1.0)
    """
    name, sep, value = str(text).partition("=")
    try:
        v = float(value)
    except ValueError:
        v = math.nan
    if not sep or not name.strip() or not math.isfinite(v):
        raise InputError(f"--shock {text!r} is not FACTOR=VALUE in the factor's natural units "
                         f"(e.g. --shock d_2y=-0.25 for a 25 bp fall)")
    return name.strip(), v


# --------------------------------------------------------------------------- the scenario file
class Scenario(BaseModel):
    """One named scenario: factor shocks (natural units) and/or a replayed window."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    shocks: dict[str, float] = {}
    replay: str | None = None
    horizon: str | None = None

    @field_validator("shocks")
    @classmethod
    def _finite(cls, v: dict[str, float]) -> dict[str, float]:
        for k, x in v.items():
            if not math.isfinite(x):
                raise ValueError(f"shock {k} = {x} is not a finite number")
        return v


class ScenarioFile(BaseModel):
    """A scenario TOML: ``[scenarios."name"]`` tables and ``[windows]`` of named event
    windows (``"name" = ["YYYY-MM-DD", "YYYY-MM-DD"]``) the report attributes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenarios: dict[str, Scenario] = {}
    windows: dict[str, tuple[str, str]] = {}


def load_scenarios(path: str | Path | None = None) -> ScenarioFile:
    """Read a scenario file (default: the shipped set); a bad key or value is a one-line
    :class:`InputError` naming the file and the key.

    Examples
    --------
    >>> sorted(load_scenarios().scenarios)
    ['2022 rate shock', 'credit stress', 'dovish surprise', 'soft CPI']
    """
    p = Path(path) if path is not None else scenarios_path()
    try:
        data = toml_loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"scenario file {p} not found") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"scenario file {p} is not readable TOML ({exc})") from None
    except RecursionError:
        raise InputError(f"scenario file {p} nests arrays or tables too deeply to read") from None
    from macroattr.core.validation import validate

    out = validate(ScenarioFile, data, f"scenario file {p}")  # every bad key, in one line
    for name, sc in out.scenarios.items():
        if not sc.shocks and sc.replay is None:
            raise InputError(f"scenario file {p}: scenarios.{name} has neither shocks nor replay")
    return out


# --------------------------------------------------------------------------- the result
@dataclass
class ScenarioResult:
    """A scenario's predictive distribution, draw by draw.

    Attributes
    ----------
    name, description : str
    shocks : dict
        Factor -> move over the horizon (natural units) applied.
    horizon : str
        Label, e.g. ``1 session`` or ``2022Q2 (63 sessions)``.
    periods : int
        Native periods in the horizon.
    as_of : str
        Date of the betas used (the fit's end).
    components : list of str
        ``alpha``, each group, ``residual``; ``draws`` columns, summing to the total.
    draws : numpy.ndarray
        (sample, component).
    baseline : numpy.ndarray
        (sample,) the same draws without any shock.
    shock_table : pandas.DataFrame
        factor, group, shock, unit, largest_move, beyond_data.
    unit : str
        Target unit over the horizon.
    """

    name: str
    description: str
    shocks: dict[str, float]
    horizon: str
    periods: int
    as_of: str
    components: list[str]
    draws: np.ndarray
    baseline: np.ndarray
    shock_table: pd.DataFrame
    unit: str
    hdi: float = 0.9
    notes: list[str] = field(default_factory=list)
    #: the same moves through another model's betas (:func:`cross_check`): label, mean,
    #: hdi_low, hdi_high, disagree (opposite signs of the means), note
    other: dict[str, Any] | None = None

    @property
    def effect(self) -> np.ndarray:
        """The shock's effect per draw: total minus the no-shock baseline."""
        return self.total - self.baseline

    @property
    def total(self) -> np.ndarray:
        """Predictive relative return over the horizon, per draw."""
        return self.draws.sum(axis=1)

    @property
    def flags(self) -> list[str]:
        """One line per shock beyond the largest move of that factor in the data."""
        from macroattr.data_pipelines.catalog import label_of

        t = self.shock_table[self.shock_table["beyond_data"]]
        out = [f"{label_of(r.factor)} {move_text(r.factor, r.shock, r.unit)} is beyond the largest "
               f"{self.horizon} move in the fit's data "
               f"({move_text(r.factor, r.largest_move, r.unit, signed=False)})" for r in t.itertuples()]
        o = self.other
        if o is not None and o.get("disagree"):
            mine = float(self.effect.mean())
            out.append(f"SIGN DISAGREEMENT: {o['label']} gives {o['mean']:+.2f} pp "
                       f"({100 * self.hdi:.3g}% HDI {o['hdi_low']:+.2f} to {o['hdi_high']:+.2f}) "
                       f"where this model gives {mine:+.2f} pp: the shipped models do not agree "
                       f"on the sign of this effect")
        return out

    def table(self, hdi: float | None = None) -> pd.DataFrame:
        """``component, mean, median, hdi_low, hdi_high, unit``: alpha, each group and the
        residual (they add up to ``total``, the predictive relative return, draw by draw),
        then ``baseline`` (no shock) and ``shock_effect`` (total minus baseline)."""
        arr = np.column_stack([self.draws, self.total, self.baseline, self.total - self.baseline])
        names = [*self.components, "total", "baseline", "shock_effect"]
        s = summarise_draws(arr, self.hdi if hdi is None else hdi)
        return pd.DataFrame({"component": names, "mean": s["mean"], "median": s["median"],
                             "hdi_low": s["hdi_low"], "hdi_high": s["hdi_high"], "unit": self.unit})

    def shocks_text(self) -> str:
        """The shocks in reader labels and the units readers count them in:
        ``2-year Treasury yield -25 bp, Baa corporate spread +100 bp`` (ids stay in
        :attr:`shock_table`)."""
        from macroattr.data_pipelines.catalog import label_of

        return ", ".join(f"{label_of(r.factor)} {move_text(r.factor, r.shock, r.unit)}"
                         for r in self.shock_table.itertuples()) or "no shock"

    def summary_line(self) -> str:
        t = self.table().set_index("component")
        pct = f"{100 * self.hdi:.3g}%"
        return (f"{self.name} ({self.shocks_text()}; horizon {self.horizon}; betas as of "
                f"{self.as_of}): relative return {t.loc['total', 'mean']:+.2f} {self.unit} "
                f"({pct} HDI {t.loc['total', 'hdi_low']:+.2f} to {t.loc['total', 'hdi_high']:+.2f}), "
                f"effect vs baseline {t.loc['shock_effect', 'mean']:+.2f} ({pct} HDI "
                f"{t.loc['shock_effect', 'hdi_low']:+.2f} to {t.loc['shock_effect', 'hdi_high']:+.2f})")

    def __repr__(self) -> str:
        return f"<ScenarioResult {self.summary_line()}>"

    def _repr_html_(self) -> str:
        flags = "".join(f"<p style='color:#c00'>{html.escape(f)}</p>" for f in self.flags)
        return (f"<div><h4>Scenario: {html.escape(self.name)}</h4>"
                f"<p>{html.escape(self.summary_line())}</p>{flags}"
                f"{self.table().round(3).to_html(index=False)}</div>")


def _factor_units(fit: Any) -> dict[str, str]:
    units = dict((getattr(fit.panel, "meta", {}) or {}).get("units", {}) or {})
    units.update(getattr(fit.config, "units", None) or {})
    return units


def _largest_moves(fit: Any, factors: list[str], n: int) -> dict[str, float]:
    """Largest absolute sum of ``n`` consecutive periods of each factor in the fit's data."""
    data = fit.panel.data.loc[fit_dates(fit)]
    out = {}
    for f in factors:
        x = data[f].astype(float)
        out[f] = float(x.rolling(n).sum().abs().max()) if len(x) >= n else float("nan")
    return out


#: A shock over this many times the largest move of its factor the fit's data hold over the
#: same horizon is refused (a move no market made: 1e308 pp, a typo of units).
SHOCK_MAX_RATIO = 100.0


def check_shock_size(fit: Any, factor: str, value: float, n: int, horizon: str) -> None:
    """InputError when ``value`` is more than :data:`SHOCK_MAX_RATIO` times the largest move
    of ``factor`` over ``n`` periods in the fit's data (naming the factor, the value, that
    move and its date)."""
    dates = fit_dates(fit)
    x = fit.panel.data.loc[dates, factor].astype(float)
    moves = x.rolling(max(1, n), min_periods=1).sum().abs()
    if not len(moves) or not np.isfinite(moves.max()) or moves.max() <= 0:
        return
    top, when = float(moves.max()), moves.idxmax()
    if abs(value) > SHOCK_MAX_RATIO * top:
        unit = (getattr(fit.panel, "units", {}) or {}).get(factor, "")
        u = f" {unit}" if unit else ""
        raise InputError(f"shock {factor} = {value:g}{u} is over {SHOCK_MAX_RATIO:g} times the "
                         f"largest {horizon} move of {factor} in the fit's data ({top:.4g}{u}, "
                         f"to {pd.Timestamp(when):%Y-%m-%d}); give the move in the factor's "
                         f"natural units (pp: -0.25 = 25 bp lower)")


def run_scenario(fit: Any, shocks: dict[str, float] | None = None, *, replay: str | None = None,
                 horizon: str | None = None, hdi: float = 0.9, name: str | None = None,
                 description: str = "", seed: int | None = None) -> ScenarioResult:
    """The predictive relative return given factor shocks and/or a replayed window.

    Parameters
    ----------
    fit
        Any macroattr fit.
    shocks
        Factor -> move over the horizon in the factor's natural units; factors not named
        stay at zero change. Unknown names raise an :class:`InputError` listing valid ones.
    replay
        A past window (``2022Q2``, ``2022-06``, ``2022``, ``START:END``) whose realised factor
        moves (sums over the window) are applied; the horizon is that window's length.
        ``shocks`` override replayed factors.
    horizon
        ``1D``, ``1M``, ``1Q``, ... (default one native period); not with ``replay``.
    hdi, name, description
        Interval mass and labels (default name: ``replay WINDOW`` or ``custom``).
    seed
        Seed of the residual draws (default: the fit's seed + 3); the baseline uses the same
        draws, so an all-zero scenario equals the baseline exactly.
    """
    if not 0 < hdi < 1:
        raise InputError(f"hdi {hdi!r} must be between 0 and 1 (e.g. 0.9)")
    state = state_at_end(fit, "revised")  # at the end = real time, with the P(varies) mixture
    factors = state["factors"]
    shocks = dict(shocks or {})
    unknown = [k for k in shocks if k not in factors]
    if unknown:
        raise InputError(f"unknown shock {unknown[0]!r}; valid factors of this fit: "
                         f"{', '.join(factors)}")
    applied: dict[str, float] = {}
    if replay is not None:
        if horizon is not None:
            raise InputError("a replay's horizon is its window's length; drop --horizon")
        s, e, label = parse_period(replay, "replay window")
        dates = fit_dates(fit)
        inside = dates[(dates >= s) & (dates <= e)]
        if s < dates[0] - pd.Timedelta(days=4) or e > dates[-1] + pd.Timedelta(days=4):
            raise InputError(f"replay window {label} is outside the fit's data ({dates[0]:%Y-%m-%d} "
                             f"to {dates[-1]:%Y-%m-%d}); choose a window inside it")
        if len(inside) == 0:
            raise InputError(f"replay window {label} holds no {'daily' if fit.freq == 'D' else 'monthly'} "
                             f"period of the fit; choose a longer window")
        moves = fit.panel.data.loc[inside, factors].astype(float).sum()
        applied.update({f: float(moves[f]) for f in factors})
        n = len(inside)
        noun = _NOUN["D" if fit.freq == "D" else "M"]
        horizon_label = f"{label} ({n} {noun[0] if n == 1 else noun[1]})"
    else:
        n, horizon_label = parse_horizon(horizon, fit.freq)
    applied.update({k: float(v) for k, v in shocks.items()})
    for k, v in applied.items():
        if not math.isfinite(v):
            raise InputError(f"shock {k} = {v} is not a finite number")
    for k, v in shocks.items():
        check_shock_size(fit, k, float(v), n, horizon_label)

    beta = state["beta"]  # (sample, factor)
    S = beta.shape[0]
    x = np.array([applied.get(f, 0.0) for f in factors])
    groups = {g: [f for f in cols if f in factors] for g, cols in fit.groups.items()}
    comps = ["alpha", *groups, "residual"]
    draws = np.empty((S, len(comps)))
    draws[:, 0] = n * state["alpha"]
    for gi, cols in enumerate(groups.values(), start=1):
        idx = [factors.index(f) for f in cols]
        draws[:, gi] = beta[:, idx] @ x[idx] if idx else 0.0
    rng = np.random.default_rng((fit.config.sampler.seed + 3) if seed is None else seed)
    sig = np.repeat(state["sigma"][:, None], n, axis=1)
    draws[:, -1] = noise(rng, sig, state["nu"]).sum(axis=1)
    baseline = draws[:, 0] + draws[:, -1]

    units = _factor_units(fit)
    big = _largest_moves(fit, [f for f in factors if f in applied], n)
    fg = {f: g for g, cols in groups.items() for f in cols}
    rows = [(f, fg.get(f, ""), applied[f], units.get(f, ""), big[f],
             bool(abs(applied[f]) > big[f] + 1e-12)) for f in factors if f in applied]
    shock_table = pd.DataFrame(rows, columns=["factor", "group", "shock", "unit", "largest_move",
                                              "beyond_data"])
    if name is None:
        name = f"replay {replay}" + (" with shocks" if shocks else "") if replay else "custom"
    per = {"D": "session", "M": "month"}.get(fit.freq, fit.freq)
    unit = f"{fit.target_unit} per {per}" if n == 1 else f"{fit.target_unit} over {n} {per}s"
    return ScenarioResult(name=name, description=description, shocks=applied, horizon=horizon_label,
                          periods=n, as_of=f"{state['date']:%Y-%m-%d}", components=comps,
                          draws=draws, baseline=baseline, shock_table=shock_table, unit=unit, hdi=hdi)


def cross_check(result: ScenarioResult, other: Any, label: str) -> dict[str, Any]:
    """The scenario's factor moves through another model's betas at its end (the other
    shipped model: static monthly beside the daily state-space one), stored on
    ``result.other`` and returned: ``label, mean, hdi_low, hdi_high, disagree, note``.

    The effect of a shock (total minus the no-shock baseline) is the betas times the moves,
    whatever the horizon, so a daily and a monthly model compare directly. ``disagree`` is
    True when the two posterior means have opposite signs (then ``result.flags`` says so).
    A move of a factor the other model lacks makes the comparison not applicable (note).
    """
    have = set(state_at_end(other)["factors"])
    missing = [f for f, v in result.shocks.items() if f not in have and v != 0]
    if missing:
        result.other = {"label": label, "mean": float("nan"), "hdi_low": float("nan"),
                        "hdi_high": float("nan"), "disagree": False,
                        "note": f"not applicable: {label} has no {', '.join(missing)}"}
        return result.other
    shocks = {f: v for f, v in result.shocks.items() if f in have}
    r = run_scenario(other, shocks, hdi=result.hdi, name=result.name)
    eff = r.effect
    s = summarise_draws(eff[:, None], result.hdi)
    mean, mine = float(s["mean"][0]), float(result.effect.mean())
    result.other = {"label": label, "mean": mean, "hdi_low": float(s["hdi_low"][0]),
                    "hdi_high": float(s["hdi_high"][0]),
                    "disagree": bool(mean * mine < 0), "note": ""}
    return result.other


def run_scenarios(fit: Any, scenarios: ScenarioFile | str | Path | None = None, hdi: float = 0.9,
                  names: list[str] | None = None, other: Any = None,
                  other_label: str = "the other shipped model"
                  ) -> tuple[list[ScenarioResult], list[str]]:
    """Run a scenario set on a fit (default: the shipped set).

    Returns the results and one note per scenario that does not apply to this fit (a factor
    the fit lacks, a replay window outside its data), naming why. With ``other`` (a fit of
    another model) each result is cross-checked (:func:`cross_check`).
    """
    sf = scenarios if isinstance(scenarios, ScenarioFile) else load_scenarios(scenarios)
    if names is not None:
        unknown = [n for n in names if n not in sf.scenarios]
        if unknown:
            raise InputError(f"unknown scenario {unknown[0]!r}; scenarios in the file: "
                             f"{', '.join(sf.scenarios)}")
    results, skipped = [], []
    for name, sc in sf.scenarios.items():
        if names is not None and name not in names:
            continue
        try:
            results.append(run_scenario(fit, sc.shocks, replay=sc.replay, horizon=sc.horizon,
                                        hdi=hdi, name=name, description=sc.description))
            if other is not None:
                cross_check(results[-1], other, other_label)
        except InputError as exc:
            if names is not None:
                raise InputError(f"scenario {name!r}: {exc}") from None
            skipped.append(f"{name}: not applicable to this fit ({exc})")
    return results, skipped
