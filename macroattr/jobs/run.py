"""The main job, end to end: panel → fit → quarterly report.

:func:`run_pipeline` is what ``macroattr run`` (and ``make run``) calls. It builds the
panel the configuration's ``[panel]`` table asks for (frequency, span, factors, user
files; see :mod:`macroattr.jobs.run_config`) from FRED when a key is available and asked for, else
the embedded snapshot; reuses a cached fit when the panel's settings and content, the
configuration and the seed are unchanged; and renders the quarter's report plus the index.

Long module: it is the one home of app orchestration (panel settings, the fit cache, the
main job, the main fit every route reads); splitting it would scatter the cache key rules.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from macroattr.core.errors import FredError, InputError

__all__ = ["SOURCES", "MainFit", "RunResult", "build_config_panel", "cached_fit",
           "default_cache_dir", "fit_cache_key", "main_fit", "other_shipped", "run_pipeline"]

SOURCES = ("auto", "fred", "snapshot")


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


def default_cache_dir() -> Path:
    """Where fits are cached: ``$MACROATTR_CACHE_DIR`` or ``.cache`` in the working directory.

    Examples
    --------
    >>> default_cache_dir().name in {".cache"} or "MACROATTR_CACHE_DIR" in os.environ
    True
    """
    return Path(os.environ.get("MACROATTR_CACHE_DIR") or ".cache")


def fit_cache_key(panel: Any, config: Any, settings: Any = None) -> str:
    """Hash of what a fit depends on: the panel settings it was built with (frequency,
    span, factors, as-of date, user files), the panel's values, dates, columns, units and
    provenance (which source each series came from), the full model configuration (seed
    included) and the macroattr version.

    Panel metadata that does not change the numbers or their provenance (build time,
    fetch times) is left out, so rebuilding an identical panel reuses the fit.

    Examples
    --------
    >>> from macroattr.models.synthetic import simulate_panel
    >>> from macroattr.models import ModelConfig
    >>> panel, truth = simulate_panel(n=60, seed=1)
    >>> cfg = ModelConfig(groups=truth["groups"])
    >>> fit_cache_key(panel, cfg) == fit_cache_key(panel, cfg)
    True
    >>> fit_cache_key(panel, cfg) == fit_cache_key(panel, cfg.override(seed=2))
    False
    >>> from macroattr.jobs.run_config import PanelSettings
    >>> fit_cache_key(panel, cfg, PanelSettings()) == fit_cache_key(panel, cfg, PanelSettings(freq="D"))
    False
    """
    from macroattr.core.hashing import content_hash

    meta = getattr(panel, "meta", {}) or {}
    series = {k: {f: v.get(f) for f in ("source", "file")} for k, v in (meta.get("series") or {}).items()
              if isinstance(v, dict)}
    panel_meta = {"freq": meta.get("freq"), "units": meta.get("units"), "groups": meta.get("groups"),
                  "target_sources": meta.get("target_sources"), "series": series}
    return content_hash("fit", panel.data, panel_meta,
                        settings.key() if hasattr(settings, "key") else settings, config, length=20)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _has_fred_key() -> bool:
    from macroattr.data_pipelines.fred.client import resolve_api_key

    try:
        resolve_api_key()
    except InputError:
        return False
    return True


def _refresh_store(say: Callable[[str], None], store: str | os.PathLike[str] | None) -> str | None:
    """Fetch what is new for the default series into the local FRED store; returns the
    failure ("DGS2, BAA10Y: cause") or None. Retries and the circuit breaker are reported
    through ``say`` as they happen."""
    from macroattr.data_pipelines.fred.client import FredClient
    from macroattr.data_pipelines.fred.refresh import default_series, refresh
    from macroattr.data_pipelines.fred.store import SeriesStore

    st = SeriesStore(store)
    ids = default_series()
    say(f"      refreshing {len(ids)} FRED series into {st.path}")
    results = refresh(st, FredClient(on_event=lambda line: say(f"      {line}")), ids)
    failed = [r for r in results if r.status == "failed"]
    changed = sum(r.status in ("new", "updated") for r in results)
    say(f"      FRED: {changed} updated, {len(results) - changed - len(failed)} unchanged, "
        f"{len(failed)} failed" + (f" ({failed[0].series_id}: {failed[0].error})" if failed else ""))
    if not failed:
        return None
    which = "all series" if len(failed) == len(results) else ", ".join(r.series_id for r in failed)
    return f"{which}: {failed[0].error}"


def _record_fallback(panel: Any, failure: str, say: Callable[[str], None]) -> None:
    """Say and record in the panel's meta (``fred_refresh``, ``notes``; the report's provenance
    shows it) that the FRED refresh failed and which data were used instead."""
    from macroattr.core.redact import redact
    from macroattr.core.terminal import clean

    sources = {str(v.get("source")) for v in (panel.meta.get("series") or {}).values() if isinstance(v, dict)}
    used = ("snapshot used" if "fred" not in sources else
            "earlier stored FRED data used where held, else the snapshot")
    line = clean(redact(f"FRED refresh failed: {failure}; {used}"))
    say(f"      {line}")
    panel.meta["fred_refresh"] = {"status": "failed", "message": line}
    panel.meta.setdefault("notes", []).append(line)


def _panel_factors(config: Any, settings: Any) -> list[str] | None:
    """Factors to build: ``[panel] factors``, else the model's, plus the events' indicators."""
    factors = settings.factors or (config.factors if config.groups else None)
    if factors is None or settings.events_csv is None:
        return factors
    from macroattr.data_pipelines.user_files import read_events

    labels = sorted(set(read_events(settings.events_csv).tolist()))
    return list(factors) + [f"event_{lab}" for lab in labels if f"event_{lab}" not in factors]


def _model_for_panel(config: Any, panel: Any, say: Callable[[str], None]) -> Any:
    """The model config with every panel factor it does not place (event indicators, extra
    ``[panel] factors``) added to the panel's group for it."""
    if config.groups is None:
        return config
    placed = set(config.factors)
    in_panel = set(panel.factors)
    groups = {g: [c for c in cols if c in in_panel] for g, cols in config.groups.items()}
    left_out = [c for c in config.factors if c not in in_panel]
    changed = bool(left_out)
    if left_out:
        stale = set((panel.meta.get("freshness") or {}).get("stale") or [])
        last = (panel.meta.get("freshness") or {}).get("last_obs") or {}
        why = [f"{c} (stale, last value {panel.meta['spans'][c][1]}: --stale drop)"
               if c in stale and c in panel.meta.get("spans", {}) and c not in last else f"{c} (not in --factors)"
               for c in left_out]
        say(f"      the model leaves out {', '.join(why)}")
    for g in [g for g, cols in groups.items() if not cols]:
        say(f"      group {g} dropped: none of its factors is in the panel")
        del groups[g]
    added = []
    for g, cols in (panel.meta.get("groups") or {}).items():
        for c in cols:
            if c not in placed:
                groups.setdefault(g, []).append(c)
                added.append(f"{c} -> {g}")
    if added:
        say(f"      the model also fits {', '.join(added)} (panel factors not in [groups])")
        changed = True
    return config.override(groups=groups) if changed else config


