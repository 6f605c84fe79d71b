"""The cron flow replayed on the past: a price file that grows one month at a time, retrain + predict after each.

    .venv/bin/python scripts/track_walk.py                  # S&P 500, 24 monthly origins 2016-12..2018-11 (~20 min)
    .venv/bin/python scripts/track_walk.py --months 3 -- --epochs 5   # a quick look; after --: train options
    .venv/bin/python scripts/track_walk.py --retrain-options "--margin 0.01"   # the older promotion rule

Whole commands, as a user's cron runs them, each in its own process with its own STOCKRNN_HOME (default: a new
temporary folder): `stockrnn train` on the file up to the first month's last day, then for every later month the
file is rewritten up to that month's last day and `stockrnn retrain` + `stockrnn predict` run (retrain records the
champion's forecast, predict the same one again: the ledger keeps it once). At the end, `stockrnn track --json`
scores what matured; prints the markdown table of docs/track.md and, with --json FILE, the whole report.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
STOCKRNN = [sys.executable, "-m", "stockrnn"]


def month_ends(days: pd.DatetimeIndex, first: str, months: int) -> list[pd.Timestamp]:
    """The last trading day in the data of `months` + 1 consecutive months from `first` (YYYY-MM)."""
    by_month = pd.Series(days, index=days).groupby(days.to_period("M")).max()
    start = pd.Period(first, "M")
    return [by_month[start + i] for i in range(months + 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=ROOT / "sample_data" / "sp500.csv")
    parser.add_argument("--symbol", default="^GSPC")
    parser.add_argument("--train-start", default="2012-01-01")
    parser.add_argument("--first", default="2016-12", help="the month whose last day is the first origin")
    parser.add_argument("--months", type=int, default=24, help="monthly retrains after the first origin")
    parser.add_argument("--home", type=Path, help="STOCKRNN_HOME to use; default: a new temporary folder")
    parser.add_argument("--json", type=Path, help="also write the track report here")
    parser.add_argument("--retrain-options", default="", help='options for every retrain, e.g. "--margin 0.01"')
    parser.add_argument("train_options", nargs="*", help="after --: options for train (e.g. --epochs 5)")
    args = parser.parse_args()

    home = args.home or Path(tempfile.mkdtemp(prefix="stockrnn-walk-"))
    env = {**os.environ, "STOCKRNN_HOME": str(home)}
    frame = pd.read_csv(args.csv)
    days = pd.DatetimeIndex(pd.to_datetime(frame["Date"]))
    walk = home / "walk.csv"
    seconds: dict[str, list[float]] = {"train": [], "retrain": [], "predict": []}

    def command(name: str, *options: str) -> None:
        started = time.perf_counter()
        done = subprocess.run([*STOCKRNN, name, *options], env=env, capture_output=True, text=True)
        seconds[name].append(time.perf_counter() - started)
        if done.returncode not in (0, 1):  # retrain exits 1 when a symbol failed: shown, not fatal
            sys.exit(f"stockrnn {name} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        print(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "", flush=True)

    home.mkdir(parents=True, exist_ok=True)
    for number, end in enumerate(month_ends(days, args.first, args.months)):
        frame[days <= end].to_csv(walk, index=False)  # the file as it stood that evening
        print(f"--- {end:%Y-%m-%d}", flush=True)
        if number == 0:
            command("train", "--csv", str(walk), "--symbol", args.symbol, "--train-start", args.train_start,
                    *args.train_options)  # fmt: skip
        else:
            command("retrain", args.symbol, *shlex.split(args.retrain_options))
        command("predict", args.symbol)
    report = subprocess.run([*STOCKRNN, "track", "--json", "--offline"], env=env, capture_output=True, text=True)
    data = json.loads(report.stdout)
    data["seconds"] = {k: round(sum(v) / len(v), 1) for k, v in seconds.items() if v}
    short = subprocess.run(
        [*STOCKRNN, "track", "--json", "--offline", "--horizon", "19"], env=env, capture_output=True, text=True
    )  # every origin's first 19 steps: the last origin's 21st step falls after the sample
    data["first_19_steps"] = json.loads(short.stdout)
    if args.json:
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    subprocess.run([*STOCKRNN, "track", "--offline", "--plot", str(home / "track.png")], env=env)
    print(f"home: {home}; mean seconds per command: {data['seconds']}")
    print(table(data))
    print("first 19 steps:")
    print(table(data["first_19_steps"]))


def table(data: dict) -> str:
    """The markdown table of docs/track.md."""
    lines = [
        "| model | matured / pending | steps | RMSE | naive | 1st day | persistence | in band | hit rate | always up "
        "| DM p vs naive | DM p 1st day |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for t in data["tracks"]:
        m = t["metrics"]
        if not m:
            lines.append(f"| {t['version']} | {t['matured']} / {t['pending']} | 0 |" + " - |" * 9)
            continue
        p = [c["p_value"] for c in t["comparisons"]]
        cells = [
            t["version"], f"{t['matured']} / {t['pending']}", str(t["steps"]), f"{m['forecast']['rmse']:.2f}",
            f"{m['naive']['rmse']:.2f}", f"{m['one_step']['rmse']:.2f}", f"{m['persistence']['rmse']:.2f}",
            f"{m['forecast'].get('interval_coverage', float('nan')):.0%} of {t['level']:.0%}",
            f"{m['forecast']['direction_accuracy']:.0%}", f"{m['always_up']['direction_accuracy']:.0%}",
            *("n/a" if v is None else f"{v:.2f}" for v in p),
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
