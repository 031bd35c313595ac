"""How an error reaches the reader: the one line the CLI and the notebook print.

:func:`one_line` is the rule (whitespace folded, terminal escapes and controls removed, the
FRED key redacted); ``macroattr.cli`` and ``macroattr.notebook`` both print through it.
"""

from __future__ import annotations

from macroattr.core.redact import redact
from macroattr.core.terminal import clean

__all__ = ["one_line"]


def one_line(message: object) -> str:
    """``message`` (an exception or text) as one printable line: whitespace folded, escape
    sequences and control characters removed, the FRED key redacted.

    Examples
    --------
    >>> one_line(ValueError("FRED refused the request:\\n  rate limited\\x1b[2J"))
    'FRED refused the request: rate limited'
    """
    return redact(clean(" ".join(str(message).split())))
