"""Small modules named for what they hold: none over ~500 lines without its reason stated
in its docstring (a paragraph starting ``Long module:``)."""

from __future__ import annotations

import ast

from tests.support.layout import modules

LIMIT = 500


def test_long_modules_say_why():
    bad = []
    for name, path in modules().items():
        src = path.read_text()
        if src.count("\n") <= LIMIT:
            continue
        doc = ast.get_docstring(ast.parse(src)) or ""
        if "Long module:" not in doc:
            bad.append(f"{name} ({src.count(chr(10))} lines): split it or add a 'Long module:' reason")
    assert not bad, "\n".join(bad)