def build_config_panel(config: Any, settings: Any, source: str = "snapshot",
                       store: str | os.PathLike[str] | None = None,
                       progress: Callable[[str], None] | None = None) -> tuple[Any, Any]:
    """Build the panel a configuration asks for and the model config to fit on it.

    The panel has ``settings.factors`` (default: the model's ``[groups]``) plus one
    ``event_<label>`` per label of ``settings.events_csv``; panel factors the model's
    ``[groups]`` do not place join the panel's group for them (events: ``political``).

    Parameters
    ----------
    config : models.ModelConfig
    settings : macroattr.jobs.run_config.PanelSettings
    source, store
        As :func:`data_pipelines.build_panel` (no FRED refresh here).
    progress
        Called with a line when the model's groups are extended.

    Returns
    -------
    (data_pipelines.Panel, models.ModelConfig)

    Examples
    --------
    >>> from macroattr.jobs.run_config import PanelSettings
    >>> from macroattr.models import ModelConfig
    >>> cfg = ModelConfig(groups={"rates": ["d_2y"], "leverage": ["d_baa_spread"]})
    >>> panel, cfg2 = build_config_panel(cfg, PanelSettings(start="2020-01-31", end="2020-12-31"))
    >>> list(panel.data.columns), len(panel.data), cfg2 == cfg
    (['rel_return', 'd_2y', 'd_baa_spread'], 12, True)
    """
    from macroattr.data_pipelines import build_panel

    settings = settings.updated(factors=_panel_factors(config, settings))
    panel = build_panel(settings, source=source, store=store)
    return panel, _model_for_panel(config, panel, progress or (lambda line: None))


def _build_panel(config: Any, settings: Any, source: str, say: Callable[[str], None],
                 store: str | os.PathLike[str] | None):
    """Refresh FRED as ``source`` asks, then :func:`build_config_panel`; returns the panel,
    the model config, the source used and the lines to report after the panel's summary."""
    used = source
    failure: str | None = None
    if source == "fred":
        failure = _refresh_store(say, store)
    elif source == "auto":
        if _has_fred_key():
            try:
                failure = _refresh_store(say, store)
                used = "auto"
            except FredError as exc:
                failure = str(exc)
        else:
            say("      no FRED key (FRED_API_KEY): using the embedded snapshot")
            used = "snapshot"
    notes: list[str] = []
    panel, cfg = build_config_panel(config, settings, source=used, store=store,
                                    progress=notes.append)
    if failure is not None:  # printed AND recorded: the output never hides a fallback
        _record_fallback(panel, failure, say)
    return panel, cfg, used, notes


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


