"""The GPU check (scripts/gpu_check.sh, bench/bench_gpu.py): its rows from what each backend sees, its table, and a
script that parses. What it measures needs a GPU machine: docs/gpu.md."""

import importlib.util
import subprocess

from .conftest import ROOT


def bench():
    spec = importlib.util.spec_from_file_location("bench_gpu", ROOT / "bench" / "bench_gpu.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_row_for_each_backend_that_sees_the_gpu_and_one_on_the_cpu(monkeypatch):
    monkeypatch.setenv("STOCKRNN_BACKEND", "tensorflow")  # the user's: each row sets its own
    check = bench()
    h200 = {"jax": ["GPU:0"], "tensorflow": "not installed", "torch": ["CPU:0", "GPU:0"]}
    rows = check.rows(h200)
    assert [name for name, _ in rows][:2] == ["GPU, jax", "GPU, torch"] and rows[2][0].startswith("CPU, ")
    assert [env.get("STOCKRNN_BACKEND") for _, env in rows] == ["jax", "torch", None]
    assert rows[2][1]["CUDA_VISIBLE_DEVICES"] == "" and rows[2][1]["JAX_PLATFORMS"] == "cpu"  # the GPU hidden
    assert [name for name, _ in check.rows({"jax": ["CPU:0"], "tensorflow": ["CPU:0"], "torch": "x"})] == [rows[2][0]]


def test_the_table_says_what_was_not_measured():
    check = bench()
    runs = {
        "GPU, jax": {"train_first": {"seconds": 17.21, "fit": 9.0, "device": "GPU:0", "backend": "jax"},
                     "train_second": {"seconds": 14.8}, "predict": {"seconds": 8.0},
                     "lecture_size": {"seconds": 1.0, "error": "exit 2: error: no"}, "backtest": None},
    }  # fmt: skip
    header, rule, row = check.table(runs)
    assert header.count("|") == rule.count("|") == row.count("|") == len(check.KINDS) + 3
    assert (
        row == "| GPU, jax | jax, GPU:0 | 17.2 (fit 9.0) | 14.8 | 8.0 | failed: exit 2: error: no | not run (budget) |"
    )


def test_the_script_parses():
    assert subprocess.run(["bash", "-n", str(ROOT / "scripts" / "gpu_check.sh")]).returncode == 0
