"""The strategy report's table and figure: every number kept and readable at 80 columns, every rule named and drawn,
and equity and drawdown axes with distinct labelled ticks whatever their range."""

import io

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from stockrnn import strategy, targets
from stockrnn.rules import Rule
from stockrnn.strategy_report import StrategyReport

DAYS = pd.bdate_range("2018-09-03", periods=80)


def _report(daily_move: float, wave: float = 0.03, symbol: str | None = "TEST") -> StrategyReport:
    """Two rules traded on a sine wave's signals (each origin scored by the next day's return, a perfect forecast),
    prices rising by `daily_move` a day on top of the wave (its amplitude a fraction); three folds of 20 days."""
    wave = 1 + wave * np.sin(np.arange(len(DAYS)) / 3)
    close = pd.Series(100 * wave * (1 + daily_move) ** np.arange(len(DAYS)), index=DAYS)
    prices = pd.DataFrame({"close": close})
    signals = pd.DataFrame({"score": close.pct_change().shift(-1).fillna(0.0)}).iloc[10:-1]
    target = targets.get("return")
    rules = [Rule().resolved(target), Rule("long-short").resolved(target)]
    periods = [(f"{DAYS[s]:%Y-%m-%d}", f"{DAYS[s + 19]:%Y-%m-%d}") for s in (20, 40, 60)]
    trials, held, held_periods, held_day, spa = strategy.trade(signals, target, rules, prices, periods, DAYS[-1])
    return StrategyReport(target, trials, held, held_periods, held_day, spa, [1, 2, 3], symbol)


def _text(report: StrategyReport, width: int) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    for item in report.render():
        console.print(item)
    return console.export_text()


def test_the_tables_keep_every_number_at_80_columns():
    report = _report(0.001)
    text = _text(report, 80)
    tables = text[: text.index("rule: ")]  # the prose lines after them wrap, as any long line does
    assert max(len(line) for line in tables.splitlines()) <= 80
    assert "…" not in tables  # nothing cut
    for header in ("buy-and-hold", "long-flat at", "long-short at", "max DD", "expos.", "B&H"):
        assert header in tables
    for p in [t.performance for t in report.trials] + [report.benchmark]:
        d = p.max_drawdown
        assert d.depth < 0  # the wave falls, so each column has a drawdown to date
        for value in (f"{p.total_return:+.1%}", f"{d.depth:.1%}", f"{d.start:%Y-%m-%d}", f"{d.trough:%Y-%m-%d}"):
            assert value in tables
        assert ("not yet" if d.end is None else f"{d.end:%Y-%m-%d}") in tables
    rows = {line.split("│")[1].strip(): line for line in tables.splitlines() if line.startswith("│")}
    assert {"peak", "trough", "recovered", "maximum drawdown"} <= set(rows)
    first = report.trials[0]
    for mine in first.periods:  # the per-fold table: each fold's return and exposure
        assert f"{mine.total_return:+.1%}" in tables and f"{mine.exposure:.0%}" in tables


def _drawn(report: StrategyReport):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 8))
    FigureCanvasAgg(figure)
    report.draw(figure)
    figure.canvas.draw()
    return figure.axes


def _labels(ax) -> list[str]:
    low, high = ax.get_ylim()
    return [t.get_text() for t in ax.get_yticklabels() if t.get_text() and low <= t.get_position()[1] <= high]


@pytest.mark.parametrize(("move", "wave", "scale"), [(0.0005, 0.01, "linear"), (0.012, 0.06, "log")])
def test_the_equity_axis_is_labelled_at_any_range(move, wave, scale):
    report = _report(move, wave)
    equity, drawdown, _ = _drawn(report)
    assert equity.get_yscale() == scale and f"{scale} scale" in equity.get_ylabel()
    days = [t.day for t in report.trials] + [report.benchmark_day]
    wealth = np.concatenate([(1 + day["ret"]).cumprod().to_numpy() for day in days])
    assert (wealth.max() / wealth.min() < 2) == (scale == "linear")
    labels = _labels(equity)
    assert len(labels) >= 4 and len(set(labels)) == len(labels), labels
    falls = _labels(drawdown)  # a shallow drawdown axis's ticks keep their decimals apart
    assert len(falls) >= 3 and len(set(falls)) == len(falls), falls


def test_the_figure_names_and_draws_every_rule():
    report = _report(0.001)
    equity, drawdown, position = _drawn(report)
    title = equity.get_title()
    assert "long-flat at 0.001" in title and "long-short at 0.001" in title
    assert "TEST: " in title and "5 bps a side" in title and "filled at the next close" in title
    names = [t.rule.name for t in report.trials]
    curves = equity.get_lines()
    assert [line.get_label() for line in curves] == [*names, "buy-and-hold"]  # buy-and-hold drawn last
    assert len({line.get_linestyle() for line in curves[:-1]}) == len(names)  # a style a rule
    assert curves[-1].get_linewidth() < min(line.get_linewidth() for line in curves[:-1])
    assert [t.get_text() for t in equity.get_legend().get_texts()] == [*names, "buy-and-hold"]
    # Every rule's position, in its curve's colour, a little apart from the others; buy-and-hold has none.
    steps = position.get_lines()
    assert [line.get_label() for line in steps] == names
    assert [line.get_color() for line in steps] == [line.get_color() for line in curves[:-1]]
    shifts = []
    for step, trial in zip(steps, report.trials, strict=True):
        shift = np.asarray(step.get_ydata()) - trial.day["held"].to_numpy()
        assert np.ptp(shift) == pytest.approx(0) and 0 < abs(shift[0]) < 0.2
        shifts.append(shift[0])
    assert shifts[0] != shifts[1]
    assert [t.get_text() for t in position.get_legend().get_texts()] == names
