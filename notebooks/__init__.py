"""The economists' notebooks, installed as package data of ``macroattr.notebooks`` so the
report notebook (``quarterly_report.ipynb``) is available outside the source tree."""

from pathlib import Path

NOTEBOOK_DIR = Path(__file__).parent

__all__ = ["NOTEBOOK_DIR"]
