"""Parallel: the one seam through which independent pieces of work run (retrain's symbols, backtest's folds).

Input: a function and its tasks (plain values that pickle). Output: its results, in the tasks' order. Serial in this
process for one job; otherwise joblib's worker processes, each with its share of the cores (and, later, a Dask
cluster through joblib's dask backend). Tasks get everything as arguments and return values: a worker never reads
or writes the home folder, so only the caller writes the registry.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def run(
    function: Callable[[T], R],
    tasks: Sequence[T],
    jobs: int = 1,
    log_file: str | None = None,
    before: Callable[[int, T], None] | None = None,
) -> list[R]:
    """`[function(task) for task in tasks]`, `jobs` at a time. `before(number, task)` is called before each task
    starts when they run serially (progress lines); worker processes log to stderr and `log_file`."""
    jobs = max(1, min(jobs, len(tasks)))
    if jobs == 1:
        results = []
        for number, task in enumerate(tasks, start=1):
            if before is not None:
                before(number, task)
            results.append(function(task))
        return results
    from joblib import Parallel, delayed

    threads = max(1, (os.cpu_count() or 1) // jobs)  # share the cores instead of oversubscribing them
    parent = os.getpid()
    return Parallel(n_jobs=jobs)(delayed(_in_worker)(function, task, threads, log_file, parent) for task in tasks)


def _in_worker(function: Callable[[Any], Any], task: Any, threads: int, log_file: str | None, parent: int) -> Any:
    """Run one task in a worker process: the same log lines as the caller's, and its share of the cores."""
    from pathlib import Path

    from . import backend, logs

    _die_with(parent)
    logs.setup(Path(log_file) if log_file else None)
    backend.limit_threads(threads)
    return function(task)


_WATCHED: set[int] = set()


def _die_with(parent: int) -> None:
    """End this worker within a second of its parent's death, however the parent died (SIGKILL included): an
    orphan would train on for nothing and hold hundreds of MB."""
    import threading
    import time

    if parent in _WATCHED:
        return
    _WATCHED.add(parent)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="stockrnn-parent-watch", daemon=True).start()
