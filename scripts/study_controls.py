"""The study's controls, measured: a planted reversal ranked above chance by the rank target's network and traded
above zero after costs; random walks not called significant more often than the test's level.

    .venv/bin/python scripts/study_controls.py [--seeds 20] [--json controls.json]

Each seed is a generated panel (20 members, 700 business days, 2% daily volatility; panel_controls.py: 10 members
with a reversal of -0.25 at lag 1 and half of it left each further day, or nothing) run as a study of 300 training
days : 200 trading days (two periods), a tiny network (window 10, LSTM(8), at most 5 epochs, patience 3), traded
long-short top/bottom 3 at 5 bps a half-turn, filled at the next close. Prints each seed's pooled accuracy, mean
daily return after costs and its verdict, then the counts: a seed's portfolio called significantly above or below
zero (bootstrap, 5%).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from stockrnn import study  # noqa: E402
from stockrnn.config import TrainConfig  # noqa: E402
from stockrnn.panel import Read, assemble  # noqa: E402
from stockrnn.panel_controls import planted_reversal_panel, random_walk_panel  # noqa: E402
from stockrnn.rules import PortfolioRule  # noqa: E402
from stockrnn.validate import Prices  # noqa: E402

CONFIG = TrainConfig(target="rank", window=10, units=8, epochs=5, patience=3, batch_size=64)
RULE = PortfolioRule(top=3, cost_bps=5.0, fill="close")


def panel_of(closes: pd.DataFrame):
    reads = []
    for symbol in closes.columns:
        frame = pd.DataFrame({"close": closes[symbol]})
        frame.index.name = "date"
        reads.append(Read(symbol, symbol, Prices(frame=frame, source=symbol, sha256=symbol)))
    return assemble(reads, "generated")


def one(kind: str, seed: int) -> dict:
    if kind == "planted":
        closes = planted_reversal_panel(members=20, days=700, planted=10, strength=0.25, seed=seed).prices
    else:
        closes = random_walk_panel(members=20, days=700, seed=seed).prices
    report = study.run(panel_of(closes), CONFIG, study.StudySpec(300, 200), [RULE])
    pooled = report.portfolios["close"]
    return {"kind": kind, "seed": seed, "accuracy": pooled.accuracy.share, "mean": pooled.mean_test.mean,
            "p": pooled.mean_test.p_value, "outcome": pooled.mean_test.outcome}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--kinds", nargs="+", default=["planted", "random"])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    rows = []
    for kind in args.kinds:
        for seed in range(args.seeds):
            rows.append(one(kind, seed))
            print(json.dumps(rows[-1]), flush=True)
    for kind in args.kinds:
        mine = [r for r in rows if r["kind"] == kind]
        above = sum(r["outcome"] == "above zero" for r in mine)
        below = sum(r["outcome"] == "below zero" for r in mine)
        print(f"{kind}: median accuracy {np.median([r['accuracy'] for r in mine]):.1%}, median mean "
              f"{np.median([r['mean'] for r in mine]):+.3%} a day; above zero {above}, below zero {below} "
              f"of {len(mine)}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
