"""Fixtures for the report tests: real (exact-method) fits on the embedded snapshot,
rendered reports, and a headless Chromium that may not touch the network."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

OUTPUT = Path(__file__).resolve().parents[1] / "_output"

os.environ.setdefault("PYTENSOR_FLAGS", f"base_compiledir={Path(__file__).resolve().parents[2]}/.cache/pytensor")


def static_page(quarter: str, ext: str = "html") -> str:
    """The file name of a quarter's page of the static monthly exact model (not the default
    model, so never the plain ``<quarter>.html``)."""
    return f"{quarter}-monthly-static-normal-exact.{ext}"


def exact_config(**kw):
    """The default model with the instant conjugate ("exact") posterior."""
    from macroattr.models import ModelConfig

    return ModelConfig.shipped("static_monthly").override(method="exact", **kw)


@pytest.fixture(scope="session")
def exact_fit(monthly_panel):
    """Exact-method fit of the default model on the snapshot (4 x 1000 iid draws: gate passes)."""
    from macroattr.models import fit_model

    fit = fit_model(monthly_panel, exact_config())
    assert fit.diagnostics.gate.passed
    return fit


@pytest.fixture(scope="session")
def failed_gate_fit(monthly_panel):
    """A real fit whose gate fails: too few draws for the bulk-ESS threshold."""
    from macroattr.models import fit_model

    fit = fit_model(monthly_panel, exact_config(draws=60, chains=2))
    assert not fit.diagnostics.gate.passed
    return fit


@pytest.fixture(scope="session")
def fit_file(exact_fit, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fit") / "fit.nc"
    exact_fit.save(str(path))
    return path


@pytest.fixture(scope="session")
def rendered(exact_fit, tmp_path_factory):
    """The latest quarter and 2024Q3 rendered into one directory."""
    from macroattr.reports import render_report

    out = tmp_path_factory.mktemp("reports")
    latest = render_report(exact_fit, "latest", out)
    older = render_report(exact_fit, "2024Q3", out)
    return {"dir": out, "latest": latest, "older": older}


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-default-apps", "--disable-extensions"]


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright (no Playwright browser download)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("the browser tests need Debian's chromium: run `make browser` "
                    "(or apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=_ARGS)
        yield b
        b.close()


class PageLog:
    """Console errors, page errors, dialogs and every request that is not the file itself."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))

        def on_dialog(d):
            self.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", on_dialog)

        def route(r):
            url = r.request.url
            if url.startswith(("file://", "data:", "blob:", "about:")):
                r.continue_()
            else:  # any network request is a failure: record and block it
                self.requests.append(url)
                r.abort()

        page.route("**/*", route)


@pytest.fixture
def open_page(browser):
    """Open a local HTML file at a given viewport width; returns (page, log)."""
    contexts = []

    def _open(path: Path, width: int = 1280, height: int = 900):
        ctx = browser.new_context(viewport={"width": width, "height": height},
                                  service_workers="block")
        contexts.append(ctx)
        page = ctx.new_page()
        log = PageLog(page)
        page.goto(Path(path).resolve().as_uri(), wait_until="load")
        return page, log

    yield _open
    for ctx in contexts:
        ctx.close()
