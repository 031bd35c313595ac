"""The specification file of ``macroattr grid``: its schema and :func:`load_specs`.

The file's format is described in :mod:`macroattr.jobs.grid`. Its shape is pydantic models
(``[grid]``, ``[grid.backtest]``, each ``[[spec]]``); each spec, merged onto its base
config, is checked by :class:`~macroattr.models.ModelConfig` and
:class:`~macroattr.data_pipelines.settings.PanelSettings`. Every problem in the file is
listed in one :class:`~macroattr.core.errors.InputError` line
(:func:`macroattr.core.validation.problems`) and nothing runs.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from macroattr.core.errors import InputError
from macroattr.core.io import toml_loads
from macroattr.core.validation import problems

__all__ = ["GridSpec", "load_specs"]

_FILES = ("target_csv", "futures_csv", "consensus_csv", "events_csv")


def _checked(fn: Callable[[str], Any]) -> Callable[[Any], Any]:
    """A pydantic before-validator from one of the one-line parsers (its InputError text
    becomes the problem's message)."""
    def check(v: Any) -> Any:
        if v is None:
            return v
        try:
            fn(str(v))
        except InputError as exc:
            raise ValueError(str(exc)) from None
        return str(v)
    return check


def _window(v: str) -> Any:
    from macroattr.models.evaluation.backtest import parse_window

    return parse_window(v)


def _step(v: str) -> Any:
    from macroattr.models.evaluation.backtest import parse_step

    return parse_step(v)


def _period(v: str) -> Any:
    from macroattr.core.dates import period_bounds

    return period_bounds(v)


def _quarter(v: str) -> Any:
    from macroattr.core.periods import resolve_quarter

    return resolve_quarter(v, [v.strip().upper()])


class _Backtest(BaseModel):
    """``[grid.backtest]``: the origins every spec is backtested on."""

    model_config = ConfigDict(extra="forbid")

    start: Annotated[str, BeforeValidator(_checked(_period))]
    end: Annotated[str, BeforeValidator(_checked(_period))]
    window: Annotated[str, BeforeValidator(_checked(_window))] = "expanding"
    step: Annotated[str, BeforeValidator(_checked(_step))] = "1Q"


def _shifts(v: Any) -> Any:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ValueError(f"placebo_shifts {v!r} must be a whole number >= 1")
    return v


class _GridTable(BaseModel):
    """``[grid]``: the base config, headline quarter, HDI, placebo and backtest."""

    model_config = ConfigDict(extra="forbid")

    config: str | None = None
    quarter: Annotated[str | None, BeforeValidator(_checked(_quarter))] = None
    hdi: float = Field(0.9, gt=0, lt=1)
    placebo: str | None = None
    placebo_shifts: Annotated[int, BeforeValidator(_shifts)] = 6
    backtest: _Backtest | None = None


class _SpecEntry(BaseModel):
    """One ``[[spec]]``: the base config with some tables replaced (checked as a whole by
    :class:`ModelConfig` and :class:`PanelSettings` once merged)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    config: str | None = None
    groups: dict[str, Any] | None = None
    units: dict[str, Any] | None = None
    model: dict[str, Any] | None = None
    priors: dict[str, Any] | None = None
    sampler: dict[str, Any] | None = None
    gate: dict[str, Any] | None = None
    panel: dict[str, Any] | None = None
    start: Any = None
    end: Any = None
    target: Any = None


_NO_SPEC = "no [[spec]] entries; add at least one (name = \"...\")"


class _SpecFile(BaseModel):
    """A specification file: ``[grid]`` and the ``[[spec]]`` entries (each checked alone)."""

    model_config = ConfigDict(extra="forbid")

    grid: _GridTable = Field(default_factory=_GridTable)
    spec: list[dict[str, Any]] = Field(min_length=1)


@dataclass
class GridSpec:
    """A validated specification file."""

    path: Path
    specs: dict[str, Any]                 # name -> RunConfig
    quarter: str | None = None
    hdi: float = 0.9
    placebo: str | None = None
    placebo_shifts: int = 6
    backtest: dict[str, str] | None = None


def _read_toml(path: Path, errors: list[str], what: str) -> dict[str, Any] | None:
    try:
        return toml_loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        errors.append(f"{what}: cannot read {path}: {exc.strerror or exc}")
    except tomllib.TOMLDecodeError as exc:
        errors.append(f"{what}: {path} is not valid TOML: {exc}")
    except RecursionError:
        errors.append(f"{what}: {path} nests arrays or tables too deeply to read")
    except UnicodeDecodeError:
        errors.append(f"{what}: {path} is binary, not TOML text")
    return None


def _abs_files(panel: dict[str, Any], base: Path) -> dict[str, Any]:
    out = dict(panel)
    for k in _FILES:
        if isinstance(out.get(k), str) and not out[k].startswith("builtin:"):  # builtin:fomc is no file
            out[k] = str((base / out[k]).resolve())
    return out


def load_specs(path: str | Path, *, overrides: dict[str, Any] | None = None,
               quarter: str | None = None, placebo: str | None = None,
               placebo_shifts: int | None = None) -> GridSpec:
    """Read and validate a specification file; InputError listing **every** error.

    ``overrides`` (flat, as :meth:`ModelConfig.override`: method, draws, ...) apply to
    every specification.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.toml"
    >>> _ = p.write_text('[[spec]]\\nname = "a"\\n[[spec]]\\nname = "b"\\nmodel = {likelihood = "normal"}\\n')
    >>> g = load_specs(p)
    >>> list(g.specs), g.specs["b"].model.model.likelihood
    (['a', 'b'], 'normal')
    >>> _ = p.write_text('[[spec]]\\nname = "a"\\nmodle = {}\\n[[spec]]\\nmodel = {betas = "x"}\\n')
    >>> load_specs(p)
    Traceback (most recent call last):
    ...
    macroattr.core.errors.InputError: spec file ... has 3 errors (nothing was run): spec 1 'a': unknown key 'modle'...; spec 2: no name ...; spec 2: model.betas: ...
    """
    from macroattr.jobs.run_config import PanelSettings, RunConfig
    from macroattr.models.config import ModelConfig, default_config_path
    from macroattr.core.periods import resolve_quarter

    path = Path(path)
    errors: list[str] = []
    data = _read_toml(path, errors, "spec file")
    if data is None:
        raise InputError(f"spec file {path}: {errors[0].split(': ', 1)[1]}")
    here = path.resolve().parent
    try:  # the file's shape: [grid] (and [grid.backtest]) and a list of [[spec]] tables
        top = _SpecFile.model_validate({**data, "spec": data.get("spec") or []} if isinstance(data, dict) else data)
    except ValidationError as exc:
        errors += [_NO_SPEC if e.startswith("spec: List should have at least 1 item") else e
                   for e in problems(exc, _SpecFile)]
        top = None
    grid = top.grid if top is not None else _GridTable.model_construct(
        **{k: v for k, v in (data.get("grid") or {}).items() if k in _GridTable.model_fields}
        if isinstance(data.get("grid"), dict) else {})
    base_path = (here / grid.config) if isinstance(grid.config, str) else default_config_path()
    base = _read_toml(base_path, errors, "[grid] config") or {}
    base_dir = base_path.resolve().parent
    if "panel" in base and isinstance(base["panel"], dict):
        base["panel"] = _abs_files(base["panel"], base_dir)
    q = quarter or (grid.quarter if top is not None else None)
    if quarter is not None:
        try:
            q = resolve_quarter(str(quarter), [str(quarter).strip().upper()])
        except InputError as exc:
            errors.append(f"quarter: {exc}")
    elif q is not None:
        q = resolve_quarter(str(q), [str(q).strip().upper()])
    hdi = grid.hdi if top is not None else 0.9
    plac = placebo or (grid.placebo if top is not None else None)
    shifts = placebo_shifts if placebo_shifts is not None else (grid.placebo_shifts if top is not None else 6)
    if placebo_shifts is not None:
        try:
            _shifts(placebo_shifts)
        except ValueError as exc:
            errors.append(str(exc))
            shifts = 1
    bt = grid.backtest.model_dump() if top is not None and grid.backtest is not None else None
    specs_raw = data.get("spec", []) if isinstance(data, dict) else []
    if not isinstance(specs_raw, list):
        specs_raw = []
    specs: dict[str, Any] = {}
    seen: set[str] = set()
    for i, sp in enumerate(specs_raw, start=1):
        name = sp.get("name") if isinstance(sp, dict) else None
        tag = f"spec {i}" + (f" {name!r}" if name else "")
        if not isinstance(sp, dict):
            errors.append(f"{tag}: must be a table")
            continue
        if not isinstance(name, str) or not name.strip():
            errors.append(f"{tag}: no name (add name = \"...\")")
        elif name in specs or name in seen or name == "stacked":
            errors.append(f"{tag}: name {name!r} is " + ("reserved" if name == "stacked" else "used twice"))
        if isinstance(name, str):
            seen.add(name)
        try:
            _SpecEntry.model_validate(sp)
        except ValidationError as exc:
            errors += [f"{tag}: {e}" for e in problems(exc, _SpecEntry)]
        cfg = copy.deepcopy(base)
        if isinstance(sp.get("config"), str):
            own = _read_toml(here / sp["config"], errors, f"{tag} config")
            if own is None:
                continue
            cfg = own
            if isinstance(cfg.get("panel"), dict):
                cfg["panel"] = _abs_files(cfg["panel"], (here / sp["config"]).resolve().parent)
        for k, v in sp.items():
            if k in ("name", "config") or k not in _SpecEntry.model_fields:
                continue
            if k in ("model", "priors", "sampler", "gate", "panel") and isinstance(v, dict):
                v = _abs_files(v, here) if k == "panel" else v
                cfg[k] = {**(cfg.get(k) or {}), **v}
            else:
                cfg[k] = v
        panel_d = cfg.pop("panel", {}) or {}
        try:
            settings = PanelSettings.of(panel_d, tag, prefix="panel")
            settings.check_files(source=tag)
            model = ModelConfig.from_dict(cfg, source=tag)
            if overrides:
                model = model.override(**overrides)
        except InputError as exc:
            errors.append(str(exc))
            continue
        if plac is not None and model.groups is not None and plac not in model.factors:
            errors.append(f"{tag}: placebo factor {plac!r} is not among its factors "
                          f"({', '.join(model.factors)})")
        if isinstance(name, str) and name.strip() and name not in specs:
            specs[name] = RunConfig(panel=settings, model=model, path=path)
    if errors:
        n = len(errors)
        raise InputError(f"spec file {path} has {n} error{'s' if n > 1 else ''} (nothing was run): "
                         + "; ".join(errors))
    return GridSpec(path=path, specs=specs, quarter=q, hdi=float(hdi), placebo=plac,
                    placebo_shifts=int(shifts), backtest=bt)
