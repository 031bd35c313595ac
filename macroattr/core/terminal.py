"""Text from outside (FRED titles, file contents, error causes) made safe to print.

Terminal escape sequences in a series title could move the cursor, rewrite earlier lines or
set the window title; a ``[/]`` in a title breaks rich's markup. :func:`clean` strips escape
sequences and control characters; :func:`markup_safe` also escapes rich markup for text put
into a rich table.
"""

from __future__ import annotations

import re

__all__ = ["clean", "markup_safe"]

# ESC-introduced sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL/ST), other 2-char escapes
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?")
# C0 and C1 controls, DEL, and the bidi overrides/isolates that reorder what is shown
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: object, *, keep_newlines: bool = False) -> str:
    """``text`` as a string without terminal escape sequences or control characters
    (tabs become spaces; newlines too unless ``keep_newlines``).

    Examples
    --------
    >>> clean("Treasury\\x1b[2J\\x1b]0;owned\\x07 2y\\r\\n")
    'Treasury 2y'
    """
    s = _ESCAPES.sub("", str(text))
    s = s.replace("\t", " ")
    if not keep_newlines:
        s = s.replace("\r\n", " ").replace("\n", " ")
    return _CONTROLS.sub("", s).strip() if not keep_newlines else _CONTROLS.sub("", s)


def markup_safe(text: object) -> str:
    """:func:`clean` text with rich markup escaped, for a rich ``Table`` cell.

    Examples
    --------
    >>> markup_safe("Rates [/] and [bold]spreads[/bold]")
    'Rates \\\\[/] and \\\\[bold]spreads\\\\[/bold]'
    """
    from rich.markup import escape

    return escape(clean(text))
