"""Independent tasks (backtest origins, grid specifications) on dask.distributed.

:class:`Executor` runs a list of :class:`Task` and streams their results back:

- **Where**: with no scheduler address it starts a ``LocalCluster`` sized to the machine
  (``--workers N``, default one worker process per core this process may use, each with
  **one thread**); with ``--scheduler tcp://host:8786`` it connects a ``Client`` to a
  running scheduler (one line naming the address, exit 2, when none answers within
  :data:`CONNECT_TIMEOUT_S`). ``serial=True`` runs the tasks in this process, one after
  the other (the reference the distributed results are tested against).
- **Cores**: a task on a worker samples its chains on the one thread its worker slot
  gives it (``[sampler] cores = 1``; chains run one after another inside the task), and
  the Dask nanny pins BLAS/OpenMP pools to one thread, so workers x threads = cores and
  nothing is oversubscribed. Parallelism comes from running many tasks at once. The
  draws do not depend on ``cores`` (same seed, same draws).
- **Failures**: a task raising a macroattr error (a bad window, a failed convergence
  gate) is reported with its one-line reason and the others go on. Any other exception
  is retried ``retries`` times. A worker that dies mid-task (killed, out of memory) has
  its task rescheduled on another worker by the scheduler; after
  ``distributed.scheduler.allowed-failures`` deaths it is reported as failed.
- **Cache**: each finished task's result is a JSON file ``<cache_dir>/tasks/<key>.json``
  named by the task's content hash (inputs, configuration, macroattr version); a re-run
  loads it instead of computing again. Failed tasks are not cached.
- **Progress**: a progress bar on a terminal, one plain line per task otherwise.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from macroattr.core.errors import InputError, MacroattrError
from macroattr.core.hashing import content_hash, json_default as _default

__all__ = ["CONNECT_TIMEOUT_S", "Executor", "Task", "TaskResult", "run_task", "task_config", "task_key",
           "usable_cores"]

#: Seconds to wait for a remote scheduler before giving up with one line.
CONNECT_TIMEOUT_S = 3


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity), at least 1.

    Examples
    --------
    >>> usable_cores() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def task_key(*parts: Any) -> str:
    """Content hash of a task's inputs (plus the macroattr version): the cache file's name
    (:func:`macroattr.core.hashing.content_hash`).

    Examples
    --------
    >>> task_key("backtest", {"origin": "2005-03-31"}) == task_key("backtest", {"origin": "2005-03-31"})
    True
    >>> task_key("a") == task_key("b")
    False
    """
    return content_hash(*parts)


def task_config(cfg: Any) -> str:
    """A model config as a task's input: its JSON without ``[sampler] cores`` (how many
    threads sample does not change the draws, so it does not change the task's key).

    Examples
    --------
    >>> from macroattr.models import ModelConfig
    >>> cfg = ModelConfig.default()
    >>> task_config(cfg) == task_config(cfg.override(cores=1)) != task_config(cfg.override(seed=9))
    True
    """
    d = json.loads(cfg.to_json())
    d.get("sampler", {}).pop("cores", None)
    return json.dumps(d)  # key order kept: it is the order of [groups]


@dataclass(frozen=True)
class Task:
    """One independent unit of work: ``fn(**kwargs)`` returning a JSON-serialisable dict.

    ``fn`` must be importable (a module-level function) so workers can unpickle it;
    ``key`` is its content hash (:func:`task_key`), ``label`` what progress lines show.
    """

    key: str
    label: str
    fn: Callable[..., dict[str, Any]]
    kwargs: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass
class TaskResult:
    """What became of a task: ``status`` is ``ok``, ``cached`` or ``failed`` (with ``reason``)."""

    key: str
    label: str
    status: str
    value: dict[str, Any] | None = None
    reason: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "cached")


def run_task(fn: Callable[..., dict[str, Any]], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Run one task where it lands (a worker or this process).

    On a Dask worker the sampler gets ``cores=1`` (one thread per task slot) when ``fn``
    takes a ``cores`` argument. A macroattr error (bad window, convergence) comes back as
    ``{"__failed__": message}`` so it is reported, not retried; anything else raises and
    is retried by the scheduler.
    """
    import inspect

    kw = dict(kwargs)
    try:
        from distributed import get_worker

        get_worker()
        on_worker = True
    except (ImportError, ValueError):
        on_worker = False
    try:
        takes_cores = "cores" in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # builtins
        takes_cores = False
    if on_worker and takes_cores and kw.get("cores") is None:
        kw["cores"] = 1
    t0 = time.perf_counter()
    try:
        out = fn(**kw)
    except MacroattrError as exc:
        return {"__failed__": " ".join(str(exc).split()), "__seconds__": time.perf_counter() - t0}
    return {"__value__": out, "__seconds__": time.perf_counter() - t0}


