"""One rule for every command's paths (and its ``--hdi``), checked before any work starts;
the same wrapper applies the command's ``--quiet`` (:func:`macroattr.cli._out.configure`).

:func:`guard_commands` wraps each registered command so that, with the arguments as parsed,

* every input path (an option or argument holding a ``Path`` that is not an output) that
  exists is a regular file or a folder: a FIFO, a device (``/dev/zero``) or a socket is
  refused, and so is a symlink loop, each with one line;
* every output (``--out``, ``--daily-out``, ``--chart``, ...) is checked against every input
  with :func:`macroattr.core.io.check_outputs`: not the same file (links included), not a
  folder holding an input, not another output; a file output is not a folder.

Which outputs are folders is said here once (:data:`FOLDER_OUTPUTS`).
"""

from __future__ import annotations

import functools
import inspect
from pathlib import Path

__all__ = ["FOLDER_OUTPUTS", "OUTPUT_PARAMS", "guard_commands"]

#: Parameters that name something a command writes.
OUTPUT_PARAMS = frozenset({"out", "daily_out", "chart", "notebook_out", "html_out", "pdf_out"})
#: (command, parameter) pairs whose output is a folder.
FOLDER_OUTPUTS = frozenset({("backtest", "out"), ("grid", "out"), ("report", "out"), ("run", "out")})
#: Input parameters whose value is a folder the command reads (and may write into, like the store).
_FOLDER_INPUTS = frozenset({"store", "cache_dir", "cache"})


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _paths(value) -> list[Path]:  # noqa: ANN001
    if isinstance(value, Path):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, Path)]
    return []


def check_call(command: str, arguments: dict) -> None:
    """Check the paths of one call of ``command`` (its parsed ``arguments``)."""
    import math

    from macroattr.core.errors import InputError
    from macroattr.core.io import check_input_path, check_outputs

    hdi = arguments.get("hdi")
    if isinstance(hdi, float) and not (math.isfinite(hdi) and 0 < hdi < 1):
        raise InputError(f"--hdi {hdi} must be a probability between 0 and 1 (e.g. 0.9)")

    outputs: dict[str, Path] = {}
    folders: set[str] = set()
    inputs: list[tuple[str, Path]] = []
    for name, value in arguments.items():
        for path in _paths(value):
            if name in OUTPUT_PARAMS:
                outputs[_option(name)] = path
                if (command, name) in FOLDER_OUTPUTS:
                    folders.add(_option(name))
            else:
                inputs.append((_option(name), path))
    for option, path in inputs:
        check_input_path(path, option, folder_ok=True)
    extra = []
    for option, path in inputs:  # a panel file's sidecar is an input too
        if option == "--panel":
            extra.append((option + " sidecar", path.with_name(path.name + ".meta.json")))
    check_outputs(outputs, inputs + extra, folders=folders,
                  shared_folders={o for o, p in inputs if o.lstrip("-").replace("-", "_") in _FOLDER_INPUTS})


def guard_commands(app) -> None:  # noqa: ANN001 - a typer.Typer
    """Wrap every command registered on ``app`` (and its sub-apps) with :func:`check_call`."""
    for info in app.registered_commands:
        func = info.callback
        if func is None or getattr(func, "_macroattr_paths", False):
            continue
        command = info.name or func.__name__.removesuffix("_cmd").replace("_", "-")
        signature = inspect.signature(func)

        def make(func=func, command=command, signature=signature):  # noqa: ANN001, ANN202
            @functools.wraps(func)
            def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
                bound = signature.bind_partial(*args, **kwargs)
                from macroattr.cli._out import configure

                configure(quiet=bool(bound.arguments.get("quiet", False)))  # --quiet, every command
                check_call(command, dict(bound.arguments))
                return func(*args, **kwargs)

            wrapper._macroattr_paths = True
            return wrapper

        info.callback = make()
    for group in app.registered_groups:
        if group.typer_instance is not None:
            guard_commands(group.typer_instance)
