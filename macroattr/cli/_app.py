"""The Typer applications every command module registers on."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="macroattr",
    help="Bayesian macro-factor attribution of the Russell 2000 minus S&P 500 return.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(
    help="Build panels, list factors, refresh and inspect FRED series.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(data_app, name="data")
