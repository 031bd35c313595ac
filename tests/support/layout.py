"""The installed layout of the package, assembled from the source tree.

pyproject's ``[tool.setuptools.package-dir]`` maps top-level folders under ``macroattr``
(``models/`` installs as ``macroattr.models``, ...). Tools that read a package from disk
(import-linter's grimp, mypy) see that layout only in an installed wheel; an editable
install hides it behind an import hook. :func:`assemble` copies the sources into
``dest/macroattr/...`` exactly as the wheel lays them out (``packages`` and
``package-dir`` of pyproject), so those tools run on what users install.

Run ``python -m tests.support.layout DEST`` to assemble by hand.
"""

from __future__ import annotations

import shutil
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

__all__ = ["REPO", "assemble", "modules"]


def assemble(dest: Path, repo: Path = REPO) -> Path:
    """Copy every package's ``.py`` files (and ``py.typed``) from ``repo`` into ``dest``
    in the installed layout; returns ``dest``."""
    st = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["setuptools"]
    mapping: dict[str, str] = st["package-dir"]
    for pkg in st["packages"]:
        # the nearest mapped ancestor decides the folder (setuptools' rule)
        parts = pkg.split(".")
        for k in range(len(parts), 0, -1):
            base = ".".join(parts[:k])
            if base in mapping:
                src = repo / mapping[base] / Path(*parts[k:])
                break
        else:  # pragma: no cover - every package is under a mapped root
            raise ValueError(f"package {pkg} has no package-dir mapping")
        out = dest / Path(*parts)
        out.mkdir(parents=True, exist_ok=True)
        for f in src.iterdir():
            if f.is_file() and (f.suffix in (".py", ".pyi") or f.name == "py.typed"):
                shutil.copy2(f, out / f.name)
    return dest


def modules(repo: Path = REPO) -> dict[str, Path]:
    """Every installed module name -> its source file, from pyproject's package-dir map."""
    st = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["setuptools"]
    dirs = {pkg: repo / d for pkg, d in st["package-dir"].items()}
    out: dict[str, Path] = {}
    for pkg, root in dirs.items():
        for f in root.rglob("*.py"):
            rel = f.relative_to(root).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([pkg, *parts])
            # a sub-folder mapped to its own package name is listed once, under that name
            if any(name == o or name.startswith(o + ".") for o in dirs
                   if o != pkg and o.startswith(pkg + ".")):
                continue
            out[name] = f
    return out


if __name__ == "__main__":  # pragma: no cover
    print(assemble(Path(sys.argv[1])))
