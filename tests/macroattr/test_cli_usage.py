"""Usage errors are one line on stderr like every other error (exit 2), through click's
public non-standalone mode: no Typer box, no traceback."""

from __future__ import annotations

import pytest

from tests.cli import one_line_error, run_cli


@pytest.mark.parametrize(("argv", "needle"), [
    (["fit", "--bogus"], "No such option: --bogus"),
    (["fit", "--draws", "abc"], "Invalid value for '--draws'"),
    (["report"], "Missing option '--fit'"),
    (["data", "panel", "--out"], "Option '--out' requires an argument"),
    (["no-such-command"], "No such command 'no-such-command'"),
])
def test_usage_errors_are_one_line(capsys, argv, needle):
    code, out, err = run_cli(argv, capsys)
    line = one_line_error(code, err, exit_code=2)
    assert needle in line and "--help`" in line, line
    assert "╭" not in err and "Traceback" not in err and out == ""


def test_help_and_version_still_exit_zero(capsys):
    code, out, err = run_cli(["fit", "--help"], capsys)
    assert code == 0 and "--out" in out and err == ""
    code, out, _ = run_cli(["--version"], capsys)
    assert code == 0 and out.startswith("macroattr ")
