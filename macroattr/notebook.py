"""Opt-in Jupyter/IPython set-up: macroattr errors as one line, like the CLI.

A bad input (a misspelt column in a CSV, a quarter outside the fit, a config typo) raises a
:class:`~macroattr.core.errors.MacroattrError` whose message already says what is wrong and
what to do. In a notebook IPython would show it under a long traceback through pandas and
PyMC. After ``macroattr.notebook.setup()`` the cell shows exactly the line the CLI prints
(``macroattr: error: ...``, with the FRED key masked); every other exception keeps its normal
traceback. Nothing happens at import: call :func:`setup` in the first cell of a notebook.

Examples
--------
>>> from macroattr.notebook import error_line
>>> from macroattr.core.errors import InputError
>>> error_line(InputError("target file t.csv is missing columns: need date,small,large"))
'macroattr: error: target file t.csv is missing columns: need date,small,large'
>>> setup()          # outside IPython there is nothing to install
False
"""

from __future__ import annotations

from typing import Any

from macroattr.core.errors import MacroattrError

__all__ = ["error_line", "setup", "teardown"]


def error_line(exc: BaseException) -> str:
    """The single line the CLI prints for ``exc`` (whitespace folded, FRED key redacted).

    Examples
    --------
    >>> from macroattr.core.errors import FredError
    >>> error_line(FredError("FRED refused the request:\\n  rate limited"))
    'macroattr: error: FRED refused the request: rate limited'
    """
    from macroattr.core.messages import one_line

    return f"macroattr: error: {one_line(exc)}"


def _one_line_handler(shell: Any, etype: type, value: BaseException, tb: Any,
                      tb_offset: int | None = None) -> None:
    # Show a one-line "structured traceback". ``_showtraceback`` is the hook IPython's
    # front ends implement: the terminal prints the line, ipykernel sends it as the cell's
    # error output (ename/evalue kept), so the cell still fails and papermill/nbclient stop.
    shell._showtraceback(etype, value, [error_line(value)])


def _shell(ipython: Any = None) -> Any:
    if ipython is not None:
        return ipython
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with jupyter
        return None
    return get_ipython()


def setup(ipython: Any = None) -> bool:
    """Show :class:`~macroattr.core.errors.MacroattrError` as one line in this IPython
    session, and draw plotly figures so that they survive an HTML export of the notebook
    (:data:`NOTEBOOK_RENDERER`).

    Parameters
    ----------
    ipython
        The shell (default: the running one, from ``IPython.get_ipython()``).

    Returns
    -------
    bool
        True when the handler was installed, False outside IPython (plain ``python``).

    Examples
    --------
    >>> import macroattr.notebook
    >>> macroattr.notebook.setup()   # in a notebook's first cell this returns True
    False
    """
    shell = _shell(ipython)
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    shell.set_custom_exc((MacroattrError,), _one_line_handler)
    _offline_figures()
    return True


#: Plotly renderer for notebooks: JupyterLab draws the plotly MIME bundle; nbconvert's HTML
#: export (and classic Notebook) uses the HTML bundle, whose plotly.js is embedded once in the
#: notebook, so an exported notebook shows its figures offline ("notebook_connected" would
#: load plotly.js from a CDN; the MIME bundle alone vanishes from exported HTML).
NOTEBOOK_RENDERER = "plotly_mimetype+notebook"


def _offline_figures() -> None:
    import plotly.io as pio

    pio.renderers.default = NOTEBOOK_RENDERER


def teardown(ipython: Any = None) -> bool:
    """Undo :func:`setup`: macroattr errors get IPython's normal traceback again.

    Examples
    --------
    >>> teardown()
    False
    """
    shell = _shell(ipython)
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    shell.set_custom_exc((), None)
    return True
