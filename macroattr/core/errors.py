"""Errors every macroattr layer raises for bad input or failed external calls.

Each error carries the process exit code the CLI uses and a message that is a
single line naming the file, series, column or date at fault and what to do.
"""

from __future__ import annotations


class MacroattrError(Exception):
    """Base class: a user-facing, one-line error (never shown with a traceback)."""

    exit_code: int = 2

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class InputError(MacroattrError):
    """Bad user input: a file, column, date, factor or configuration value (exit 2)."""

    exit_code = 2


class FredError(MacroattrError):
    """FRED could not serve a request: key, series, network, rate limit, body (exit 3)."""

    exit_code = 3


class ConvergenceError(MacroattrError):
    """A fit failed the convergence gate and the caller asked to be strict (exit 4)."""

    exit_code = 4
