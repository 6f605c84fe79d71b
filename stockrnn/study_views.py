"""A study report as lines, tables and a figure: each period in one line as it ends, the periods in one table, the
pooled portfolios (each k, each fill) beside the equal-weighted panel and the index, the eras, the verdicts; the
first k's pooled equity curves.

Input: a `study.StudyReport` (or one `study.PeriodResult`). Output: printable items (str lines and rich tables) and a
drawn figure. No I/O: plot.py writes the figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .formatting import fmt
from .portfolio import FILL_WORDS
from .strategy_views import ROWS

if TYPE_CHECKING:
    from .portfolio import PortfolioReport
    from .study import PeriodResult, StudyReport

FILLS = {"close": "next close", "same-close": "same close"}  # a fill in two words, for headers


def _day(value: float) -> str:
    return f"{value:+.3%}"


def _k(k: int, report: PortfolioReport) -> str:
    """'k = K, ', and the k's asked for when the panel traded them as K: 'k = 2 (asked 10), '."""
    asked = ", ".join(map(str, report.rule.asked))
    return f"k = {k} (asked {asked}), " if asked else f"k = {k}, "


def _columns(by_k: dict[int, dict[str, PortfolioReport]]) -> list[tuple[str, PortfolioReport]]:
    """Each (k, fill)'s portfolio with its header: the fill in two words, "k = K, " before it when several k."""
    several = len(by_k) > 1
    return [
        (f"{_k(k, r) if several else ''}{FILLS[fill]}", r) for k, fills in by_k.items() for fill, r in fills.items()
    ]


def _p(report: PortfolioReport) -> str:
    p = report.mean_test.p_value
    return "-" if p is None else f"{p:.2f}"


def period_line(result: PeriodResult) -> str:
    """One period in a line: its days, the model's training, the scores' ranked and P >= 0.5 accuracy and each
    fill's mean daily return before and after costs."""
    p = result.period
    accuracy = next(iter(result.portfolios.values())).accuracy.share
    brier, p_half = _chances(result)
    trades = "; ".join(
        f"{name}: {_day(float(r.day['gross'].mean()))} before, {_day(float(r.day['ret'].mean()))} after costs"
        f" a day (p = {_p(r)})"
        for name, r in _columns(result.by_k)
    )
    return (
        f"period {p.number}: trading {p.trade_start:%Y-%m-%d}..{p.trade_end:%Y-%m-%d} ({p.trade_days} days), trained "
        f"on {p.train_start:%Y-%m-%d}..{p.train_end:%Y-%m-%d}, {result.members} members, {result.epochs} "
        f"{result.unit}s (best {result.best_epoch}) in {result.seconds:.0f} s; ranked accuracy "
        f"{fmt(accuracy, '.1%')}, P >= 0.5 accuracy {p_half}, Brier {brier}; {trades}"
    )


def _chances(result: PeriodResult | StudyReport) -> tuple[str, str]:
    """The Brier score and the P >= 0.5 accuracy of a period's or the pooled scores, as cells ("-": none)."""
    found = result.chances
    return ("-", "-") if found is None else (f"{found.brier:.4f}", fmt(found.accuracy, ".1%"))


PORTFOLIOS_A_TABLE = 4  # portfolio columns a period table holds: 4 fit in 80 columns (each 10 wide, and the period)
ACCURACIES = [
    "ranked accuracy: each day the top half of the members by score called above the day's median next-day "
    "return, the bottom half below (50% by chance, whatever the calibration)",
    "P >= 0.5 accuracy: a member-day called above the median when its calibrated P is 0.5 or more (depends on "
    "the calibration)",
]


def study_view(report: StudyReport) -> list[Any]:
    """The periods' tables (the scores; the portfolios' returns, at most 4 portfolios a table), a pooled table per k
    (each fill's portfolio beside the equal-weighted panel and the index), how the portfolio trades, the verdicts,
    the eras: every table fits a terminal of 80 columns."""
    from rich.table import Table

    fills = list(report.portfolios)
    columns = _columns(report.by_k)
    periods = Table(title="Study periods (out of sample): the scores", title_justify="left")
    units = {r.unit for r in report.periods}  # checks, when every period's model was checked more often than epochs
    counted = f"{units.pop() if len(units) == 1 else 'epoch'}s\n(best)"
    for name in ("period", "trading", "members", counted, "ranked\naccuracy", "P >= 0.5\naccuracy", "Brier"):
        periods.add_column(name, justify="right", overflow="fold")
    for r in report.periods:
        p = r.period
        periods.add_row(str(p.number), f"{p.trade_start:%Y-%m-%d}\n{p.trade_end:%Y-%m-%d}", str(r.members),
                        f"{r.epochs} ({r.best_epoch})", fmt(r.portfolios[fills[0]].accuracy.share, ".1%"),
                        _chances(r)[1], _chances(r)[0])  # fmt: skip
    returns = []
    for at in range(0, len(columns), PORTFOLIOS_A_TABLE):
        chunk = columns[at : at + PORTFOLIOS_A_TABLE]
        table = Table(title="Study periods: each portfolio's mean a day before costs, after costs, and the p of the "
                      "mean after costs", title_justify="left")  # fmt: skip
        table.add_column("period", justify="right")
        for header, _ in chunk:
            table.add_column(header.replace(", ", ",\n"), justify="right", overflow="fold")
        for r in report.periods:
            by_header = dict(_columns(r.by_k))
            cells = []
            for header, _ in chunk:
                one = by_header[header]
                cells.append(f"{_day(float(one.day['gross'].mean()))}\n{_day(float(one.day['ret'].mean()))}\n"
                             f"p {_p(one)}")  # fmt: skip
            table.add_row(str(r.period.number), *cells)
        returns.append(table)
    first = report.portfolios[fills[0]]
    pooled = [_pooled_table(report, k, by_fill) for k, by_fill in report.by_k.items()]
    brier, p_half = _chances(report)
    lines = [
        f"scores: ranked accuracy {fmt(first.accuracy.share, '.2%')} of {first.accuracy.n} member-days, P >= 0.5 "
        f"accuracy {p_half}, Brier {brier}",
        *ACCURACIES,
        *(f"fill {fill}: {FILL_WORDS[fill]}" for fill in fills),
    ]
    verdicts = [f"{header}: {line}" for header, r in columns for line in r.verdict]  # no brackets: rich markup
    left = [f"left out: {line}" for line in report.left_out]
    return [periods, *returns, *pooled, *lines, *verdicts, *era_view(report), *left]


