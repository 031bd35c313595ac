"""The built wheel, installed into a fresh virtualenv outside the repository (shared by the
install and import-contract tests: built once per session)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def wheel_env(tmp_path_factory) -> dict[str, Path]:
    """A fresh venv holding only the built wheel; dependencies are borrowed from the
    project's venv through a ``.pth`` path (not a site dir, so its editable finder stays
    off and only the wheel's copy of macroattr can be imported)."""
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    # build from a copy of the tracked files: setuptools writes build/ next to the sources
    src = root / "src"
    files = subprocess.check_output(["git", "ls-files", "-z"], cwd=REPO).decode().split("\0")
    for rel in filter(None, files):
        if (REPO / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, src / rel)
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                        "-w", str(dist), str(src)], capture_output=True, text=True, cwd=root)
    assert r.returncode == 0, r.stderr[-2000:]
    wheel = next(dist.glob("macroattr-*.whl"))
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    site = Path(subprocess.check_output(
        [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    (site / "_borrowed_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
                        "--target", str(site), str(wheel)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    (env_dir / "bin" / "macroattr").write_text(
        f"#!{py}\nfrom macroattr.cli import main\nimport sys\nsys.exit(main())\n")
    (env_dir / "bin" / "macroattr").chmod(0o755)
    work = root / "elsewhere"
    work.mkdir()
    return {"py": py, "site": site, "work": work, "wheel": wheel, "bin": env_dir / "bin"}


