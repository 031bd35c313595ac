"""The papermill report notebook renders the same report as `macroattr report`, and fails
with the CLI's one-line message on bad input, leaving nothing behind."""

from __future__ import annotations

import json
import re

from pathlib import Path

import pytest

from macroattr.core.errors import InputError
from macroattr.cli import main
from macroattr.reports.notebook import render_report_notebook

pytestmark = pytest.mark.notebook

def _entry(manifest: dict, quarter: str, page: str | None = None) -> dict:
    """The manifest entry of the page ``<quarter>.html`` (entries are keyed by quarter and model)."""
    return next(e for e in manifest["reports"].values() if e["file"] == (page or f"{quarter}.html"))


QUARTER = "2024Q4"


def _cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    out = capsys.readouterr()
    return exc.value.code or 0, out.out, out.err


def _numbers(html: str) -> list[str]:
    """Every signed/decimal number in the report's visible text and tables, in order, minus
    the parts that legitimately differ between two renders (timestamps, timings)."""
    body = html.split("<body", 1)[1]
    body = re.sub(r"<script.*?</script>", "", body, flags=re.S)
    body = re.sub(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?[^<\s]*", "", body)
    body = re.sub(r"(built_at|fitted_at|rendered|timings?|sampling_s|compile_s|diagnostics_s|"
                  r"total_s|[Rr]endered at)[^<]*(<[^>]*>[^<]*){0,3}", "", body)
    text = re.sub(r"<[^>]+>", " ", body)
    return re.findall(r"[-+−]?\d+\.\d+", text)


def test_report_notebook_renders_the_cli_report(tmp_path, exact_config, cli_fit, capsys):
    cli_dir = tmp_path / "cli"
    code, out, err = _cli(["report", "--fit", str(cli_fit), "--quarter", QUARTER,
                           "--out", str(cli_dir)], capsys)
    assert code == 0, err
    nb_dir = tmp_path / "nb"
    res = render_report_notebook(QUARTER, config=exact_config, out_dir=nb_dir)
    # this model is not the default, so both pages carry its name: <quarter>-<model>.html
    page = Path(out.strip().splitlines()[-1]).name
    assert page.startswith(f"{QUARTER}-") and res.quarter == QUARTER
    assert res.report == nb_dir.resolve() / page
    assert res.notebook == nb_dir.resolve() / "notebooks" / f"{Path(page).stem}.ipynb"
    assert res.notebook.is_file() and not list(nb_dir.glob(".report-notebook.*"))

    a = _entry(json.loads((cli_dir / "reports.json").read_text()), QUARTER, page)
    b = _entry(json.loads((nb_dir / "reports.json").read_text()), QUARTER, page)
    for k in ("rendered_at", "file"):
        a.pop(k, None), b.pop(k, None)
    # headline numbers, gate, span, method: identical (floats to 1e-12: the CLI renders the
    # saved fit, the notebook its own in-memory refit; the printed numbers below are equal)
    floats = {k for k, v in a.items() if isinstance(v, float)}
    assert {k: v for k, v in a.items() if k not in floats | {"components"}} == \
        {k: v for k, v in b.items() if k not in floats | {"components"}}
    for k in floats:
        assert a[k] == pytest.approx(b[k], rel=1e-12, abs=1e-12), k
    for ca, cb in zip(a.get("components", []), b.get("components", []), strict=True):
        assert ca.keys() == cb.keys()
        for k, v in ca.items():
            assert v == (pytest.approx(cb[k], rel=1e-12, abs=1e-12) if isinstance(v, float) else cb[k])
    na = _numbers((cli_dir / page).read_text())
    nb = _numbers(res.report.read_text())
    assert len(na) > 50 and na == nb


def test_report_notebook_renders_a_saved_fit(tmp_path, cli_fit):
    res = render_report_notebook("latest", fit=cli_fit, out_dir=tmp_path)
    assert res.report.is_file() and re.fullmatch(r"\d{4}Q[1-4]", res.quarter)
    assert (tmp_path / "index.html").is_file()


def test_report_notebook_bad_quarter_is_the_cli_line(tmp_path, cli_fit, capsys):
    code, _, err = _cli(["report", "--fit", str(cli_fit), "--quarter", "1985Q1",
                         "--out", str(tmp_path / "cli")], capsys)
    assert code == 2
    with pytest.raises(InputError) as exc:
        render_report_notebook("1985Q1", fit=cli_fit, out_dir=tmp_path / "nb")
    assert f"macroattr: error: {exc.value}" == err.strip()
    assert not list((tmp_path / "nb").rglob("*.ipynb")) and not list((tmp_path / "nb").glob("*.html"))


def test_report_notebook_missing_inputs(tmp_path):
    with pytest.raises(InputError, match="config .*nope.toml not found"):
        render_report_notebook(config=tmp_path / "nope.toml", out_dir=tmp_path)
    with pytest.raises(InputError, match="fit file .*nope.nc not found"):
        render_report_notebook(fit=tmp_path / "nope.nc", out_dir=tmp_path)
    with pytest.raises(InputError, match="report notebook .* not found"):
        render_report_notebook(notebook=tmp_path / "x.ipynb", out_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
