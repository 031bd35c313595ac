"""Command-line entry point ``macroattr``.

Each area registers its subcommands from its own module (``data``, ``fred``,
``model``, ``report``); heavy libraries are imported inside the commands so that
``macroattr --help`` is instant.  Every :class:`~macroattr.core.errors.MacroattrError`
becomes one line on stderr and the error's exit code; nothing else escapes as a
traceback unless ``MACROATTR_DEBUG=1``.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer
import typer.core
import typer.main

from macroattr.cli._app import app, data_app
from macroattr.core.messages import one_line

_COMMAND_MODULES = ("data", "fred", "model", "report", "backtest", "analysis")
for _name in _COMMAND_MODULES:
    try:
        importlib.import_module(f"macroattr.cli.{_name}")
    except ModuleNotFoundError as _exc:  # a module not written yet
        if _exc.name != f"macroattr.cli.{_name}":
            raise

from macroattr.cli._paths import guard_commands  # noqa: E402 - after every command is registered

guard_commands(app)


def _usage_line(exc: typer.TyperException) -> str:
    """A usage error as one line: click's message and where to read the options."""
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else "macroattr"
    return f"{one_line(exc.format_message())} (see `{where} --help`)"


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that every temp file and staging folder is
    removed on the way out (the default action would kill the process where it stands)."""


def _on_sigterm(signum, frame) -> None:  # noqa: ANN001 - signal handler signature
    raise _Terminated()


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; map errors (usage errors included) to one line on stderr and an exit
    code; SIGTERM stops it with one line and exit 143, unfinished files removed."""
    import signal
    import threading

    old = None
    if threading.current_thread() is threading.main_thread():
        old = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        _run(argv)
    except _Terminated:
        print("macroattr: error: stopped by SIGTERM; files not finished were removed, earlier "
              "files are unchanged", file=sys.stderr)
        sys.exit(143)
    finally:
        if old is not None:
            signal.signal(signal.SIGTERM, old)


def _run(argv: list[str] | None) -> None:
    """The CLI proper. Click runs in its public non-standalone mode, so every error reaches
    this one handler instead of Typer's box."""
    from macroattr.core.errors import MacroattrError

    from macroattr.cli._app import plain_metavars

    command = typer.main.get_command(app)
    plain_metavars(command)  # help: `--out PATH`, not Typer's `<path>`
    try:
        code = command.main(args=argv, prog_name="macroattr", standalone_mode=False)
    except typer.Abort:
        print("macroattr: interrupted", file=sys.stderr)
        sys.exit(130)
    except typer.TyperException as exc:  # click's errors: usage (exit 2) and the others
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `macroattr` / `macroattr data`
            exc.show()
            sys.exit(exc.exit_code)
        if exc.exit_code == 2:  # unknown option, bad value, missing argument
            print(f"macroattr: error: {_usage_line(exc)}", file=sys.stderr)
        else:
            print(f"macroattr: error: {one_line(exc.format_message())}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except MacroattrError as exc:
        print(f"macroattr: error: {one_line(exc)}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("macroattr: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # last resort: never a traceback for the user
        if os.environ.get("MACROATTR_DEBUG"):
            raise
        print(
            f"macroattr: internal error: {type(exc).__name__}: {one_line(exc)} "
            "(rerun with MACROATTR_DEBUG=1 for details and report it)",
            file=sys.stderr,
        )
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


__all__ = ["app", "data_app", "main"]
