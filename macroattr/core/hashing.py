"""The one content hash: cache keys of fits and tasks.

:func:`content_hash` hashes JSON-able parts (DataFrames by their values, index and
columns; numpy scalars, timestamps and paths by value; objects with ``to_json`` by their
JSON) together with the macroattr version, so a new release never reuses an old cache.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from pathlib import Path
from typing import Any

__all__ = ["content_hash", "json_default"]


def json_default(o: Any) -> Any:
    """``json.dumps(default=)`` for the values a cache key holds."""
    import numpy as np
    import pandas as pd

    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, (np.bool_,)):
        return bool(o)
    if isinstance(o, (pd.Timestamp,)):
        return o.isoformat()
    if isinstance(o, (pd.DataFrame,)):
        return {"columns": [str(c) for c in o.columns], "index": [str(i) for i in o.index],
                "hash": pd.util.hash_pandas_object(o, index=True).to_numpy().tolist()}
    if isinstance(o, Path):
        return str(o)
    if hasattr(o, "to_json"):
        return json.loads(o.to_json())
    raise TypeError(f"cannot hash {type(o).__name__}")


def content_hash(*parts: Any, length: int = 32) -> str:
    """SHA-256 (hex, first ``length`` characters) of ``parts`` and the macroattr version.

    Examples
    --------
    >>> content_hash("a", {"x": 1}) == content_hash("a", {"x": 1}), content_hash("a") == content_hash("b")
    (True, False)
    """
    h = hashlib.sha256()
    try:
        h.update(importlib.metadata.version("macroattr").encode())
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        pass
    h.update(json.dumps(parts, sort_keys=True, default=json_default).encode())
    return h.hexdigest()[:length]
