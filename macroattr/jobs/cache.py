"""The fit cache: a fit is stored under the hash of what it depends on and reused.

:func:`fit_cache_key` is the one rule for what a fit depends on (panel settings and
content, provenance, the full model configuration with its seed, the macroattr version);
:func:`cached_fit` fits or reuses ``<cache_dir>/fits/<key>.nc`` and checks the key stored
inside the file; :func:`default_cache_dir` is where fits go. :func:`cached_panel` keeps the
main job's built panel the same way, under the hash of everything the build reads (panel
settings, the content of the user files, the embedded snapshot and the code that builds
it, the local FRED store's files), so finding the cached fit does not rebuild every factor.
"""

from __future__ import annotations

import functools
import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from macroattr.core.errors import InputError

__all__ = ["cached_fit", "cached_panel", "default_cache_dir", "fit_cache_key", "panel_cache_key",
           "panel_keeper"]


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

@functools.cache
def _build_code_hash() -> str:
    """SHA-256 of every file of the packages a panel build reads (``data_pipelines``, the
    embedded snapshot in it, ``core``): a changed builder, calendar or snapshot is a new key."""
    from macroattr import core, data_pipelines

    h = hashlib.sha256()
    for pkg in (data_pipelines, core):
        root = Path(pkg.__file__).parent
        for f in sorted(root.rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts:
                h.update(str(f.relative_to(root)).encode())
                h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def _store_files(store: str | os.PathLike[str] | None) -> list[tuple[str, int, int]]:
    """The local FRED store's files as (name, size, mtime in ns): the store writes each
    file whole (atomically), so a refresh that changed a series changes its entry."""
    from macroattr.data_pipelines.fred.store import default_store_dir

    root = Path(store).expanduser() if store is not None else default_store_dir()
    if not root.is_dir():
        return []
    out = []
    for f in sorted(root.rglob("*")):
        if f.is_file():
            st = f.stat()
            out.append((str(f.relative_to(root)), st.st_size, st.st_mtime_ns))
    return out


def panel_cache_key(settings: Any, source: str, store: str | os.PathLike[str] | None = None
                    ) -> str | None:
    """Hash of everything a panel build reads: the settings, the bytes of each user file
    they name, the source, the builder's code and embedded snapshot, and (sources ``fred``
    and ``auto``) the local FRED store's files. None when a user file cannot be read (the
    build itself then says which and why).

    Examples
    --------
    >>> from macroattr.jobs.run_config import PanelSettings
    >>> a = panel_cache_key(PanelSettings(), "snapshot")
    >>> a == panel_cache_key(PanelSettings(), "snapshot"), a == panel_cache_key(PanelSettings(freq="D"), "snapshot")
    (True, False)
    """
    from macroattr.core.hashing import content_hash

    files = {}
    for name, value in settings.as_dict().items():
        if isinstance(value, (str, os.PathLike)) and name.endswith("_csv"):
            try:
                files[name] = hashlib.sha256(Path(value).read_bytes()).hexdigest()
            except OSError:
                return None
    store_part = _store_files(store) if source in ("fred", "auto") else None
    return content_hash("panel", settings.key(), files, source, _build_code_hash(), store_part,
                        length=20)


def cached_panel(settings: Any, source: str, build: Callable[[], Any], *,
                 store: str | os.PathLike[str] | None = None,
                 cache_dir: str | os.PathLike[str] | None = None, refresh: bool = False) -> Any:
    """The panel ``build()`` makes for ``settings`` and ``source``, kept as
    ``<cache_dir>/panels/<key>.parquet`` (with its ``.meta.json``) under
    :func:`panel_cache_key` and read back while nothing it was built from changed: the same
    values, dates, units and provenance, so the same fit cache key. ``refresh`` rebuilds it;
    a kept file that cannot be read is rebuilt; a cache that cannot be written is skipped.

    Examples
    --------
    >>> import tempfile
    >>> from macroattr.data_pipelines import build_panel
    >>> from macroattr.jobs.run_config import PanelSettings
    >>> s, tmp, built = PanelSettings(start="2024-01-31", end="2024-12-31"), tempfile.mkdtemp(), []
    >>> def build():
    ...     built.append(1)
    ...     return build_panel(s)
    >>> a = cached_panel(s, "snapshot", build, cache_dir=tmp)
    >>> b = cached_panel(s, "snapshot", build, cache_dir=tmp)
    >>> len(built), b.data.equals(a.data), b.meta == a.meta
    (1, True, True)
    """
    from macroattr.data_pipelines import Panel

    key = panel_cache_key(settings, source, store)
    if key is None:
        return build()
    path = Path(cache_dir if cache_dir is not None else default_cache_dir()) / "panels" / f"{key}.parquet"
    if path.is_file() and not refresh:
        try:
            return Panel.read(path)
        except InputError:
            pass  # rebuilt and rewritten below
    panel = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        panel.to_file(path)
    except OSError:
        pass  # a read-only cache: the fit cache says so; the panel is simply rebuilt next time
    return panel


def panel_keeper(cache_dir: str | os.PathLike[str] | None = None, refresh: bool = False
                 ) -> Callable[..., Any]:
    """A panel builder ``(settings, source=, store=)`` that keeps what it builds
    (:func:`cached_panel`): the main job's, handed to
    :func:`~macroattr.jobs.inputs.build_config_panel`."""

    def build(settings: Any, source: str = "snapshot",
              store: str | os.PathLike[str] | None = None) -> Any:
        from macroattr.data_pipelines import build_panel

        return cached_panel(settings, source, lambda: build_panel(settings, source=source, store=store),
                            store=store, cache_dir=cache_dir, refresh=refresh)

    return build


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
