"""Threads the samplers draw their models on (one rule for every sampler).

The real-time and the revised samplers draw each model (a grid point and which betas
drift) from that model's own filter into rows no other model writes, and their compiled
kernels release the GIL, so independent models run on threads at once and give the same
numbers in any order. ``MACROATTR_THREADS`` sets the count (1: serial); by default it is
the cores this process may use, at most :data:`MAX_THREADS`.

Examples
--------
>>> out = [0] * 4
>>> def square(i):
...     out[i] = i * i
>>> run_each(square, range(4), threads=2)
>>> out
[0, 1, 4, 9]
>>> map_each(lambda i: i * i, range(4), threads=2)
[0, 1, 4, 9]
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["MAX_THREADS", "draw_threads", "map_each", "run_each"]

#: at most this many threads by default (the samplers' work is memory-bound beyond)
MAX_THREADS = 4


def draw_threads() -> int:
    """``MACROATTR_THREADS`` when set to a positive whole number, else the cores this
    process may use (at most :data:`MAX_THREADS`)."""
    env = os.environ.get("MACROATTR_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_THREADS, cores))


def map_each(fn: Callable[[Any], Any], items: Iterable[Any], threads: int | None = None
             ) -> list[Any]:
    """``[fn(item) for item in items]``, the calls on ``threads`` threads (default
    :func:`draw_threads`), the results in the items' order; an exception in any call is
    raised here."""
    items = list(items)
    n = min(draw_threads() if threads is None else int(threads), len(items))
    if n <= 1:
        return [fn(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(fn, items))


def run_each(fn: Callable[[Any], None], items: Iterable[Any], threads: int | None = None) -> None:
    """Call ``fn`` on every item, as :func:`map_each` does (for calls that write their
    own cells and return nothing)."""
    map_each(fn, items, threads)
