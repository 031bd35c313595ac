"""The CSP's script scan (:func:`macroattr.reports.csp._bodies`) finds exactly the inline
scripts the regular expression it replaced finds: on edge cases and on a real page."""

from __future__ import annotations

import re

import pytest

from macroattr.reports.csp import _bodies, pin_scripts

_OLD = re.compile(r"<script\b[^>]*>(.*?)</script>", re.S | re.I)
_TAGS = (re.compile(r"<script\b[^>]*>", re.I), re.compile(r"</script>", re.I))

CASES = [
    "",
    "<p>no scripts</p>",
    "<script>a()</script>",
    '<SCRIPT type="x">b()</Script><script src="y"></script>',
    "<scripts>not a tag</scripts><script>c()</script>",
    "<script>open with no close",
    "<script>one</script> text <script>two\n lines</script><script>unclosed",
    "<script>x</script></script><script></script>",
    "<script a='>'>tricky</script>",
    "<scriptx>no</scriptx><script\n>newline</script>",
    "İ<script>ß()</script>İİ<script>é</SCRIPT>",
]


@pytest.mark.parametrize("html", CASES)
def test_scan_is_the_regular_expression(html):
    assert _bodies(html, *_TAGS) == _OLD.findall(html)


def test_scan_of_a_big_page_and_the_pinned_hashes():
    body = "var x = '<div>';" * 200_000  # megabytes of script, as the page's plotly.js
    page = ('<meta content="script-src \'unsafe-inline\'"><script>' + body + "</script>"
            "<p>x</p><script>f()</script>")
    assert _bodies(page, *_TAGS) == _OLD.findall(page) == [body, "f()"]
    pinned = pin_scripts(page)
    assert pinned.count("'sha256-") == 2 and "unsafe-inline" not in pinned
