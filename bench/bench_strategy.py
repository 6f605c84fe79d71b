"""What trading the folds' signals adds to a backtest: whole commands, start to exit, side by side in one run.

    .venv/bin/python bench/bench_strategy.py            # about 10 minutes on 2 cores

Alternates `stockrnn backtest --csv sample_data/sp500.csv --train-start 2012-01-01` (the default model, 10 folds)
without and with `--strategy long-flat --strategy long-short` (two rules: two bootstrap tests and Hansen's SPA),
`--repeats` times each, and prints the medians and their ratio. Target: the strategy adds at most 5%.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = ["backtest", "--csv", str(ROOT / "sample_data" / "sp500.csv"), "--train-start", "2012-01-01"]
STRATEGY = ["--strategy", "long-flat", "--strategy", "long-short"]


def timed(arguments: list[str], home: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "stockrnn", *arguments], check=True, capture_output=True,
                   env={**os.environ, "STOCKRNN_HOME": home})  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("options", nargs="*", help="after --: more backtest options (e.g. --folds 3)")
    args = parser.parse_args()
    plain, traded = [], []
    with tempfile.TemporaryDirectory() as home:
        for _ in range(args.repeats):  # alternated: a slow spell of a shared machine hits both alike
            plain.append(timed([*BASE, *args.options], home))
            traded.append(timed([*BASE, *args.options, *STRATEGY], home))
    a, b = statistics.median(plain), statistics.median(traded)
    print("| command | runs (s) | median (s) |")
    print("|---|---|---|")
    print(f"| backtest | {', '.join(f'{t:.1f}' for t in plain)} | {a:.1f} |")
    print(f"| backtest --strategy (2 rules) | {', '.join(f'{t:.1f}' for t in traded)} | {b:.1f} |")
    print(f"\nthe strategy adds {b / a - 1:+.1%} (target: at most +5%)")


if __name__ == "__main__":
    main()
