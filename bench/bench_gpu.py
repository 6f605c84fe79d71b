"""Benchmark: whole commands on each backend that sees the GPU, and on the CPU; the GPU check's table (docs/gpu.md).

    make gpu-check                                       # the test suite first, then this (scripts/gpu_check.sh)
    .venv/bin/python bench/bench_gpu.py [--out out/gpu_check.md] [--budget 330]
    .venv/bin/python bench/bench_gpu.py --epochs 1 --folds 2   # a smoke run of the script itself, not a measurement

One row per backend whose library sees an NVIDIA GPU (asked as `stockrnn info` asks, each in a process of its own),
and one on the CPU (the GPU hidden from every library: CUDA_VISIBLE_DEVICES="" and JAX_PLATFORMS=cpu; auto's CPU
rule picks the backend). Each row in a home folder of its own, empty at first; each command a new process, timed
from its start to its exit, one run each:
- `stockrnn train --csv sample_data/sp500.csv --symbol ^GSPC --train-start 2012-01-01 --train-end 2016-12-30` with
  the defaults, twice: the first run without any compilation cache, the second with the first's;
- `stockrnn predict ^GSPC --start 2017-01-03 --days 20`;
- the lecture's model size, `--layers 4 --units 50 --batch-size 32 --epochs 30` (the same training period);
- `stockrnn backtest --csv sample_data/sp500.csv --train-start 2012-01-01`: 10 folds, one at a time, cut in 2018.
The training columns give the fit's own seconds too (the manifest's), and where it ran. A command kind runs on every
row before the next kind starts, so that a machine's slow minute falls on all rows and a run out of `--budget`
loses its last columns, not its last row. Writes the table (markdown) and the runs (JSON beside it), and prints both;
exit status 3 when no GPU is visible (only the CPU row was measured), 1 when a command failed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's stockrnn, run as a script or not

from stockrnn import backend_choice  # noqa: E402  (after the path: the checkout's, not an installed one)

SP500 = ROOT / "sample_data" / "sp500.csv"
PERIOD = ["--train-start", "2012-01-01", "--train-end", "2016-12-30"]
TRAIN = ["train", "--csv", str(SP500), "--symbol", "^GSPC", *PERIOD, "--json"]
PREDICT = ["predict", "^GSPC", "--start", "2017-01-03", "--days", "20", "--json"]
LECTURE_SIZE = ["--layers", "4", "--units", "50", "--batch-size", "32", "--epochs", "30"]
LECTURE = ["train", "--csv", str(SP500), "--symbol", "LECTURE", *PERIOD, *LECTURE_SIZE, "--json"]
BACKTEST = ["backtest", "--csv", str(SP500), "--train-start", "2012-01-01", "--json"]
KINDS = ("train_first", "train_second", "predict", "lecture_size", "backtest")
HEADERS = {"train_first": "train, 1st run s", "train_second": "train, 2nd run s", "predict": "predict s",
           "lecture_size": "lecture size s (fit s)", "backtest": "10-fold backtest s"}  # fmt: skip
COMMAND_SECONDS = 600  # one command, at most
HIDE_THE_GPU = {"CUDA_VISIBLE_DEVICES": "", "JAX_PLATFORMS": "cpu"}
# The variables that choose a backend or place its memory: each row sets its own, the user's would blur the rows.
# (CUDA_VISIBLE_DEVICES stays: it may choose the GPU to measure.)
CLEARED = ("KERAS_BACKEND", backend_choice.ENV, "JAX_COMPILATION_CACHE_DIR", "STOCKRNN_HOME")


def command(args: list[str], env: dict[str, str]) -> dict:
    """Run `python -m stockrnn ARGS` to its end: wall seconds, and from its JSON the fit's seconds and device."""
    began = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "stockrnn", *args], capture_output=True, text=True, env=env,
                              cwd=ROOT, timeout=COMMAND_SECONDS)  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"error": f"no exit in {COMMAND_SECONDS} s"}
    seconds = time.perf_counter() - began
    if done.returncode:
        last = next((line for line in reversed(done.stderr.splitlines()) if line.strip()), "")
        return {"seconds": seconds, "error": f"exit {done.returncode}: {last[:300]}"}
    run: dict = {"seconds": seconds}
    try:
        training = json.loads(done.stdout).get("training") or {}
    except ValueError:
        training = {}
    if training:
        run |= {"fit": training.get("seconds"), "device": training.get("device"), "backend": training.get("backend")}
    if args[0] == "backtest":
        folds = json.loads(done.stdout)["folds"]
        run |= {"folds": len(folds), "cutoffs": [folds[0]["cutoff"], folds[-1]["cutoff"]]}
    return run


def rows(seen: backend_choice.Seen) -> list[tuple[str, dict[str, str]]]:
    """The rows to measure: each backend that sees a GPU, then the CPU, as (name, environment)."""
    clean = {k: v for k, v in os.environ.items() if k not in CLEARED}
    found = [(f"GPU, {name}", {**clean, backend_choice.ENV: name}) for name in backend_choice.GPU_ORDER
             if backend_choice.gpus(seen[name])]  # fmt: skip
    return [*found, (f"CPU, {os.cpu_count()} cores", {**clean, **HIDE_THE_GPU})]


