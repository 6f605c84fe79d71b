"""The strategy verdict's false-positive rate with real models: walk-forward strategy backtests on seeded random walks.

    .venv/bin/python scripts/strategy_controls.py --json out/controls.json   # docs/strategy.md's control table

Each of `--walks` seeded random walks (1,000 business days of 1% daily log-returns, no drift: nothing to learn) gets
`stockrnn backtest --csv WALK.csv --folds 10 --strategy long-flat` with a small model (1 layer of 16 units, 10
epochs: the same code as the default model, faster), i.e. 210 days traded after 5 bps a side; the same folds'
signals are then traded again at 0 bps and threshold 0 (long whenever the model expects a rise), which keeps the
model in the market on about half the days. At the 5% level, about 1 walk in 20 is called significant by chance;
more would mean the test is too eager. `--json` keeps each walk's folds' signals; `--from-json` trades them again.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docblock import replace_block, stamp  # noqa: E402  (scripts/: the folder of this script)

from stockrnn import app, strategy_report, targets  # noqa: E402
from stockrnn.config import TrainConfig  # noqa: E402
from stockrnn.price_source import PriceSource  # noqa: E402
from stockrnn.rules import Rule  # noqa: E402
from stockrnn.strategy import bars  # noqa: E402

SMALL = {"layers": 1, "units": 16, "epochs": 10, "calendar": "24/5"}  # the walks trade every weekday


def walk(seed: int, folder: Path) -> Path:
    """A random walk's CSV (Date, Close): 1,000 business days from 2010."""
    close = 100 * np.exp(np.cumsum(np.random.default_rng(seed).normal(0, 0.01, 1000)))
    path = folder / f"walk{seed}.csv"
    frame = pd.DataFrame({"Date": pd.bdate_range("2010-01-04", periods=1000).strftime("%Y-%m-%d"), "Close": close})
    frame.to_csv(path, index=False)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--walks", type=int, default=20)
    parser.add_argument("--docs", action="store_true", help="also write the table into docs/strategy.md")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--from-json", type=Path, help="print the table of a --json file; run nothing")
    args = parser.parse_args()
    if args.from_json:
        walks = json.loads(args.from_json.read_text(encoding="utf-8"))
        with tempfile.TemporaryDirectory() as folder:
            publish([{**w, **trade(w["seed"], w["folds"], Path(folder))} for w in walks], args.docs)
        return
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(args.walks):
            started = time.perf_counter()
            report = app.backtest(PriceSource(csv=walk(seed, Path(folder))), TrainConfig(**SMALL), rules=[Rule()])
            folds = [{k: f[k] for k in ("fold", "cutoff", "start", "end", "signals")} for f in report.folds]
            rows.append({"seed": seed, "seconds": round(time.perf_counter() - started), "folds": folds,
                         **trade(seed, folds, Path(folder))})  # fmt: skip
            print({k: v for k, v in rows[-1].items() if k != "folds"}, file=sys.stderr, flush=True)
            if args.json:
                args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    publish(rows, args.docs)


RULES = {"5 bps, threshold 0.001": Rule(), "0 bps, threshold 0": Rule(threshold=0.0, cost_bps=0.0)}


def trade(seed: int, folds: list[dict], folder: Path) -> dict:
    """Each rule of RULES on a walk's folds' signals: its Sharpe ratios, exposure, p-value and outcome."""
    config, target = TrainConfig(**SMALL), targets.get("return")
    prices = app.load(PriceSource(csv=walk(seed, folder)), config.column, config.calendar)
    found = {}
    for name, rule in RULES.items():
        traded = strategy_report.from_backtest(folds, bars(prices.frame, "close", "close", "walk"), target,
                                               [rule.resolved(target)])  # fmt: skip
        t = traded.trials[0]
        found[name] = {"sharpe": t.test.strategy, "buy_and_hold": t.test.benchmark, "p": t.test.p_value,
                       "outcome": t.test.outcome, "exposure": t.performance.exposure}  # fmt: skip
    return found


def publish(rows: list[dict], docs: bool) -> None:
    text = table(rows)
    print(text)
    if docs:
        replace_block(ROOT / "docs" / "strategy.md", "controls-table", text)


def table(rows: list[dict]) -> str:
    lines = [stamp(" ".join(["python", "scripts/strategy_controls.py", *sys.argv[1:]]))]
    lines.append("| walk (seed) | " + " | ".join(f"{name}: Sharpe, B&H Sharpe, exposure, p, verdict" for name in RULES)
                 + " |")  # fmt: skip
    lines.append("|---|" + "---|" * len(RULES))
    for r in rows:
        cells = [
            f"{_f(c['sharpe'])}, {_f(c['buy_and_hold'])}, {c['exposure']:.0%}, {_f(c['p'])}, {c['outcome']}"
            for c in (r[name] for name in RULES)
        ]
        lines.append(f"| {r['seed']} | " + " | ".join(cells) + " |")
    lines.append("")
    for name in RULES:
        called = sum(r[name]["outcome"] in ("beat", "lost") for r in rows)
        untested = sum(r[name]["outcome"] == "untested" for r in rows)
        lines.append(f"- {name}: significant (BEAT or LOST at 5%) on **{called} of {len(rows)}** random walks; not "
                     f"tested on {untested} (in the market on fewer than 20 days)")  # fmt: skip
    return "\n".join(lines)


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    main()
