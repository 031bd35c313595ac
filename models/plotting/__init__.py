"""Plotly figures of fits: the builders (``figures``) and the ``fit.plot`` facade (``plot``)."""
