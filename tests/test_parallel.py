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
