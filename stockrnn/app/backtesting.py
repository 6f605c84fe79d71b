"""Application layer, walk-forward backtests: a price source's prices, every fold trained and scored, and a plot.

Input: a `PriceSource`, a `TrainConfig` and the backtest's options. Output: a `backtest.BacktestReport` (with the
PNG's path when one was asked for). Nothing is stored: a backtest's models are thrown away.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from .. import backend, parallel
from ..backtest import BacktestReport, FoldProgress
from ..backtest import backtest as walk_forward
from ..config import HORIZON, LEVEL, TrainConfig, check_range
from ..plot import check_plot, draw_backtest
from ..price_source import PriceSource
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
) -> BacktestReport:
    """Walk forward over `source`'s prices (backtest.backtest: the options there), here or on the Dask `cluster`
    (checked before any fold trains: exit 69 when it cannot be reached); with `plot`, a PNG of the folds' scores
    (its folder checked before the work). Raises `StockRNNError`s as the stages do."""
    options = {"--folds": folds, "--horizon": horizon, "--step": step, "--level": level, "--jobs": jobs}
    for flag, value in {**options, "--timeout": timeout}.items():
        check_range(flag, value)  # before any price is read (a timeout of None: none)
    if plot is not None:
        check_plot(plot)
    if config.mixed_precision:  # refused before the data is read, where this backend cannot train it
        backend.check_mixed_precision(config.cell)
    prices = load(source.seeded(config.seed), config.column, config.calendar)
    if cluster:
        parallel.connect(cluster).close()
    report = walk_forward(prices, config, folds, horizon, step, progress, level, jobs, end, cluster, done, timeout)
    report = dataclasses.replace(report, symbol=source.name)
    if plot is not None:
        report = dataclasses.replace(report, plot=str(draw_backtest(report, plot).resolve()))
    return report
