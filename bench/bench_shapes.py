"""`stockrnn train` of each output shape against the recursive default: whole commands, process start to exit, side
by side in one run (the target: a direct model's training at most 1.5x the recursive default's).

    .venv/bin/python bench/bench_shapes.py        # about 2 minutes on 2 cores

The lecture's setting with the default model (return target, 60-day windows, one LSTM(32), batch 64, up to 100
epochs with early stopping, patience 10): `stockrnn train --csv sample_data/sp500.csv --train-start 2012-01-01
--train-end 2016-12-30` plus the shape's options, each run in a fresh temporary STOCKRNN_HOME; the commands
alternate, RUNS times each. Prints each command's median seconds, its epochs (early stopping ends each shape after
its own number), seconds per epoch, and its ratio to the recursive default's.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 2
SHAPES = {
    "recursive (default)": [],
    "--output direct": ["--output", "direct"],
    "--output encoder-decoder": ["--output", "encoder-decoder"],
    "--sequence-loss": ["--sequence-loss"],
}


def main() -> None:
    train = [sys.executable, "-m", "stockrnn", "train", "--csv", str(ROOT / "sample_data" / "sp500.csv"),
             "--symbol", "^GSPC", "--train-start", "2012-01-01", "--train-end", "2016-12-30", "--json"]  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name in SHAPES}
    epochs: dict[str, int] = {}
    for _ in range(RUNS):
        for name, options in SHAPES.items():
            with tempfile.TemporaryDirectory(prefix="stockrnn-bench-shapes-") as home:
                started = time.perf_counter()
                done = subprocess.run([*train, *options], capture_output=True, text=True,
                                      env={**os.environ, "STOCKRNN_HOME": home})  # fmt: skip
                times[name].append(time.perf_counter() - started)
            if done.returncode != 0:
                sys.exit(f"{name}: exit {done.returncode}\n{done.stderr}")
            epochs[name] = json.loads(done.stdout)["training"]["epochs_run"]  # the same every run: seeded on a CPU
    default = statistics.median(times["recursive (default)"])
    print(f"stockrnn train, the lecture's setting (S&P 500 2012-2016), median of {RUNS} runs, {os.cpu_count()} cores")
    print(f"{'command':28} {'seconds':>8} {'epochs':>7} {'s/epoch':>8} {'ratio':>6}")
    for name in SHAPES:
        seconds = statistics.median(times[name])
        print(f"{name:28} {seconds:8.1f} {epochs[name]:7d} {seconds / epochs[name]:8.2f} {seconds / default:6.2f}x")


if __name__ == "__main__":
    main()
