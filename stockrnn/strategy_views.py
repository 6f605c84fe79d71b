"""A strategy report as tables and a figure: the rules beside buy-and-hold, per fold, and the equity curves.

Input: a `strategy_report.StrategyReport`. Output: printable items (str lines and rich tables, short enough cells to
read at 80 columns) and a drawn figure (the equity curves, on a linear scale when they stay within a factor of 2 and a
log scale otherwise, the drawdowns, and every rule's position).
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
    if d.depth >= 0:
        return "none"
    return f"{d.depth:.1%}" if d.depth <= -0.001 else f"{d.depth:.2%}"  # a fall of 0.04% is not -0.0%


def _peak(p: Performance) -> str:
    d = p.max_drawdown
    return "-" if d.depth == 0 else f"{d.start:%Y-%m-%d}"


def _trough(p: Performance) -> str:
    d = p.max_drawdown
    return "-" if d.depth == 0 else f"{d.trough:%Y-%m-%d}"


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
    ("  peak", _peak),  # the drawdown's dates, one a row: a date cell stays 10 characters wide
    ("  trough", _trough),
    ("  recovered", _back),
    ("Calmar ratio", lambda p: fmt(p.calmar, ".2f")),
    ("turnover (a year)", lambda p: f"{p.turnover:.1f}x"),
    ("trades", lambda p: str(p.trades)),
    ("exposure", lambda p: f"{p.exposure:.0%}"),
    ("hit rate", lambda p: "-" if p.hit_rate is None else f"{p.hit_rate:.0%}"),
    ("costs paid", lambda p: f"{p.costs:.2%}"),
]


def strategy_view(report: StrategyReport) -> list[Any]:
    """The pooled table (a column per rule and buy-and-hold), the per-fold table of the first rule, the verdicts.

    Cells fold rather than cut when the terminal is narrow, and are short enough (a date a row, short headers) to sit
    on one line at 80 columns with two rules."""
    from rich.table import Table

    first = report.trials[0]
    rule = first.rule
    p = first.performance
    title = (
        f"Strategy after costs ({rule.cost_bps:g} bps a side, filled at the next {rule.fill}), {p.start}..{p.end}, "
        f"{p.days} days"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("", overflow="fold")
    for trial in report.trials:
        table.add_column(trial.rule.name, justify="right", overflow="fold")
    table.add_column("buy-and-hold", justify="right", overflow="fold", min_width=len("buy-and-hold"))
    for name, cell in ROWS:
        table.add_row(name, *(cell(t.performance) for t in report.trials), cell(report.benchmark))
    folds = Table(title=f"Per fold: {rule.name} vs buy-and-hold (B&H)", title_justify="left")
    for name in FOLD_COLUMNS:
        folds.add_column(name, justify="right", overflow="fold")
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


# The per-fold table's headers: two words at most a line, so that its nine columns fit 80 columns.
FOLD_COLUMNS = ("fold", "days", "return", "B&H\nreturn", "Sharpe", "B&H\nSharpe", "max DD", "trades", "expos.")

STYLES = ["-", "--", ":", "-."]  # each rule's line style, in order: identical curves stay visible
COLORS = ["tab:red", "tab:orange", "tab:purple", "tab:blue"]


def draw_strategy(report: StrategyReport, figure: Any) -> None:
    """Equity curves (each rule, and buy-and-hold drawn last and thin), their drawdowns, and each rule's position.

    The equity axis is linear when the curves stay within a factor of 2 (a log axis would label one tick there) and
    logarithmic with labelled ticks otherwise; its label says which."""
    equity, drawdown, position = figure.subplots(3, 1, sharex=True, height_ratios=[3, 1.3, 0.9])
    styles = [(t.rule.name, t.day, COLORS[i % 4], STYLES[i % 4], 1.4) for i, t in enumerate(report.trials)]
    styles.append(("buy-and-hold", report.benchmark_day, "black", "-", 0.9))
    low, high, deepest = 1.0, 1.0, 0.0
    for name, day, color, style, width in styles:
        wealth = (1 + day["ret"]).cumprod().to_numpy()
        low, high = min(low, float(wealth.min())), max(high, float(wealth.max()))
        equity.plot(day.index, wealth, lw=width, ls=style, color=color, label=name)
        peak = np.maximum.accumulate(np.maximum(wealth, 1.0))
        fall = wealth / peak - 1
        deepest = min(deepest, float(fall.min()))
        drawdown.plot(day.index, fall, lw=width, ls=style, color=color)
    scale = _equity_scale(equity, low, high)
    equity.set_ylabel(f"equity (start = 1, {scale} scale)")
    equity.legend(loc="best", fontsize=8, framealpha=0.7, edgecolor="0.8")
    equity.set_title(_title(report), fontsize=10)
    drawdown.set_ylabel("drawdown")
    drawdown.yaxis.set_major_formatter(_percent(deepest))
    count = len(report.trials)
    for i, (name, day, color, style, width) in enumerate(styles[:count]):
        # Each rule a little above or below the level it holds, so that rules holding the same position stay apart.
        shift = 0.0 if count == 1 else 0.24 * (i / (count - 1) - 0.5)  # within +-0.12
        held = day["held"]
        position.step(held.index, held.to_numpy() + shift, where="post", color=color, ls=style, lw=width, label=name)
    position.set_yticks([-1, 0, 1], ["short", "flat", "long"])
    position.set_ylim(-1.35, 1.35)
    position.set_ylabel("position", fontsize=8)
    if count > 1:
        position.legend(loc="best", fontsize=7, framealpha=0.7, edgecolor="0.8")
    for ax in (equity, drawdown, position):
        ax.grid(alpha=0.3)
    position.set_xlabel("\n".join(report.verdict), fontsize=7)


def _title(report: StrategyReport) -> str:
    """ "SYMBOL: rule and rule after 5 bps a side, filled at the next close, vs buy-and-hold, first..last"; more
    than three rules, or names too long for a line, are counted ("4 rules") and named by the legend."""
    names = [t.rule.name for t in report.trials]
    said = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
    if len(names) > 3 or len(said) > 60:
        said = f"{len(names)} rules"
    costs = "/".join(dict.fromkeys(f"{t.rule.cost_bps:g}" for t in report.trials))
    fills = "/".join(dict.fromkeys(t.rule.fill for t in report.trials))
    p = report.trials[0].performance
    symbol = f"{report.symbol}: " if report.symbol else ""
    return f"{symbol}{said} after {costs} bps a side, filled at the next {fills}, vs buy-and-hold, {p.start}..{p.end}"


LADDERS = [  # round numbers a decade, coarse to fine: the first that gives 4 ticks or more is used
    (1.0, 2.0, 5.0),
    (1.0, 1.5, 2.0, 3.0, 5.0, 7.0),
    (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0),
    (1.0, 1.1, 1.2, 1.4, 1.6, 1.8, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0),
]


def _equity_scale(ax: Any, low: float, high: float) -> str:
    """Set the equity axis's scale and ticks for curves within `low`..`high` (> 0 on a log scale); returns "linear"
    or "log". Linear when high / low < 2 (or a curve reached 0); log otherwise, ticked at round numbers (1, 2, 5 a
    decade, or finer when that gives fewer than four), each labelled in full, and no minor ticks."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator, ScalarFormatter

    if low <= 0 or high / low < 2:
        ax.yaxis.set_major_formatter(ScalarFormatter(useOffset=False))  # 1.02, not "+1" and 0.02
        return "linear"
    ax.set_yscale("log")
    decades = range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1)
    ticks: list[float] = []
    for ladder in LADDERS:
        found = [step * 10.0**k for k in decades for step in ladder if low <= step * 10.0**k <= high]
        if len(found) > 10:  # a wide range: the ladder before, or whole decades
            break
        ticks = found
        if len(found) >= 4:
            break
    if len(ticks) < 2:
        ticks = [10.0**k for k in decades]
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.yaxis.set_minor_locator(NullLocator())
    return "log"


def _percent(deepest: float) -> Any:
    """Percent tick labels for a drawdown axis down to `deepest` (a fraction, <= 0), with the decimals its ticks
    need: -0.5% and -1.5% read as such, not as -1% twice."""
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0, decimals=0 if deepest <= -0.05 else 1 if deepest <= -0.005 else 2)
