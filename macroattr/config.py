"""Run configuration: the ``[panel]`` table of a config file next to the model's settings.

A configuration TOML holds the model (``[groups]``, ``[model]``, ``[priors]``, ``[sampler]``,
``[gate]``: validated by :class:`models.ModelConfig`) and, optionally, the panel the model is
meant for::

    [panel]
    freq = "D"                 # "M" (month end to month end) or "D" (close to close)
    start = "2000-01-01"       # first period of the panel (default: the common span)
    end = "2024-12-31"         # last period
    factors = ["d_2y", "d_baa_spread"]   # catalog names (default: the model's [groups])
    as_of = "2024-10-15"       # only data published by then
    target_csv = "my_target.csv"         # user files, relative to the config file
    futures_csv = "ff_futures.csv"
    consensus_csv = "cpi_consensus.csv"
    events_csv = "events.csv"
    odds_csv = "election_odds.csv"       # date,probability (P(Republican wins), 0..1)
    stale = "drop"             # trim | drop | carry: factors that end before the target

:func:`load_run_config` splits the file: ``[panel]`` is validated here
(:class:`PanelSettings`, unknown keys and bad values are an ``InputError`` naming the key) and
the rest goes to :class:`models.ModelConfig`, which skips ``[panel]`` when it reads a file.
"""

from __future__ import annotations

from macroattr.core.io import toml_loads

import json
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from macroattr.core.errors import InputError

__all__ = ["PanelSettings", "RunConfig", "load_run_config"]

_FILES = ("target_csv", "futures_csv", "consensus_csv", "events_csv", "odds_csv")


class PanelSettings(BaseModel):
    """How the panel for a run is built (the arguments of :func:`data_pipelines.build_panel`).

    Parameters
    ----------
    freq
        ``"M"`` or ``"D"`` (lower case accepted).
    start, end, as_of
        ISO dates (``YYYY-MM-DD``) or None.
    factors
        Catalog factor names (a list or a comma-separated string); None takes the model's
        ``[groups]`` (or the catalog default when the model has none), plus one
        ``event_<label>`` per label of ``events_csv``.
    target_csv, futures_csv, consensus_csv, events_csv, odds_csv
        User CSV files (see :mod:`data_pipelines.user_files`; odds: :mod:`data_pipelines.election`).
    stale
        ``trim`` (the panel ends where the earliest-ending factor ends), ``drop`` (factors ending
        more than a period before the target are left out; a group left empty is dropped) or
        ``carry`` (0 after their last value); see :func:`data_pipelines.build_panel`.

    Examples
    --------
    >>> s = PanelSettings(freq="d", start="2020-01-01")
    >>> s.freq, s.noun
    ('D', 'days')
    >>> s.updated(freq="M", end=None).freq
    'M'
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    freq: Literal["M", "D"] = "M"
    start: str | None = None
    end: str | None = None
    factors: list[str] | None = None
    as_of: str | None = None
    target_csv: Path | None = None
    futures_csv: Path | None = None
    consensus_csv: Path | None = None
    events_csv: Path | None = None
    odds_csv: Path | None = None
    stale: Literal["trim", "drop", "carry"] = "trim"

    @field_validator("freq", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return v.strip().upper() if isinstance(v, str) else v

    @field_validator("start", "end", "as_of", mode="before")
    @classmethod
    def _date(cls, v: Any) -> str | None:
        if v is None:
            return None
        from macroattr.core.dates import parse_date

        try:  # ISO only (05/06/2024 is ambiguous), TOML date literals, in pandas' range
            return parse_date(v, "").strftime("%Y-%m-%d")
        except InputError as exc:
            raise ValueError(str(exc).strip()) from None

    @field_validator("factors", mode="before")
    @classmethod
    def _factor_list(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = [n.strip() for n in v.split(",") if n.strip()]
        if v is not None and not v:
            raise ValueError("empty factor list; name at least one factor or leave it out")
        return v

    @property
    def noun(self) -> str:
        """``"months"`` or ``"days"``."""
        return "months" if self.freq == "M" else "days"

    def updated(self, **kw: Any) -> PanelSettings:
        """A copy with the given settings replaced (``None`` values ignored); errors name the
        setting as the ``macroattr run`` option (``--target-csv``)."""
        data = self.model_dump()
        data.update({k: v for k, v in kw.items() if v is not None})
        return validate_panel(data, source="panel override", option_style=True)

    def check_files(self, source: str = "panel settings", option_style: bool = False) -> None:
        """InputError naming the setting (``panel.<key>`` or ``--<key>``) when a user file
        does not exist."""
        for k in _FILES:
            f = getattr(self, k)
            if f is not None and not str(f).startswith("builtin:") and not Path(f).is_file():
                where = (f"--{k.replace('_', '-')}: file {f} not found; check the path" if option_style
                         else f"panel.{k}: file {f} not found (a relative path is read from the "
                              f"config file's folder)")
                raise InputError(f"{source}: {where}")

    def resolved(self, base: str | os.PathLike[str]) -> PanelSettings:
        """User-file paths made absolute against ``base`` (a config file's directory)."""
        data = self.model_dump()
        for k in _FILES:
            if data[k] is not None and not str(data[k]).startswith("builtin:"):  # builtin:fomc is no file
                data[k] = (Path(base) / data[k]).resolve()
        return PanelSettings.model_validate(data)

    def build_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :func:`data_pipelines.build_panel` (without source/store)."""
        return self.model_dump()

    def key(self) -> str:
        """Canonical JSON of the settings (part of the fit cache key)."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True)


def validate_panel(data: Any, source: str = "configuration", option_style: bool = False) -> PanelSettings:
    """Validate a ``[panel]`` mapping; errors name the key (``panel.<key>``, or the CLI
    option ``--<key>`` with ``option_style``)."""
    if not isinstance(data, dict):
        raise InputError(f"{source}: [panel] must be a table of settings (got {data!r})")
    try:
        return PanelSettings.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]) if err["loc"] else ""
        loc = f"--{key.replace('_', '-')}" if option_style else f"panel.{key}"
        if err["type"] == "extra_forbidden":
            allowed = ", ".join(PanelSettings.model_fields)
            msg = f"unknown key {loc!r}; [panel] takes {allowed}"
        elif err["type"] == "value_error":  # our validators name the bad value themselves
            msg = f"{loc}: {err['msg'].removeprefix('Value error, ')}"
        else:
            msg = f"{loc}: {err['msg']} (got {err.get('input')!r})"
        raise InputError(f"{source}: {msg}") from None


