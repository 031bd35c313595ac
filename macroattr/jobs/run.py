"""The main job, end to end: panel → fit → quarterly report, and the main fit.

:func:`run_pipeline` is what ``macroattr run`` (and ``make run``) calls. It builds the
panel the configuration's ``[panel]`` table asks for (:mod:`macroattr.jobs.inputs`: from
FRED when a key is available and asked for, else the embedded snapshot); reuses a cached
fit when the panel's settings and content, the configuration and the seed are unchanged
(:mod:`macroattr.jobs.cache`); and renders the quarter's report plus the index.
:func:`main_fit` is the fit every view without a named fit reads (the same cached file).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from macroattr.core.errors import InputError
from macroattr.jobs.cache import cached_fit, panel_keeper
from macroattr.jobs.inputs import SOURCES, build_config_panel, build_run_panel, has_fred_key, main_inputs

__all__ = ["MainFit", "RunResult", "main_fit", "other_shipped", "run_pipeline"]

@dataclass(frozen=True)
class RunResult:
    """What a pipeline run produced."""

    report: Path
    fit_path: Path
    reused_fit: bool
    source: str
    quarter: str
    #: every file written per format (``{"html": [page], "xlsx": [book], ...}``)
    written: dict[str, list[Path]] = field(default_factory=dict)
    #: the other shipped model's fit the scenarios were cross-checked against (or None)
    other_fit_path: Path | None = None
    #: the fit the report was rendered from (the object behind ``fit_path``)
    fit: Any = field(default=None, repr=False, compare=False)

def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)

def _fit_quarters(panel: Any, config: Any) -> list[str]:
    """Complete quarters of the span the fit will cover (config start/end applied)."""
    import pandas as pd

    from macroattr.core.periods import complete_quarters

    idx = pd.DatetimeIndex(panel.data.index)
    if config.start:
        idx = idx[idx >= pd.Timestamp(config.start)]
    if config.end:
        idx = idx[idx <= pd.Timestamp(config.end)]
    return complete_quarters(idx, str(panel.meta.get("freq", "M")))

@dataclass(frozen=True)
class MainFit:
    """The main job's fit as :func:`main_fit` found or made it."""

    fit: Any
    path: Path
    reused: bool
    config_name: str
    source: str

    def describe(self) -> str:
        """One line: which fit this is (span, model, config, cache file)."""
        a, b = self.fit.span
        kind = {"D": "daily", "M": "monthly"}.get(self.fit.freq, self.fit.freq)
        return (f"the main fit ({self.config_name}, {self.fit.config.model.betas} betas, "
                f"{self.fit.meta.get('method')}, {kind} {a}..{b}; {self.path})")


def main_fit(config: str | os.PathLike[str] | Any | None = None, *, source: str = "auto",
             panel: Mapping[str, Any] | Any | None = None,
             model: Mapping[str, Any] | None = None,
             cache_dir: str | os.PathLike[str] | None = None,
             store: str | os.PathLike[str] | None = None, refit: bool = False,
             progress: Callable[[str], None] | None = None,
             check: Callable[[Any, Any], None] | None = None,
             step: str = "main fit") -> MainFit:
    """The fit ``macroattr run`` makes for the current data: read from the fit cache, or
    fitted once and cached (the very file ``run`` reuses).

    Every view without a named fit reads this one: ``macroattr event``, ``scenario``,
    ``attribution`` and ``summary`` without ``--fit``, the notebooks and the report of
    ``run``. Unlike ``run`` it never refreshes FRED: ``source="auto"`` reads the local FRED
    store where it holds a series (what the last ``run`` fetched) and the embedded snapshot
    otherwise.

    Parameters
    ----------
    config, panel, model
        As :func:`run_pipeline` (default: ``configs/default.toml`` as it stands).
    source
        ``"auto"``, ``"fred"`` (the store only) or ``"snapshot"``.
    cache_dir, store, refit
        As :func:`run_pipeline`.
    progress
        Called with one line per stage (default: silent).
    check
        Called with the panel and model config before any fitting (a command's own input
        checks, e.g. a window inside the span: bad input fails before the work).
    step
        How the progress lines name this fit (``run`` names its scenario cross-check fit).

    Returns
    -------
    MainFit

    Examples
    --------
    >>> from macroattr.jobs.run import main_fit
    >>> m = main_fit()                       # doctest: +SKIP
    >>> m.fit.event("2024-07-10", "2024-07-16").explained_share()   # doctest: +SKIP
    """
    if source not in SOURCES:
        raise InputError(f"--source {source!r} is not one of {', '.join(SOURCES)}")
    say = progress or (lambda line: None)
    settings, cfg, cfg_name = main_inputs(config, panel, model)
    if source == "auto" and not has_fred_key():
        source = "snapshot"  # what `run` uses then, so the same data and the same cache key
    built, cfg = build_config_panel(cfg, settings, source=source, store=store, progress=say,
                                    builder=panel_keeper(cache_dir, refresh=refit))
    if check is not None:
        check(built, cfg)
    fit, path, reused = cached_fit(built, cfg, settings, cache_dir=cache_dir, refit=refit,
                                   say=say, cfg_name=cfg_name, step=step)
    return MainFit(fit=fit, path=path, reused=reused, config_name=cfg_name, source=source)


