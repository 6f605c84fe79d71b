"""Evidence for the default target and architecture: walk-forward backtests on both bundled indices.

    .venv/bin/python scripts/backtest_targets.py            # the table of docs/targets.md (about 45 min, 2 cores)
    .venv/bin/python scripts/backtest_targets.py --archs small --folds 3    # a quick look

Every cell is `stockrnn backtest --csv sample_data/<index>.csv --train-start 2012-01-01 --target T` with the
architecture's options and the command's default folds (10 cut-offs, 21 trading days apart, 21 days scored each);
each fold re-fits scaler and model on the days up to its cut-off. Prints one markdown table; `--json FILE` also
keeps every fold.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INDICES = {"S&P 500": ROOT / "sample_data" / "sp500.csv", "NASDAQ": ROOT / "sample_data" / "nasdaq.csv"}
ARCHS = {
    "lecture": {"layers": 4, "units": 50, "batch_size": 32},
    "small": {"layers": 1, "units": 32, "batch_size": 64},
}
TARGETS = ("price", "return")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indices", nargs="+", choices=INDICES, default=list(INDICES))
    parser.add_argument("--archs", nargs="+", choices=ARCHS, default=list(ARCHS))
    parser.add_argument("--targets", nargs="+", choices=TARGETS, default=list(TARGETS))
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--json", type=Path, help="write every report here too")
    args = parser.parse_args()

    from stockrnn.backtest import backtest
    from stockrnn.config import TrainConfig
    from stockrnn.validate import load_csv

    reports, lines = [], []
    for index in args.indices:
        prices = load_csv(INDICES[index])
        for arch in args.archs:
            for target in args.targets:
                config = TrainConfig(train_start="2012-01-01", target=target, **ARCHS[arch])
                started = time.perf_counter()
                report = backtest(prices, config, folds=args.folds).to_json()
                seconds = time.perf_counter() - started
                reports.append({"index": index, "arch": arch, "target": target, "seconds": seconds, **report})
                lines.append(row(index, arch, target, seconds, report))
                print(lines[-1], flush=True)
    folds = reports[0]["folds"]
    print(
        f"\n{args.folds} folds scored from {folds[0]['start']} to {folds[-1]['end']}; medians across folds, "
        "[q25, q75] for skill; direction of the one-step predictions; echo: share of one-step predictions closer "
        "to yesterday's price than to today's; coverage of the 80% interval of the recursive path.\n"
    )
    print(
        "| index | architecture | target | one-step RMSE | persistence | skill [q25, q75] | path RMSE | naive "
        "| direction | always up | echo | coverage | minutes |"
    )
    print("|" + "---|" * 13)
    for line in lines:
        print(line)
    if args.json:
        args.json.write_text(json.dumps(reports, indent=1), encoding="utf-8")


def row(index: str, arch: str, target: str, seconds: float, report: dict) -> str:
    s = report["summary"]
    skill = s["one_step"]["skill"]
    direction = s["one_step"]["direction_accuracy"]
    cells = [
        index, arch, target,
        f"{s['one_step']['rmse']['median']:.2f}", f"{s['persistence']['rmse']['median']:.2f}",
        f"{skill['median']:+.3f} [{skill['q25']:+.3f}, {skill['q75']:+.3f}]",
        f"{s['forecast']['rmse']['median']:.1f}", f"{s['naive']['rmse']['median']:.1f}",
        f"{direction['median']:.0%}" if direction else "n/a",
        f"{s['always_up']['direction_accuracy']['median']:.0%}",
        f"{s['closer_to_yesterday']['median']:.0%}",
        f"{s['forecast']['interval_coverage']['median']:.0%}" if s["forecast"].get("interval_coverage") else "n/a",
        f"{seconds / 60:.1f}",
    ]  # fmt: skip
    return "| " + " | ".join(cells) + " |"


if __name__ == "__main__":
    main()
