"""Parallel: the one seam through which independent pieces of work run (retrain's symbols, backtest's folds).

Input: a function and its tasks (plain values that pickle), each with a name for messages. Output: its results, in
the tasks' order. Three ways to run them: serially in this process (one job); in joblib's worker processes on this
machine (`jobs` > 1, each with its share of the cores and of a GPU's memory); or as tasks on a Dask cluster
(`cluster`: the scheduler's address). Tasks get everything as arguments and return values: a worker never reads or
writes the home folder, so only the caller writes the registry.

On a cluster, a task whose worker dies (killed, out of memory), that raises outside the function's own error
handling, or that runs longer than `timeout` seconds comes back as `Lost` (with its name and why), and the others
finish. Dask's own retry rule applies first: a task whose worker dies is run again elsewhere, and declared lost
after `distributed.scheduler.allowed-failures` deaths (3 by default).
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from . import backend, backend_choice
from .errors import ClusterError

T = TypeVar("T")
R = TypeVar("R")
log = logging.getLogger("stockrnn")

ENV = "STOCKRNN_DASK"  # the scheduler's address, so that a crontab line stays short
CONNECT_SECONDS = 10  # to reach the scheduler before exit 69
# done(completed, total, name, ok): called in this process as each task ends, in any mode (progress bars, log lines).
Done = Callable[[int, int, str, bool], None]


@dataclass(frozen=True)
class Lost:
    """A task the cluster could not finish: its name and why."""

    name: str
    reason: str


def run(
    function: Callable[[T], R],
    tasks: Sequence[T],
    jobs: int = 1,
    log_file: str | None = None,
    before: Callable[[int, T], None] | None = None,
    *,
    cluster: str | None = None,
    names: Sequence[str] | None = None,
    done: Done | None = None,
    timeout: float | None = None,
    quiet: bool = False,
) -> list[R | Lost]:
    """`[function(task) for task in tasks]`: on the Dask `cluster` when given, else `jobs` at a time here.
    `before(number, task)` is called before each task starts when they run serially (progress lines); worker
    processes log to stderr (with `quiet` only warnings and errors) and `log_file`. Only a cluster returns `Lost`
    entries; here, errors propagate."""
    names = list(names) if names is not None else [f"task {n}" for n in range(1, len(tasks) + 1)]
    if cluster:
        return _on_cluster(function, tasks, cluster, names, done, timeout)
    jobs = max(1, min(jobs, len(tasks)))
    results: list[Any] = []
    if jobs == 1:
        for number, task in enumerate(tasks, start=1):
            if before is not None:
                before(number, task)
            results.append(function(task))
            if done is not None:
                done(number, len(tasks), names[number - 1], True)
        return results
    from joblib import Parallel, delayed

    threads = max(1, (os.cpu_count() or 1) // jobs)  # share the cores instead of oversubscribing them
    # and the GPU's memory: computed here, from this process's environment, because joblib reuses its workers
    # from one run to the next, and a worker's own environment would already hold the last run's share
    gpu = backend.gpu_sharing(os.environ, jobs)
    parent, keras_on = os.getpid(), backend_choice.name()
    results = [None] * len(tasks)
    ordered = Parallel(n_jobs=jobs, return_as="generator_unordered")(
        delayed(_numbered)(number, function, task, threads, gpu, log_file, parent, keras_on, quiet)
        for number, task in enumerate(tasks)
    )
    for completed, (number, result) in enumerate(ordered, start=1):
        results[number] = result
        if done is not None:
            done(completed, len(tasks), names[number], True)
    return results


def _numbered(number: int, function: Callable, task: Any, *how: Any) -> tuple:
    return number, _in_worker(function, task, *how)


def _in_worker(
    function: Callable[[Any], Any],
    task: Any,
    threads: int,
    gpu: dict[str, str],
    log_file: str | None,
    parent: int,
    keras_on: str,
    quiet: bool = False,
) -> Any:
    """Run one task in a worker process: the same log lines and Keras backend as the caller's, and its share of the
    cores and of a GPU's memory (`gpu`: `backend.gpu_sharing`'s settings, applied before the backend starts)."""
    from pathlib import Path

    from . import logs

    _die_with(parent)
    logs.setup(Path(log_file) if log_file else None, quiet)
    backend.share_gpu(gpu)
    backend_choice.use(keras_on)
    backend.limit_threads(threads)
    return function(task)


_WATCHED: set[int] = set()


def _die_with(parent: int) -> None:
    """End this worker within a second of its parent's death, however the parent died (SIGKILL included): an
    orphan would train on for nothing and hold hundreds of MB."""
    import threading

    if parent in _WATCHED:
        return
    _WATCHED.add(parent)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="stockrnn-parent-watch", daemon=True).start()


# --- Dask ---------------------------------------------------------------------------------------------------------

# What must be the same on the client and every worker: what a task computes with, and the pickles it travels in.
MATCHED = ("stockrnn", "keras", "jax", "jaxlib", "tensorflow", "numpy", "pandas", "scipy", "cloudpickle", "distributed")


def connect(address: str) -> Any:
    """A `distributed.Client` of the scheduler at `address`, after checking that every worker runs the versions
    this client does; `ClusterError` (exit 69) naming the address when it cannot be reached or does not match."""
    try:
        from distributed import Client
    except ImportError:
        raise ClusterError(
            "--dask needs Dask's distributed scheduler: pip install 'stockrnn[dask]' (on this machine and every worker)"
        ) from None
    try:
        client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        theirs = client.run(dask_versions)
        if not theirs:
            raise ClusterError(f"the Dask scheduler at {address} has no workers: start some with dask worker {address}")
        ours = here()
        for worker, found in theirs.items():
            differ = [f"{name} {found.get(name)} (here {ours[name]})" for name in ours if found.get(name) != ours[name]]
            if differ:
                raise ClusterError(
                    f"Dask worker {worker} runs other versions than this client: {', '.join(differ)}; install the "
                    "same stockrnn, Keras and backend libraries on every worker"
                )
    except BaseException:
        client.close()
        raise
    return client


def dask_versions() -> dict[str, str | None]:
    """The versions of MATCHED installed in this process's environment, and Python's major.minor."""
    import platform
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    def installed(name: str) -> str | None:
        try:
            return package_version(name)
        except PackageNotFoundError:
            return None

    return {"python": ".".join(platform.python_version_tuple()[:2]), **{n: installed(n) for n in MATCHED}}


def here() -> dict[str, str | None]:
    """This client's versions (a seam for tests: the workers run `versions` itself)."""
    return dask_versions()


