"""The Typer applications every command module registers on.

Help is click's plain format (``rich_markup_mode=None``, Typer's supported switch): options
with their value type (``PATH``, ``TEXT``, ``INTEGER``), flags without one, no boxes; errors
are one line (:func:`macroattr.cli.main`).
"""

from __future__ import annotations

import typer

__all__ = ["app", "data_app", "plain_metavars"]

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
