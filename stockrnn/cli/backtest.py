"""`stockrnn backtest`: walk-forward evaluation over many cut-offs, per fold and in aggregate."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from .. import app
from ..config import COST_BPS, HORIZON, LEVEL, TrainConfig
from ..price_source import PriceSource
from .common import (
    PANEL,
    STRATEGY,
    BackendOpt,
    BacktestFillOpt,
    CostOpt,
    DaskOpt,
    ErasOpt,
    FirstOpt,
    JsonOpt,
    LevelOpt,
    LongOnlyOpt,
    MarketOpt,
    PanelListOpt,
    PanelOpt,
    PeriodsOpt,
    SpecOpt,
    StudyOpt,
    ThresholdOpt,
    TimeoutOpt,
    TopKOpt,
    completion,
    fail,
    print_json,
    ranged,
    refuse_one_symbol,
    say,
    show,
)
from .options import FIELDS, source_options, training_options
from .study import NOT_A_STUDYS, run_study

log = logging.getLogger("stockrnn")

LocalOpt = Annotated[
    bool,
    typer.Option("--local", rich_help_panel=PANEL,
                 help="With a panel: one model per member instead of the global one (the same folds and days)."),
]  # fmt: skip


def _flag(param: Any) -> str:
    """How a parameter is written on the command line: its first option name, or its argument's metavar."""
    return param.opts[0] if param.param_type_name == "option" else "the SYMBOL argument"


def _typed(ctx: typer.Context, param: Any) -> bool:
    """Whether `param` was given on the command line (not its default, nor an environment variable's value)."""
    return getattr(ctx.get_parameter_source(param.name or ""), "name", "") == "COMMANDLINE"


def _progress(fold: int, folds: int, cutoff: str) -> None:
    log.info("fold %d/%d: cut-off %s", fold, folds, cutoff)


# backtest's options that only a study takes, and those a study takes too (the study command's, less --study).
ONLY_A_STUDYS = ("periods", "first", "spec", "top_k", "eras", "long_only")
A_STUDYS = {*ONLY_A_STUDYS, "periods_spec", "panel", "watchlist", "market", "offline", "strict", "raw", "cost_bps",
            "fill", "plot_file", "backend", "as_json",
            *(f.name for f in FIELDS if f.name not in NOT_A_STUDYS)}  # fmt: skip
STUDY_FILLS = ("same-close", "both")  # --fill values that only a study takes


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
    fill: BacktestFillOpt = None,
    backend: BackendOpt = "auto",
    as_json: JsonOpt = False,
    panel: PanelOpt = None,
    watchlist: PanelListOpt = None,
    market: MarketOpt = None,
    local: LocalOpt = False,
    periods_spec: StudyOpt = None,
    periods: PeriodsOpt = None,
    first: FirstOpt = None,
    spec: SpecOpt = None,
    top_k: TopKOpt = None,
    eras: ErasOpt = None,
    long_only: LongOnlyOpt = False,
    *,
    ctx: typer.Context,  # which options were given: with --study, those a study does not take are refused
    source: PriceSource,
    config: TrainConfig,
) -> None:
    """Walk-forward evaluation: train up to each cut-off, score the days after it, beside the naive baselines.

    Example: stockrnn backtest --csv sample_data/sp500.csv --train-start 2012-01-01 --folds 5 --layers 1

    With --panel DIR or --watchlist FILE (or the name of a global model, which walks forward its recorded panel and
    configuration): one global model re-fitted at each cut-off, every member's one-step forecasts scored, and the
    members pooled (a Diebold-Mariano test on each day's mean loss difference over the members).

    With --strategy, each day's signal (made at a close, filled at the next day's close or open, a position kept
    until a new signal) is traded after --cost-bps a side, beside buy-and-hold over the same days.

    With --panel DIR --study TRAIN:TRADE (e.g. 750:250): Fischer and Krauss's study periods instead of the
    walk-forward, the same as stockrnn study (its options, its output).
    """
    given = [p for p in ctx.command.params if _typed(ctx, p)]
    if periods_spec is not None:
        for param in given:
            if param.name not in A_STUDYS:
                fail(f"{_flag(param)} is not a study's option: leave it out with --study (a study reads a panel's "
                     "members: --panel DIR or --watchlist FILE)")  # fmt: skip
        overrides = {f.name: getattr(config, f.name) for f in FIELDS if f.name in {p.name for p in given}}
        run_study(panel, watchlist, market, source.offline, source.strict, not source.adjusted, periods_spec,
                  periods, first, spec, top_k, eras, long_only, cost_bps, fill, plot_file, backend, as_json,
                  overrides)  # fmt: skip
        return
    for param in given:
        if param.name in ONLY_A_STUDYS:
            fail(f"{_flag(param)} is a study's option: add --study TRAIN:TRADE (e.g. 750:250), or leave it out")
    if fill is not None and fill.lower() in STUDY_FILLS:
        fail(f"--fill {fill} is a study's: add --study TRAIN:TRADE (e.g. 750:250), or fill at the close or open")
    fill = fill or "close"
    app.use_backend(backend)
    config = dataclasses.replace(config, adjusted=source.adjusted)
    named = source.symbol if source.csv is None and source.synthetic is None else None
    if panel is not None or watchlist is not None or local or (named and app.global_model(named) is not None):
        if strategies or threshold or plot_file or dask or jobs != 1:
            fail("--strategy, --threshold, --plot, --dask and --jobs are a single symbol's backtest's; leave them out "
                 "with --panel, --watchlist, --local or a global model's name")  # fmt: skip
        _panel(panel, watchlist, market, local, folds, horizon, step, end, as_json, source, config)
        return
    if market is not None:
        fail("--market is a panel's (--panel DIR or --watchlist FILE); a symbol's covariates: train it with --market")
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


def _panel_progress(fold: int, folds: int, cutoff: str, what: str) -> None:
    log.info("fold %d/%d: cut-off %s, %s", fold, folds, cutoff, what)


def _panel(
    panel: Path | None, watchlist: Path | None, market: str | None, local: bool, folds: int, horizon: int, step: int,
    end: str | None, as_json: bool, source: PriceSource, config: TrainConfig,
) -> None:  # fmt: skip
    """`backtest --panel DIR | --watchlist FILE` or `backtest NAME` of a global model: the panel walk-forward."""
    if panel is None and watchlist is None:
        if source.symbol is None:
            fail("--local walks forward a panel's members one by one: give --panel DIR, --watchlist FILE or NAME")
        if config != dataclasses.replace(TrainConfig(), adjusted=config.adjusted) or market is not None:
            fail(f"backtest {source.symbol} walks forward the global model's recorded configuration and market; "
                 "leave out the training options and --market")  # fmt: skip
        report = app.model_backtest(source.symbol, folds, horizon, step, end, local, _panel_progress)
    else:
        refuse_one_symbol(source)
        members = app.PanelSource(panel, watchlist, source.adjusted, source.offline, source.strict)
        report = app.panel_backtest(members, config, folds, horizon, step, end, market, local, _panel_progress)
    if as_json:
        print_json(report.to_json())
    else:
        show(report.render())
    if report.exit_code:  # a member was left out (said in a warning and under the tables): as train --panel
        raise typer.Exit(report.exit_code)
