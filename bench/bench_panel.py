"""Benchmark: loading a panel (a folder of price files) as `app.load_panel` reads it for a global model; and with
--commands, the global model's whole commands against a single symbol's.

    .venv/bin/python bench/bench_panel.py [--panel ../shared/data/panel] [--runs 3] [--json panel.json]
    .venv/bin/python bench/bench_panel.py --commands --predict-only [--epochs 2] [--repeats 3] [--keep DIR]
    .venv/bin/python bench/bench_panel.py --commands [--singles 5] [--epochs N] [--validate-every epoch,member]
        [--json commands.json]

In a fresh process each run (so that its memory is its own): the imports, then `load_panel` of the folder (every file
read, validated and checked beside the XNYS calendar), then the (days, members) matrix of the adjusted close. Reports
the wall seconds of the load and of the matrix (median of the runs), the process's peak memory (ru_maxrss) after the
imports and after the load, the members, the calendar's days and the members left out. The shared panel is R
quantmod's export of 61 S&P 500 stocks and the index, 2003-2023 (its README: survivorship bias, today's members
followed back); nothing in the package depends on it.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PANEL = ROOT.parent / "shared" / "data" / "panel"


def child(folder: Path) -> dict:
    """One run, in this process: what it costs to load `folder` as a panel."""
    logging.disable(logging.WARNING)  # the checks' warnings are the data's, not the benchmark's
    sys.path.insert(0, str(ROOT))
    from stockrnn import app

    app.load_panel  # noqa: B018 (the lazy import of the application layer's panel module, before the clock)
    imported = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    panel = app.load_panel(app.PanelSource(folder=folder))
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    matrix = panel.matrix("adj_close")  # (days, members)
    built = time.perf_counter() - started
    return {
        "load_s": loaded,
        "matrix_s": built,
        "rss_imports_mb": imported,
        "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "members": len(panel),
        "calendar_days": len(panel.calendar),
        "matrix_shape": list(matrix.shape),
        "skipped": [s.line() for s in panel.skipped],
        "warnings": sum(len(p.warnings) for p in panel.members.values()),
    }


MARKET = "GSPC"  # the shared panel's index file: the market series, not a member
PERIOD = ("--train-start", "2012-01-01", "--train-end", "2016-12-30")


def command(args: list[str], home: Path) -> tuple[float, int, str]:
    """One whole `stockrnn` command in a fresh process under the home folder `home`: its wall seconds, exit code and
    standard output (read for the pooled verdict; the rest of it is not the benchmark's)."""
    import os

    env = {**os.environ, "STOCKRNN_HOME": str(home), "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "stockrnn", *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: trained, but a member was left out (said in the output)
        sys.exit(f"stockrnn {' '.join(args)}: exit {done.returncode}\n{done.stderr[-2000:]}")
    return seconds, done.returncode, done.stdout


def commands(folder: Path, singles: int, epochs: int | None, settings: list[str]) -> dict:
    """The global model's whole commands against one symbol's, in fresh processes, the same training configuration:
    for each --validate-every of `settings`, side by side, `train --panel` of every member but the market (61 stocks
    of the shared panel) on 2012-2016 (its checks, best check, validation losses and pooled verdict) and then
    `train --csv` of one member (AAPL), the ratio between the two; the peak memory of the trainings; the first
    `singles` members one by one (their mean x members: the one-by-one estimate); `predict NAME` of every member
    (the first setting's model) against `predict AAPL`."""
    import tempfile

    work = Path(tempfile.mkdtemp(prefix="bench-panel-"))
    members = work / "members"
    members.mkdir()
    for path in sorted(folder.glob("*.csv.gz")):
        if not path.name.startswith(MARKET):
            (members / path.name).symlink_to(path.resolve())
    names = sorted(p.name for p in members.iterdir())
    config = [*PERIOD, "--offline", *(["--epochs", str(epochs)] if epochs else [])]
    single = work / "single"
    found: dict[str, dict] = {}
    for every in settings:
        globe = work / f"global-{every}"
        trained, code, out = command(
            ["train", "--panel", str(members), "--name", "PANEL", *config, "--validate-every", every], globe
        )
        one = command(["train", "--csv", str(members / "AAPL.csv.gz"), *config], single)[0]
        t = json.loads(max((globe / "models" / "PANEL").glob("v*/manifest.json")).read_text())["training"]
        found[every] = {
            "train_s": trained, "exit": code, "fit_s": t["seconds"], "checks_run": t["epochs_run"],
            "best_check": t["best_epoch"], "check_windows": t.get("check_windows"),
            "train_windows": t["train_windows"], "windows": t["train_windows"] + t["val_windows"],
            "best_val_loss": min(t["val_loss"]), "last_val_loss": t["val_loss"][-1],
            "pooled": next((line for line in out.splitlines() if line.startswith("verdict")), ""),
            "single_train_s": one, "ratio": trained / one,
        }  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest child: a global training
    each = [command(["train", "--csv", str(members / n), *config], single)[0] for n in names[:singles]]
    predict_all = command(["predict", "PANEL", "--offline"], work / f"global-{settings[0]}")[0]
    predict_one = command(["predict", "AAPL", "--offline"], single)[0]
    estimate = statistics.mean(each) * len(names) if each else None
    for every in settings:
        found[every]["one_by_one_ratio"] = estimate / found[every]["train_s"] if estimate else None
    return {
        "members": len(names), "epochs_option": epochs, "global": found, "peak_rss_mb": peak,
        "singles_timed": singles, "singles_s": [round(s, 2) for s in each], "one_by_one_estimate_s": estimate,
        "predict_all_s": predict_all, "predict_one_s": predict_one,
    }  # fmt: skip


def predicts(folder: Path, epochs: int | None, repeats: int, keep: Path | None) -> dict:
    """`predict NAME` of every member against `predict AAPL` only: both models trained once (or found in `keep`
    from an earlier run), then the two commands timed in turns, `repeats` times each, each in a fresh copy of its
    home folder (so that no run finds the ledger rows of another)."""
    import shutil
    import tempfile

    work = keep or Path(tempfile.mkdtemp(prefix="bench-panel-"))
    members = work / "members"
    globe, single = work / "global", work / "single"
    config = [*PERIOD, "--offline", *(["--epochs", str(epochs)] if epochs else [])]
    if not (globe / "models" / "PANEL").is_dir():
        members.mkdir(parents=True, exist_ok=True)
        for path in sorted(folder.glob("*.csv.gz")):
            if not path.name.startswith(MARKET) and not (members / path.name).exists():
                (members / path.name).symlink_to(path.resolve())
        command(["train", "--panel", str(members), "--name", "PANEL", *config], globe)
        command(["train", "--csv", str(members / "AAPL.csv.gz"), *config], single)

    def timed(args: list[str], home: Path) -> float:
        fresh = Path(tempfile.mkdtemp(prefix="bench-home-"))
        shutil.copytree(home, fresh, dirs_exist_ok=True)
        try:
            return command(args, fresh)[0]
        finally:
            shutil.rmtree(fresh, ignore_errors=True)

    every, one = [], []
    for _ in range(repeats):
        every.append(timed(["predict", "PANEL", "--offline"], globe))
        one.append(timed(["predict", "AAPL", "--offline"], single))
    return {"members": len(list(members.iterdir())), "work": str(work), "predict_all_s": [round(s, 2) for s in every],
            "predict_one_s": [round(s, 2) for s in one],
            "ratios": [round(a / b, 2) for a, b in zip(every, one, strict=True)],
            "ratio_of_medians": statistics.median(every) / statistics.median(one)}  # fmt: skip


def report(found: dict) -> str:
    """The --commands measurement in words: each setting's global training beside one symbol's."""
    lines = []
    for every, g in found["global"].items():
        checks = f"{g['checks_run']} checks of {g['check_windows']} windows" if g["check_windows"] else None
        lines.append(
            f"train --panel --validate-every {every} ({found['members']} members, 2012-2016, {g['windows']} windows):"
            f" {g['train_s']:.1f} s (fit {g['fit_s']:.1f} s, {checks or str(g['checks_run']) + ' epochs'}, best "
            f"{g['best_check']}; val_loss best {g['best_val_loss']:.5f}, last {g['last_val_loss']:.5f})\n"
            f"  {g['pooled']}\n"
            f"  train one symbol (AAPL) beside it: {g['single_train_s']:.1f} s; ratio {g['ratio']:.1f}x; "
            f"one by one / global: {g['one_by_one_ratio'] or float('nan'):.1f}x"
        )
    lines.append(
        f"peak memory of the trainings {found['peak_rss_mb']:.0f} MB\n"
        f"one by one ({found['singles_timed']} timed: {found['singles_s']}): about "
        f"{found['one_by_one_estimate_s'] or float('nan'):.0f} s for {found['members']}\n"
        f"predict PANEL (every member): {found['predict_all_s']:.1f} s; predict AAPL: {found['predict_one_s']:.1f} s; "
        f"ratio {found['predict_all_s'] / found['predict_one_s']:.1f}x\n"
        "(the shared panel: 61 S&P 500 stocks as of 2023 followed back to 2003: survivorship bias)"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panel", type=Path, default=PANEL)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--commands", action="store_true", help="time the global model's whole commands")
    parser.add_argument("--singles", type=int, default=5, help="members trained one by one for the estimate")
    parser.add_argument("--epochs", type=int, help="--epochs for every training (default: the default config's)")
    parser.add_argument("--predict-only", action="store_true", help="with --commands: time the two predicts only")
    parser.add_argument("--repeats", type=int, default=3, help="--predict-only: each predict this many times")
    parser.add_argument("--keep", type=Path, help="--predict-only: the work folder (its trained models reused)")
    parser.add_argument(
        "--validate-every", default="epoch,member",
        help="the global trainings' --validate-every, comma-separated, timed side by side (default: epoch,member)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.panel)))
        return
    if not args.panel.is_dir():
        sys.exit(f"{args.panel}: no panel folder; pass --panel DIR")
    if args.commands and args.predict_only:
        found = predicts(args.panel, args.epochs, args.repeats, args.keep)
        if args.json:
            args.json.write_text(json.dumps(found, indent=2) + "\n")
        print(
            f"predict PANEL (every one of {found['members']} members): {found['predict_all_s']} s; "
            f"predict AAPL: {found['predict_one_s']} s; ratios {found['ratios']}, of the medians "
            f"{found['ratio_of_medians']:.2f}x (models in {found['work']})"
        )
        return
    if args.commands:
        found = commands(args.panel, args.singles, args.epochs, args.validate_every.split(","))
        if args.json:
            args.json.write_text(json.dumps(found, indent=2) + "\n")
        print(report(found))
        return
    runs = []
    for _ in range(args.runs):
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--panel", str(args.panel)],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(out.stdout))
    first = runs[0]
    result = {
        "panel": str(args.panel.resolve()),
        "runs": args.runs,
        **{k: first[k] for k in ("members", "calendar_days", "matrix_shape", "skipped", "warnings")},
        "load_s_median": statistics.median(r["load_s"] for r in runs),
        "load_s_runs": [round(r["load_s"], 3) for r in runs],
        "matrix_s_median": statistics.median(r["matrix_s"] for r in runs),
        "rss_imports_mb": max(r["rss_imports_mb"] for r in runs),
        "rss_peak_mb": max(r["rss_peak_mb"] for r in runs),
    }
    print(
        f"{result['members']} members, {result['calendar_days']} days on the common calendar, "
        f"{len(result['skipped'])} left out, {result['warnings']} warnings from the checks\n"
        f"load_panel: {result['load_s_median']:.2f} s (median of {args.runs}: {result['load_s_runs']}); "
        f"matrix {tuple(result['matrix_shape'])}: {result['matrix_s_median'] * 1000:.1f} ms\n"
        f"peak memory: {result['rss_peak_mb']:.0f} MB ({result['rss_imports_mb']:.0f} MB after the imports alone)\n"
        "(the shared panel: 61 S&P 500 stocks as of 2023 followed back to 2003: survivorship bias)"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
