"""Evidence for the trading rules: walk-forward strategy backtests beside buy-and-hold, after costs and without.

    .venv/bin/python scripts/backtest_strategy.py --json out/strategy.json   # docs/strategy.md's tables

Each case is one `stockrnn backtest` (the default model and folds: 10 cut-offs 21 trading days apart, 21 days scored
after each) with `--strategy long-flat --strategy long-short` at the default cost (5 bps a side), e.g.

    stockrnn backtest --csv sample_data/sp500.csv --train-start 2012-01-01 --strategy long-flat --strategy long-short

The same folds' signals are traded at 5 and at 0 bps (strategy_report.from_backtest: no model is retrained), so the
two cost rows differ by the costs alone. Prints a markdown table; `--json FILE` keeps every case's numbers and its
folds' signals, which `--from-json FILE` trades again without training.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from docblock import replace_block, stamp  # noqa: E402  (scripts/: the folder of this script)

from stockrnn import app, strategy_report, targets  # noqa: E402
from stockrnn.config import TrainConfig  # noqa: E402
from stockrnn.price_source import PriceSource  # noqa: E402
from stockrnn.rules import Rule  # noqa: E402
from stockrnn.strategy import bars  # noqa: E402

SP500, NASDAQ = ROOT / "sample_data" / "sp500.csv", ROOT / "sample_data" / "nasdaq.csv"
CASES = {  # name: (source, training start, last day scored, target)
    "S&P 500, 2018": (PriceSource(csv=SP500), "2012-01-01", None, "return"),
    "NASDAQ, 2018": (PriceSource(csv=NASDAQ), "2012-01-01", None, "return"),
    "S&P 500, 2008 crash": (PriceSource(csv=SP500), "1999-01-01", "2009-06-30", "return"),
    "NASDAQ, 2008 crash": (PriceSource(csv=NASDAQ), "1999-01-01", "2009-06-30", "return"),
    "S&P 500, 2018, direction": (PriceSource(csv=SP500), "2012-01-01", None, "direction"),
    "synthetic (control)": (PriceSource(synthetic={}), None, None, "return"),
}
RULES = ("long-flat", "long-short")


def run(name: str) -> dict:
    source, start, end, target = CASES[name]
    config = TrainConfig(target=target, train_start=start)
    started = time.perf_counter()
    report = app.backtest(source, config, end=end, rules=[Rule(r) for r in RULES])
    minutes = (time.perf_counter() - started) / 60
    assert report.strategy is not None
    folds = [{k: f[k] for k in ("fold", "cutoff", "start", "end", "signals")} for f in report.folds]
    return {"costs": trade(name, folds), "minutes": round(minutes, 1), "forecast_verdict": report.verdict,
            "folds": folds}  # fmt: skip


def trade(name: str, folds: list[dict]) -> dict:
    """The folds' signals traded by each rule at 5 and at 0 bps a side (no model is retrained)."""
    source, _, _, target = CASES[name]
    config = TrainConfig(target=target)
    prices = app.load(source.seeded(config.seed), config.column, config.calendar)
    found = {}
    for cost in (5, 0):
        rules = [Rule(r, cost_bps=cost).resolved(targets.get(target)) for r in RULES]
        traded = strategy_report.from_backtest(folds, bars(prices.frame, config.column, "close", name),
                                               targets.get(target), rules)  # fmt: skip
        found[str(cost)] = traded.to_json()
    return found


def table(cases: dict[str, dict]) -> str:
    lines = [
        "| data | cost (bps a side) | rule | total return | buy-and-hold | Sharpe | B&H Sharpe | bootstrap p | "
        "max drawdown (B&H) | trades | exposure | SPA p (2 rules) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, case in cases.items():
        for cost, report in case["costs"].items():
            held = report["buy_and_hold"]["performance"]
            for trial in report["trials"]:
                p, t = trial["performance"], trial["test"]
                pvalue = "-" if t["p_value"] is None else f"{t['p_value']:.2f}"
                if t["outcome"] in ("beat", "lost"):
                    pvalue = f"**{pvalue}** ({t['outcome']})"
                spa = report["spa"]["p_value"] if report["spa"] else None
                lines.append(
                    f"| {name} | {cost} | {trial['rule']['name']} | {p['total_return']:+.1%} | "
                    f"{held['total_return']:+.1%} | {_f(p['sharpe'])} | {_f(held['sharpe'])} | {pvalue} | "
                    f"{p['max_drawdown']['depth']:.1%} ({held['max_drawdown']['depth']:.1%}) | {p['trades']} | "
                    f"{p['exposure']:.0%} | {'-' if spa is None else f'{spa:.2f}'} |"
                )
    return "\n".join(lines)


def _f(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--docs", action="store_true", help="also write the table into docs/strategy.md")
    parser.add_argument("--json", type=Path, help="also write every case's numbers here")
    parser.add_argument(
        "--from-json", type=Path, help="trade again the folds' signals a --json file kept; train nothing"
    )
    args = parser.parse_args()
    if args.from_json:
        cases = json.loads(args.from_json.read_text(encoding="utf-8"))
        publish({name: {**case, "costs": trade(name, case["folds"])} for name, case in cases.items()}, args.docs)
        return
    cases = {}
    for name in args.cases:
        cases[name] = run(name)
        print(f"{name}: {cases[name]['minutes']} min", file=sys.stderr, flush=True)
        if args.json:  # after each case: a long run keeps what it finished
            args.json.write_text(json.dumps(cases, indent=2, default=str) + "\n", encoding="utf-8")
    publish(cases, args.docs)


def publish(cases: dict[str, dict], docs: bool) -> None:
    text = stamp(" ".join(["python", "scripts/backtest_strategy.py", *sys.argv[1:]])) + "\n" + table(cases)
    print(text)
    if docs:
        replace_block(ROOT / "docs" / "strategy.md", "strategy-table", text)


if __name__ == "__main__":
    main()