def _pooled_table(report: StudyReport, k: int, by_fill: dict[str, PortfolioReport]) -> Any:
    """One k's pooled portfolios, a column per fill, beside the equal-weighted panel and the index."""
    from rich.table import Table

    first = next(iter(by_fill.values()))
    rule = first.rule
    title = (
        f"Pooled over {len(report.periods)} periods, {first.performance.start}..{first.performance.end}: "
        f"{rule.name}, {rule.cost_bps:g} bps a half-turn"
    )
    pooled = Table(title=title, title_justify="left")
    pooled.add_column("", overflow="fold")
    for fill in by_fill:
        pooled.add_column(f"portfolio,\n{FILLS[fill]}", justify="right", overflow="fold")
    pooled.add_column("equal-\nweighted\npanel", justify="right", overflow="fold")
    index = first.index_day is not None and first.index is not None
    if index:
        pooled.add_column(str(first.index_name), justify="right", overflow="fold")
    chosen = list(by_fill.values())
    for said, column in (("before costs, a day", "gross"), ("after costs, a day", "ret")):
        means = [_day(float(r.day[column].mean())) for r in chosen]
        held = [_day(float(first.index_day[column].mean()))] if first.index_day is not None and index else []
        pooled.add_row(said, *means, _day(float(first.panel_day[column].mean())), *held)
    for name, cell in ROWS:
        extra = [cell(first.index)] if index else []
        pooled.add_row(name, *(cell(r.performance) for r in chosen), cell(first.panel), *extra)
    return pooled


def era_view(report: StudyReport) -> list[Any]:
    """The pooled portfolios by era (none: nothing): each era's mean a day before and after costs, Sharpe, ranked
    accuracy and the test of the mean after costs (p, days); it fits 80 columns."""
    from rich.table import Table

    if not any(len(found) > 1 for fills in report.eras.values() for found in fills.values()):
        return []
    table = Table(title="Pooled, by era", title_justify="left")
    for name in ("portfolio", "era", "days", "before\ncosts", "after\ncosts", "Sharpe", "ranked\nacc.", "p"):
        table.add_column(name, justify="right", overflow="fold")
    several = len(report.eras) > 1
    for k, fills in report.eras.items():
        for fill, found in fills.items():
            for era in found:
                p = era.mean_test.p_value
                name = f"{_k(k, report.by_k[k][fill]) if several else ''}{FILLS[fill]}".replace(", ", ",\n")
                table.add_row(name, f"{era.start:%Y-%m-%d}\n{era.end:%Y-%m-%d}", str(era.days), _day(era.gross),
                              _day(era.net), fmt(era.sharpe, ".2f"), fmt(era.accuracy.share, ".1%"),
                              "-" if p is None else f"{p:.2f}")  # fmt: skip
    return [table]


def draw_study(report: StudyReport, figure: Any) -> None:
    """The first k's pooled equity curves after costs (each fill's portfolio, the equal-weighted panel, the index
    bought at the first fill and held) on a log scale, the periods' starts marked. Every line in the legend is drawn."""
    import numpy as np
    from matplotlib.ticker import FuncFormatter

    ax = figure.subplots(1, 1)
    fills = list(report.portfolios)
    first = report.portfolios[fills[0]]
    curves = [(f"portfolio, {FILLS[f]}", report.portfolios[f].day, "-") for f in fills]
    curves.append(("equal-weighted panel", first.panel_day, "--"))
    if first.index_day is not None and first.index is not None:
        curves.append((f"{first.index_name}, held: total {first.index.total_return:+.1%}", first.index_day, ":"))
    for name, day, style in curves:
        ax.plot(day.index, np.cumprod(1 + day["ret"].to_numpy()), ls=style, lw=1.2, label=name)
    for r in report.periods:
        ax.axvline(r.period.trade_start, color="0.8", lw=0.6)
    ax.set_yscale("log")
    plain = FuncFormatter(lambda value, _: f"{value:g}")  # 1.1, not 1.1 x 10^0
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.set_ylabel("equity after costs (start = 1, log scale)")
    ax.set_title(f"Study {report.spec.train_days}:{report.spec.trade_days}, {first.rule.name}, "
                 f"{first.rule.cost_bps:g} bps a half-turn; grey: a new period's model", fontsize=10)  # fmt: skip
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