def configured() -> str | None:
    """The scheduler $STOCKRNN_DASK names (what --dask defaults to), or None (this machine)."""
    return os.environ.get(ENV) or None


def _on_cluster(
    function: Callable, tasks: Sequence, where: str, names: list[str], done: Done | None, timeout: float | None
) -> list[Any]:
    """Tasks on the cluster, no more in flight than its workers have threads: a task waits here, not queued behind
    another on a worker, so that a worker's death takes only the task it was running into Dask's retry count."""
    from distributed import wait

    client = connect(where)
    keras_on = backend_choice.name()
    try:
        run_id = uuid.uuid4().hex[:8]
        waiting = list(range(len(tasks)))
        number: dict[str, int] = {}
        results: list[Any] = [None] * len(tasks)
        started: dict[str, float] = {}
        pending: set[Any] = set()
        completed = 0

        def finish(future: Any, result: Any) -> None:
            nonlocal completed
            n = number[future.key]
            results[n], completed = result, completed + 1
            if isinstance(result, Lost):
                log.error("%s: %s", result.name, result.reason)
            if done is not None:
                done(completed, len(tasks), names[n], not isinstance(result, Lost))

        while waiting or pending:
            threads = max(1, sum(client.nthreads().values()))  # the cluster may grow or shrink meanwhile
            while waiting and len(pending) < threads:
                n = waiting.pop(0)
                future = client.submit(
                    _in_dask_worker, function, tasks[n], keras_on, key=f"stockrnn-{run_id}-{n}", pure=False
                )
                number[future.key] = n
                pending.add(future)
            try:
                with client.as_current():  # wait() asks for the current client
                    finished, pending = wait(pending, timeout=1, return_when="FIRST_COMPLETED")
            except TimeoutError:  # nothing ended in that second
                finished = set()
            for future in finished:
                try:
                    finish(future, future.result())
                except Exception as exc:  # the task never returned: its worker died, or it raised past its handler
                    finish(future, Lost(names[number[future.key]], _why(exc)))
            if timeout is None or not pending:
                continue
            now = time.monotonic()
            running = {key: worker for worker, keys in client.processing().items() for key in keys}
            for future in list(pending):
                if future.key in running:
                    started.setdefault(future.key, now)
                if now - started.get(future.key, now) > timeout:
                    pending.discard(future)
                    future.cancel()
                    client.restart_workers([running[future.key]])  # its thread cannot be stopped: its process can
                    finish(future, Lost(names[number[future.key]], f"no result after {timeout:g} s: cancelled"))
        return results
    finally:
        client.close()


def _in_dask_worker(function: Callable[[Any], Any], task: Any, keras_on: str) -> Any:
    """Run one task on a Dask worker, on the client's Keras backend (a worker already running another says so:
    start it with STOCKRNN_BACKEND set), with the backend's threads limited to the worker's own. A worker does not
    preallocate a GPU's memory either, since several may share a machine's GPU (how many is the cluster's to know:
    XLA_CLIENT_MEM_FRACTION in a worker's environment caps each)."""
    from distributed import get_worker

    backend.share_gpu(backend.gpu_sharing(os.environ, None))
    backend_choice.use(keras_on)
    backend.limit_threads(get_worker().state.nthreads)
    return function(task)


def _why(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "KilledWorker":
        return "its Dask worker died while running it (killed, or out of memory), on every try"
    return f"{name} on the Dask worker: {exc}"
