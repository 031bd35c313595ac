"""The Typer applications every command module registers on."""

from __future__ import annotations

import typer

__all__ = ["app", "data_app"]

_PLAIN_TYPES = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "path": "PATH",
                "datetime": "DATE"}


def _plain_metavars() -> None:
    """Help shows what a value is (``PATH``, ``TEXT``), and nothing after a flag: Typer's
    default ``<bool>`` / ``<path>`` type column is noise to a reader of ``--help``."""
    from typer import core

    original = getattr(core.TyperOption, "display_type_rich", None)
    if original is None or getattr(original, "_macroattr", False):
        return

    def display_type_rich(self, ctx):  # noqa: ANN001, ANN202 - Typer's own signature
        if getattr(self, "is_flag", False) or getattr(self, "count", False):
            return None
        if self.metavar is not None:
            return self.metavar
        text = original(self, ctx)
        if text and text.startswith("<") and text.endswith(">"):
            inner = text[1:-1]
            return _PLAIN_TYPES.get(inner, inner.upper())
        return text

    display_type_rich._macroattr = True
    core.TyperOption.display_type_rich = display_type_rich
    arg_original = getattr(core.TyperArgument, "display_type_rich", None)
    if arg_original is not None:
        def arg_display(self, ctx):  # noqa: ANN001, ANN202
            text = arg_original(self, ctx)
            if text and text.startswith("<") and ">" in text:
                inner, rest = text[1:].split(">", 1)
                return _PLAIN_TYPES.get(inner, inner.upper()) + rest
            return text

        core.TyperArgument.display_type_rich = arg_display


_plain_metavars()


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
)
app.add_typer(data_app, name="data")
