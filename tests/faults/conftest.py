"""Fixtures for the fault tests: disk snapshots, a small or read-only file system.

A full disk and a read-only file system are real where the machine allows it (a tmpfs
mounted for the test, as root); elsewhere the tests fall back to a faked file-system error
(``errno.ENOSPC`` / ``EROFS`` raised by the write) so every case still runs.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from tests.cli import skip_unless_ci

os.environ.setdefault(
    "PYTENSOR_FLAGS", f"base_compiledir={Path(__file__).resolve().parents[2] / '.cache' / 'pytensor'}"
)


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` (hidden ones and temp files included) -> sha256 of its bytes."""
    root = Path(root)
    if not root.exists():
        return {}
    if root.is_file():
        return {root.name: hashlib.sha256(root.read_bytes()).hexdigest()}
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _mount(where: Path, size: str, readonly: bool = False) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                       capture_output=True)
    return r.returncode == 0


def _umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], capture_output=True)


@contextlib.contextmanager
def small_fs(where: Path, size: str = "1m"):
    """A real tmpfs of ``size`` at ``where`` (yields True), or a plain folder (False)."""
    ok = _mount(where, size)
    try:
        yield ok
    finally:
        if ok:
            _umount(where)


def fill(folder: Path, leave: int = 0) -> None:
    """Fill the file system of ``folder`` until at most ``leave`` bytes are free."""
    import shutil

    free = shutil.disk_usage(folder).free
    with open(folder / "filler.bin", "wb") as fh:
        chunk = b"\0" * 4096
        try:
            while free > leave + 4096:
                fh.write(chunk)
                fh.flush()
                free = shutil.disk_usage(folder).free
            os.fsync(fh.fileno())
        except OSError:
            pass


@pytest.fixture
def full_disk(tmp_path, monkeypatch):
    """A folder on a full file system: real (tmpfs filled up) or faked (every write in it
    raises ENOSPC). Yields (folder, prepare) where ``prepare()`` fills it once the test has
    put its "previous" files there."""
    where = tmp_path / "full"
    with small_fs(where, "2m") as real:
        state = {"real": real}

        def prepare(leave: int = 0) -> None:
            if real:
                fill(where, leave)
                return
            import builtins

            real_open = builtins.open

            def fake_open(file, mode="r", *a, **k):
                if any(c in mode for c in "wax") and str(file).startswith(str(where)):
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(file))
                return real_open(file, mode, *a, **k)

            monkeypatch.setattr(builtins, "open", fake_open)

        yield where, prepare, state


@pytest.fixture
def readonly_dir(tmp_path):
    """A read-only folder: a tmpfs remounted read-only (EROFS) where possible, else chmod
    0555 for a non-root user; skipped when neither is possible (root without mount)."""
    where = tmp_path / "ro"
    mounted = _mount(where, "1m")
    if mounted:
        yield where, lambda: subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
        _umount(where)
        return
    if os.geteuid() == 0:
        skip_unless_ci("root without mount: cannot make a read-only folder")
    where.mkdir(exist_ok=True)
    yield where, lambda: where.chmod(0o555)
    where.chmod(0o755)


# the FRED replay server and its key, shared with tests/fred
from tests.fred.conftest import _server, fast_config, fred_key, fred_server  # noqa: E402,F401
