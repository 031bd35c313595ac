"""Run configuration: the ``[panel]`` table of a config file next to the model's settings.

A configuration TOML holds the model (``[groups]``, ``[model]``, ``[priors]``, ``[sampler]``,
``[gate]``: validated by :class:`models.ModelConfig`) and, optionally, the panel the model is
meant for::

    [panel]
    freq = "D"                 # "M" (month end to month end) or "D" (close to close)
    start = "2000-01-01"       # first period of the panel (default: the common span)
    end = "2024-12-31"         # last period
    factors = ["d_2y", "d_baa_spread"]   # catalog names (default: the model's [groups])
    as_of = "2024-10-15"       # only data published by then
    target_csv = "my_target.csv"         # user files, relative to the config file
    futures_csv = "ff_futures.csv"
    consensus_csv = "cpi_consensus.csv"
    events_csv = "events.csv"
    odds_csv = "election_odds.csv"       # date,probability (P(Republican wins), 0..1)
    stale = "drop"             # trim | drop | carry: factors that end before the target

:func:`load_run_config` splits the file: ``[panel]`` is validated into
:class:`~macroattr.data_pipelines.settings.PanelSettings` (the one declaration of the panel
settings; unknown keys and bad values are one ``InputError`` line naming every key) and the
rest goes to :class:`models.ModelConfig`, which skips ``[panel]`` when it reads a file.
"""

from __future__ import annotations

from macroattr.core.io import toml_loads

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from macroattr.core.errors import InputError
from macroattr.data_pipelines.settings import PanelSettings

__all__ = ["PanelSettings", "RunConfig", "load_run_config"]


class RunConfig(BaseModel):
    """A whole run configuration: the panel settings and the model configuration."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    panel: PanelSettings
    model: Any  # models.ModelConfig (kept loose: models is imported lazily)
    path: Path | None = None


def load_run_config(path: str | os.PathLike[str] | None = None) -> RunConfig:
    """Read a configuration TOML: ``[panel]`` into :class:`PanelSettings` (user-file paths
    relative to the file), everything else into :class:`models.ModelConfig`.

    ``None`` reads the shipped ``configs/default.toml`` (the daily state-space model).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "daily.toml"
    >>> _ = (p.parent / "ev.csv").write_text("date,label\\n2020-11-03,election\\n")
    >>> _ = p.write_text('[panel]\\nfreq = "D"\\nevents_csv = "ev.csv"\\n'
    ...                  '[groups]\\nrates = ["d_2y"]\\n')
    >>> rc = load_run_config(p)
    >>> rc.panel.freq, rc.panel.events_csv == p.parent / "ev.csv", rc.model.factors
    ('D', True, ['d_2y'])
    """
    from macroattr.models import ModelConfig
    from macroattr.models.config import default_config_path

    from macroattr.core.io import read_text_bounded

    p = Path(path) if path is not None else default_config_path()
    try:  # bounded: a binary or endless "config" is refused, not read into memory
        data = toml_loads(read_text_bounded(p, "config"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"config {p} is not valid TOML: {exc}") from None
    except RecursionError:
        raise InputError(f"config {p} nests arrays or tables too deeply to read; a config is a few flat tables") from None
    panel = PanelSettings.of(data.pop("panel", {}), f"config {p}", prefix="panel").resolved(p.resolve().parent)
    panel.check_files(source=f"config {p}")
    model = ModelConfig.from_dict(data, source=f"config {p}")
    return RunConfig(panel=panel, model=model, path=p)
