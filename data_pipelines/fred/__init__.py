"""Live FRED access: a hardened client of FRED's API, the local series store, refresh.

Examples
--------
>>> from macroattr.data_pipelines.fred import SeriesStore
>>> SeriesStore("/tmp/macroattr-doc-store").list()
[]
"""

from macroattr.data_pipelines.fred.client import FredClient, FredConfig, vintage_as_of
from macroattr.data_pipelines.fred.store import SeriesStore, default_store_dir

__all__ = ["FredClient", "FredConfig", "SeriesStore", "default_store_dir", "vintage_as_of"]