def gpu_names() -> list[str]:
    """The GPUs' names as nvidia-smi gives them (none without it)."""
    if shutil.which("nvidia-smi") is None:
        return []
    done = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True)
    return [line.strip() for line in done.stdout.splitlines() if line.strip()] if done.returncode == 0 else []


def cell(run: dict | None, kind: str) -> str:
    if run is None:
        return "not run (budget)"
    if "error" in run:
        return f"failed: {run['error']}"
    text = f"{run['seconds']:.1f}"
    if kind in ("train_first", "lecture_size") and run.get("fit") is not None:
        text += f" (fit {run['fit']:.1f})"
    return text


def table(measured: dict[str, dict[str, dict | None]]) -> list[str]:
    lines = ["| where | backend, device | " + " | ".join(HEADERS[k] for k in KINDS) + " |"]
    lines.append("|---" * (len(KINDS) + 2) + "|")
    for name, runs in measured.items():
        first = runs.get("train_first") or {}
        ran = f"{first.get('backend', '?')}, {first.get('device', '?')}"
        lines.append(f"| {name} | {ran} | " + " | ".join(cell(runs.get(k), k) for k in KINDS) + " |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "gpu_check.md", help="the table (%(default)s)")
    parser.add_argument("--budget", type=float, default=330.0, help="seconds; later commands are not started")
    parser.add_argument("--epochs", type=int, help="override every training's epochs (a smoke run of this script)")
    parser.add_argument("--folds", type=int, help="override the backtest's 10 folds (a smoke run of this script)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stockrnn-gpu-check-") as folder:
        os.environ["STOCKRNN_HOME"] = str(Path(folder) / "probes")  # what the probes keep: not the user's home
        return measure(args, Path(folder))


def measure(args: argparse.Namespace, folder: Path) -> int:
    """Every command on every row (homes under `folder`), the table written and printed; the exit status."""
    began = time.monotonic()
    gpu = backend_choice.gpu_visible()
    seen = backend_choice.seen(fresh=True)
    names = gpu_names()
    plan = rows(seen)
    smoke = ["--epochs", str(args.epochs)] if args.epochs else []
    commands = {
        "train_first": TRAIN + smoke,
        "train_second": TRAIN + smoke,
        "predict": PREDICT,
        "lecture_size": LECTURE + smoke,
        "backtest": BACKTEST + smoke + (["--folds", str(args.folds)] if args.folds else []),
    }
    libraries = [
        f"{name}: {', '.join(f'{k} {v}' for k, v in backend_choice.library_versions(name).items())}"
        for name in backend_choice.BACKENDS
        if backend_choice.installed(name)
    ]
    sees = [f"{n}: {d if isinstance(d, str) else ', '.join(d)}" for n, d in seen.items()]
    header = [
        f"# GPU check, {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        "",
        f"- machine: {', '.join(names) or 'no GPU named by nvidia-smi'}; {os.cpu_count()} CPU cores; "
        f"Python {platform.python_version()}",
        f"- libraries: {'; '.join(libraries)}",
        f"- what each backend sees: {'; '.join(sees)}",
    ]
    if not gpu:
        header.append(
            "- **NO NVIDIA GPU VISIBLE** (the driver shows none, or CUDA_VISIBLE_DEVICES hides it): only the CPU row "
            "was measured"
        )
    elif len(plan) == 1:
        header.append("- **an NVIDIA GPU is visible but no installed backend sees it**: only the CPU row was measured")
    if args.epochs or args.folds:
        header.append(f"- **smoke run** (--epochs {args.epochs}, --folds {args.folds}): not a measurement")
    print("\n".join(header), flush=True)
    measured: dict[str, dict[str, dict | None]] = {name: dict.fromkeys(KINDS) for name, _ in plan}
    homes = {name: folder / f"home{i}" for i, (name, _) in enumerate(plan)}
    for kind in KINDS:
        for name, env in plan:
            if time.monotonic() - began > args.budget:
                continue
            if kind in ("train_second", "predict") and "error" in (measured[name]["train_first"] or {"error": 1}):
                continue  # nothing trained to train again or to predict with
            run = command(commands[kind], {**env, "STOCKRNN_HOME": str(homes[name])})
            measured[name][kind] = run
            print(json.dumps({"row": name, "command": kind, **run}), flush=True)
    lines = [*header, "", *table(measured), ""]
    lines.append(
        f"Each command a new process, start to exit, one run; {time.monotonic() - began:.0f} s in all (the probes "
        "included). The commands: bench/bench_gpu.py's docstring."
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps({"seen": seen, "gpus": names, "runs": measured}, indent=1))
    print("\n".join(["", *table(measured), "", f"written: {args.out}"]))
    failed = any(run and "error" in run for runs in measured.values() for run in runs.values())
    return 1 if failed else 0 if gpu and len(plan) > 1 else 3


if __name__ == "__main__":
    sys.exit(main())
