"""The quarterly report as an executed notebook (papermill), for teams that publish notebooks.

:func:`render_report_notebook` runs ``notebooks/quarterly_report.ipynb`` with papermill. By
default the notebook runs the main job (:func:`macroattr.jobs.run.run_pipeline`, what
``macroattr run`` and ``make run`` run: the cached main fit, the same page); given a config it
runs that model the same way, given a saved fit it calls :func:`reports.render_report` — the
code ``macroattr report --fit`` runs. The executed notebook is kept beside the reports as
``notebooks/<page>.ipynb``.

The notebook runs in the caller's working directory, as ``macroattr run`` started there would
(the same default fit cache, :func:`macroattr.jobs.cache.default_cache_dir`); paths are passed in
absolute.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from macroattr.core.errors import ConvergenceError, FredError, InputError, MacroattrError
from macroattr.core.io import atomic_path
from macroattr.notebooks import NOTEBOOK_DIR
from macroattr.reports.render import DEFAULT_OUT_DIR, check_out_dir

__all__ = ["NotebookReport", "REPORT_NOTEBOOK", "render_report_notebook"]

#: The parameterised report notebook (parameters: quarter, source, config, fit_path, out_dir,
#: cache_dir, headline_csv).
REPORT_NOTEBOOK = NOTEBOOK_DIR / "quarterly_report.ipynb"
_PATH_TAG = "report-path"
_ERRORS: dict[str, type[MacroattrError]] = {
    "InputError": InputError, "FredError": FredError, "ConvergenceError": ConvergenceError,
}


@dataclass(frozen=True)
class NotebookReport:
    """What :func:`render_report_notebook` produced: the HTML report and the executed notebook."""

    report: Path
    notebook: Path
    quarter: str


def _report_path(nb) -> Path:  # noqa: ANN001 - nbformat.NotebookNode
    for cell in nb.cells:
        if _PATH_TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        for out in cell.get("outputs", []):
            for line in str(out.get("text", "")).splitlines():
                if line.startswith("report: "):
                    return Path(line.removeprefix("report: ").strip())
    raise InputError(f"the report notebook ran but printed no report path (a cell tagged "
                     f"{_PATH_TAG!r} must print 'report: PATH'); restore {REPORT_NOTEBOOK.name}")


def render_report_notebook(quarter: str = "latest", config: str | os.PathLike[str] | None = None,
                           fit: str | os.PathLike[str] | None = None,
                           out_dir: str | os.PathLike[str] = DEFAULT_OUT_DIR, *, source: str = "auto",
                           cache_dir: str | os.PathLike[str] | None = None,
                           notebook: str | os.PathLike[str] = REPORT_NOTEBOOK,
                           kernel_name: str | None = None, progress: bool = False) -> NotebookReport:
    """Execute the quarterly report notebook with papermill and keep the executed copy.

    Parameters
    ----------
    quarter
        ``"2024Q3"`` or ``"latest"`` (the last complete quarter of the fit).
    config
        Model configuration TOML (its ``[panel]`` table sets the panel, as ``macroattr run
        --config``); default: the main job (``configs/default.toml``, with the scenario
        cross-check of ``macroattr run``). Ignored when ``fit`` is given.
    fit
        A fit saved by ``macroattr fit`` / :meth:`models.Fit.save`, rendered as is.
    out_dir
        Report directory: receives the page, ``index.html``, ``reports.json`` and the
        executed notebook ``notebooks/<page>.ipynb``.
    source
        Data source when fitting: ``"auto"``, ``"fred"`` or ``"snapshot"`` (as ``macroattr run``).
    cache_dir
        Fit cache (default :func:`macroattr.jobs.cache.default_cache_dir`, as ``macroattr run``).
    notebook
        The template notebook (default: ``notebooks/quarterly_report.ipynb``).
    kernel_name
        Jupyter kernel (default: the notebook's own, ``python3``).
    progress
        Show papermill's progress bar.

    Returns
    -------
    NotebookReport
        Paths of the HTML report and the executed notebook, and the quarter rendered.

    Raises
    ------
    InputError
        Missing notebook/config/fit, an unwritable ``out_dir``, or any macroattr error inside
        the notebook (re-raised with the same one-line message and class). No executed notebook
        is left behind when it fails.

    Examples
    --------
    >>> from macroattr.reports.notebook import render_report_notebook               # doctest: +SKIP
    >>> render_report_notebook("2024Q4").report        # the main job's page  # doctest: +SKIP
    PosixPath('/.../reports/build/2024Q4.html')
    """
    nb_path = Path(notebook)
    if not nb_path.is_file():
        raise InputError(f"report notebook {nb_path} not found; it ships in the repository's "
                         "notebooks/ folder")
    cfg = Path(config) if config is not None else None
    if fit is None and cfg is not None and not cfg.is_file():
        raise InputError(f"config {cfg} not found; pass an existing TOML file as config")
    if fit is not None and not Path(fit).is_file():
        raise InputError(f"fit file {fit} not found; write one with `macroattr fit --out FILE`")
    out = Path(out_dir).resolve()
    check_out_dir(out)
    params = {"quarter": str(quarter), "source": str(source),
              "config": str(cfg.resolve()) if cfg is not None else "",
              "fit_path": str(Path(fit).resolve()) if fit is not None else "",
              "out_dir": str(out),  # cache "": the default of this working directory
              "cache_dir": str(Path(cache_dir).resolve()) if cache_dir is not None else ""}

    import nbformat
    import papermill as pm

    fd, tmp_name = tempfile.mkstemp(prefix=".report-notebook.", suffix=".ipynb", dir=out)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            pm.execute_notebook(str(nb_path), str(tmp), parameters=params, cwd=str(Path.cwd()),
                                kernel_name=kernel_name, progress_bar=progress, log_output=False)
        except pm.PapermillExecutionError as exc:
            cls = _ERRORS.get(exc.ename)
            if cls is not None:
                raise cls(exc.evalue) from None
            raise InputError(f"report notebook {nb_path.name} failed in cell {exc.exec_count}: "
                             f"{exc.ename}: {exc.evalue}") from None
        executed = nbformat.read(tmp, as_version=4)
        report = _report_path(executed)
        target = out / "notebooks" / f"{report.stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(target) as dst:
            shutil.copyfile(tmp, dst)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    # the page is <quarter>.html for the default model, <quarter>-<model>.html for any other
    quarter_label = re.match(r"\d{4}Q[1-4]", report.stem)
    return NotebookReport(report=report, notebook=target,
                          quarter=quarter_label[0] if quarter_label else report.stem)
