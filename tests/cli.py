"""Run the ``macroattr`` CLI in-process and check its one-line errors (shared by the suites)."""

from __future__ import annotations

import os

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


def skip_unless_ci(reason: str) -> None:
    """Skip with ``reason`` where the environment cannot run a test (a user's clone, a
    machine without mount); under ``CI=true`` fail instead, so CI never passes by skipping."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def fred_cli(capsys, monkeypatch, fred_key: str, server, store):
    """``run(*args, url=True) -> (code, out, err)``: the CLI against the FRED replay
    ``server`` with the test key and ``store``; ``run.outputs`` keeps every output."""
    monkeypatch.setenv("FRED_API_KEY", fred_key)
    monkeypatch.setenv("MACROATTR_STORE", str(store))
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str, url: bool = True) -> tuple[int, str, str]:
        argv = list(args)
        if url:
            argv += ["--fred-url", server.url, "--rate", "1000", "--timeout", "1", "--retries", "2"]
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code or 0
        out, err = capsys.readouterr()
        run.outputs.append(out + err)
        return code, out, err

    run.outputs = []
    run.store = store
    return run
