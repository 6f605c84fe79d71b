"""A strategy report as tables and a figure: the rules beside buy-and-hold, per fold, and the equity curves.

Input: a `strategy_report.StrategyReport`. Output: printable items (str lines and rich tables) and a drawn figure
(equity curves on a log scale, the drawdowns, the position held).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .formatting import fmt

if TYPE_CHECKING:
    from .strategy import Performance
    from .strategy_report import StrategyReport


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1%}"


def _fall(p: Performance) -> str:
    d = p.max_drawdown
    return f"{d.depth:.1%}" if d.depth < 0 else "none"


def _when(p: Performance) -> str:
    d = p.max_drawdown
    return "-" if d.depth == 0 else f"{d.start:%Y-%m-%d}..{d.trough:%Y-%m-%d}"


def _back(p: Performance) -> str:
    d = p.max_drawdown
    return "-" if d.depth == 0 else "not yet" if d.end is None else f"{d.end:%Y-%m-%d}"


ROWS: list[tuple[str, Any]] = [
    ("total return", lambda p: _pct(p.total_return)),
    ("CAGR", lambda p: _pct(p.cagr)),
    ("volatility (annual)", lambda p: f"{p.volatility:.1%}"),
    ("Sharpe ratio", lambda p: fmt(p.sharpe, ".2f")),
    ("Sortino ratio", lambda p: fmt(p.sortino, ".2f")),
    ("maximum drawdown", _fall),
    ("  peak..trough", _when),
    ("  recovered on", _back),
    ("Calmar ratio", lambda p: fmt(p.calmar, ".2f")),
    ("turnover (a year)", lambda p: f"{p.turnover:.1f}x"),
    ("trades", lambda p: str(p.trades)),
    ("exposure", lambda p: f"{p.exposure:.0%}"),
    ("hit rate", lambda p: "-" if p.hit_rate is None else f"{p.hit_rate:.0%}"),
    ("costs paid", lambda p: f"{p.costs:.2%}"),
]


def strategy_view(report: StrategyReport) -> list[Any]:
    """The pooled table (a column per rule and buy-and-hold), the per-fold table of the first rule, the verdicts."""
    from rich.table import Table

    first = report.trials[0]
    rule = first.rule
    p = first.performance
    title = (
        f"Strategy after costs ({rule.cost_bps:g} bps a side, filled at the next {rule.fill}), {p.start}..{p.end}, "
        f"{p.days} days"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("")
    for trial in report.trials:
        table.add_column(trial.rule.name, justify="right")
    table.add_column("buy-and-hold", justify="right")
    for name, cell in ROWS:
        table.add_row(name, *(cell(t.performance) for t in report.trials), cell(report.benchmark))
    folds = Table(title=f"Per fold: {rule.name} vs buy-and-hold", title_justify="left")
    for name in ("fold", "days", "return", "B&H return", "Sharpe", "B&H Sharpe", "max drawdown", "trades", "exposure"):
        folds.add_column(name, justify="right")
    for number, mine, theirs in zip(report.folds, first.periods, report.benchmark_periods, strict=False):
        folds.add_row(str(number), str(mine.days), _pct(mine.total_return), _pct(theirs.total_return),
                      fmt(mine.sharpe, ".2f"), fmt(theirs.sharpe, ".2f"), _fall(mine),
                      str(mine.trades), f"{mine.exposure:.0%}")  # fmt: skip
    score = report.target.score_name
    threshold = "" if rule.threshold is None else f" {rule.threshold:g}"
    how = (
        f"rule: the {score} made at a close against the threshold{threshold}; filled at the next trading day's "
        f"{rule.fill}; a day without a new signal keeps the position"
    )
    return [table, folds, how, *report.verdict]


def draw_strategy(report: StrategyReport, figure: Any) -> None:
    """Equity curves (each rule and buy-and-hold, log scale), their drawdowns, and the first rule's position."""
    equity, drawdown, position = figure.subplots(3, 1, sharex=True, height_ratios=[3, 1.3, 0.8])
    curves = [(t.rule.name, t.day) for t in report.trials] + [("buy-and-hold", report.benchmark_day)]
    for (name, day), color in zip(curves, ["tab:red", "tab:orange", "tab:purple", "tab:green"] * 4, strict=False):
        color = "black" if name == "buy-and-hold" else color
        wealth = (1 + day["ret"]).cumprod()
        equity.plot(wealth.index, wealth.to_numpy(), lw=1.2, color=color, label=name)
        peak = np.maximum.accumulate(np.maximum(wealth.to_numpy(), 1.0))
        drawdown.plot(wealth.index, wealth.to_numpy() / peak - 1, lw=1.0, color=color)
    equity.set_yscale("log")
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    equity.yaxis.set_major_formatter(ScalarFormatter())
    equity.yaxis.set_minor_formatter(NullFormatter())
    equity.set_ylabel("equity (start = 1, log scale)")
    equity.legend(loc="upper left", fontsize=8)
    symbol = f"{report.symbol}: " if report.symbol else ""
    first = report.trials[0]
    equity.set_title(
        f"{symbol}{first.rule.name} after {first.rule.cost_bps:g} bps a side vs buy-and-hold, "
        f"{first.performance.start}..{first.performance.end}",
        fontsize=10,
    )
    drawdown.set_ylabel("drawdown")
    drawdown.yaxis.set_major_formatter(_percent())
    held = first.day["held"]
    position.step(held.index, held.to_numpy(), where="post", color="tab:red", lw=1.0)
    position.set_yticks([-1, 0, 1], ["short", "flat", "long"])
    position.set_ylabel(first.rule.name, fontsize=8)
    for ax in (equity, drawdown, position):
        ax.grid(alpha=0.3)
    position.set_xlabel("\n".join(report.verdict), fontsize=7)


def _percent() -> Any:
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0)
