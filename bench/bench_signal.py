"""`stockrnn signal` over a watchlist of 20 symbols against one symbol's `stockrnn predict`: whole commands, process
start to exit, side by side in one run (the target: signal for 20 at most 2x predict for 1).

    .venv/bin/python bench/bench_signal.py        # about 3 minutes on 2 cores

20 tiny models (window 20, one LSTM(8) layer, 2 epochs) trained offline, in one process, on seeded random walks of
600 business days written as CSV files into a temporary STOCKRNN_HOME; then, alternating, RUNS times each:
`stockrnn predict SYM00` and `stockrnn signal --watchlist W` (the 20 symbols, one process, each model loaded once).
Prints the medians and the ratio.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

SYMBOLS = 20
RUNS = 3


def walk(seed: int, n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(0.01 * rng.standard_normal(n)))
    dates = pd.bdate_range("2015-01-02", periods=n)
    return pd.DataFrame({"Date": dates.strftime("%Y-%m-%d"), "Open": close * 0.999, "Close": close})


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="stockrnn-bench-signal-"))
    os.environ["STOCKRNN_HOME"] = str(home)
    from stockrnn.app.training import train_prices
    from stockrnn.config import TrainConfig
    from stockrnn.validate import load_csv

    config = TrainConfig(target="return", window=20, layers=1, units=8, epochs=2, patience=0, batch_size=64,
                         train_end="2016-12-30")  # fmt: skip
    names = [f"SYM{i:02d}" for i in range(SYMBOLS)]
    started = time.perf_counter()
    for i, name in enumerate(names):
        csv = home / f"{name.lower()}.csv"
        walk(i).to_csv(csv, index=False)
        train_prices(load_csv(csv), name, config)
    print(f"trained {SYMBOLS} tiny models in {time.perf_counter() - started:.0f} s")
    watchlist = home / "watchlist.txt"
    watchlist.write_text("\n".join(names) + "\n", encoding="utf-8")

    stockrnn = [sys.executable, "-m", "stockrnn"]
    commands = {
        "predict SYM00": [*stockrnn, "predict", names[0], "--offline"],
        f"signal --watchlist ({SYMBOLS} symbols)": [*stockrnn, "signal", "--watchlist", str(watchlist), "--offline"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(RUNS):
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times[name].append(time.perf_counter() - started)
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, t in times.items():
        print(f"{name:34s} median {medians[name]:6.2f} s  ({', '.join(f'{x:.2f}' for x in t)})")
    one, many = medians.values()
    print(f"ratio: signal for {SYMBOLS} / predict for 1 = {many / one:.2f}x (target: at most 2x)")


if __name__ == "__main__":
    main()
