"""Evaluate stage, trading over a walk-forward backtest: every fold's signals traded by each rule, beside
buy-and-hold over the same days.

Input: a backtest's fold records (each with its cut-off, its scored days and the `signals` its forecast gave), the
prices, the target and the rules. Output: a `StrategyReport` (per fold and pooled performance, the tests, the
verdicts; its table and figure are strategy_views.py's). Each origin's signal comes from the fold whose model was
trained last before it: a model is never asked to decide a day it was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import strategy
from .rules import Rule
from .strategy import Performance, SPATest, Trial

if TYPE_CHECKING:
    from .targets import Target


@dataclass(frozen=True)
class StrategyReport:
    """Each rule's trades over the backtest's days, and buy-and-hold's over the same days."""

    target: Target
    trials: list[Trial]  # one per rule, in the order asked
    benchmark: Performance  # buy-and-hold, pooled
    benchmark_periods: list[Performance]  # buy-and-hold per fold
    benchmark_day: pd.DataFrame  # buy-and-hold's `strategy.daily` frame
    spa: SPATest | None  # when more than one rule was tried
    folds: list[int]  # the fold number of each period
    symbol: str | None = None

    @property
    def verdict(self) -> list[str]:
        return [t.test.line() for t in self.trials] + ([self.spa.line()] if self.spa else [])

    def to_json(self) -> dict[str, Any]:
        rule = self.trials[0].rule
        return {
            "convention": {
                "signal": f"made at the close of its origin day from the {self.target.score_name}",
                "fill": f"the next trading day's {rule.fill}", "cost_bps_per_side": rule.cost_bps,
                "no_new_signal": "the position is kept",
            },
            "trials": [t.to_dict() for t in self.trials],
            "buy_and_hold": {"performance": self.benchmark.to_dict(),
                             "periods": [p.to_dict() for p in self.benchmark_periods]},
            "folds": self.folds,
            "spa": None if self.spa is None else self.spa.to_dict(),
            "verdict": self.verdict,
        }  # fmt: skip

    def render(self) -> list[Any]:
        from .strategy_views import strategy_view

        return strategy_view(self)

    def draw(self, figure: Any) -> None:
        from .strategy_views import draw_strategy

        draw_strategy(self, figure)


def signals_of(folds: list[dict[str, Any]]) -> pd.DataFrame:
    """The backtest's signals, one per origin day: from each fold, those made at or after its cut-off; where folds
    overlap, the later cut-off's. Index: origin day; columns score, lower, upper."""
    frames = []
    for fold in sorted(folds, key=lambda f: f["cutoff"]):
        found = pd.DataFrame(fold["signals"])
        if found.empty:
            continue
        found = found.set_index(pd.DatetimeIndex(found.pop("origin"), name="origin"))
        frames.append(found[found.index >= pd.Timestamp(fold["cutoff"])])
    together = pd.concat(frames)
    return together[~together.index.duplicated(keep="last")].sort_index().astype("float64")


def with_gaps(signals: pd.DataFrame, folds: list[dict[str, Any]], days: pd.DatetimeIndex) -> pd.DataFrame:
    """`signals` with a flat signal (NaN score) on each trading day of `days` between folds (`--step` longer than
    `--horizon`): no model decided those days, so no position is carried across them."""
    first, last = pd.Timestamp(folds[0]["cutoff"]), pd.Timestamp(folds[-1]["end"])
    span = days[(days >= first) & (days <= last)]
    covered = np.zeros(len(span), dtype=bool)
    for fold in folds:
        covered |= (span >= pd.Timestamp(fold["cutoff"])) & (span <= pd.Timestamp(fold["end"]))
    gaps = span[~covered].difference(signals.index)
    if not len(gaps):
        return signals
    return pd.concat([signals, pd.DataFrame(np.nan, index=gaps, columns=signals.columns)]).sort_index()


def from_backtest(
    folds: list[dict[str, Any]], prices: pd.DataFrame, target: Target, rules: list[Rule], symbol: str | None = None
) -> StrategyReport:
    """Trade every rule (already resolved) on the folds' signals (`signals_of`) over the folds' scored days (a gap
    between folds is neither traded nor scored: `with_gaps`); `prices`: `strategy.bars`. Per-fold statistics cover
    each fold's scored days."""
    periods = [(f["start"], f["end"]) for f in folds]
    last = pd.Timestamp(folds[-1]["end"])
    signals = with_gaps(signals_of(folds), folds, prices.index)
    trials, held, held_periods, held_day, spa = strategy.trade(signals, target, rules, prices, periods, last)
    return StrategyReport(target, trials, held, held_periods, held_day, spa, [f["fold"] for f in folds], symbol)


def signal_records(signals: pd.DataFrame) -> list[dict[str, Any]]:
    """A `Result.signals()` frame as JSON-ready records (a backtest fold keeps them)."""
    return [
        {"origin": f"{day:%Y-%m-%d}", **{k: None if pd.isna(v) else round(float(v), 8) for k, v in row.items()}}
        for day, row in signals.iterrows()
    ]
