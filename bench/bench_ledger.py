"""What the forecast ledger adds to `stockrnn predict`: the record's own time beside the whole command's.

    .venv/bin/python bench/bench_ledger.py        # about 1 minute on 2 cores

A default model trained on the S&P 500 sample up to 2016-12-30 (its own temporary home); then
- the whole command `stockrnn predict ^GSPC` (process start to exit, which records its forecast), 5 runs;
- the ledger entry of that forecast built and written in-process (what predict adds), 50 new records (distinct
  origins), on a ledger that already holds 5000 forecasts of 21 steps (about 20 years of a nightly cron job), and
  on an empty one.
Prints the medians and the ledger's share of the command.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="stockrnn-bench-ledger-"))
    os.environ["STOCKRNN_HOME"] = str(home)
    frame = pd.read_csv(ROOT / "sample_data" / "sp500.csv")
    csv = home / "sp500_2016.csv"
    frame[frame["Date"] <= "2016-12-30"].to_csv(csv, index=False)
    stockrnn = [sys.executable, "-m", "stockrnn"]
    subprocess.run([*stockrnn, "train", "--csv", str(csv), "--symbol", "^GSPC", "--train-start", "2012-01-01"],
                   check=True, capture_output=True)  # fmt: skip

    whole = []
    for _ in range(5):
        started = time.perf_counter()
        subprocess.run([*stockrnn, "predict", "^GSPC"], check=True, capture_output=True)
        whole.append(time.perf_counter() - started)

    from stockrnn import ledger, registry
    from stockrnn.app.forecast import forecast
    from stockrnn.validate import load_csv

    stored = registry.load_current("^GSPC")
    prices = load_csv(csv)
    result = forecast(stored, prices, None, 21)
    empty, full = home / "empty", home / "full"
    template = ledger.entry(result, stored.manifest.config, prices, "predict")
    days = pd.bdate_range("1990-01-01", periods=5050)
    for number, day in enumerate(days[:5000]):
        ledger.record(dataclasses.replace(template, origin=f"{day:%Y-%m-%d}", version=f"v{number // 250 + 1}"), full)

    def timed(folder: Path) -> list[float]:
        seconds = []
        for day in days[5000:]:
            made = dataclasses.replace(result, origin=day)
            started = time.perf_counter()  # what predict adds: the entry built from its forecast, then written
            assert ledger.record(ledger.entry(made, stored.manifest.config, prices, "predict"), folder)
            seconds.append(time.perf_counter() - started)
        return seconds

    on_empty, on_full = timed(empty), timed(full)
    command = statistics.median(whole)
    print("| what | median | p95 |")
    print("|---|---|---|")
    print(f"| `stockrnn predict ^GSPC`, whole command (5 runs) | {command:.2f} s | {max(whole):.2f} s (max) |")
    for name, seconds in (("empty ledger", on_empty), ("ledger of 5000 forecasts", on_full)):
        median, p95 = 1000 * statistics.median(seconds), 1000 * statistics.quantiles(seconds, n=20)[-1]
        print(f"| one record, {name} (50 records) | {median:.1f} ms | {p95:.1f} ms |")
    share = statistics.median(on_full) / command
    print(f"\nthe record is {share:.2%} of the whole predict command (ledger of 5000 forecasts); home: {home}")


if __name__ == "__main__":
    main()
