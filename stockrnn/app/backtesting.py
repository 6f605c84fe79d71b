"""Application layer, walk-forward backtests: a price source's prices, every fold trained and scored, and a plot.

Input: a `PriceSource`, a `TrainConfig` and the backtest's options. Output: a `backtest.BacktestReport` (with the
PNG's path when one was asked for). Nothing is stored: a backtest's models are thrown away.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from .. import backend, parallel, strategy_report, targets
from ..backtest import BacktestReport, FoldProgress
from ..backtest import backtest as walk_forward
from ..config import HORIZON, LEVEL, TrainConfig, check_range
from ..plot import check_plot, draw_backtest, draw_strategy
from ..price_source import PriceSource
from ..rules import Rule
from ..strategy import bars
from .prices import load


def backtest(
    source: PriceSource,
    config: TrainConfig,
    folds: int = 10,
    horizon: int = HORIZON,
    step: int = HORIZON,
    progress: FoldProgress | None = None,
    level: float = LEVEL,
    jobs: int = 1,
    end: str | None = None,
    cluster: str | None = None,
    done: parallel.Done | None = None,
    timeout: float | None = None,
    plot: Path | None = None,
    rules: list[Rule] | None = None,
) -> BacktestReport:
    """Walk forward over `source`'s prices (backtest.backtest: the options there), here or on the Dask `cluster`
    (checked before any fold trains: exit 69 when it cannot be reached); with `plot`, a PNG of the folds' scores
    (its folder checked before the work). With `rules`, the folds' signals are traded by each (strategy.py's
    convention) beside buy-and-hold, and with `plot` their equity curves go to `plot`'s name with "-strategy"
    added. Raises `StockRNNError`s as the stages do; a bad rule before anything is read."""
    config.check_alone()  # before any price is read: what only a panel learns
    target = targets.get(config.target)
    rules = [rule.resolved(target) for rule in rules or []]
    options = {"--folds": folds, "--horizon": horizon, "--step": step, "--level": level, "--jobs": jobs}
    for flag, value in {**options, "--timeout": timeout}.items():
        check_range(flag, value)  # before any price is read (a timeout of None: none)
    if plot is not None:
        check_plot(plot)
        if rules:  # the equity curves' file too, before the work rather than after it
            check_plot(strategy_plot(plot))
    if config.mixed_precision:  # refused before the data is read, where this backend cannot train it
        backend.check_mixed_precision(config.cell)
    prices = load(source.seeded(config.seed), config.column, config.calendar)
    traded = bars(prices.frame, config.column, rules[0].fill, prices.source) if rules else None
    if cluster:
        parallel.connect(cluster).close()
    report = walk_forward(prices, config, folds, horizon, step, progress, level, jobs, end, cluster, done, timeout)
    report = dataclasses.replace(report, symbol=source.name)
    if traded is not None:
        trading = strategy_report.from_backtest(report.folds, traded, target, rules, source.name)
        report = dataclasses.replace(report, strategy=trading)
    if plot is not None:
        report = dataclasses.replace(report, plot=str(draw_backtest(report, plot).resolve()))
        if report.strategy is not None:
            where = draw_strategy(report.strategy, strategy_plot(plot))
            report = dataclasses.replace(report, strategy_plot=str(where.resolve()))
    return report


def strategy_plot(plot: Path) -> Path:
    """Where the equity curves go beside the backtest's plot: bt.png -> bt-strategy.png."""
    return plot.with_name(f"{plot.stem}-strategy{plot.suffix}")
