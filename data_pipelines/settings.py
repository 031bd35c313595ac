"""How a panel is built: :class:`PanelSettings`, declared once.

The one list of panel settings (frequency, span, factors, as-of date, user files, the
stale-factor policy). :func:`macroattr.data_pipelines.build_panel` takes it (or the same
names as keywords), a config file's ``[panel]`` table is read into it
(:func:`macroattr.jobs.run_config.load_run_config`), and the command-line options of ``data panel``
and ``run`` are declared from its fields (``macroattr/cli/options.py``: same names, the help
is each field's description). A new panel setting is a field here, and nothing else lists it.

Bad values are one :class:`~macroattr.core.errors.InputError` line listing every problem
(:func:`macroattr.core.validation.validate`, pydantic), keys named as the user wrote them
(``panel.start`` in a config, ``--start`` for an option). The class is a standard-library
dataclass validated by pydantic when built, so importing it (the CLI does, for its help
texts) costs no pydantic import.

Examples
--------
>>> s = PanelSettings(freq="d", start="2020-01-01")
>>> s.freq, s.noun
('D', 'days')
>>> s.updated(freq="M", end=None).freq
'M'
>>> PanelSettings.of({"freq": "W", "stale": "maybe"}, "build_panel")
Traceback (most recent call last):
...
macroattr.core.errors.InputError: build_panel: 2 problems: freq: unknown frequency 'W'; use M (monthly) or D (daily); stale: unknown stale option 'maybe'; use one of: trim, drop, carry
"""

from __future__ import annotations

import dataclasses
import json
import os
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from macroattr.core.errors import InputError

__all__ = ["FILE_SETTINGS", "FREQS", "STALE", "PanelSettings"]

#: Panel frequencies and their names.
FREQS = {"M": "monthly", "D": "daily"}
#: What to do with a factor that ends more than a period before the target.
STALE = ("trim", "drop", "carry")
#: The settings that name a user file (relative to a config file's folder).
FILE_SETTINGS = ("target_csv", "futures_csv", "consensus_csv", "events_csv", "odds_csv")


