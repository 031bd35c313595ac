"""Validation of user files and settings: the one formatter of pydantic errors.

Every file kind a user writes (a config's ``[panel]`` table and model tables, a scenario
file, a grid specification file) and every settings object built from options is a
pydantic model; :func:`validate` turns **all** of its validation errors into one
:class:`~macroattr.core.errors.InputError` line naming the file (``source``) and each key::

    config bad.toml: 3 problems: model.betas: Input should be 'static', ... (got 'x');
    sampler.draws: Input should be greater than 0 (got -5); unknown key 'gate.rhat'
    (allowed: r_hat_max, ess_min, ...)

A key is written as the file spells it (``panel.start``, ``scenarios.soft CPI.shocks``) or,
for settings that came from command-line options, as the option (``--start``).

Examples
--------
>>> from pydantic import BaseModel, ConfigDict
>>> class Sampler(BaseModel):
...     model_config = ConfigDict(extra="forbid")
...     draws: int = 1000
...     chains: int = 4
>>> validate(Sampler, {"draws": "many", "chain": 2}, "config c.toml", prefix="sampler")
Traceback (most recent call last):
...
macroattr.core.errors.InputError: config c.toml: 2 problems: sampler.draws: Input should be a valid integer, unable to parse string as an integer (got 'many'); unknown key 'sampler.chain' (allowed: draws, chains)
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from macroattr.core.errors import InputError

__all__ = ["key_of", "one_line", "problems", "validate"]

M = TypeVar("M")

_MAX_INPUT = 60  # characters of a bad value quoted back


def key_of(loc: Iterable[Any], *, prefix: str = "", option_style: bool = False) -> str:
    """A validation error's location as the user wrote it: ``panel.start`` (``prefix``
    ``"panel"``) or, with ``option_style``, the command-line option ``--start``."""
    parts = [str(p) for p in loc]
    if option_style and parts:
        return "--" + parts[0].replace("_", "-") + "".join(f".{p}" for p in parts[1:])
    return ".".join([prefix, *parts] if prefix else parts) or "(top level)"


def _fields(model: Any) -> dict[str, Any]:
    """Field name -> annotation of a pydantic model or a dataclass."""
    if isinstance(model, type) and issubclass(model, BaseModel):
        return {k: f.annotation for k, f in model.model_fields.items()}
    if dataclasses.is_dataclass(model):
        hints = typing.get_type_hints(model, include_extras=True)
        return {f.name: hints.get(f.name) for f in dataclasses.fields(model)}
    return {}


def _model_in(annotation: Any) -> Any:
    """The model (pydantic model or dataclass) an annotation holds (``X``, ``X | None``,
    ``list[X]``, ``dict[str, X]``), or None."""
    if isinstance(annotation, type) and (issubclass(annotation, BaseModel)
                                         or dataclasses.is_dataclass(annotation)):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is None:
        return None
    args = typing.get_args(annotation)
    if origin in (dict, Mapping) and len(args) == 2:
        return _model_in(args[1])
    if origin is typing.Union or origin is types.UnionType or origin in (list, tuple, set):
        for a in args:
            found = _model_in(a)
            if found is not None:
                return found
    if origin is typing.Annotated:
        return _model_in(args[0])
    return None


def _allowed(model: Any, loc: tuple[Any, ...]) -> list[str] | None:
    """The keys the table holding ``loc[-1]`` takes (None when it cannot be told)."""
    current = model
    for part in loc[:-1]:
        if current is None:
            return None
        if isinstance(part, int):
            continue  # an entry of a list: same model
        fields = _fields(current)
        if str(part) not in fields:
            continue  # a key of a dict-valued field (a scenario's name)
        current = _model_in(fields[str(part)])
    return list(_fields(current)) or None if current is not None else None


@functools.cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def _input(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_INPUT else text[:_MAX_INPUT - 3] + "..."


def problems(exc: ValidationError, model: Any = None, *, prefix: str = "",
             option_style: bool = False) -> list[str]:
    """Every error of ``exc`` as a short phrase naming its key (see the module docstring)."""
    out: list[str] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        key = key_of(loc, prefix=prefix, option_style=option_style)
        kind = err["type"]
        msg = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if kind in ("extra_forbidden", "unexpected_keyword_argument"):
            allowed = _allowed(model, loc) if model is not None else None
            text = f"unknown key {key!r}"
            if allowed:
                names = [f"--{a.replace('_', '-')}" for a in allowed] if option_style else allowed
                text += f" (allowed: {', '.join(names)})"
        elif kind in ("missing", "missing_argument", "missing_keyword_only_argument"):
            text = f"required key {key!r} is missing"
        elif kind in ("value_error", "assertion_error"):  # our validators name the value
            text = f"{key}: {msg}"
        else:
            text = f"{key}: {msg} (got {_input(err.get('input'))})"
        if text not in out:
            out.append(text)
    return out


def one_line(source: str, found: list[str], *, what: str = "problem") -> str:
    """``source: p`` for one problem, ``source: N problems: p1; p2; ...`` for more."""
    if len(found) == 1:
        return f"{source}: {found[0]}"
    return f"{source}: {len(found)} {what}s: " + "; ".join(found)


def validate(model: type[M], data: Any, source: str, *, prefix: str = "",
             option_style: bool = False) -> M:
    """``model.model_validate(data)``, or an InputError listing every problem in one line.

    Parameters
    ----------
    model
        The pydantic model (or dataclass) of the file kind, or of a table of it.
    data
        The parsed mapping (a TOML table, option values).
    source
        What the user gave, named first: ``config configs/x.toml``, ``scenario file s.toml``,
        ``data panel``.
    prefix
        The table ``data`` sits in, for key names (``panel``).
    option_style
        Name keys as command-line options (``--as-of``).
    """
    if not isinstance(data, Mapping):
        where = f"[{prefix}]" if prefix else "the file"
        raise InputError(f"{source}: {where} must be a table of settings (got {_input(data)})")
    try:
        if isinstance(model, type) and issubclass(model, BaseModel):
            return model.model_validate(dict(data))  # type: ignore[return-value]
        return _adapter(model).validate_python(dict(data))  # type: ignore[no-any-return]
    except ValidationError as exc:
        raise InputError(one_line(source, problems(exc, model, prefix=prefix,
                                                   option_style=option_style))) from None
