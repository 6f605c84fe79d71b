"""Application layer, walk-forward backtests of a panel: a `PanelSource` (or a registered global model's recorded
source and configuration) read, cut at the last day scored, and walked forward by `panel_backtest.walk_forward`.

Input: a `PanelSource` and a `TrainConfig`, or a global model's name; the folds' options; the market series for the
`market` feature. Output: `panel_backtest.PanelBacktest`. Nothing is stored: the folds' models are thrown away.
"""

from __future__ import annotations

import dataclasses

from .. import registry
from ..config import HORIZON, TrainConfig, check_range
from ..errors import DataError, UsageError
from ..features import covers
from ..panel_backtest import GLOBAL, LOCAL, PanelBacktest, PanelProgress, walk_forward
from ..paths import check_symbol
from ..price_source import PanelSource
from ..windows import parse_day
from .panel import check_market, load_panel, market_needed


def panel_backtest(
    source: PanelSource,
    config: TrainConfig,
    folds: int = 10,
    horizon: int = HORIZON,
    step: int = HORIZON,
    end: str | None = None,
    market: str | None = None,
    local: bool = False,
    progress: PanelProgress | None = None,
    name: str | None = None,
) -> PanelBacktest:
    """Walk forward over `source`'s members (panel_backtest.walk_forward), the last fold ending on `end` (default:
    the calendar's last day); `market`: a member's symbol, a file or a symbol for the `market` feature (a member
    named as the market is not a member); `local`: one model per member instead of the global model. Raises
    `UsageError` for bad options (before any file is read where it can), `MissingInputError`/`DataError` as
    `load_panel`, `DataError` when the market series does not cover the first fold's training period or too few
    days are left."""
    for flag, value in {"--folds": folds, "--horizon": horizon, "--step": step}.items():
        check_range(flag, value)
    day = parse_day(end, "--end")
    check_market(config, market)  # before any price is read
    panel = load_panel(source, config.column, config.calendar)
    # a market recorded as a member's file (backtest NAME) is that member
    market = next((s for s, p in panel.members.items() if market and p.source == market), market)
    found = market_needed(config, market, panel, source.offline, source.adjusted)
    if found is not None and market:
        panel = panel.without({market.strip().upper()})
    if day is not None:
        calendar = panel.calendar
        if not calendar[0] <= day <= calendar[-1]:
            raise UsageError(
                f"--end {day:%Y-%m-%d} is outside the panel's calendar ({calendar[0]:%Y-%m-%d} to "
                f"{calendar[-1]:%Y-%m-%d})"
            )
        panel = panel.until(day)
    if found is not None:
        start = parse_day(config.train_start, "--train-start") or panel.calendar[0]
        days = panel.calendar[panel.calendar >= start]
        if len(days) == 0:
            raise DataError(f"{source.where}: no trading day from {start:%Y-%m-%d}")
        covers(found[0], days[0], days[-1], found[1])
    series = None if found is None else found[0]
    report = walk_forward(panel, config, folds, horizon, step, series, LOCAL if local else GLOBAL, progress)
    return dataclasses.replace(report, name=name, panel=source.where)


def model_backtest(
    name: str,
    folds: int = 10,
    horizon: int = HORIZON,
    step: int = HORIZON,
    end: str | None = None,
    local: bool = False,
    progress: PanelProgress | None = None,
) -> PanelBacktest:
    """`panel_backtest` of a registered global model: its champion's recorded panel source, configuration (its
    training start kept, its training end replaced by each cut-off) and market series. Raises `MissingInputError`
    when no such model, `UsageError` when `name` is a single symbol's model, and what `panel_backtest` raises."""
    name = check_symbol(name)
    manifest = registry.load_current(name).manifest
    record = manifest.data.panel
    if manifest.data.kind != "panel" or not record or "source" not in record:
        raise UsageError(
            f"{name} is one symbol's model: backtest it with --csv or its symbol and the training options, or "
            "train a global model with --panel DIR --name NAME"
        )
    source = PanelSource.from_json(record["source"])
    # where the market's prices came from: a member's file, a file or a symbol (a model written before data.market:
    # its panel record's)
    market = manifest.data.market or record.get("market")
    return panel_backtest(source, manifest.config, folds, horizon, step, end, market, local, progress, name)
