"""The report pages' content-security policy: inline scripts pinned by their SHA-256 hashes
(:func:`pin_scripts`), so only the scripts the page was written with can run."""

from __future__ import annotations

from typing import Any

__all__ = ["pin_scripts"]

_TAGS: tuple | None = None
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

    global _TAGS
    if _CSP_INLINE not in html:
        return html
    if _TAGS is None:
        _TAGS = (re.compile(r"<script\b[^>]*>", re.I), re.compile(r"</script>", re.I))
    hashes = sorted({"'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
                     + "'" for body in _bodies(html, *_TAGS)})
    return html.replace(_CSP_INLINE, "script-src " + (" ".join(hashes) or "'none'"), 1)


def _bodies(html: str, opening: Any, closing: Any) -> list[str]:
    """The inline scripts' bodies: each ``<script ...>`` to the first ``</script>`` after it
    (what ``re.findall(r"<script\\b[^>]*>(.*?)</script>", html, re.S | re.I)`` gives, without
    its lazy scan of every character of the page's megabytes of script)."""
    out, pos = [], 0
    while (m := opening.search(html, pos)) is not None:
        end = closing.search(html, m.end())
        if end is None:
            break
        out.append(html[m.end():end.start()])
        pos = end.end()
    return out
