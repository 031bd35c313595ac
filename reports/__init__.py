"""Quarterly HTML attribution reports: figures, templates and rendering.

``reports`` only consumes a fit (a :class:`models.Fit` or its NetCDF file); it
never fits a model or fetches data.

Examples
--------
>>> from reports import render_report, figures                     # doctest: +SKIP
>>> render_report(fit, quarter="latest", out_dir="reports/build")   # doctest: +SKIP
PosixPath('reports/build/2024Q3.html')
"""

from reports import figures
from reports.render import DEFAULT_OUT_DIR, render_index, render_report

__all__ = ["DEFAULT_OUT_DIR", "figures", "render_index", "render_report"]
