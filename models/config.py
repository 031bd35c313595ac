"""Model configuration: groups, model structure, priors, sampler and convergence gate.

A :class:`ModelConfig` is read from TOML (``configs/default.toml``) and validated with
pydantic; an unknown key or a bad value raises :class:`~macroattr.core.errors.InputError`
naming the key. Priors act on the *standardised* scale the model samples on (factors and
``rel_return`` divided by their standard deviations), so they are scale-free; every
reported number is converted back to natural units.
"""

from __future__ import annotations

from macroattr.core.io import toml_loads

import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from macroattr.core.errors import InputError

__all__ = [
    "GateConfig",
    "ModelConfig",
    "ModelSpec",
    "PriorConfig",
    "SamplerConfig",
    "StateSpaceConfig",
]


class _Section(BaseModel):
    # inf / nan in a config number is refused where it enters (beta_sd = inf, ...)
    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False, allow_inf_nan=False)


#: Largest prior scale accepted (standardised units: a prior sd of 10,000 sd is already flat;
#: larger ones overflow the samplers' arithmetic) and largest Gamma / inverse-gamma parameter.
_PRIOR_SD_MAX = 1e4
_PRIOR_SHAPE_MAX = 1e6


class PriorConfig(_Section):
    """Prior hyper-parameters on the standardised scale.

    ``alpha_sd`` and ``beta_sd`` are Normal scales of the intercept and of a factor's
    coefficient (a one-sd factor move, in sd of ``rel_return``); with pooling, the
    coefficients of a group of two or more factors share a mean ``~ Normal(0, group_sd)``
    and deviate from it with sd ``group_tau``.
    ``sigma_sd`` is the HalfNormal scale of the residual sd; ``nu_shape``/``nu_rate`` the Gamma
    prior of the Student-t degrees of freedom. ``tv_scale_median`` and ``tv_scale_log_sd`` set
    the log-normal prior of each factor's random-walk innovation sd *per year* for
    time-varying betas. ``sigma2_shape``/``sigma2_scale`` are the inverse-gamma prior of the
    residual variance used by the conjugate family (``family = "conjugate"`` and the exact
    method), where coefficient priors are scaled by the residual sd.
    """

    family: Literal["weakly_informative", "conjugate"] = "weakly_informative"
    alpha_sd: float = Field(1.0, gt=0, le=_PRIOR_SD_MAX)
    beta_sd: float = Field(0.5, gt=0, le=_PRIOR_SD_MAX)
    pooling: bool = True
    group_sd: float = Field(0.5, gt=0, le=_PRIOR_SD_MAX)
    group_tau: float = Field(0.25, gt=0, le=_PRIOR_SD_MAX)
    sigma_sd: float = Field(1.0, gt=0, le=_PRIOR_SD_MAX)
    nu_shape: float = Field(2.0, gt=0, le=_PRIOR_SHAPE_MAX)
    nu_rate: float = Field(0.1, gt=0, le=_PRIOR_SHAPE_MAX)
    tv_scale_median: float = Field(0.1, gt=0, le=_PRIOR_SD_MAX)
    tv_scale_log_sd: float = Field(1.0, gt=0, le=_PRIOR_SD_MAX)
    sigma2_shape: float = Field(2.0, gt=0, le=_PRIOR_SHAPE_MAX)
    sigma2_scale: float = Field(1.0, gt=0, le=_PRIOR_SHAPE_MAX)


class ModelSpec(_Section):
    """Model structure: static, time-varying (knot grid) or state-space betas, Student-t or
    normal errors (state-space fits: normal errors with time-varying volatility; see
    :class:`StateSpaceConfig`)."""

    betas: Literal["static", "time_varying", "state_space"] = "static"
    likelihood: Literal["student_t", "normal"] = "student_t"
    knots_per_year: float = Field(2.0, gt=0, le=52)


