"""The strategy verdict's false-positive rate with real models: walk-forward strategy backtests on seeded random walks.

    .venv/bin/python scripts/strategy_controls.py --json out/controls.json   # docs/strategy.md's control table

Each of `--walks` seeded random walks (1,000 business days of 1% daily log-returns, no drift: nothing to learn) gets
`stockrnn backtest --csv WALK.csv --folds 10 --strategy long-flat` with a small model (1 layer of 16 units, 10
epochs: the same code as the default model, faster), i.e. 210 days traded after 5 bps a side. At the 5% level, about
1 walk in 20 is called significant by chance; more would mean the test is too eager.
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

from stockrnn import app  # noqa: E402
from stockrnn.config import TrainConfig  # noqa: E402
from stockrnn.price_source import PriceSource  # noqa: E402
from stockrnn.rules import Rule  # noqa: E402

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
        publish(json.loads(args.from_json.read_text(encoding="utf-8")), args.docs)
        return
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(args.walks):
            started = time.perf_counter()
            report = app.backtest(PriceSource(csv=walk(seed, Path(folder))), TrainConfig(**SMALL), rules=[Rule()])
            assert report.strategy is not None
            test = report.strategy.trials[0].test
            rows.append({"seed": seed, "sharpe": test.strategy, "buy_and_hold": test.benchmark, "p": test.p_value,
                         "outcome": test.outcome, "seconds": round(time.perf_counter() - started),
                         "exposure": report.strategy.trials[0].performance.exposure})  # fmt: skip
            print(rows[-1], file=sys.stderr, flush=True)
            if args.json:
                args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    publish(rows, args.docs)


def publish(rows: list[dict], docs: bool) -> None:
    text = table(rows)
    print(text)
    if docs:
        replace_block(ROOT / "docs" / "strategy.md", "controls-table", text)


def table(rows: list[dict]) -> str:
    called = sum(r["outcome"] in ("beat", "lost") for r in rows)
    untested = sum(r["outcome"] == "untested" for r in rows)
    lines = [
        stamp(" ".join(["python", "scripts/strategy_controls.py", *sys.argv[1:]])),
        "| walk (seed) | strategy Sharpe | buy-and-hold Sharpe | exposure | bootstrap p | verdict |",
        "|---|---|---|---|---|---|",
        *(
            f"| {r['seed']} | {_f(r['sharpe'])} | {_f(r['buy_and_hold'])} | {r.get('exposure', 0):.0%} | "
            f"{_f(r['p'])} | {r['outcome']} |"
            for r in rows
        ),
        "",
        f"Significant (BEAT or LOST at 5%): **{called} of {len(rows)}** random walks; not tested (the model's expected "
        f"return never passed the round-trip cost, so no position was held): {untested}.",
    ]
    return "\n".join(lines)


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    main()
