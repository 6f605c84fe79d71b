"""`stockrnn backtest`: walk-forward evaluation over many cut-offs, per fold and in aggregate."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Annotated

import typer

from .. import app
from ..config import COST_BPS, HORIZON, LEVEL, TrainConfig
from ..price_source import PriceSource
from .common import (
    STRATEGY,
    BackendOpt,
    CostOpt,
    DaskOpt,
    FillOpt,
    JsonOpt,
    LevelOpt,
    ThresholdOpt,
    TimeoutOpt,
    completion,
    fail,
    print_json,
    ranged,
    say,
    show,
)
from .options import source_options, training_options

log = logging.getLogger("stockrnn")


def _progress(fold: int, folds: int, cutoff: str) -> None:
    log.info("fold %d/%d: cut-off %s", fold, folds, cutoff)


@training_options(skip=("train_end",))
@source_options()
def backtest(
    folds: Annotated[int, ranged("folds", "Cut-off dates (each fold re-fits scaler and model).")] = 10,
    horizon: Annotated[int, ranged("horizon", "Trading days scored after each cut-off.")] = HORIZON,
    step: Annotated[int, ranged("step", "Trading days between cut-offs.")] = HORIZON,
    end: Annotated[
        str | None, typer.Option(help="Last day scored (YYYY-MM-DD), e.g. 2009-03-31; default: the data's last day.")
    ] = None,
    level: LevelOpt = LEVEL,
    jobs: Annotated[int, ranged("jobs", "Folds trained at once on this machine, each in its own process.")] = 1,
    dask: DaskOpt = None,
    timeout: TimeoutOpt = 3600.0,
    plot_file: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            help="Also write an image of the folds' scores (.png, .pdf, .svg, ...); with "
            "--strategy, NAME-strategy.png too: the equity curves.",
        ),
    ] = None,
    strategies: Annotated[
        list[str] | None,
        typer.Option(
            "--strategy",
            metavar="long-flat|long-short",
            rich_help_panel=STRATEGY,
            help="Trade the folds' signals by this rule beside buy-and-hold, after costs (several: each is tried).",
        ),
    ] = None,
    threshold: ThresholdOpt = None,
    cost_bps: CostOpt = COST_BPS,
    fill: FillOpt = "close",
    backend: BackendOpt = "auto",
    as_json: JsonOpt = False,
    *,
    source: PriceSource,
    config: TrainConfig,
) -> None:
    """Walk-forward evaluation: train up to each cut-off, score the days after it, beside the naive baselines.

    Example: stockrnn backtest --csv sample_data/sp500.csv --train-start 2012-01-01 --folds 5 --layers 1

    With --strategy, each day's signal (made at a close, filled at the next day's close or open, a position kept
    until a new signal) is traded after --cost-bps a side, beside buy-and-hold over the same days.
    """
    app.use_backend(backend)
    config = dataclasses.replace(config, adjusted=source.adjusted)
    chosen = strategies or (["long-flat"] if threshold else [])  # a --threshold alone: the default rule
    if not chosen and (cost_bps != COST_BPS or fill.lower() != "close"):
        fail("--cost-bps and --fill are the strategy's: add --strategy long-flat (or long-short)")
    thresholds: list[float | None] = list(threshold) if threshold else [None]
    rules = [app.Rule(name, x, cost_bps, fill) for name in chosen for x in thresholds]
    with completion("backtest", enabled=(jobs > 1 or bool(dask)) and not as_json) as done:
        report = app.backtest(source, config, folds, horizon, step, _progress, level, jobs, end, dask, done,
                              timeout if dask else None, plot_file, rules)  # fmt: skip
    if as_json:
        print_json(report.to_json())
        return
    for path in (report.plot, report.strategy_plot):
        if path is not None:
            say(f"plot written to {path}")
    show(report.render())
