"""File input and output shared by every layer.

* :func:`atomic_path`: write to a temp file, then rename; a disk error (full, read-only,
  permission) becomes one :class:`~macroattr.core.errors.InputError` line and no
  temp file is left behind.
* :func:`staging_dir`: a temp folder beside a set of outputs that are moved into place
  together only when every one is complete (report exports).
* :func:`check_destination`: the checks every output path gets *before* the work that
  produces it (not a directory, not one of the inputs, a writable folder).
* :func:`read_text_bounded`: read a small text input (key file, config) with a size cap, so a
  binary or endless file is refused with one line instead of being read into memory.
* :func:`csv_safe`: neutralise text cells a spreadsheet would run as a formula.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from macroattr.core.errors import InputError

__all__ = ["atomic_path", "check_destination", "check_input_path", "check_outputs", "csv_safe", "disk_error",
           "formula_like", "read_text_bounded", "safe_cell", "sigterm_held", "staging_dir"]

#: Prefix of the temp folders :func:`staging_dir` makes (hidden, so no index lists them).
STAGE_PREFIX = ".macroattr-stage-"

#: errno values that mean "this destination cannot take the file" (not a bug of ours).
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT,
                         errno.EFBIG, errno.EISDIR, errno.ENOTDIR})
_DISK_WORDS = ("no space left", "read-only file system", "permission denied", "disk quota",
               "file too large")


def disk_error(exc: BaseException, target: str | os.PathLike[str]) -> InputError | None:
    """The one-line :class:`InputError` for a disk error writing ``target``, or None when
    ``exc`` is not one (ENOSPC, EROFS, EACCES, EPERM, EDQUOT, EFBIG, EISDIR, ENOTDIR; also
    libraries that only say so in words, e.g. HDF5 or Arrow).

    Examples
    --------
    >>> import errno
    >>> str(disk_error(OSError(errno.ENOSPC, "No space left on device"), "fit.nc"))
    'cannot write fit.nc: No space left on device; free some space or choose another path (nothing was changed)'
    >>> disk_error(ValueError("x"), "fit.nc") is None
    True
    """
    if not isinstance(exc, OSError):
        return None
    text = f"{exc.strerror or ''} {exc}".lower()
    if exc.errno not in DISK_ERRNOS and not any(w in text for w in _DISK_WORDS):
        return None
    reason = exc.strerror or (os.strerror(exc.errno) if exc.errno else " ".join(str(exc).split()))
    return InputError(f"cannot write {target}: {reason}; free some space or choose another path "
                      "(nothing was changed)")


@contextlib.contextmanager
def staging_dir(parent: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a fresh temp folder inside ``parent`` (same file system, so moving a file out
    of it is an atomic rename); the folder and whatever is still in it are removed on exit,
    success or not (an exception, SIGTERM turned into one by the CLI).

    Build every file of a multi-file output in it, then move them into ``parent`` with
    :func:`os.replace` once all are complete: a failure midway leaves ``parent`` as it was.
    A disk error creating the folder is one :class:`~macroattr.core.errors.InputError`.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> with staging_dir(out) as stage:
    ...     _ = (stage / "a.txt").write_text("a")
    ...     os.replace(stage / "a.txt", out / "a.txt")
    >>> sorted(p.name for p in out.iterdir())
    ['a.txt']
    """
    import shutil

    parent = Path(parent)
    try:
        stage = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=parent))
    except OSError as exc:
        raise (disk_error(exc, parent) or InputError(
            f"cannot write into {parent}: {exc.strerror or exc}; choose a writable folder")) from None
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


