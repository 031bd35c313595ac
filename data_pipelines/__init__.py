"""Data layer of macroattr: embedded snapshot, FRED store, transforms and the model-ready panel.

Import is cheap: nothing heavy is loaded until a name is used (``build_panel``, ``Panel``,
``catalog`` import pandas; :mod:`~macroattr.data_pipelines.settings` does not, so the CLI can
declare its panel options from it). The FRED client is imported only when a FRED source is used.

Examples
--------
>>> from macroattr.data_pipelines import build_panel, catalog
>>> panel = build_panel(freq="M", start="2024-01-01", end="2024-12-31")
>>> sorted(panel.groups)
['inflation', 'leverage', 'political', 'rates']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from macroattr.data_pipelines import catalog
    from macroattr.data_pipelines.panel import Panel, build_panel
    from macroattr.data_pipelines.settings import PanelSettings

__all__ = ["Panel", "PanelSettings", "build_panel", "catalog"]

_HOME = {"Panel": "panel", "build_panel": "panel", "PanelSettings": "settings"}


def __getattr__(name: str) -> Any:
    """Load ``Panel``, ``build_panel``, ``PanelSettings`` and ``catalog`` on first use."""
    if name == "catalog":
        return importlib.import_module(f"{__name__}.catalog")
    if name in _HOME:
        return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
