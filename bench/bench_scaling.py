"""Benchmark: one machine's processes against a Dask cluster, whole commands as a user runs them (docs/scaling.md).

    .venv/bin/python bench/bench_scaling.py      # about 10 minutes on 2 cores

A LocalCluster of 2 worker processes (1 thread each) stands in for a cluster; on one 2-core machine it can only
show the overhead of going through a scheduler, not a speed-up beyond the machine. Measured:
- a 10-fold `stockrnn backtest` of the bundled S&P 500 (training from 2012): --jobs 1 (today), --jobs 2, --dask;
- a 6-symbol `stockrnn retrain` (both bundled indices under three names each, default model): --jobs 1, 2, --dask;
- the parts of the wall-time model: the client's own time per symbol (prepare + commit), the scheduler's round trip
  per task, and the bytes shipped to and from a task.
Each command is timed from process start to exit (subprocess), once: the machine is shared and noisy, so read the
ratios.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STOCKRNN = [sys.executable, "-m", "stockrnn"]
NAMES = {"sp500.csv": ("SPA", "SPB", "SPC"), "nasdaq.csv": ("NQA", "NQB", "NQC")}


def timed(command: list[str], home: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "STOCKRNN_HOME": str(home)})
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds, done.stdout


def backtests(address: str, work: Path) -> dict[str, float]:
    base = [*STOCKRNN, "backtest", "--csv", str(ROOT / "sample_data" / "sp500.csv"), "--train-start", "2012-01-01",
            "--json"]  # fmt: skip
    times = {}
    for label, extra in (("--jobs 1", []), ("--jobs 2", ["--jobs", "2"]), ("--dask", ["--dask", address])):
        times[label], _ = timed([*base, *extra], work / "home-backtest")
        print(f"backtest {label}: {times[label]:.1f} s", file=sys.stderr, flush=True)
    return times


def retrains(address: str, work: Path) -> tuple[dict[str, float], list[float]]:
    watchlist = work / "six.txt"
    watchlist.write_text(
        "".join(f"{name} csv={ROOT / 'sample_data' / file}\n" for file, names in NAMES.items() for name in names)
    )
    times, per_task = {}, []
    for label, extra in (("--jobs 1", ["--jobs", "1"]), ("--jobs 2", ["--jobs", "2"]), ("--dask", ["--dask", address])):
        home = work / f"home-retrain-{label.strip('-').replace(' ', '')}"
        times[label], out = timed([*STOCKRNN, "retrain", "--watchlist", str(watchlist), "--json", *extra], home)
        outcomes = json.loads(out)["outcomes"]
        assert [o["status"] for o in outcomes] == ["promoted"] * 6, outcomes
        if label == "--jobs 1":
            per_task = [o["seconds"] for o in outcomes]
        print(f"retrain {label}: {times[label]:.1f} s", file=sys.stderr, flush=True)
    return times, per_task


def parts(address: str, work: Path) -> dict[str, float]:
    """The client's own seconds per symbol, the scheduler's round trip per task, the bytes a task ships."""
    os.environ["STOCKRNN_HOME"] = str(work / "home-parts")
    from stockrnn import contest as contests
    from stockrnn import parallel
    from stockrnn.app import nightly
    from stockrnn.watchlist import Entry

    entry = Entry("PARTS", csv=ROOT / "sample_data" / "sp500.csv")
    started = time.perf_counter()
    contest = nightly.prepare(entry)
    prepare = time.perf_counter() - started
    computed = contests.compute(contest)
    started = time.perf_counter()
    nightly.commit(contest, computed)
    commit = time.perf_counter() - started
    started = time.perf_counter()
    parallel.run(abs, list(range(-200, 0)), cluster=address)  # 200 trivial tasks, 2 in flight
    round_trip = (time.perf_counter() - started) / 200
    return {
        "prepare_s": prepare,
        "commit_s": commit,
        "round_trip_s": round_trip,
        "sent_bytes": len(pickle.dumps(contest)),
        "returned_bytes": len(pickle.dumps(computed)),
    }


def main() -> None:
    from distributed import LocalCluster

    with (
        tempfile.TemporaryDirectory() as folder,
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
    ):
        work = Path(folder)
        address = cluster.scheduler_address
        backtest = backtests(address, work)
        retrain, per_task = retrains(address, work)
        part = parts(address, work)
    print("Whole commands, process start to exit, one run each (2 cores; LocalCluster: 2 workers x 1 thread):\n")
    print("| command | --jobs 1 (today) | --jobs 2 | --dask (LocalCluster) | jobs 2 / jobs 1 | dask / jobs 1 |")
    print("|---|---|---|---|---|---|")
    for name, times in (("backtest, 10 folds, S&P 500 2012-2018", backtest), ("retrain, 6 symbols", retrain)):
        one, two, dask = times["--jobs 1"], times["--jobs 2"], times["--dask"]
        print(f"| {name} | {one:.1f} s | {two:.1f} s | {dask:.1f} s | {two / one:.2f} | {dask / one:.2f} |")
    per_task.sort()
    print(f"\nretrain --jobs 1, seconds per symbol (compute + commit, from the outcomes): median "
          f"{per_task[len(per_task) // 2]:.1f}, range {per_task[0]:.1f}-{per_task[-1]:.1f}")  # fmt: skip
    print(f"client per symbol: prepare {part['prepare_s']:.2f} s, commit {part['commit_s']:.2f} s")
    print(f"scheduler round trip per task (200 trivial tasks, 2 in flight): {1000 * part['round_trip_s']:.1f} ms")
    print(f"shipped per retrain task: {part['sent_bytes'] / 1e3:.0f} kB to the worker (prices, config, champion), "
          f"{part['returned_bytes'] / 1e3:.0f} kB back (model, scaler, manifest, scores)")  # fmt: skip


if __name__ == "__main__":
    main()
