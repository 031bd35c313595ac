"""Run the ``macroattr`` CLI in-process and check its one-line errors (shared by the suites)."""

from __future__ import annotations

import pytest

from macroattr.cli import main


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    """Run ``macroattr ARGV``; return (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
        raise SystemExit(0)
    out = capsys.readouterr()
    return exc.value.code or 0, out.out, out.err


def one_line_error(code: int, err: str, exit_code: int = 2) -> str:
    """Assert the CLI failed with ``exit_code`` and exactly one ``macroattr: error:`` line."""
    assert code == exit_code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("macroattr: error: "), err
    return lines[0]
