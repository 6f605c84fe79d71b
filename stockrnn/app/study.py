"""Application layer, studies: a panel read from its files, Fischer and Krauss's rolling study periods run on it
(study.py), the index's closes beside them.

Input: a `PanelSource` (a folder or a watchlist), a `TrainConfig` (study.study_config: a named spec and the options
given), a `StudySpec`, the portfolio rules (or a `study.Trading`, whose scaled k needs the panel's size), the eras
and `--market` (a member's symbol, a price file or a symbol: the index,
kept out of the members). Output: `study.StudyReport`. Nothing is stored: a study's models are thrown away.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from .. import backend
from ..config import TrainConfig
from ..plot import check_plot, draw_report
from ..price_source import PanelSource
from ..rules import PortfolioRule
from ..study import PeriodResult, StudyReport, StudySpec, Trading, run
from .panel import load_panel, market_series

log = logging.getLogger("stockrnn")


def study(
    source: PanelSource, config: TrainConfig, spec: StudySpec, rules: Sequence[PortfolioRule] | Trading,
    market: str | None = None, on_period: Callable[[PeriodResult], None] | None = None, plot: Path | None = None,
    eras: tuple[pd.Timestamp, ...] = (),
) -> StudyReport:  # fmt: skip
    """Read `source`'s members and run the study on them (study.run), beside `market`'s closes as the index when
    given (a member of that symbol leaves the members); `rules` as given, or a `Trading`'s for the members read (a
    scaled k: 10 of 500 members); `eras`: the days the pooled portfolios are cut at; with `plot`, the first k's
    pooled equity curves written there (checked before any work). Errors: `UsageError` (options),
    `MissingInputError` and `DataError` as `load_panel` and `study.run`."""
    if config.mixed_precision:
        backend.check_mixed_precision(config.cell)
    for rule in rules.rules(500) if isinstance(rules, Trading) else rules:
        rule.check()  # before minutes of reading and training
    if plot is not None:
        check_plot(plot)
    panel = load_panel(source, config.column, config.calendar)
    index, name = None, "the index"
    if market is not None:
        index, _ = market_series(market, panel, source.offline, source.adjusted, config.calendar)
        name = market.strip().upper()
        panel = panel.without({name})
    chosen, notes = rules.plan(len(panel.members)) if isinstance(rules, Trading) else (list(rules), [])
    for note in notes:  # once, before the periods: a k the panel cannot trade as asked
        log.warning("%s", note)
    report = run(panel, config, spec, chosen, index, name, on_period, eras=eras)
    if plot is not None:
        report = dataclasses.replace(report, plot=str(draw_report(report, plot).resolve()))
    return report
