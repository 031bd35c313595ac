"""Where the CLI writes: results on stdout, status on stderr, ``--quiet`` and ``--json``.

One rule for every command:

* :func:`result` — what the command answers (tables, numbers, the paths it wrote): stdout;
* :func:`status` — what is happening (which fit is read, panel built, cache used, notes):
  stderr, and nothing at all under ``--quiet``;
* :func:`warn` — a ``WARNING:`` about the answer (a failed convergence gate, unreliable LOO):
  stderr, also under ``--quiet`` (it qualifies the result printed on stdout);
* :func:`emit_json` — the whole result as one JSON document on stdout (``--json``); NaN and
  infinities become ``null``.

Errors are not written here: they are raised and printed once by :func:`macroattr.cli.main`.
:func:`configure` is called for each command by :mod:`macroattr.cli._paths` from its
``quiet`` argument; progress bars and lines (:mod:`macroattr.core.progress`) follow it.
"""

from __future__ import annotations

import json
import math
from typing import Any

import typer

__all__ = ["configure", "emit_json", "jsonable", "quiet", "result", "say", "status", "warn"]

_QUIET = [False]


def configure(*, quiet: bool = False) -> None:
    """Set this command's verbosity (and silence progress under ``quiet``)."""
    from macroattr.core.progress import silence

    _QUIET[0] = bool(quiet)
    silence(quiet)


def quiet() -> bool:
    """True under ``--quiet``."""
    return _QUIET[0]


def result(text: str = "") -> None:
    """A line of the command's result: stdout."""
    typer.echo(text)


def status(text: str) -> None:
    """A status line: stderr, silent under ``--quiet``."""
    if not _QUIET[0]:
        typer.echo(text, err=True)


def say(text: str) -> None:
    """:func:`status` for a progress callback of the lower layers (strips indentation)."""
    status(text.strip())


def warn(text: str) -> None:
    """A warning about the result: stderr, even under ``--quiet``."""
    typer.echo(text, err=True)


def jsonable(value: Any) -> Any:
    """``value`` with numpy/pandas scalars made plain and non-finite floats as None."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalar
        try:
            value = value.item()
        except (TypeError, ValueError):
            pass
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if hasattr(value, "isoformat"):  # dates, Timestamps
        return value.isoformat()[:10] if getattr(value, "hour", 0) == 0 else value.isoformat()
    return str(value)


def emit_json(document: dict[str, Any]) -> None:
    """Print ``document`` as JSON on stdout (keys in the given order, NaN as null)."""
    typer.echo(json.dumps(jsonable(document), indent=2, allow_nan=False))