class _Before:
    """Annotated metadata: run ``fn`` on the raw value before pydantic checks the type
    (pydantic's public ``__get_pydantic_core_schema__`` protocol; no pydantic import here)."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_before_validator_function(self.fn, handler(source))


def _freq(v: Any) -> Any:
    if isinstance(v, str):
        v = v.strip().upper()
        if v not in FREQS:
            raise ValueError(f"unknown frequency {v!r}; use M (monthly) or D (daily)")
    return v


def _stale(v: Any) -> Any:
    if isinstance(v, str) and v not in STALE:
        raise ValueError(f"unknown stale option {v!r}; use one of: {', '.join(STALE)}")
    return v


def _date(v: Any) -> Any:
    if v is None:
        return None
    from macroattr.core.dates import parse_date

    try:  # ISO only (05/06/2024 is ambiguous), TOML date literals, in pandas' range
        day = parse_date(v, "")
    except InputError as exc:
        raise ValueError(str(exc).strip()) from None
    return None if day is None else day.strftime("%Y-%m-%d")


def _factor_list(v: Any) -> Any:
    if isinstance(v, str):
        v = [n.strip() for n in v.split(",") if n.strip()]
    if v is not None and not v:
        raise ValueError("empty factor list; name at least one factor or leave it out")
    return v


def _setting(default: Any, help: str) -> Any:  # noqa: A002 - the option's help
    return field(default=default, metadata={"help": help})


_VALIDATING: ContextVar[bool] = ContextVar("_VALIDATING", default=False)

Date = Annotated[str | None, _Before(_date)]


@dataclass(frozen=True)
class PanelSettings:
    """How a panel is built: the arguments of :func:`macroattr.data_pipelines.build_panel`
    besides where the data come from (``source``, ``store``).

    Each field's ``help`` (:meth:`describe`) is the help of its command-line option
    (``--as-of`` for ``as_of``). Frozen: :meth:`updated` returns a changed copy. Values are
    validated and normalised when the object is made (``freq="d"`` becomes ``"D"``, a
    comma-separated ``factors`` string a list, dates ``YYYY-MM-DD``).
    """

    __pydantic_config__ = {"extra": "forbid"}  # pydantic's ConfigDict, as a plain dict

    freq: Annotated[Literal["M", "D"], _Before(_freq)] = _setting(
        "M", "Panel frequency: M (month end to month end) or D (close to close).")
    start: Date = _setting(
        None, "First period of the panel, YYYY-MM-DD (default: the first period every "
              "selected column has).")
    end: Date = _setting(
        None, "Last period of the panel, YYYY-MM-DD (default: the last period with data).")
    factors: Annotated[list[str] | None, _Before(_factor_list)] = _setting(
        None, "Comma-separated catalog names (see `macroattr data factors`; default: the "
              "model's groups, else the catalog defaults).")
    as_of: Date = _setting(
        None, "Only data published by this date, YYYY-MM-DD (snapshot: publication lags; "
              "FRED: stored vintages).")
    target_csv: Path | None = _setting(
        None, "Own target: date,small,large levels or date,rel_return (pp).")
    futures_csv: Path | None = _setting(
        None, "Fed-funds futures date,price[,announcement]: the target surprise (1-day "
              "change of 100 - price) on announcement days after the embedded surprise file "
              "ends.")
    consensus_csv: Path | None = _setting(
        None, "CPI consensus date,consensus[,release_date] (m/m, pp).")
    events_csv: Path | None = _setting(
        None, "Events date,label (political 0/1 indicator factors event_<label>) or a "
              "built-in calendar: builtin:fomc, builtin:cpi, builtin:russell_recon.")
    odds_csv: Path | None = _setting(
        None, "Election odds date,probability (P(Republican wins), 0..1, at each session's "
              "close): extends and takes precedence in d_rep_win_prob.")
    stale: Annotated[Literal["trim", "drop", "carry"], _Before(_stale)] = _setting(
        "trim", "Factors ending more than a period before the target: trim (the panel stops "
                "where they stop), drop (leave them out; a group left empty is dropped) or "
                "carry (0 = no change after their last value).")
    allow_extreme_returns: bool = _setting(
        False, "Accept a target file whose relative return exceeds 100 pp in one period (a "
               "move no index pair ever made; refused by default, naming the file and date).")

    def __post_init__(self) -> None:
        if _VALIDATING.get():  # made by pydantic inside :meth:`of`: already checked
            return
        checked = PanelSettings.of(self.as_dict(), "panel settings")
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, getattr(checked, f.name))

    # ------------------------------------------------------------------ building
    @classmethod
    def of(cls, data: Any, source: str = "panel settings", *, prefix: str = "",
           option_style: bool = False) -> PanelSettings:
        """Validate a mapping (a ``[panel]`` table, options, keywords); every bad key or
        value is listed in one InputError line starting with ``source``."""
        from macroattr.core.validation import validate

        token = _VALIDATING.set(True)
        try:
            return validate(cls, data, source, prefix=prefix, option_style=option_style)
        finally:
            _VALIDATING.reset(token)

    @classmethod
    def names(cls) -> list[str]:
        """The settings, in order."""
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def describe(cls, name: str) -> str:
        """The help of setting ``name`` (the help of its option)."""
        return next(f.metadata["help"] for f in dataclasses.fields(cls) if f.name == name)

    @classmethod
    def default(cls, name: str) -> Any:
        """The default of setting ``name``."""
        return next(f.default for f in dataclasses.fields(cls) if f.name == name)

    @property
    def noun(self) -> str:
        """``"months"`` or ``"days"``."""
        return "months" if self.freq == "M" else "days"

    def as_dict(self) -> dict[str, Any]:
        """The settings as a mapping (paths as ``Path``)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def updated(self, **kw: Any) -> PanelSettings:
        """A copy with the given settings replaced (``None`` values ignored); errors name the
        setting as the ``macroattr run`` option (``--target-csv``)."""
        data = self.as_dict()
        data.update({k: v for k, v in kw.items() if v is not None})
        return PanelSettings.of(data, "panel override", option_style=True)

    def check_files(self, source: str = "panel settings", option_style: bool = False) -> None:
        """InputError naming the setting (``panel.<key>`` or ``--<key>``) when a user file
        does not exist."""
        for k in FILE_SETTINGS:
            f = getattr(self, k)
            if f is not None and not str(f).startswith("builtin:") and not Path(f).is_file():
                where = (f"--{k.replace('_', '-')}: file {f} not found; check the path" if option_style
                         else f"panel.{k}: file {f} not found (a relative path is read from the "
                              f"config file's folder)")
                raise InputError(f"{source}: {where}")

    def resolved(self, base: str | os.PathLike[str]) -> PanelSettings:
        """User-file paths made absolute against ``base`` (a config file's directory)."""
        data = self.as_dict()
        for k in FILE_SETTINGS:
            if data[k] is not None and not str(data[k]).startswith("builtin:"):  # builtin:fomc is no file
                data[k] = (Path(base) / data[k]).resolve()
        return PanelSettings.of(data)

    def key(self) -> str:
        """Canonical JSON of the settings (part of the fit cache key)."""
        data = {k: (str(v) if isinstance(v, Path) else v) for k, v in self.as_dict().items()}
        return json.dumps(data, sort_keys=True)