def other_shipped(config: Any) -> tuple[Path, str]:
    """The other shipped model to cross-check scenarios against: the static monthly model
    beside a state-space fit, the daily state-space model beside any other; returns its
    config path and its reader label.

    Examples
    --------
    >>> from macroattr.models import ModelConfig
    >>> other_shipped(ModelConfig.shipped("default"))[1]
    'the static monthly model (configs/static_monthly.toml)'
    """
    from macroattr.configs import config_path

    if config.model.betas == "state_space":
        return config_path("static_monthly"), "the static monthly model (configs/static_monthly.toml)"
    return config_path("default"), "the daily state-space model (configs/default.toml)"


def run_pipeline(
    quarter: str = "latest",
    config: str | os.PathLike[str] | Any | None = None,
    source: str = "auto",
    refit: bool = False,
    out_dir: str | os.PathLike[str] | None = None,
    *,
    panel: Mapping[str, Any] | Any | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    store: str | os.PathLike[str] | None = None,
    progress: Callable[[str], None] | None = _stderr,
    scenarios: str | os.PathLike[str] | None = None,
    model: Mapping[str, Any] | None = None,
    formats: Sequence[str] = ("html",),
) -> RunResult:
    """Build the panel, fit (or reuse a cached fit) and render the quarter's report.

    Parameters
    ----------
    quarter
        ``"latest"`` (last complete quarter of the data) or ``"2024Q3"``.
    config
        A TOML path (its ``[panel]`` table sets the panel), a
        :class:`macroattr.jobs.run_config.RunConfig`, a :class:`models.ModelConfig` (default monthly
        panel), or None for ``configs/default.toml``.
    source
        ``"auto"`` (FRED when a key is set, refreshed into the local store; else the
        embedded snapshot), ``"fred"`` (requires a key) or ``"snapshot"``.
    refit
        Rebuild the panel and fit even when a cached fit for the same panel, config and seed
        exists.
    panel
        Panel settings that override the config's ``[panel]`` table: a mapping with keys of
        :class:`macroattr.jobs.run_config.PanelSettings` (``freq``, ``start``, ``end``, ``factors``,
        ``as_of``, ``target_csv``, ``futures_csv``, ``consensus_csv``, ``events_csv``,
        ``odds_csv``, ``stale``;
        ``None`` values ignored, paths relative to the working directory) or a
        ``PanelSettings``.
    out_dir
        Report directory (default ``reports/build``).
    cache_dir
        Cache root; fits go to ``<cache_dir>/fits/<key>.nc``, the built panel to
        ``<cache_dir>/panels`` (:func:`~macroattr.jobs.cache.cached_panel`; default
        :func:`~macroattr.jobs.cache.default_cache_dir`).
    store
        FRED store directory (default: the data layer's default).
    progress
        Called with one line per stage (default: print to stderr); None for silence.
    scenarios
        Scenario TOML for the report's scenarios and event-window sections (default: the
        shipped standard set); checked before any work.
    model
        Model overrides as in ``macroattr fit`` (``method``, ``draws``, ``tune``, ``chains``,
        ``seed``, ``sampler``, ``betas``, ``likelihood``; ``None`` values ignored), applied to
        the config's model.
    formats
        Outputs besides the HTML page (``pdf``, ``png``, ``xlsx``): the report content is
        composed once and every format is rendered from it.

    Returns
    -------
    RunResult

    Examples
    --------
    >>> result = run_pipeline(quarter="latest", source="snapshot")   # doctest: +SKIP
    >>> result.report                                                 # doctest: +SKIP
    PosixPath('reports/build/2025Q1.html')
    >>> run_pipeline(config="configs/static_monthly.toml",            # doctest: +SKIP
    ...              panel={"start": "2015-01-01", "events_csv": "events.csv"})
    """
    from macroattr.core.periods import resolve_quarter
    from macroattr.reports.render import DEFAULT_OUT_DIR, check_out_dir

    say = progress or (lambda line: None)
    # reject bad input before any output or long work
    if source not in SOURCES:
        raise InputError(f"--source {source!r} is not one of {', '.join(SOURCES)}")
    if str(quarter).strip().lower() != "latest":
        resolve_quarter(quarter, [str(quarter).strip().upper()])  # label syntax only
    if scenarios is not None:
        from macroattr.models.analysis.scenarios import load_scenarios

        load_scenarios(scenarios)  # InputError naming the file and key
    if source == "fred":
        from macroattr.data_pipelines.fred.client import resolve_api_key

        resolve_api_key()  # InputError naming FRED_API_KEY when there is none
    settings, cfg, cfg_name = main_inputs(config, panel, model)
    out = Path(out_dir) if out_dir is not None else DEFAULT_OUT_DIR
    check_out_dir(out)

    t0 = time.perf_counter()
    kind = {"M": "monthly", "D": "daily"}[settings.freq]
    span = "" if not (settings.start or settings.end) else \
        f" {settings.start or 'first'}..{settings.end or 'last'}"
    say(f"[1/3] panel: building {kind} panel{span} (source {source})")
    built, cfg, used, notes = build_run_panel(cfg, settings, source, say, store,
                                              builder=panel_keeper(cache_dir, refresh=refit))
    idx = built.data.index
    fmt = "%Y-%m" if settings.freq == "M" else "%Y-%m-%d"
    fr = built.meta.get("freshness") or {}
    ends = f"; data to {fr['data_to']}, limited by {fr['limited_by']}" if fr.get("data_to") else ""
    if fr.get("stale") and fr.get("stale_policy") in ("drop", "carry"):
        verb = "left out" if fr["stale_policy"] == "drop" else "carried as 0"
        ends += (f"; {verb} (stale): " + ", ".join(f"{c} (last {built.meta['spans'][c][1]})" for c in fr["stale"]
                                                    if c in built.meta.get("spans", {})))
    say(f"      {len(built.data)} {settings.noun} {idx[0]:{fmt}}..{idx[-1]:{fmt}}, "
        f"{len(built.data.columns) - 1} factors, source {built.meta.get('source', used)}{ends}")
    for line in notes:
        say(line)
    q = resolve_quarter(quarter, _fit_quarters(built, cfg), source="the panel")

    fit, fit_path, reused = cached_fit(built, cfg, settings, cache_dir=cache_dir, refit=refit,
                                       say=say, cfg_name=cfg_name, step="[2/3] fit")
    if reused:  # this run's provenance (e.g. a FRED fallback), not the cached run's
        fit.panel.meta.pop("fred_refresh", None)
        if built.meta.get("fred_refresh"):
            fit.panel.meta["fred_refresh"] = built.meta["fred_refresh"]
    gate = getattr(fit.diagnostics, "gate", None)
    if gate is not None and hasattr(gate, "line"):
        say(f"      {gate.line()}")

    other, other_path, other_label = None, None, ""
    overridden = any(v is not None for v in dict(panel or {}).values()) or \
        any(v is not None for v in dict(model or {}).values())
    if config is None and not overridden:
        # the main job of the shipped default: its scenarios show what the other shipped
        # model says beside each effect (that fit is cached too: fitted once, then reused)
        path, other_label = other_shipped(cfg)
        say(f"      scenarios are cross-checked against {other_label}")
        m = main_fit(path, source="snapshot" if used == "snapshot" else "auto",
                     cache_dir=cache_dir, store=store, progress=say,
                     step="cross-check fit")
        other, other_path = m.fit, m.path

    say(f"[3/3] report: rendering {q} into {out}")
    from macroattr.reports.content import check_is_fit
    from macroattr.reports.exports import export_report

    check_is_fit(fit)
    written = export_report(fit, q, out, formats, scenarios=scenarios, other=other,
                            other_label=other_label)  # composed once
    report = written["html"][0]
    say(f"      wrote {report} and {out / 'index.html'} in {time.perf_counter() - t0:.1f} s total")
    return RunResult(report=report, fit_path=fit_path, reused_fit=reused, source=used, quarter=q,
                     written=written, other_fit_path=other_path, fit=fit)