class SamplerConfig(_Section):
    """How the posterior is drawn.

    ``method = "nuts"`` samples with ``name`` (``pymc``, ``nutpie`` or ``numpyro``);
    ``method = "exact"`` draws iid from the closed-form normal-inverse-gamma posterior of
    the static normal model (an instant preview; ignores Student-t and pooling), or for
    ``betas = "state_space"`` runs the conjugate dynamic linear model (forward filter,
    backward sampler, discounts averaged over the ``[state_space]`` grids).
    ``adaptation = "low_rank"`` (nutpie only) adapts a low-rank mass matrix; on the
    time-varying models it was ~40x slower than ``"diag"`` and diverged (benchmarks/RESULTS.md).
    ``cores``: threads the chains may run on (None: the sampler's default, one per core);
    ``macroattr backtest``/``grid`` set it to 1 on each Dask worker so that workers x
    chains never oversubscribe the machine. It does not change the draws.
    """

    method: Literal["nuts", "exact"] = "nuts"
    name: Literal["pymc", "nutpie", "numpyro"] = "nutpie"
    draws: int = Field(1000, ge=10)
    tune: int = Field(1000, ge=0)
    chains: int = Field(4, ge=1, le=64)
    seed: int = Field(20240701, ge=0)
    target_accept: float = Field(0.9, gt=0.5, lt=1.0)
    adaptation: Literal["diag", "low_rank"] = "diag"
    cores: int | None = Field(None, ge=1)


class StateSpaceConfig(_Section):
    """The ``[state_space]`` table: the state-space model of ``betas = "state_space"``.

    ``beta_discounts`` and ``variance_discounts`` are the grids of discount factors the
    exact method averages over by marginal likelihood: a state discount ``delta`` lets
    alpha and the betas drift (their random-walk variance is ``(1 - delta) / delta`` of
    their current uncertainty each period; 1 = static, 0.999 on daily data ~ a 1,000-day
    memory), a variance discount lets the residual volatility drift (1 = constant).
    ``scale_years``: the prior is set on factors and target divided by a fixed reference
    scale per catalog column (:mod:`macroattr.data_pipelines.scales`, the 1990–1999
    pre-sample: the same prior whatever the span); a column without one (a user's own) is
    scaled by its mean and sd over this many first years of the span (so the real-time
    filtered values use no later data). ``static_prob`` is the prior probability that a
    beta does not drift at all: P(varies) per factor averages the models in which each
    subset of factors is held static (``Fit.p_varies``). ``monitor``: forecast monitoring
    with automatic intervention (West & Harrison ch. 11,
    :mod:`macroattr.models.statespace.monitor`; exact method): when the one-step-ahead
    forecasts keep failing, by a Bayes factor below ``monitor_threshold`` against "the state
    jumped when the failures began", the state's uncertainty is inflated for one step (its
    discount times ``intervention_discount``), so an abrupt break is tracked in days, not
    months; the interventions are listed on the page (``Fit.interventions``).
    """

    beta_discounts: list[float] = Field(
        default_factory=lambda: [0.98, 0.99, 0.995, 0.998, 0.999, 0.9995, 0.9998, 1.0])
    variance_discounts: list[float] = Field(
        default_factory=lambda: [0.9, 0.95, 0.98, 0.99, 1.0])
    scale_years: float = Field(2.0, gt=0, le=100)
    static_prob: float = Field(0.5, ge=0, lt=1)
    monitor: bool = True
    monitor_threshold: float = Field(0.02, gt=0, lt=1)
    intervention_discount: float = Field(0.1, gt=0, lt=1)

    @field_validator("beta_discounts", "variance_discounts")
    @classmethod
    def _check_discounts(cls, v: list[float]) -> list[float]:
        if not v:
            raise ValueError("give at least one discount factor in (0, 1]")
        for x in v:
            if not 0.0 < x <= 1.0:
                raise ValueError(f"discount {x:g} is outside (0, 1]; use 1 (no change) or a "
                                 "value a bit below 1 (e.g. 0.99)")
        return sorted(set(float(x) for x in v))


class GateConfig(_Section):
    """Convergence gate thresholds; the verdict is saved with the fit."""

    rhat_max: float = Field(1.01, gt=1.0)
    ess_bulk_min: float = Field(400.0, ge=0)
    divergences_max: int = Field(0, ge=0)


