"""``macroattr <command> --help``: arguments by name, not by Python type; paragraphs rewrapped.

Every command of the tree is checked, so a new command with a positional argument that is
not declared with ``cls=ArgumentsCommand`` (Typer would print ``FIT <list[Path]>``) fails here.
"""

from __future__ import annotations

import inspect
import re

import pytest
import typer.main

from macroattr.cli import app
from tests.cli import run_cli

WIDTH = 78  # click's help width on an 80-column terminal (min(columns, 80) - 2)


def _commands(group=None, path=()):
    group = group or typer.main.get_command(app)
    for name, sub in sorted(getattr(group, "commands", {}).items()):
        if getattr(sub, "commands", None):
            yield from _commands(sub, (*path, name))
        else:
            yield (*path, name), sub


COMMANDS = dict(_commands())


def _help(argv, capsys, monkeypatch) -> str:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run_cli([*argv, "--help"], capsys)
    assert code == 0 and not err, err
    return out


def test_the_tree_is_walked():
    assert ("compare",) in COMMANDS and ("data", "show",) in COMMANDS and len(COMMANDS) >= 12


@pytest.mark.parametrize("argv", sorted(COMMANDS), ids=" ".join)
def test_help_names_values_not_python_types(argv, capsys, monkeypatch):
    out = _help(list(argv), capsys, monkeypatch)
    assert "list[" not in out, out
    assert not re.search(r"<(str|int|float|bool|path|Path|file)>", out), out
    assert "``" not in out and ":func:" not in out and ":class:" not in out, out  # no rst markup
    usage = out.splitlines()[0]
    assert usage.startswith(f"Usage: macroattr {' '.join(argv)} [OPTIONS]") and "{" not in usage, usage
    arguments = [p for p in COMMANDS[argv].params if p.param_type_name == "argument"]
    for p in arguments:  # each argument: its name in usage and in the Arguments section
        name = p.metavar + ("..." if p.nargs != 1 else "")
        assert f" {name}" in usage, usage
        assert re.search(rf"^Arguments:\n  {re.escape(name)}  {re.escape(p.help)}  \[required\]$",
                         out, re.M), out


def test_compare_and_show_read_as_click_help(capsys, monkeypatch):
    out = _help(["compare"], capsys, monkeypatch)
    assert out.startswith("Usage: macroattr compare [OPTIONS] FIT...\n")
    assert "\nArguments:\n  FIT...  Two or more fit files.  [required]\n" in out
    out = _help(["data", "show"], capsys, monkeypatch)
    assert out.startswith("Usage: macroattr data show [OPTIONS] SERIES\n")
    assert "\nArguments:\n  SERIES  FRED id, e.g. DGS2.  [required]\n" in out


def _paragraphs(text: str) -> list[list[str]]:
    paras, cur = [], []
    for line in text.splitlines():
        if line.strip():
            cur.append(line)
        elif cur:
            paras.append(cur)
            cur = []
    return paras + ([cur] if cur else [])


@pytest.mark.parametrize("argv", sorted(COMMANDS), ids=" ".join)
def test_docstring_paragraphs_are_rewrapped_not_kept(argv, capsys, monkeypatch):
    """The help's description is the docstring's paragraphs, each rewrapped greedily to the
    width (a line ends only where the next word would not fit), not the source's breaks."""
    out = _help(list(argv), capsys, monkeypatch)
    desc = out.split("\n\n", 1)[1].split("\nArguments:\n")[0].split("\nOptions:\n")[0]
    doc = inspect.cleandoc(COMMANDS[argv].callback.__doc__ or "")
    want = [" ".join(p.split()) for p in doc.split("\n\n") if p.strip()]
    got = _paragraphs(desc)
    assert [" ".join(" ".join(p).split()) for p in got] == want, (got, want)
    for para in got:
        for line, nxt in zip(para, para[1:]):
            assert len(line.rstrip()) + 1 + len(nxt.split()[0]) > WIDTH, (line, nxt)
    if any(len(p) > WIDTH for p in want):
        assert any(len(p) > 1 for p in got)  # a long paragraph is wrapped, not one long line
