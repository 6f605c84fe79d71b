"""The panel portfolio's controls, measured: a planted reversal found, a one-day reversal not tradable a day late,
random walks not called significant more often than the test's level.

    .venv/bin/python scripts/portfolio_controls.py --docs   # docs/portfolio.md's control table

Each setting is `--seeds` generated panels (20 members, 750 business days, 2% daily volatility; panel_controls.py),
scored by the reversal signal itself (minus the exponentially weighted recent returns: no network) and traded
long-short, top and bottom 5, filled at the next close (portfolio.py). No model is trained: about a minute on 2 cores.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docblock import replace_block, stamp  # noqa: E402  (scripts/: the folder of this script)

from stockrnn.panel_controls import planted_reversal_panel, random_walk_panel, reversal_scores  # noqa: E402
from stockrnn.portfolio import trade  # noqa: E402
from stockrnn.rules import PortfolioRule  # noqa: E402

# (what is planted, its persistence (None: a random walk), the cost in bps a half-turn)
SETTINGS = [
    ("10 of 20 reverse (-0.2 at lag 1, -0.1 at lag 2)", 0.5, 5.0),
    ("10 of 20 reverse (-0.2 at lag 1, -0.1 at lag 2)", 0.5, 0.0),
    ("10 of 20 reverse for one day only (-0.2 at lag 1)", 0.0, 0.0),
    ("nothing: random walks", None, 0.0),
    ("nothing: random walks", None, 5.0),
]


def run(planted: float | None, cost: float, seed: int) -> dict[str, float | str | None]:
    """One seed of one setting: the report's numbers."""
    if planted is None:
        panel, persistence = random_walk_panel(seed=seed), 0.5  # scored as the planted panels are
    else:
        panel, persistence = planted_reversal_panel(seed=seed, persistence=planted), planted
    report = trade(reversal_scores(panel.prices, persistence), panel.prices, PortfolioRule(top=5, cost_bps=cost))
    return {
        "accuracy": report.accuracy.share, "mean": report.mean_test.mean, "sharpe": report.performance.sharpe,
        "panel": report.panel.sharpe, "mean_outcome": report.mean_test.outcome,
        "sharpe_outcome": report.sharpe_test.outcome, "turnover": report.performance.turnover,
    }  # fmt: skip


def table(seeds: int) -> str:
    lines = [
        "| planted | cost (bps a half-turn) | accuracy | mean return a day | Sharpe | EW panel Sharpe "
        "| turnover a year | mean > 0 / < 0 (of seeds) | Sharpe beat / lost EW panel |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, planted, cost in SETTINGS:
        rows = [run(planted, cost, seed) for seed in range(seeds)]

        def median(key: str, rows: list = rows) -> float:
            return float(np.median([r[key] for r in rows if r[key] is not None]))

        def count(key: str, word: str, rows: list = rows) -> int:
            return sum(r[key] == word for r in rows)

        lines.append(
            f"| {name} | {cost:g} | {median('accuracy'):.1%} | {median('mean'):+.3%} | {median('sharpe'):.2f} | "
            f"{median('panel'):.2f} | {median('turnover'):.0f}x | {count('mean_outcome', 'above zero')} / "
            f"{count('mean_outcome', 'below zero')} of {seeds} | {count('sharpe_outcome', 'beat')} / "
            f"{count('sharpe_outcome', 'lost')} of {seeds} |"
        )
    return "\n".join(lines) + "\n\nAccuracy, mean return, Sharpe ratios and turnover: medians over the seeds.\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--docs", action="store_true", help="also write the table into docs/portfolio.md")
    args = parser.parse_args()
    text = stamp(f"python scripts/portfolio_controls.py --seeds {args.seeds}") + "\n" + table(args.seeds)
    print(text)
    if args.docs:
        replace_block(ROOT / "docs" / "portfolio.md", "portfolio-controls", text)


if __name__ == "__main__":
    main()