def cached_fit(panel: Any, config: Any, settings: Any = None, *,
               cache_dir: str | os.PathLike[str] | None = None, refit: bool = False,
               say: Callable[[str], None] | None = None, cfg_name: str = "given configuration",
               step: str = "fit") -> tuple[Any, Path, bool]:
    """Fit ``config`` on ``panel``, or reuse the fit cached under :func:`fit_cache_key`.

    Returns ``(fit, path of the cached fit, reused)``. A cached file that cannot be read is
    refitted (and says so); ``refit=True`` always fits.

    Examples
    --------
    >>> import tempfile
    >>> from macroattr.models.synthetic import simulate_panel
    >>> from macroattr.models import ModelConfig
    >>> panel, truth = simulate_panel(n=60, seed=1)
    >>> cfg = ModelConfig(groups=truth["groups"]).override(method="exact", draws=20)
    >>> tmp = tempfile.mkdtemp()
    >>> [cached_fit(panel, cfg, cache_dir=tmp)[2] for _ in range(2)]
    [False, True]
    """
    from macroattr.models import fit_model, load_fit

    say = say or (lambda line: None)
    key = fit_cache_key(panel, config, settings)
    fit_path = Path(cache_dir if cache_dir is not None else default_cache_dir()) / "fits" / f"{key}.nc"
    fit = None
    if fit_path.exists() and not refit:
        try:
            fit = load_fit(fit_path)
        except InputError as exc:
            say(f"{step}: cached fit unusable ({exc}); refitting")
        if fit is not None and fit.meta.get("cache_key") != key:
            # the key stored INSIDE the file decides, not its name (a file copied or replaced
            # under this name was made for another panel or configuration)
            say(f"{step}: cached {fit_path} was made for another panel or configuration "
                f"(stored key {fit.meta.get('cache_key') or 'missing'}, wanted {key}); refitting")
            fit = None
        elif fit is not None:
            say(f"{step}: reusing {fit_path} (same panel, config {cfg_name} and seed "
                f"{config.sampler.seed}, key checked; --refit to force)")
    reused = fit is not None
    if fit is None:
        from macroattr.core.io import check_destination

        # before the long fit: the cache must take the result (read-only cache, a directory
        # in the way, no permission are one line now, not after minutes of sampling)
        check_destination(fit_path, option="fit cache (--cache-dir / MACROATTR_CACHE_DIR)")
        from macroattr.models.estimation.sampling import nuts_engine

        how = (f"NUTS ({nuts_engine(config)}, {config.sampler.chains}x{config.sampler.draws} draws)"
               if config.sampler.method == "nuts" else f"{config.sampler.method} posterior")
        say(f"{step}: {config.model.betas} betas, {how}, seed {config.sampler.seed}, "
            f"config {cfg_name}")
        t1 = time.perf_counter()
        from macroattr.core.progress import sampler_progress

        fit = fit_model(panel, config, progress=sampler_progress("      fit"))
        fit.meta["cache_key"] = key  # verified when the file is reused
        try:
            fit_path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create the fit cache {fit_path.parent}: "
                             f"{exc.strerror or exc}; set MACROATTR_CACHE_DIR to a writable "
                             f"directory") from None
        fit.save(str(fit_path))
        say(f"      fitted in {time.perf_counter() - t1:.1f} s; saved {fit_path}")
    return fit, fit_path, reused


def main_inputs(config: str | os.PathLike[str] | Any | None = None,
                panel: Mapping[str, Any] | Any | None = None,
                model: Mapping[str, Any] | None = None) -> tuple[Any, Any, str]:
    """The panel settings, model config and config name of the main job.

    One rule for every route to the main fit (``run``, ``event``, ``scenario``,
    ``attribution``, ``summary`` without ``--fit``, :func:`main_fit` in a notebook): the same
    inputs give the same :func:`fit_cache_key`, so they read the same cached fit.

    Parameters are those of :func:`run_pipeline` (``config``, ``panel``, ``model``).

    Returns
    -------
    (macroattr.jobs.run_config.PanelSettings, models.ModelConfig, str)
    """
    from macroattr.jobs.run_config import PanelSettings, RunConfig, load_run_config
    from macroattr.models import ModelConfig

    if config is None or isinstance(config, (str, os.PathLike)):
        rc = load_run_config(config)
        cfg_name = "configs/default.toml" if config is None else str(config)
    elif isinstance(config, RunConfig):
        rc, cfg_name = config, str(config.path or "given configuration")
    elif isinstance(config, ModelConfig):
        rc, cfg_name = RunConfig(panel=PanelSettings(), model=config), "given configuration"
    else:
        raise InputError(f"config must be a TOML path, RunConfig or ModelConfig, "
                         f"not {type(config).__name__}")
    if isinstance(panel, PanelSettings):
        panel = panel.as_dict()
    settings = rc.panel.updated(**dict(panel or {})).resolved(Path.cwd())
    settings.check_files(source="panel override", option_style=True)
    cfg = rc.model.override(**{k: v for k, v in dict(model or {}).items() if v is not None}) \
        if model else rc.model
    return settings, cfg, cfg_name


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
    if source == "auto" and not _has_fred_key():
        source = "snapshot"  # what `run` uses then, so the same data and the same cache key
    built, cfg = build_config_panel(cfg, settings, source=source, store=store, progress=say)
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
        Fit even when a cached fit for the same panel, config and seed exists.
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
        Cache root; fits go to ``<cache_dir>/fits/<key>.nc`` (default :func:`default_cache_dir`).
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
    built, cfg, used, notes = _build_panel(cfg, settings, source, say, store)
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
