"""One vocabulary for the two estimates of a state-space fit.

*Revised* (the fit's ``"smoothed"`` estimate: every period with the whole span) and *first
estimate* (``"filtered"``, also said *real time*: each period as estimated with data to its
end). Every entry point accepts every spelling through :func:`estimate_name`.

Examples
--------
>>> estimate_name("revised"), estimate_name("First estimate"), estimate_name("real-time")
('smoothed', 'filtered', 'filtered')
>>> event_estimate("filtered"), event_estimate("smoothed")
('real time', 'revised')
"""

from __future__ import annotations

from macroattr.core.errors import InputError

__all__ = ["ALIASES", "estimate_name", "event_estimate"]

#: Accepted spellings -> the fit's name of the estimate.
ALIASES = {"smoothed": "smoothed", "revised": "smoothed",
           "filtered": "filtered", "first estimate": "filtered", "real time": "filtered"}


def estimate_name(value: str, what: str = "--estimate") -> str:
    """``"smoothed"`` or ``"filtered"`` for any accepted spelling (case, hyphens and
    underscores aside); :class:`InputError` naming both vocabularies otherwise."""
    key = " ".join(str(value).strip().lower().replace("-", " ").replace("_", " ").split())
    key = {"realtime": "real time", "first": "first estimate"}.get(key, key)
    if key not in ALIASES:
        raise InputError(f"{what} {value!r} is not an estimate: use revised (alias smoothed) "
                         f"or first estimate (aliases filtered, real time)")
    return ALIASES[key]


def event_estimate(value: str, what: str = "--estimate") -> str:
    """The event window's name of the estimate (``"revised"`` or ``"real time"``)."""
    return {"smoothed": "revised", "filtered": "real time"}[estimate_name(value, what)]
