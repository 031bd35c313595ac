"""Execute the notebooks in notebooks/ with papermill, from that folder, with tiny settings."""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"

#: The tiny, fast setting the suite injects into every notebook's parameter cell.
EXACT = {"METHOD": "exact", "DRAWS": 200, "CHAINS": 2}


def execute(name: str, out_dir: Path, /, **parameters) -> nbformat.NotebookNode:
    """Run ``notebooks/<name>`` top to bottom (cwd = notebooks/); fail on any cell error."""
    import papermill as pm

    os.environ.setdefault("PYTENSOR_FLAGS", f"base_compiledir={REPO / '.cache' / 'pytensor'}")
    out = out_dir / f"executed-{name}"
    pm.execute_notebook(str(NOTEBOOKS / name), str(out), parameters=parameters,
                        cwd=str(NOTEBOOKS), progress_bar=False, log_output=False,
                        kernel_name="python3")
    return nbformat.read(out, as_version=4)


def cell_text(nb: nbformat.NotebookNode, startswith: str) -> str:
    """All stdout of the code cell whose source starts with ``startswith``."""
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith(startswith):
            return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
    raise AssertionError(f"no code cell starts with {startswith!r}")


def errors(nb: nbformat.NotebookNode) -> list[tuple[int, dict]]:
    """(cell index, error output) of every cell that raised."""
    return [(i, o) for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for o in c.outputs if o.output_type == "error"]


_ROW = re.compile(r"^\s*(\S+)\s+(\w+)\s+(-?\d+\.\d+)\s+(-?\d+\.\d+)\s+(-?\d+\.\d+)\s+(-?\d+\.\d+)\s+(\S+)"
                  r"(?:\s+(?:True|False))?\s*$")  # optional ``complete`` column


def parse_attribution(text: str) -> dict[tuple[str, str], tuple[float, float, float, float]]:
    """Rows ``period component mean median hdi_low hdi_high unit [complete]`` of a printed table."""
    rows = {}
    for line in text.splitlines():
        m = _ROW.match(line)
        if m:
            rows[(m[1], m[2])] = tuple(float(m[i]) for i in range(3, 7))
    return rows


@pytest.fixture(scope="session")
def exact_config(tmp_path_factory) -> Path:
    """The default config with the tiny exact sampler setting, as a TOML file."""
    from macroattr.models import ModelConfig

    cfg = ModelConfig.shipped("static_monthly").override(method="exact", draws=EXACT["DRAWS"],
                                         chains=EXACT["CHAINS"])
    path = tmp_path_factory.mktemp("cfg") / "exact.toml"
    path.write_text(cfg.to_toml(), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def cli_fit(tmp_path_factory, exact_config) -> Path:
    """``macroattr fit --config exact.toml`` on the default monthly snapshot panel."""
    from macroattr.cli import main

    out = tmp_path_factory.mktemp("clifit") / "fit.nc"
    with pytest.raises(SystemExit) as exc:
        main(["fit", "--config", str(exact_config), "--out", str(out)])
    assert (exc.value.code or 0) == 0
    return out