class _Progress:
    """Tasks done: the one progress bar (:class:`macroattr.core.progress.Progress`) on a
    terminal, one plain ``[k/n] what label: outcome`` status line per task otherwise."""

    def __init__(self, total: int, what: str, bar: bool | None, say: Callable[[str], None]):
        from macroattr.core.progress import Progress

        self.total, self.done, self.what, self.say = total, 0, what, say
        tty = sys.stderr.isatty() if bar is None else bar
        self._p = Progress(total, what, unit="tasks", tty=True, enabled=bool(tty and total))
        self._p.__enter__()
        self.bar = self._p.enabled

    def update(self, r: TaskResult) -> None:
        self.done += 1
        if self.bar:
            self._p.advance(1, r.label)
            if not r.ok:
                self._p.note(f"{r.label}: failed: {r.reason}")
        else:
            tail = f"failed: {r.reason}" if not r.ok else (
                "cached" if r.status == "cached" else f"done in {r.seconds:.1f} s")
            self.say(f"[{self.done}/{self.total}] {self.what} {r.label}: {tail}")

    def close(self) -> None:
        self._p.__exit__(None, None, None)


class Executor:
    """Where tasks run: a local Dask cluster, a remote scheduler, or this process.

    Parameters
    ----------
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``); None starts a
        ``LocalCluster``.
    workers
        Worker processes of the local cluster (default: :func:`usable_cores`); each has
        one thread. Ignored with ``scheduler``.
    serial
        Run tasks in this process, one by one (no Dask).
    retries
        Times a task that raised (not a macroattr error) is resubmitted.

    Examples
    --------
    >>> with Executor(serial=True) as ex:
    ...     [r.value for r in ex.run([Task("k1", "one", dict, {"a": 1})])]
    [{'a': 1}]
    """

    def __init__(self, scheduler: str | None = None, workers: int | None = None, *,
                 serial: bool = False, retries: int = 2,
                 say: Callable[[str], None] = lambda line: print(line, file=sys.stderr)):
        if workers is not None and workers < 1:
            raise InputError(f"--workers {workers} must be 1 or more")
        self.scheduler, self.workers, self.serial, self.retries, self.say = (
            scheduler, workers, serial, retries, say)
        self.client = self.cluster = None
        self.description = "this process (serial)"

    # -------------------------------------------------------------- connection
    def __enter__(self) -> Executor:
        if self.serial:
            return self
        if self.scheduler:
            self._connect(self.scheduler)
        else:  # started on first use: bad input and fully cached runs never wait for it
            n = self.workers or usable_cores()
            self.description = (f"local Dask cluster: {n} worker process{'es' if n > 1 else ''} "
                                f"x 1 thread ({usable_cores()} cores usable)")
        return self

    def _start_local(self) -> None:
        import logging

        import dask
        from distributed import Client, LocalCluster

        n = self.workers or usable_cores()
        # one task per worker slot at a time: a worker that dies takes only its own task
        # with it (queued tasks wait on the scheduler and are not blamed for the death)
        with dask.config.set({"distributed.scheduler.worker-saturation": 1.0}):
            self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=logging.ERROR)
        self.client = Client(self.cluster)

    def _connect(self, address: str) -> None:
        import re
        import socket
        import threading

        text = address.strip()
        m = re.fullmatch(r"(?:(tcp|tls|ws|wss|inproc|ucx)://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.\-]+):(\d{1,5})/?", text)
        if not m or not 0 < int(m[3]) < 65536:
            raise InputError(f"--scheduler {address!r} is not a scheduler address; use "
                             f"tcp://HOST:8786 (what `dask scheduler` prints)")
        if m[1] not in (None, "tcp"):
            raise InputError(f"--scheduler {address!r}: only tcp:// scheduler addresses are supported here "
                             f"({m[1]}:// needs its own security or transport set-up); use tcp://HOST:PORT")
        host, port = m[2].strip("[]"), int(m[3])
        text = f"tcp://{m[2]}:{port}"
        advice = "start one with `dask scheduler` or leave --scheduler out to run on a local cluster"
        try:  # a closed port or an unknown host: one line at once
            socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
        except OSError as exc:
            raise InputError(f"--scheduler {address}: no Dask scheduler answered, nothing accepts connections there "
                             f"({exc.strerror or type(exc).__name__}); {advice}") from None
        from distributed import Client

        box: dict = {}

        def connect() -> None:
            try:
                # set_as_default=False: a probe that never completes its handshake must not
                # leave dask's global scheduler pointing at that address for later computations
                box["client"] = Client(text, timeout=f"{CONNECT_TIMEOUT_S}s", set_as_default=False)
            except BaseException as exc:  # handed to the caller's thread
                box["error"] = exc

        worker = threading.Thread(target=connect, name="macroattr-scheduler-probe", daemon=True)
        worker.start()
        worker.join(CONNECT_TIMEOUT_S + 3)  # an HTTP or silent port never completes Dask's handshake
        if worker.is_alive() or "error" in box:
            why = ("no Dask handshake within "
                   f"{CONNECT_TIMEOUT_S + 3} s" if worker.is_alive() else type(box["error"]).__name__)
            raise InputError(f"--scheduler {address}: the port is open but no Dask scheduler answered "
                             f"({why}; an HTTP server or another service?); {advice}") from None
        box["client"].close()
        self.client = Client(text, timeout=f"{CONNECT_TIMEOUT_S}s")  # answered: now the default client
        info = self.client.scheduler_info()
        ws = info.get("workers", {})
        threads = sum(w.get("nthreads", 1) for w in ws.values())
        self.description = (f"Dask scheduler {address}: {len(ws)} workers, {threads} threads")
        if not ws:
            self.say(f"note: the scheduler at {address} has no workers yet; tasks wait until "
                     f"one joins (`dask worker {address}`)")

    def __exit__(self, *exc: Any) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = None

    # -------------------------------------------------------------- running
    def run(self, tasks: Iterable[Task], cache_dir: str | os.PathLike[str] | None = None,
            progress: bool | None = None, what: str = "task") -> list[TaskResult]:
        """Run ``tasks`` (cached ones are loaded), returning results in task order.

        A failed task does not stop the others; ``progress`` None shows a bar only on a
        terminal.
        """
        tasks = list(tasks)
        cache = Path(cache_dir) / "tasks" if cache_dir is not None else None
        results: dict[str, TaskResult] = {}
        todo: list[Task] = []
        for t in tasks:
            hit = self._load(cache, t)
            if hit is not None:
                results[t.key] = hit
            else:
                todo.append(t)
        bar = _Progress(len(tasks), what, progress, self.say)
        for r in results.values():
            bar.update(r)
        if todo and not self.serial and self.client is None:
            self._start_local()
        try:
            for r in (self._serial(todo) if self.client is None else self._dask(todo)):
                results[r.key] = r
                if r.status == "ok":
                    self._store(cache, r)
                bar.update(r)
        finally:
            bar.close()
        return [results[t.key] for t in tasks]

    def _serial(self, todo: list[Task]):
        for t in todo:
            yield self._unwrap(t, lambda t=t: run_task(t.fn, t.kwargs))

    def _dask(self, todo: list[Task]):
        from distributed import as_completed

        futures = {self.client.submit(run_task, t.fn, t.kwargs, key=f"{t.label}-{t.key}",
                                      retries=self.retries, pure=False): t for t in todo}
        for fut in as_completed(futures):
            yield self._unwrap(futures[fut], fut.result)

    @staticmethod
    def _unwrap(t: Task, get: Callable[[], dict[str, Any]]) -> TaskResult:
        t0 = time.perf_counter()
        try:
            out = get()
        except Exception as exc:  # noqa: BLE001 - reported in the table, the others go on
            name = type(exc).__name__
            msg = " ".join(str(exc).split())
            if name == "KilledWorker":
                msg = f"the worker running it died repeatedly ({msg})"
            return TaskResult(t.key, t.label, "failed", reason=f"{name}: {msg}",
                              seconds=time.perf_counter() - t0)
        secs = float(out.get("__seconds__", 0.0))
        if "__failed__" in out:
            return TaskResult(t.key, t.label, "failed", reason=out["__failed__"], seconds=secs)
        return TaskResult(t.key, t.label, "ok", value=out["__value__"], seconds=secs)

    @staticmethod
    def _load(cache: Path | None, t: Task) -> TaskResult | None:
        if cache is None:
            return None
        p = cache / f"{t.key}.json"
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return TaskResult(t.key, t.label, "cached", value=data.get("value"),
                          seconds=float(data.get("seconds", 0.0)))

    @staticmethod
    def _store(cache: Path | None, r: TaskResult) -> None:
        if cache is None:
            return
        from macroattr.core.io import atomic_path

        try:
            cache.mkdir(parents=True, exist_ok=True)
            with atomic_path(cache / f"{r.key}.json") as tmp:
                Path(tmp).write_text(json.dumps({"label": r.label, "seconds": r.seconds,
                                                 "value": r.value}, default=_default,
                                                allow_nan=True), encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write the task cache {cache}: {exc.strerror or exc}; "
                             f"choose a writable --cache-dir") from None