class ModelConfig(_Section):
    """A full model configuration.

    Parameters
    ----------
    groups
        Mapping of group name to the panel columns (factors) in it, e.g.
        ``{"rates": ["d_2y", "d_policy_path"], "leverage": ["d_baa_spread"]}``. ``None``
        (no ``[groups]`` table) takes the panel's own grouping (``panel.meta["groups"]``).
    units
        Optional ``[units]`` table: the unit of a panel column (``"pp"``, ``"bp"``,
        ``"log change"``, ...). Coefficients read "pp per 100 bp" and so on; a column with
        no unit (a plain CSV panel without a sidecar) reads "pp per unit of COLUMN".
    start, end
        Optional fit span (ISO dates) inside the panel's common span.

    Examples
    --------
    >>> cfg = ModelConfig(groups={"rates": ["d_2y"], "leverage": ["d_baa_spread"]})
    >>> cfg.factors
    ['d_2y', 'd_baa_spread']
    >>> cfg.override(likelihood="normal", draws=200).model.likelihood
    'normal'
    """

    groups: dict[str, list[str]] | None = None
    units: dict[str, str] | None = None
    target: str = "rel_return"
    start: str | None = None
    end: str | None = None
    model: ModelSpec = Field(default_factory=ModelSpec)
    priors: PriorConfig = Field(default_factory=PriorConfig)
    sampler: SamplerConfig = Field(default_factory=SamplerConfig)
    gate: GateConfig = Field(default_factory=GateConfig)
    state_space: StateSpaceConfig = Field(default_factory=StateSpaceConfig)

    @field_validator("groups")
    @classmethod
    def _check_groups(cls, v: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        if v is None:
            return v
        if not v:
            raise ValueError("at least one group of factors is needed")
        seen: set[str] = set()
        for g, cols in v.items():
            if g in {"alpha", "residual", "total"}:
                raise ValueError(f"group name {g!r} is reserved; rename it")
            if not cols:
                raise ValueError(f"group {g!r} lists no factors")
            for c in cols:
                if c in seen:
                    raise ValueError(f"factor {c!r} is listed in more than one group")
                seen.add(c)
        return v

    @field_validator("start", "end")
    @classmethod
    def _check_date(cls, v: str | None) -> str | None:
        if v is None:
            return v
        from macroattr.core.dates import parse_date
        from macroattr.core.errors import InputError

        try:  # ISO only (05/06/2024 is ambiguous), in pandas' range
            parse_date(v, "")
        except InputError as exc:
            raise ValueError(str(exc).strip()) from None
        return str(v)

    # ------------------------------------------------------------------ helpers
    @property
    def factors(self) -> list[str]:
        """Factor columns in group order."""
        return [c for cols in (self.groups or {}).values() for c in cols]

    @property
    def factor_group(self) -> dict[str, str]:
        """Map factor -> group."""
        return {c: g for g, cols in (self.groups or {}).items() for c in cols}

    def for_panel(self, panel: Any) -> ModelConfig:
        """This config with ``groups`` filled from ``panel.meta["groups"]`` when unset."""
        if self.groups is not None:
            return self
        groups = (getattr(panel, "meta", {}) or {}).get("groups")
        if not groups:
            raise InputError("the config has no [groups] and the panel's meta has none; "
                             "add a [groups] table naming the factor columns")
        data = self.model_dump()
        data["groups"] = {g: list(c) for g, c in groups.items() if c}
        return ModelConfig.from_dict(data, source="panel groups")

    def structure_key(self) -> tuple[Any, ...]:
        """What the compiled sampler depends on (not prior values, data or span)."""
        return (
            tuple((g, len(c)) for g, c in (self.groups or {}).items()),
            self.model.betas,
            self.model.likelihood,
            self.priors.family,
            self.priors.pooling,
        )

    def override(self, **kw: Any) -> ModelConfig:
        """Return a copy with flat overrides applied (``betas``, ``likelihood``, ``method``,
        ``name``/``sampler``, ``draws``, ``tune``, ``chains``, ``seed``, ``target_accept``,
        ``start``, ``end``); ``None`` values are ignored. Validates the result.

        Examples
        --------
        >>> ModelConfig(groups={"r": ["d_2y"]}).override(seed=3, method="exact").sampler.seed
        3
        """
        data = self.model_dump()
        where = {
            "betas": "model", "likelihood": "model", "knots_per_year": "model",
            "method": "sampler", "name": "sampler", "sampler": "sampler", "draws": "sampler",
            "tune": "sampler", "chains": "sampler", "seed": "sampler", "target_accept": "sampler",
            "adaptation": "sampler", "cores": "sampler",
        }
        for k, v in kw.items():
            if v is None:
                continue
            if k in ("start", "end", "target", "groups"):
                data[k] = v
            elif k in where:
                data[where[k]]["name" if k == "sampler" else k] = v
            elif k in PriorConfig.model_fields:
                data["priors"][k] = v
            elif k in GateConfig.model_fields:
                data["gate"][k] = v
            elif k in StateSpaceConfig.model_fields:
                data["state_space"][k] = v
            else:
                raise InputError(f"unknown configuration override {k!r}")
        return ModelConfig.from_dict(data)

    # ------------------------------------------------------------------ I/O
    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "configuration") -> ModelConfig:
        """Validate a mapping; one InputError line lists every offending key.

        Examples
        --------
        >>> ModelConfig.from_dict({"groups": {"r": ["d_2y"]}, "model": {"betas": "x"}})
        Traceback (most recent call last):
        ...
        macroattr.core.errors.InputError: configuration: model.betas: ...
        """
        from macroattr.core.validation import validate

        return validate(cls, data, source)  # every bad key or value, in one line

    @classmethod
    def from_toml(cls, path: str | Path) -> ModelConfig:
        """Read and validate a TOML configuration file.

        A ``[panel]`` table (how the application builds the panel: frequency, span, user
        files; see :mod:`macroattr.jobs.run_config`) is not a model setting and is skipped here.

        Examples
        --------
        >>> import pathlib, tempfile
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.toml"
        >>> _ = p.write_text('[groups]\\nrates = ["d_2y"]\\n[sampler]\\ndraws = 500\\n')
        >>> ModelConfig.from_toml(p).sampler.draws
        500
        """
        from macroattr.core.io import read_text_bounded

        path = Path(path)
        text = read_text_bounded(path, "config")  # bounded: binary or endless files refused
        try:
            data = toml_loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"config {path} is not valid TOML: {exc}") from None
        except RecursionError:
            raise InputError(f"config {path} nests arrays or tables too deeply to read") from None
        data.pop("panel", None)
        return cls.from_dict(data, source=f"config {path}")

    @classmethod
    def default(cls) -> ModelConfig:
        """The shipped default (``configs/default.toml``): the daily state-space model,
        exact method."""
        return cls.from_toml(default_config_path())

    @classmethod
    def shipped(cls, name: str) -> ModelConfig:
        """A shipped configuration by name: ``"default"`` (daily state space) or
        ``"static_monthly"``. (The knot-grid time-varying configs were retired: the state-space
        model supersedes them; ``override(betas="time_varying")`` still builds that model.)

        Examples
        --------
        >>> ModelConfig.shipped("static_monthly").model.betas
        'static'
        >>> ModelConfig.shipped("default").model.betas
        'state_space'
        """
        from macroattr.configs import config_path, names

        path = config_path(name)
        if not path.is_file():
            raise InputError(f"no shipped configuration {name!r}; choose one of "
                             f"{', '.join(n for n in names() if n != 'scenarios')}")
        return cls.from_toml(path)

    def to_json(self) -> str:
        """Serialise (used inside saved fits)."""
        return json.dumps(self.model_dump(), sort_keys=False)

    @classmethod
    def from_json(cls, text: str) -> ModelConfig:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text), source="saved configuration")

    def to_toml(self) -> str:
        """Render as TOML (for reports and reproducing a fit)."""
        d = self.model_dump()
        lines: list[str] = []
        for k in ("target", "start", "end"):
            if d[k] is not None:
                lines.append(f"{k} = {json.dumps(d[k])}")
        if d["groups"] is not None:
            lines.append("\n[groups]")
            # a group name that is not a bare TOML key (spaces, accents, symbols) is quoted
            lines += [f"{json.dumps(g, ensure_ascii=False)} = {json.dumps(c)}" for g, c in d["groups"].items()]
        if d.get("units"):
            lines.append("\n[units]")
            lines += [f"{json.dumps(c)} = {json.dumps(u)}" for c, u in d["units"].items()]
        for sec in ("model", "priors", "sampler", "gate", "state_space"):
            lines.append(f"\n[{sec}]")
            for k, v in d[sec].items():
                if v is None:  # TOML has no null: an unset optional key is left out
                    continue
                lines.append(f"{k} = {json.dumps(v)}")
        return "\n".join(lines).lstrip() + "\n"


def default_config_path() -> Path:
    """Path of the shipped default configuration (package data of ``macroattr.configs``)."""
    from macroattr.configs import config_path

    return config_path("default")
