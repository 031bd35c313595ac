"""Keep the FRED API key out of everything shown or saved."""

from __future__ import annotations

import os
import re

_KEY_PARAM = re.compile(r"(api_key=)[^&\s'\"]+", re.IGNORECASE)
_registered: set[str] = set()


def register_secret(secret: str | None) -> None:
    """Remember a secret so :func:`redact` masks it wherever it appears."""
    if secret and len(secret) >= 4:
        _registered.add(secret)


def redact(text: str) -> str:
    """Return ``text`` with any FRED key (registered, from the environment, or an
    ``api_key=`` URL parameter) replaced by ``***``.

    Examples
    --------
    >>> redact("https://x/fred/series?api_key=abc123&series_id=DGS2")
    'https://x/fred/series?api_key=***&series_id=DGS2'
    """
    out = _KEY_PARAM.sub(r"\1***", text)
    secrets = set(_registered)
    env = os.environ.get("FRED_API_KEY")
    if env and len(env) >= 4:
        secrets.add(env)
    for s in secrets:
        out = out.replace(s, "***")
    return out