@contextlib.contextmanager
def sigterm_held() -> Iterator[None]:
    """Hold SIGTERM back while finished files are renamed into place (in the main thread;
    elsewhere a no-op); a SIGTERM that came meanwhile is delivered right after."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    old = signal.signal(signal.SIGTERM, lambda signum, frame: got.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)
        if got:
            signal.raise_signal(signal.SIGTERM)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    On any exception the temporary file is removed and ``target`` is untouched, so a
    reader never sees a half-written file. A disk error (disk full, read-only file system,
    no permission) while writing or renaming is raised as a one-line
    :class:`~macroattr.core.errors.InputError` (see :func:`disk_error`).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> with atomic_path(out) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> out.read_text()
    'hello'
    """
    target = Path(target)
    parent = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise InputError(f"cannot write {target}: it is a directory; give a file path")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise InputError(
            f"cannot write {target}: {exc.strerror or exc}; choose a writable output path"
        ) from None
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp creates 0600; give the output the permissions a normal file would have
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        mapped = disk_error(exc, target)
        if mapped is not None:
            raise mapped from None
        raise


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def check_destination(
    target: str | os.PathLike[str],
    *,
    inputs: Iterable[str | os.PathLike[str] | None] = (),
    option: str = "--out",
    need_bytes: int = 0,
) -> Path:
    """Check that ``target`` can be written, before any work produces it.

    Refused with one :class:`InputError` line naming ``option``: a directory where a file
    belongs; a path that is one of ``inputs`` (writing would destroy the input); a folder that
    cannot be created or written (read-only file system, no permission); less free space
    than ``need_bytes``. Nothing is created: the folder is probed with a temp file that is
    removed at once.

    Returns
    -------
    pathlib.Path
        ``target`` as a Path.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> check_destination(d / "out.csv", inputs=[d / "in.csv"]).name
    'out.csv'
    >>> check_destination(d, option="--out")
    Traceback (most recent call last):
    ...
    macroattr.core.errors.InputError: --out ... is a directory; give a file path such as .../out.csv
    """
    target = Path(target)
    if target.is_dir():
        raise InputError(f"{option} {target} is a directory; give a file path such as "
                         f"{target / ('out' + (target.suffix or '.csv'))}")
    for src in inputs:
        if src is not None and _same_file(target, Path(src)):
            raise InputError(f"{option} {target} is also an input ({src}); writing it would destroy the "
                             "input: choose another output path")
    # the nearest folder that exists must be a writable directory
    parent = target.parent if str(target.parent) else Path(".")
    probe_dir = parent
    while not probe_dir.exists() and probe_dir != probe_dir.parent:
        probe_dir = probe_dir.parent
    if not probe_dir.is_dir():
        raise InputError(f"{option} {target}: {probe_dir} is a file, not a folder; choose another output path")
    try:
        fd, name = tempfile.mkstemp(prefix=".macroattr-probe.", dir=probe_dir)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise InputError(f"{option} {target}: cannot write in {probe_dir} ({exc.strerror or exc}); "
                         "choose a writable output path") from None
    if need_bytes > 0:
        import shutil

        free = shutil.disk_usage(probe_dir).free
        if free < need_bytes:
            raise InputError(f"{option} {target}: {probe_dir} has {_size(free)} free, the output needs about "
                             f"{_size(need_bytes)}; free some space or choose another path")
    return target


def check_input_path(path: str | os.PathLike[str], what: str, *, folder_ok: bool = False) -> Path:
    """Refuse, with one line naming ``what``, an input that exists but cannot be read as a file:
    a FIFO, a device (``/dev/zero``), a socket, a symlink loop (and a folder unless ``folder_ok``).
    A missing path passes (the reader says what is missing).

    Examples
    --------
    >>> check_input_path("/dev/zero", "--scenarios")
    Traceback (most recent call last):
    ...
    macroattr.core.errors.InputError: --scenarios /dev/zero is a device, not a regular file; give a file
    """
    import stat

    p = Path(path)
    try:
        mode = os.stat(p).st_mode
    except FileNotFoundError:
        return p
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{what} {p} is a symlink loop (a link that points back to itself); "
                             "give the real file") from None
        if exc.errno in (errno.ENOTDIR, errno.ENAMETOOLONG):
            raise InputError(f"{what} {p}: {exc.strerror}; check the path") from None
        raise InputError(f"cannot read {what} {p}: {exc.strerror or exc}") from None
    if stat.S_ISREG(mode) or (folder_ok and stat.S_ISDIR(mode)):
        return p
    kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "a folder" if stat.S_ISDIR(mode) else "not a file")
    raise InputError(f"{what} {p} is {kind}, not a regular file; give a file")


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return False


