"""Quarterly HTML attribution reports: page composition, templates and rendering.

``reports`` only consumes a fit (a :class:`models.Fit` or its NetCDF file); it
never fits a model or fetches data.

Examples
--------
>>> from macroattr.reports import render_report                     # doctest: +SKIP
>>> render_report(fit, quarter="latest", out_dir="reports/build")   # doctest: +SKIP
PosixPath('reports/build/2024Q3.html')
"""

from macroattr.reports.render import DEFAULT_OUT_DIR, render_index, render_report

__all__ = ["DEFAULT_OUT_DIR", "render_index", "render_report"]
