"""App orchestration: the jobs the commands run, in one place.

Each module is one job or one piece the jobs share; the commands in :mod:`macroattr.cli`
and the notebooks call them, and they call the layers below (``data_pipelines``,
``models``, ``reports``), never back.

- :mod:`~macroattr.jobs.run` — the main job (``macroattr run``: panel, fit, report) and
  the main fit every view without a named fit reads.
- :mod:`~macroattr.jobs.inputs` — what a job fits: the panel a configuration asks for
  (FRED refreshed or the snapshot) and the model config placed on it.
- :mod:`~macroattr.jobs.cache` — the fit cache: the one cache key, fit or reuse.
- :mod:`~macroattr.jobs.run_config` — a run configuration file: its ``[panel]`` table
  next to the model's settings.
- :mod:`~macroattr.jobs.backtest` — ``macroattr backtest``: one task per origin, gathered.
- :mod:`~macroattr.jobs.grid` — ``macroattr grid``: many specifications compared and
  stacked; its file's schema in :mod:`~macroattr.jobs.grid_specs`.
- :mod:`~macroattr.jobs.executor` — independent tasks on dask.distributed (or serially),
  with the per-task result cache.
"""
