"""Parallel: one seam for serial and process-parallel work, results in the tasks' order."""

import os

import pytest

from stockrnn import parallel


def square_and_pid(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def test_serial_runs_here_in_order_and_reports_each_start():
    started = []
    results = parallel.run(square_and_pid, [3, 1, 2], jobs=1, before=lambda n, task: started.append((n, task)))
    assert [value for value, _ in results] == [9, 1, 4]
    assert {pid for _, pid in results} == {os.getpid()}
    assert started == [(1, 3), (2, 1), (3, 2)]


@pytest.mark.slow
def test_processes_give_the_same_results_in_the_same_order():
    results = parallel.run(square_and_pid, [3, 1, 2, 5], jobs=2)
    assert [value for value, _ in results] == [9, 1, 4, 25]
    assert os.getpid() not in {pid for _, pid in results}  # really other processes


SHARED = ("XLA_PYTHON_CLIENT_PREALLOCATE", "XLA_PYTHON_CLIENT_MEM_FRACTION", "XLA_CLIENT_MEM_FRACTION",
          "TF_FORCE_GPU_ALLOW_GROWTH")  # fmt: skip


def gpu_environment(_: int) -> dict:
    """What a worker's environment says about GPU memory while its task runs, and whether its backend had started."""
    import sys

    return {"env": {k: os.environ.get(k) for k in SHARED}, "pid": os.getpid(), "jax": "jax" in sys.modules}


def test_a_worker_shares_the_gpu_before_its_backend_starts(monkeypatch):
    """The order inside a worker: the GPU's settings, then the backend, then its threads (which may start it)."""
    from stockrnn import backend, backend_choice, logs

    calls = []
    monkeypatch.setattr(parallel, "_die_with", lambda parent: None)
    monkeypatch.setattr(logs, "setup", lambda path, quiet=False: None)
    monkeypatch.setattr(backend, "share_gpu", lambda settings: calls.append(("share_gpu", settings)))
    monkeypatch.setattr(backend_choice, "use", lambda name: calls.append(("use", name)))
    monkeypatch.setattr(backend, "limit_threads", lambda threads: calls.append(("limit_threads", threads)))
    settings = backend.gpu_sharing({}, 4)
    assert parallel._in_worker(lambda task: task * 2, 21, 3, settings, None, 1, "jax") == 42
    assert calls == [("share_gpu", settings), ("use", "jax"), ("limit_threads", 3)]


@pytest.mark.slow
def test_workers_never_preallocate_and_split_the_gpu(monkeypatch):
    """`backtest --jobs 4` on the issue's H200: every JAX worker took 75% of the GPU, the second failed. Each worker
    now gets no preallocation and a quarter of the fraction, from the caller's environment: run after run (joblib
    reuses its workers, whose environment holds the last run's share), and with the caller's own fraction."""
    from stockrnn import backend

    monkeypatch.delenv("XLA_CLIENT_MEM_FRACTION", raising=False)
    monkeypatch.delenv("XLA_PYTHON_CLIENT_PREALLOCATE", raising=False)
    monkeypatch.setenv("XLA_PYTHON_CLIENT_MEM_FRACTION", "0.8")
    for _ in range(2):
        seen = parallel.run(gpu_environment, [1, 2, 3, 4], jobs=4)
        assert {r["env"]["XLA_PYTHON_CLIENT_MEM_FRACTION"] for r in seen} == {"0.2000"}
        assert {r["env"]["XLA_PYTHON_CLIENT_PREALLOCATE"] for r in seen} == {"false"}
        assert {r["env"]["TF_FORCE_GPU_ALLOW_GROWTH"] for r in seen} == {"true"}
        assert os.getpid() not in {r["pid"] for r in seen}
        assert not any(r["jax"] for r in seen)  # preparing the worker started no backend: the settings still count
    assert os.environ["XLA_PYTHON_CLIENT_MEM_FRACTION"] == "0.8"  # the caller's own is untouched
    assert "XLA_PYTHON_CLIENT_PREALLOCATE" not in os.environ
    two = parallel.run(gpu_environment, [1, 2], jobs=2)
    assert {r["env"]["XLA_PYTHON_CLIENT_MEM_FRACTION"] for r in two} == {"0.4000"}
    assert backend.gpu_sharing(os.environ, 2)["XLA_PYTHON_CLIENT_MEM_FRACTION"] == "0.4000"
