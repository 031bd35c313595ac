"""Keep the FRED API key out of everything shown or saved."""

from __future__ import annotations

import html
import os
import re
import urllib.parse
from functools import lru_cache

_KEY_PARAM = re.compile(r"(api[_-]?key(?:%3D|=|\"?\s*[:=]\s*\"?))[^&\s'\"<>]+", re.IGNORECASE)
_registered: set[str] = set()


def register_secret(secret: str | None) -> None:
    """Remember a secret so :func:`redact` masks it wherever it appears."""
    if secret and len(secret) >= 4:
        _registered.add(secret)


@lru_cache(maxsize=64)
def _pattern(secret: str) -> re.Pattern[str]:
    """Every spelling of ``secret`` a server, a URL or a page could carry: as is, URL-encoded
    (``%XX``, ``+`` or ``%20`` for a space, twice-encoded), HTML-escaped; any letter case."""
    forms = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote(secret),
             urllib.parse.quote_plus(secret), urllib.parse.quote(urllib.parse.quote(secret, safe=""), safe=""),
             html.escape(secret), secret.replace(" ", "%20")}
    alternatives = sorted((f for f in forms if f), key=len, reverse=True)
    return re.compile("|".join(re.escape(f) for f in alternatives), re.IGNORECASE)


def redact(text: str) -> str:
    """Return ``text`` with any FRED key (registered, from the environment, or an
    ``api_key=`` URL parameter) replaced by ``***``, in any letter case and URL-encoded or
    HTML-escaped.

    Examples
    --------
    >>> redact("https://x/fred/series?api_key=abc123&series_id=DGS2")
    'https://x/fred/series?api_key=***&series_id=DGS2'
    >>> register_secret("k3y/with+plus")
    >>> redact("K3Y/WITH+PLUS k3y%2Fwith%2Bplus k3y%2fwith%2bplus")
    '*** *** ***'
    """
    out = _KEY_PARAM.sub(r"\1***", str(text))
    secrets = set(_registered)
    env = os.environ.get("FRED_API_KEY")
    if env and len(env.strip()) >= 4:
        secrets.add(env.strip())
    for s in sorted(secrets, key=len, reverse=True):
        out = _pattern(s).sub("***", out)
    return out
