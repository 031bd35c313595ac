"""The Typer applications every command module registers on.

Help is click's plain format (``rich_markup_mode=None``, Typer's supported switch): options
with their value type (``PATH``, ``TEXT``, ``INTEGER``), flags without one, positional
arguments by their name (``FIT...``; a command with arguments is declared with
``cls=ArgumentsCommand``), no boxes; a docstring's paragraphs are rewrapped to the terminal;
errors are one line (:func:`macroattr.cli.main`).
"""

from __future__ import annotations

from typing import Any

import typer
import typer.core

__all__ = ["ArgumentsCommand", "app", "data_app", "plain_metavars"]

#: Python type of a command parameter -> what help shows after its option (``--out PATH``).
_PLAIN = {"Path": "PATH", "str": "TEXT", "int": "INTEGER", "float": "NUMBER"}


def _value_name(annotation: object) -> str | None:
    """``PATH`` for ``Annotated[Path | None, ...]``, ``TEXT`` for ``list[str]``, ..."""
    import typing

    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if args and typing.get_origin(annotation) is not None:  # X | None, list[X]
        return _value_name(args[0])
    return _PLAIN.get(getattr(annotation, "__name__", ""))


def plain_metavars(command) -> None:  # noqa: ANN001 - a click Command or Group
    """Name each option's value by its type in help (``--out PATH``, ``--draws INTEGER``):
    set the public click ``metavar`` of the parameters of our own command tree from the
    commands' annotations (Typer would print ``<path>``). Flags keep none."""
    import inspect
    import typing

    callback = getattr(command, "callback", None)
    if callback is not None:
        hints = typing.get_type_hints(inspect.unwrap(callback), include_extras=True)
        for param in command.params:  # options (click's param_type_name), not arguments
            if getattr(param, "param_type_name", "") == "option" and param.metavar is None \
                    and not getattr(param, "is_flag", False):
                param.metavar = _value_name(hints.get(param.name))
    for sub in getattr(command, "commands", {}).values():
        plain_metavars(sub)


def _argument_name(param: Any) -> str:
    """``FIT...`` for ``Argument(metavar="FIT")`` taking several values, ``SERIES`` for one."""
    name = param.metavar or (param.name or "").upper()
    return name + ("..." if param.nargs != 1 else "")


class ArgumentsCommand(typer.core.TyperCommand):
    """A command whose help names its positional arguments as click does: ``FIT...`` in the
    usage line (``[FIT]...`` when optional) and ``FIT...  Two or more fit files.  [required]``
    under ``Arguments``, not Typer's Python type (``FIT <list[Path]>``, ``{FIT}...``).

    It overrides two public help hooks of click's ``Command`` (``collect_usage_pieces``,
    ``format_options``) in a command class passed with Typer's public ``cls=``; options keep
    their own help records.

    Examples
    --------
    >>> import typer
    >>> from pathlib import Path
    >>> demo = typer.Typer(rich_markup_mode=None, add_completion=False)
    >>> @demo.command(cls=ArgumentsCommand)
    ... def show(fits: list[Path] = typer.Argument(..., metavar="FIT", help="Fit files.")):
    ...     pass
    >>> from typer.testing import CliRunner
    >>> print(CliRunner().invoke(demo, ["--help"]).output)  # doctest: +NORMALIZE_WHITESPACE
    Usage: show [OPTIONS] FIT...
    <BLANKLINE>
    Arguments:
      FIT...  Fit files.  [required]
    <BLANKLINE>
    Options:
      --help  Show this message and exit.
    <BLANKLINE>
    """

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = _argument_name(param)
                pieces.append(name if param.required else f"[{name}]")
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        args, opts = [], []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                if not getattr(param, "hidden", False):
                    text = getattr(param, "help", None) or ""
                    args.append((_argument_name(param),
                                 f"{text}  [required]" if param.required else text))
            elif (record := param.get_help_record(ctx)) is not None:
                opts.append(record)
        if args:
            with formatter.section("Arguments"):
                formatter.write_dl(args)
        if opts:
            with formatter.section("Options"):
                formatter.write_dl(opts)


def _version(value: bool) -> None:
    if value:
        import importlib.metadata

        try:
            v = importlib.metadata.version("macroattr")
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover
            v = "unknown"
        typer.echo(f"macroattr {v}")
        raise typer.Exit()


app = typer.Typer(
    name="macroattr",
    help="Bayesian macro-factor attribution of the Russell 2000 minus S&P 500 return.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Bayesian macro-factor attribution of the Russell 2000 minus S&P 500 return."""


data_app = typer.Typer(
    help="Build panels, list factors, refresh and inspect FRED series.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(data_app, name="data")
