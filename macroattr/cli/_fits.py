"""Which fit a read command uses: ``--fit FILE``, else the main job's fit.

One rule for ``event``, ``scenario``, ``attribution`` and ``summary``: without ``--fit`` they
read the fit ``macroattr run`` made for the current data and config
(:func:`macroattr.jobs.run.main_fit`: the cached file, fitted once if absent), never a
shorter refit. A span other than the main job's (``--fit-start`` / ``--fit-end``) or another
config is the user's explicit choice, and the output says so (:class:`Chosen.line`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from macroattr.cli._out import say

@dataclass
class Chosen:
    """The fit a command reads and how to describe it."""

    fit: Any
    #: "file", "main" or "other" (another span or config than the main job's)
    kind: str
    line: str
    #: the main job's fit, when ``kind == "other"`` (the answer is compared with it)
    main: Any = None


def _span(f: Any) -> str:
    a, b = f.span
    kind = {"D": "daily", "M": "monthly"}.get(f.freq, f.freq)
    return f"{kind} {a}..{b}"


def choose_fit(fit: Path | None, *, config: Path | None = None, source: str = "auto",
               cache_dir: Path | None = None, refit: bool = False,
               fit_start: str | None = None, fit_end: str | None = None,
               events_csv: Path | None = None,
               window: tuple[Any, Any] | None = None) -> Chosen:
    """The fit of a read command (see the module docstring).

    ``window`` (first, last day) must lie inside the span of a fit to be made: checked on
    the panel, before any fitting.

    Raises
    ------
    InputError
        ``--fit`` together with options that make a fit, a bad ``--source`` or date, a
        window outside the span.
    """
    from macroattr.core.errors import InputError

    made = {"--config": config, "--fit-start": fit_start, "--fit-end": fit_end,
            "--events-csv": events_csv}
    if fit is not None:
        given = [k for k, v in made.items() if v is not None]
        if given:
            raise InputError(f"{', '.join(given)} make a fit; drop {'them' if len(given) > 1 else 'it'} "
                             f"with --fit (or drop --fit)")
        from macroattr.models.fit import load_fit

        f = load_fit(fit)
        return Chosen(f, "file", f"fit: {fit} ({f.config.model.betas} betas, "
                                 f"{f.meta.get('method')}, {_span(f)}; named with --fit)")
    from macroattr.core.dates import parse_date
    from macroattr.jobs.run import main_fit

    for value, what in ((fit_start, "--fit-start"), (fit_end, "--fit-end")):
        if value is not None:
            parse_date(value, what)
    other = {k: v for k, v in (("start", fit_start), ("end", fit_end),
                               ("events_csv", events_csv)) if v is not None}
    asked = config is not None or bool(other)
    check = None if window is None else (lambda panel, cfg: _inside(panel, cfg, window, asked))
    if not asked:
        main = main_fit(source=source, cache_dir=cache_dir, refit=refit, progress=say,
                        check=check)
        return Chosen(main.fit, "main", f"fit: {main.describe()}")
    m = main_fit(config, source=source, panel=other, cache_dir=cache_dir, refit=refit,
                 progress=say, check=check)
    main = main_fit(source=source, cache_dir=cache_dir, refit=refit, progress=say)
    what = [f"span {_span(m.fit)}" if (fit_start or fit_end) else None,
            f"config {m.config_name}" if config is not None else None,
            f"events {events_csv}" if events_csv is not None else None]
    chosen = "; ".join(w for w in what if w)
    line = (f"fit: NOT the main fit — {chosen} as asked ({m.fit.config.model.betas} betas, "
            f"{m.fit.meta.get('method')}, {_span(m.fit)}; {m.path}); the main fit is "
            f"{_span(main.fit)}")
    return Chosen(m.fit, "other", line, main=main.fit)


def _inside(panel: Any, cfg: Any, window: tuple[Any, Any], asked: bool) -> None:
    """InputError unless ``window`` lies inside the span the fit of ``cfg`` on ``panel``
    will cover (its ``start``/``end`` applied)."""
    import pandas as pd

    from macroattr.core.errors import InputError

    idx = pd.DatetimeIndex(panel.data.index)
    if cfg.start:
        idx = idx[idx >= pd.Timestamp(cfg.start)]
    if cfg.end:
        idx = idx[idx <= pd.Timestamp(cfg.end)]
    s, e = (pd.Timestamp(x) for x in window)
    if len(idx) and (s < idx[0] or e > idx[-1]):
        which = "the asked fit's data" if asked else "the main fit's data"
        raise InputError(f"window {s:%Y-%m-%d} to {e:%Y-%m-%d} is outside {which} "
                         f"({idx[0]:%Y-%m-%d} to {idx[-1]:%Y-%m-%d}); choose dates inside it, "
                         f"add --fit-start/--fit-end for a fit whose span covers the window, "
                         f"or give --fit FILE")
