"""The report pages' content-security policy: inline scripts pinned by their SHA-256 hashes
(:func:`pin_scripts`), so only the scripts the page was written with can run."""

from __future__ import annotations

__all__ = ["pin_scripts"]

_SCRIPT = None
_CSP_INLINE = "script-src 'unsafe-inline'"


def pin_scripts(html: str) -> str:
    """Replace ``script-src 'unsafe-inline'`` in a page's content-security policy by the
    SHA-256 hashes of its inline ``<script>`` elements, so only the scripts we wrote run (an
    injected script or inline event handler has no matching hash). Every HTML page written by
    :func:`macroattr.reports.render._write_public` goes through it.

    Examples
    --------
    >>> page = pin_scripts('<meta content="' + _CSP_INLINE + '"><script>f()</script>')
    >>> "'sha256-" in page and "unsafe-inline" not in page
    True
    """
    import base64
    import hashlib
    import re

    global _SCRIPT
    if _CSP_INLINE not in html:
        return html
    if _SCRIPT is None:
        _SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.S | re.I)
    hashes = sorted({"'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
                     + "'" for body in _SCRIPT.findall(html)})
    return html.replace(_CSP_INLINE, "script-src " + (" ".join(hashes) or "'none'"), 1)
