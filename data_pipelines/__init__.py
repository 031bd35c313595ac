"""Data layer of macroattr: embedded snapshot, FRED store, transforms and the model-ready panel.

Import is cheap (pandas only); the FRED client is imported only when a FRED source is used.

Examples
--------
>>> from macroattr.data_pipelines import build_panel, catalog
>>> panel = build_panel(freq="M", start="2024-01-01", end="2024-12-31")
>>> sorted(panel.groups)
['inflation', 'leverage', 'political', 'rates']
"""

from macroattr.data_pipelines import catalog
from macroattr.data_pipelines.panel import Panel, build_panel

__all__ = ["Panel", "build_panel", "catalog"]
