"""The inputs of a job: the panel a configuration asks for and the model to fit on it.

:func:`main_inputs` resolves a configuration (a TOML path, a ``RunConfig`` or a
``ModelConfig``) and its overrides into panel settings and a model config;
:func:`build_config_panel` builds that panel (the model's factors plus the events'
indicators) and places every panel factor in a group; :func:`build_run_panel` first
refreshes the local FRED store as the ``source`` asks and records a fallback in the
panel's provenance.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from macroattr.core.errors import FredError, InputError

__all__ = ["SOURCES", "build_config_panel", "build_run_panel", "has_fred_key", "main_inputs"]

SOURCES = ("auto", "fred", "snapshot")


def has_fred_key() -> bool:
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
                       progress: Callable[[str], None] | None = None, *,
                       builder: Callable[..., Any] | None = None) -> tuple[Any, Any]:
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
    builder
        Called as ``builder(settings, source=, store=)`` for the panel (default
        :func:`data_pipelines.build_panel`); the main job's keeps it in the cache
        (:func:`~macroattr.jobs.cache.panel_keeper`).

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
    panel = (builder or build_panel)(settings, source=source, store=store)
    return panel, _model_for_panel(config, panel, progress or (lambda line: None))


def build_run_panel(config: Any, settings: Any, source: str, say: Callable[[str], None],
                    store: str | os.PathLike[str] | None, *,
                    builder: Callable[..., Any] | None = None) -> tuple[Any, Any, str, list[str]]:
    """Refresh FRED as ``source`` asks, then :func:`build_config_panel` (with ``builder``);
    returns the panel, the model config, the source used and the lines to report after the
    panel's summary."""
    used = source
    failure: str | None = None
    if source == "fred":
        failure = _refresh_store(say, store)
    elif source == "auto":
        if has_fred_key():
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
                                    progress=notes.append, builder=builder)
    if failure is not None:  # printed AND recorded: the output never hides a fallback
        _record_fallback(panel, failure, say)
    return panel, cfg, used, notes

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
