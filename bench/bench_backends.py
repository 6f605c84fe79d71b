"""Benchmark: whole commands per Keras backend, as a user runs them (process start to exit), beside stockrnn as it
was before the backend choice and beside the lecture recipe's training.

    make bench                                                     # after bench_training.py, whose lecture it reads
    .venv/bin/python bench/bench_backends.py [--seeds 1 2 3] [--lecture training.json] [--json backends.json]

For each backend installed here (jax, tensorflow, torch) and for the baseline (the commit before #14, checked out into
a temporary worktree and run on the same libraries: TensorFlow, Keras' own fit), each seed in a fresh home folder:
- `stockrnn train --csv sample_data/sp500.csv --symbol ^GSPC --train-start 2012-01-01 --train-end 2016-12-30 --seed S`
  on the lecture protocol, twice: the first run starts with no compilation cache, the second finds the first's (JAX's
  persistent cache; the other backends keep none); wall seconds and the process's peak memory (ru_maxrss);
- `stockrnn predict ^GSPC --start 2017-01-03 --days 20 --json` with that model, 3 runs: wall seconds, and its one-step
  RMSE on January 2017 (the lecture's month);
- `stockrnn backtest --csv sample_data/sp500.csv --train-start 2012-01-01 --seed S --json`, 10 folds: wall seconds
  and the median one-step skill across folds;
- `stockrnn --help`, 21 runs, interleaved with the baseline's.
Medians across seeds; each seed runs every contestant in turn. The ratios compare medians measured in this one run,
on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SP500 = ROOT / "sample_data" / "sp500.csv"
BASELINE = "5a0881b"  # main before #14: TensorFlow only, Keras' fit with its own shapes
BACKENDS = ("jax", "tensorflow", "torch")
TRAIN = ["train", "--csv", str(SP500), "--symbol", "^GSPC", "--train-start", "2012-01-01", "--train-end", "2016-12-30"]
PREDICT = ["predict", "^GSPC", "--start", "2017-01-03", "--days", "20", "--json"]
HELP_RUNS = 21
BACKTEST = ["backtest", "--csv", str(SP500), "--train-start", "2012-01-01", "--json"]


def command(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Run `python -m stockrnn ARGS` to its end: wall seconds and its stdout."""
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "stockrnn", *args], capture_output=True, text=True, env=env, cwd=env.get("STOCKRNN_HOME")
    )  # run from the home folder: `-m` puts the working directory first on sys.path, before the baseline's tree
    if done.returncode:
        raise SystemExit(f"stockrnn {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return time.perf_counter() - began, done.stdout


def with_peak(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run `python -m stockrnn ARGS` to its end: wall seconds and the process's peak memory in MB (its own rusage,
    from os.wait4)."""
    began = time.perf_counter()
    quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (1, 2)]
    here = os.getcwd()
    os.chdir(env["STOCKRNN_HOME"])  # see `command`
    try:
        pid = os.posix_spawn(sys.executable, [sys.executable, "-m", "stockrnn", *args], env, file_actions=quiet)
    finally:
        os.chdir(here)
    _, status, usage = os.wait4(pid, 0)
    if status:
        raise SystemExit(f"stockrnn {' '.join(args)} failed (wait status {status})")
    return time.perf_counter() - began, usage.ru_maxrss / 1024


def measure(name: str, env: dict[str, str], seed: int, times: int = 3) -> dict:
    """One seed of one backend: train twice (peak memory of the first), predict `times` times, one 10-fold backtest
    (`times` = 1: train once, for the accuracy of more seeds)."""
    with tempfile.TemporaryDirectory(prefix="stockrnn-bench-") as home:
        env = {**env, "STOCKRNN_HOME": home}
        env.pop("JAX_COMPILATION_CACHE_DIR", None)  # the home's cache, empty at first
        first, peak = with_peak([*TRAIN, "--seed", str(seed)], env)
        second, _ = command([*TRAIN, "--seed", str(seed)], env) if times > 1 else (float("nan"), "")
        predictions = [command(PREDICT, env) for _ in range(times)]
        rmse = json.loads(predictions[-1][1])["metrics"]["one_step"]["rmse"]
        backtest, out = command([*BACKTEST, "--seed", str(seed)], env)
        report = json.loads(out)
        folds, skill = len(report["folds"]), report["summary"]["one_step"]["skill"]["median"]
    return {
        "backend": name, "seed": seed, "train_first": first, "train_second": second, "train_peak_mb": peak,
        "predict": statistics.median(p[0] for p in predictions), "rmse": rmse, "backtest": backtest,
        "backtest_skill": skill, "folds": folds,
    }  # fmt: skip


def baseline_worktree(commit: str, folder: Path) -> Path | None:
    done = subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(folder), commit],
                          capture_output=True, text=True)  # fmt: skip
    return folder if done.returncode == 0 else None


def summarize(runs: list[dict]) -> dict:
    keys = ("train_first", "train_second", "train_peak_mb", "predict", "rmse", "backtest", "backtest_skill")
    return {"backend": runs[0]["backend"], **{k: statistics.median(r[k] for r in runs) for k in keys},
            "rmses": [round(r["rmse"], 2) for r in runs]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--lecture", type=Path, help="bench_training.py --json output: the lecture's training time")
    parser.add_argument("--baseline", default=BASELINE, help="the commit measured as 'before' (default %(default)s)")
    parser.add_argument("--json", type=Path, help="also write the runs and medians here")
    parser.add_argument("--accuracy", action="store_true", help="train once and predict once a seed: more seeds")
    parser.add_argument("--only", nargs="+", default=["before", *BACKENDS], help="measure only these (and 'before')")
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}", flush=True)
    clean = {k: v for k, v in os.environ.items() if k not in ("KERAS_BACKEND", "STOCKRNN_BACKEND")}
    contestants: list[tuple[str, dict[str, str]]] = []
    with tempfile.TemporaryDirectory(prefix="stockrnn-baseline-") as folder:
        tree = baseline_worktree(args.baseline, Path(folder) / "tree") if "before" in args.only else None
        if tree is not None:
            contestants.append((f"before #14 ({args.baseline}, tensorflow)", {**clean, "PYTHONPATH": str(tree)}))
        elif "before" in args.only:
            print(f"baseline {args.baseline}: no worktree (not a git clone?); measured without it")
        from stockrnn.backend_choice import installed

        for backend in (b for b in BACKENDS if b in args.only):
            if installed(backend):
                contestants.append((backend, {**clean, "STOCKRNN_BACKEND": backend}))
            else:
                print(f"{backend}: not installed here, not measured")
        runs = []
        for seed in args.seeds:  # each seed on every contestant in turn: a slow spell of the machine falls on all
            for name, env in contestants:
                runs.append(measure(name, env, seed, 1 if args.accuracy else 3))
                print(json.dumps(runs[-1]), flush=True)
        helps: dict[str, list[float]] = {"now": [], "before": []}
        with tempfile.TemporaryDirectory(prefix="stockrnn-bench-") as home:  # a working directory outside both trees
            here = {**clean, "STOCKRNN_HOME": home}
            for _ in range(HELP_RUNS):  # interleaved: a slow minute of the machine falls on both
                helps["now"].append(command(["--help"], here)[0])
                if tree is not None:
                    helps["before"].append(command(["--help"], {**here, "PYTHONPATH": str(tree)})[0])
        if tree is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)
    table = [summarize([r for r in runs if r["backend"] == name]) for name, _ in contestants]
    lecture = json.loads(args.lecture.read_text())["lecture"]["seconds"] if args.lecture else None
    print()
    print(
        "| backend | train, 1st run s | train, 2nd run s | train peak MB | predict s | one-step RMSE Jan 2017 (seeds) "
        "| 10-fold backtest s | backtest median skill |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for s in table:
        print(f"| {s['backend']} | {s['train_first']:.1f} | {s['train_second']:.1f} | {s['train_peak_mb']:.0f} | "
              f"{s['predict']:.2f} | {s['rmse']:.2f} ({', '.join(map(str, s['rmses']))}) | {s['backtest']:.1f} | "
              f"{s['backtest_skill']:+.3f} |")  # fmt: skip
    print()
    line = f"stockrnn --help: {statistics.median(helps['now']):.2f} s (median of {HELP_RUNS}"
    if helps["before"]:
        line += f"; before: {statistics.median(helps['before']):.2f} s, runs interleaved"
    print(line + ")")
    before = table[0] if tree is not None else None
    for s in table[1 if before else 0 :]:
        line = f"{s['backend']}:"
        if before:
            ratios = {k: before[k] / s[k] for k in ("train_first", "train_second", "predict", "backtest")}
            line += (
                f" train {ratios['train_first']:.1f}x (1st run) and {ratios['train_second']:.1f}x (2nd) faster than"
                f" before, predict {ratios['predict']:.1f}x, backtest {ratios['backtest']:.1f}x;"
            )
        if lecture:
            line += f" train {lecture / s['train_first']:.0f}x faster than the lecture recipe's training alone"
            line += f" ({lecture:.0f} s)"
        print(line)
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "table": table, "help": helps, "lecture": lecture}, indent=1))


if __name__ == "__main__":
    main()
