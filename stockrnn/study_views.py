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
    """One period in a line: its days, the model's training, the scores' accuracy and each fill's mean daily return
    before and after costs."""
    p = result.period
    accuracy = next(iter(result.portfolios.values())).accuracy.share
    brier = "-" if result.chances is None else f"{result.chances.brier:.4f}"
    trades = "; ".join(
        f"{name}: {_day(float(r.day['gross'].mean()))} before, {_day(float(r.day['ret'].mean()))} after costs"
        f" a day (p = {_p(r)})"
        for name, r in _columns(result.by_k)
    )
    return (
        f"period {p.number}: trading {p.trade_start:%Y-%m-%d}..{p.trade_end:%Y-%m-%d} ({p.trade_days} days), trained "
        f"on {p.train_start:%Y-%m-%d}..{p.train_end:%Y-%m-%d}, {result.members} members, "
        f"{result.epochs} {result.unit}s (best {result.best_epoch}) in {result.seconds:.0f} s; accuracy "
        f"{fmt(accuracy, '.1%')}, Brier {brier}; {trades}"
    )


def study_view(report: StudyReport) -> list[Any]:
    """The periods' table, the pooled table (each fill's portfolio beside the equal-weighted panel and the index),
    how the portfolio trades, the verdicts."""
    from rich.table import Table

    fills = list(report.portfolios)
    columns = _columns(report.by_k)
    periods = Table(title="Study periods (out of sample)", title_justify="left")
    units = {r.unit for r in report.periods}  # checks, when every period's model was checked more often than epochs
    counted = f"{units.pop() if len(units) == 1 else 'epoch'}s"
    for name in ("period", "trading", "members", counted, "accuracy", "Brier"):
        periods.add_column(name, justify="right", overflow="fold")
    for header, _ in columns:
        periods.add_column(f"{header}\nbefore/after\ncosts a day", justify="right", overflow="fold")
        periods.add_column("p", justify="right")
    for r in report.periods:
        p = r.period
        cells = [str(p.number), f"{p.trade_start:%Y-%m-%d}\n{p.trade_end:%Y-%m-%d}", str(r.members),
                 f"{r.epochs} ({r.best_epoch})", fmt(r.portfolios[fills[0]].accuracy.share, ".1%"),
                 "-" if r.chances is None else f"{r.chances.brier:.4f}"]  # fmt: skip
        for _, one in _columns(r.by_k):
            cells += [f"{_day(float(one.day['gross'].mean()))}\n{_day(float(one.day['ret'].mean()))}", _p(one)]
        periods.add_row(*cells)
    first = report.portfolios[fills[0]]
    rule = first.rule
    title = (
        f"Pooled over {len(report.periods)} periods, {first.performance.start}..{first.performance.end}: "
        f"{rule.name if len(report.by_k) == 1 else 'long-short' if not rule.long_only else 'long-only'}, "
        f"{rule.cost_bps:g} bps a half-turn"
    )
    pooled = Table(title=title, title_justify="left")
    pooled.add_column("", overflow="fold")
    for header, _ in columns:
        pooled.add_column(f"portfolio,\n{header}", justify="right", overflow="fold")
    pooled.add_column("equal-weighted\npanel", justify="right", overflow="fold")
    if first.index is not None:
        pooled.add_column(str(first.index_name), justify="right", overflow="fold")
    chosen = [r for _, r in columns]
    dash = ["-"] if first.index is not None else []  # the index's daily frame is not kept: its ratios are below
    for said, column in (("mean a day, before costs", "gross"), ("mean a day, after costs", "ret")):
        means = [_day(float(r.day[column].mean())) for r in chosen]
        pooled.add_row(said, *means, _day(float(first.panel_day[column].mean())), *dash)
    for name, cell in ROWS:
        extra = [cell(first.index)] if first.index is not None else []
        pooled.add_row(name, *(cell(r.performance) for r in chosen), cell(first.panel), *extra)
    accuracy = fmt(first.accuracy.share, ".2%")
    brier = "-" if report.chances is None else f"{report.chances.brier:.4f}"
    lines = [
        f"scores: accuracy {accuracy} of {first.accuracy.n} member-days (the top half by score against the top half "
        f"by next-day return; 50% by chance), Brier {brier}",
        *(f"fill {fill}: {FILL_WORDS[fill]}" for fill in fills),
    ]
    verdicts = [f"{header}: {line}" for header, r in columns for line in r.verdict]  # no brackets: rich markup
    return [periods, pooled, *lines, *verdicts, *era_view(report)]


def era_view(report: StudyReport) -> list[Any]:
    """The pooled portfolios by era (none: nothing): each era's mean a day before and after costs, Sharpe, accuracy
    and the test of the mean after costs (p, days)."""
    from rich.table import Table

    if not any(len(found) > 1 for fills in report.eras.values() for found in fills.values()):
        return []
    table = Table(title="Pooled, by era", title_justify="left")
    for name in ("portfolio", "era", "days", "before costs\na day", "after costs\na day", "Sharpe", "accuracy", "p"):
        table.add_column(name, justify="right", overflow="fold")
    several = len(report.eras) > 1
    for k, fills in report.eras.items():
        for fill, found in fills.items():
            for era in found:
                p = era.mean_test.p_value
                table.add_row(f"{_k(k, report.by_k[k][fill]) if several else ''}{FILLS[fill]}",
                              f"{era.start:%Y-%m-%d}..{era.end:%Y-%m-%d}", str(era.days), _day(era.gross),
                              _day(era.net), fmt(era.sharpe, ".2f"), fmt(era.accuracy.share, ".1%"),
                              "-" if p is None else f"{p:.2f}")  # fmt: skip
    return [table]


def draw_study(report: StudyReport, figure: Any) -> None:
    """The first k's pooled equity curves after costs (each fill's portfolio, the equal-weighted panel, the index)
    on a log scale, the periods' starts marked."""
    import numpy as np

    ax = figure.subplots(1, 1)
    fills = list(report.portfolios)
    first = report.portfolios[fills[0]]
    curves = [(f"portfolio, {FILLS[f]}", report.portfolios[f].day, "-") for f in fills]
    curves.append(("equal-weighted panel", first.panel_day, "--"))
    for name, day, style in curves:
        ax.plot(day.index, np.cumprod(1 + day["ret"].to_numpy()), ls=style, lw=1.2, label=name)
    if first.index is not None:
        ax.plot([], [], " ", label=f"{first.index_name}: total {first.index.total_return:+.1%}")
    for r in report.periods:
        ax.axvline(r.period.trade_start, color="0.8", lw=0.6)
    ax.set_yscale("log")
    ax.set_ylabel("equity after costs (start = 1, log scale)")
    ax.set_title(f"Study {report.spec.train_days}:{report.spec.trade_days}, {first.rule.name}, "
                 f"{first.rule.cost_bps:g} bps a half-turn; grey: a new period's model", fontsize=10)  # fmt: skip
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