class RunConfig(BaseModel):
    """A whole run configuration: the panel settings and the model configuration."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    panel: PanelSettings
    model: Any  # models.ModelConfig (kept loose: models is imported lazily)
    path: Path | None = None


def load_run_config(path: str | os.PathLike[str] | None = None) -> RunConfig:
    """Read a configuration TOML: ``[panel]`` into :class:`PanelSettings` (user-file paths
    relative to the file), everything else into :class:`models.ModelConfig`.

    ``None`` reads the shipped ``configs/default.toml`` (monthly).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "daily.toml"
    >>> _ = (p.parent / "ev.csv").write_text("date,label\\n2020-11-03,election\\n")
    >>> _ = p.write_text('[panel]\\nfreq = "D"\\nevents_csv = "ev.csv"\\n'
    ...                  '[groups]\\nrates = ["d_2y"]\\n')
    >>> rc = load_run_config(p)
    >>> rc.panel.freq, rc.panel.events_csv == p.parent / "ev.csv", rc.model.factors
    ('D', True, ['d_2y'])
    """
    from macroattr.models import ModelConfig
    from macroattr.models.config import default_config_path

    from macroattr.core.io import read_text_bounded

    p = Path(path) if path is not None else default_config_path()
    try:  # bounded: a binary or endless "config" is refused, not read into memory
        data = toml_loads(read_text_bounded(p, "config"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"config {p} is not valid TOML: {exc}") from None
    except RecursionError:
        raise InputError(f"config {p} nests arrays or tables too deeply to read; a config is a few flat tables") from None
    panel = validate_panel(data.pop("panel", {}), source=f"config {p}").resolved(p.resolve().parent)
    panel.check_files(source=f"config {p}")
    model = ModelConfig.from_dict(data, source=f"config {p}")
    return RunConfig(panel=panel, model=model, path=p)