def check_outputs(
    outputs: dict[str, str | os.PathLike[str]],
    inputs: Iterable[tuple[str, str | os.PathLike[str]]],
    *,
    folders: Iterable[str] = (),
    shared_folders: Iterable[str] = (),
) -> None:
    """Check a command's outputs against its inputs and each other, before any work.

    Parameters
    ----------
    outputs : {option: path}
        What the command writes; those named in ``folders`` are folders, the others files.
    inputs : [(option, path)]
        What it reads; those named in ``shared_folders`` are folders it reads (a store, a
        cache) that an output may sit inside.

    Refused with one line: an output that is an input (same path, or the same file through a
    symlink or hard link); a folder output that holds an input file; a file output that is an
    existing folder; two outputs that are one path (or one inside the other's folder).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp()); (d / "panel.csv").write_text("x")
    1
    >>> check_outputs({"--out": d}, [("--panel", d / "panel.csv")], folders=["--out"])
    Traceback (most recent call last):
    ...
    macroattr.core.errors.InputError: --out ... holds the input --panel .../panel.csv; the command writes its files there: choose another folder
    """
    folders = set(folders)
    shared = set(shared_folders)
    ins = [(o, Path(p)) for o, p in inputs if p is not None]
    outs = {o: Path(p) for o, p in outputs.items() if p is not None}
    for option, target in outs.items():
        if option not in folders and target.is_dir():
            raise InputError(f"{option} {target} is a directory; give a file path such as "
                             f"{target / ('out' + (target.suffix or '.csv'))}")
        if option in folders and target.exists() and not target.is_dir():
            raise InputError(f"{option} {target} is a file; give a folder for the outputs")
        for src_opt, src in ins:
            if _same_file(target, src):
                raise InputError(f"{option} {target} is also the input {src_opt} {src}; writing it would destroy "
                                 "the input: choose another output path")
            if option in folders and src_opt not in shared and _inside(src, target):
                raise InputError(f"{option} {target} holds the input {src_opt} {src}; the command writes its "
                                 "files there: choose another folder")
    items = list(outs.items())
    for i, (a, pa) in enumerate(items):
        for b, pb in items[i + 1:]:
            if _same_file(pa, pb) or (a in folders and _inside(pb, pa)) or (b in folders and _inside(pa, pb)):
                raise InputError(f"{a} {pa} and {b} {pb} name the same place; give each output its own path")


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def read_text_bounded(path: str | os.PathLike[str], what: str, limit: int = 1 << 20) -> str:
    """Read a small UTF-8 text input, refusing with one line what is not one.

    Refused: a missing or unreadable path, something that is not a regular file (a
    device such as ``/dev/zero``, a FIFO), a file larger than ``limit`` bytes, binary
    content (NUL bytes, not UTF-8).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "k.txt"
    >>> _ = p.write_bytes(b"\\x00\\xff" * 10)
    >>> read_text_bounded(p, "the FRED key file")
    Traceback (most recent call last):
    ...
    macroattr.core.errors.InputError: the FRED key file ... is binary, not text; give a UTF-8 text file
    """
    p = Path(path)
    try:
        if not p.exists():
            raise InputError(f"cannot read {what} {p}: not found; check the path")
        if not p.is_file():
            raise InputError(f"{what} {p} is not a regular file; give a text file")
        with open(p, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read {what} {p}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputError(f"{what} {p} is larger than {_size(limit)}; give the right file")
    if b"\x00" in data:
        raise InputError(f"{what} {p} is binary, not text; give a UTF-8 text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{what} {p} is binary, not text; give a UTF-8 text file") from None


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_like(value: Any) -> bool:
    """True for text a spreadsheet would run as a formula: it starts with ``= + - @``, tab
    or CR and does not read as a number (``-1.23`` is a number). The one rule behind
    :func:`safe_cell` (CSV) and the workbook export (text cells typed as text).

    Examples
    --------
    >>> formula_like("=1+1"), formula_like("@SUM(1)"), formula_like("-1.23"), formula_like(-1.0)
    (True, True, False, False)
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return False
    try:
        float(value)
        return False
    except ValueError:
        return True


def safe_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula
    (starts with ``= + - @``, tab or CR); numbers, and text that reads as a number
    (``-1.23``), are left alone.

    Examples
    --------
    >>> safe_cell("=HYPERLINK(1)"), safe_cell("@SUM(1+1)"), safe_cell("-1.23"), safe_cell(-2.0)
    ("'=HYPERLINK(1)", "'@SUM(1+1)", '-1.23', -2.0)
    """
    return "'" + value if formula_like(value) else value


def csv_safe(frame):
    """A copy of a DataFrame whose text cells, column names and index labels pass through
    :func:`safe_cell`; use it for every CSV the product writes.

    Examples
    --------
    >>> import pandas as pd
    >>> csv_safe(pd.DataFrame({"group": ["=cmd|' /C calc'!A0", "rates"], "mean": [-1.5, 2.0]}))
                     group  mean
    0  '=cmd|' /C calc'!A0  -1.5
    1                rates   2.0
    """
    from pandas.api.types import is_numeric_dtype

    out = frame.copy()
    for col in out.columns:
        if not is_numeric_dtype(out[col].dtype):  # text, object, category columns
            out[col] = out[col].astype(object).map(safe_cell)
    out.columns = [safe_cell(c) for c in out.columns]
    if not is_numeric_dtype(out.index.dtype):
        out.index = out.index.map(safe_cell)
    return out


#: How deep a TOML input may nest arrays and tables (a config is a few flat tables).
TOML_MAX_DEPTH = 200


def toml_loads(text: str) -> dict[str, Any]:
    """``tomllib.loads`` with nesting bounded by :data:`TOML_MAX_DEPTH`, whatever the interpreter's
    recursion limit (some libraries raise it): deeper input raises ``RecursionError``, which the
    callers turn into their one-line "nests too deeply" error.

    Examples
    --------
    >>> toml_loads("a = [[1], [2]]")
    {'a': [[1], [2]]}
    >>> toml_loads("x = " + "[" * 3000 + "]" * 3000)
    Traceback (most recent call last):
    RecursionError: TOML nests deeper than 200 levels
    """
    import sys
    import tomllib

    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    old = sys.getrecursionlimit()
    # tomllib recurses a few frames per nesting level
    sys.setrecursionlimit(depth + 8 * TOML_MAX_DEPTH)
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise RecursionError(f"TOML nests deeper than {TOML_MAX_DEPTH} levels") from None
    finally:
        sys.setrecursionlimit(old)
