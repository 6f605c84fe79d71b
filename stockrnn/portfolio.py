"""Evaluate stage, trading a panel: each day's scores of its members become a long-short (or long-only) portfolio,
and its weights become daily returns after costs, beside the equal-weighted panel and an index.

Input: scores (days, members), made at each close (a ranking model's P(next-day return above the day's median);
NaN: no score, the member absent), the members' closes (days, members, NaN outside a member's history: a
`Panel.matrix("close")`), a `PortfolioRule` (rules.py), and optionally an index's closes (days,). Output: a
`PortfolioReport`: the daily weights and returns, their `strategy.Performance`, the equal-weighted panel's and the
index's over the same days, the scores' accuracy (crosssection.py), and the verdicts (`bootstrap.MeanTest`,
`strategy.SharpeTest`).

The convention is strategy.py's, for weights instead of one position (docs/portfolio.md):
- Scores are made at the close of day t. The members are ranked by score (ties: the earlier column ranks higher);
  the top k go long, 1/k each, and unless long-only the bottom k go short, -1/k each: gross exposure 2 (1 long-only).
- With m members scored that day, k = min(top, m // 2) names a side: a thin day trades fewer names at 1/k each
  (gross exposure unchanged), and a day with fewer than 2 members scored is flat. A long-only portfolio is the
  long-short's long leg.
- The weights are filled at the next close, t + 1, and held from it to the close of t + 2 (fill "close"); with fill
  "same-close" (Fischer and Krauss's convention, not executable) at the close of t itself, held to t + 1
  (`decided`). A day with no row of scores keeps the weights it had; a row with no score at all is flat.
- Held weights are rebalanced to 1/k every day: a day's return is sum(w x r) over the members held into it, and the
  drift of weights within a day (and the trades that would undo it) is not counted.
- Turnover is sum |change of weight| at a fill, each unit paying `cost_bps` (a half-turn) on the fill's day:
  opening a long-short book from flat is turnover 2, replacing every name of both legs is 4.
- A member held on a day it has no close (a halt, a day it lacks, after its last day) earns 0 that day, marked at
  its last close, and its move is earned the day it trades again; delisting returns are not modelled.
- The equal-weighted panel holds every member with a close, 1/m each, decided at each close and filled at the next
  as the portfolio is: buy-and-hold of all members present, rebalanced daily to equal weight, paying the same costs
  on its changes. The index is bought at the portfolio's first fill and held (strategy.daily), paying one side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import strategy
from .bootstrap import MeanTest
from .crosssection import Accuracy, accuracy, next_returns, rank_labels
from .errors import DataError
from .rules import PortfolioRule
from .strategy import Performance, SharpeTest, later

PANEL = "the equal-weighted panel"
FILL_WORDS = {
    "close": "the next trading day's close (executable)",
    "same-close": "the close the scores were made at (the literature's convention: optimistic, not executable)",
}


def weights(scores: pd.DataFrame, rule: PortfolioRule) -> pd.DataFrame:
    """The weights each day's scores ask for under `rule` (checked): (days, members) -> (days, members), 1/k on the
    top k scored members, -1/k on the bottom k (none when long-only), 0 elsewhere, with k = min(rule.top, m // 2)
    for the m members scored that day (0: flat). Ties are broken by column order, the earlier column ranking higher.
    A `UsageError` for a bad rule, a `DataError` naming the member and day of an infinite score."""
    rule.check()
    values = scores.to_numpy(dtype="float64")  # (days, members)
    present = ~np.isnan(values)
    if np.isinf(values).any():
        row, column = np.argwhere(np.isinf(values))[0]
        raise DataError(f"the score of {scores.columns[column]} on {scores.index[row]:%Y-%m-%d} is infinite")
    scored = present.sum(axis=1)  # (days,)
    k = np.minimum(rule.top, scored // 2)  # (days,) names a side
    order = np.argsort(np.where(present, -values, np.inf), axis=1, kind="stable")  # best first, absent last
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.broadcast_to(np.arange(values.shape[1]), values.shape), axis=1)
    size = np.divide(1.0, k, out=np.zeros(len(k)), where=k > 0)[:, None]  # (days, 1) a name's weight
    long = rank < k[:, None]
    short = (rank >= (scored - k)[:, None]) & (rank < scored[:, None]) & (not rule.long_only)
    return pd.DataFrame(size * long - size * short, index=scores.index, columns=scores.columns)


def equal_weights(closes: pd.DataFrame, days: pd.DatetimeIndex) -> pd.DataFrame:
    """The equal-weighted panel's weights on `days`: 1/m on each of the m members with a close that day.
    (len(days), members)."""
    present = closes.reindex(days).notna().to_numpy()
    count = present.sum(axis=1, keepdims=True)
    held = np.divide(present, count, out=np.zeros(present.shape), where=count > 0)
    return pd.DataFrame(held, index=days, columns=closes.columns)


def daily(decided: pd.DataFrame, closes: pd.DataFrame, cost: float, last: pd.Timestamp | None = None) -> pd.DataFrame:
    """Each trading day's portfolio return after costs, by the module's convention.

    `decided`: (decision days, members) weights asked for at each close; `closes`: (days, members) on the trading
    calendar, NaN where a member has no close; `cost`: per half-turn, a fraction; `last`: the last day scored
    (default: the closes' last). Returns one row per day from the day after the first decision to `last`, columns
    `gross` (sum of weight x return over the weights held into the day, a fraction), `turnover` (sum |change of
    weight| at the day's fill), `cost` (turnover x cost), `ret` (gross - cost), `exposed` (any weight held into the
    day), `long` and `short` (names held at the day's close). A `DataError` naming the day or member when a decision
    day is not a day of `closes`, a weight names a member `closes` lacks, or a member is weighted on a day it has no
    close."""
    days = closes.index
    missing = decided.index.difference(days)
    if len(missing):
        raise DataError(f"a decision day {missing[0]:%Y-%m-%d} is not a day of the closes")
    unknown = decided.columns.difference(closes.columns)
    if len(unknown):
        raise DataError(f"weights for {unknown[0]}, which has no closes")
    marks = closes[decided.columns]
    unpriced = (decided != 0).to_numpy() & marks.reindex(decided.index).isna().to_numpy()
    if unpriced.any():
        row, column = np.argwhere(unpriced)[0]
        member, day = decided.columns[column], decided.index[row]
        raise DataError(f"{member} is weighted (scored) on {day:%Y-%m-%d}, a day it has no close")
    last = days[-1] if last is None else last
    first = days.get_loc(decided.index[0])
    span = days[first : days.searchsorted(last, side="right")]  # the first decision .. the last day scored
    wanted = decided.reindex(span).ffill().to_numpy()  # (n, members): kept on a day with no row of scores
    after = later(wanted, 1)  # held at day i's close: decided at the close before
    before = later(wanted, 2)  # held into day i: decided two closes before
    close = marks.ffill().reindex(span).to_numpy()  # a day without a close is marked at the last one
    moved = close / later(close, 1, np.nan) - 1  # (n, members), NaN before a member's first close
    gross = np.where(before != 0, before * np.nan_to_num(moved), 0.0).sum(axis=1)
    turnover = np.abs(after - before).sum(axis=1)
    frame = pd.DataFrame(
        {"gross": gross, "turnover": turnover, "cost": turnover * cost, "ret": gross - turnover * cost,
         "exposed": (before != 0).any(axis=1), "long": (after > 0).sum(axis=1), "short": (after < 0).sum(axis=1)},
        index=span,
    )  # fmt: skip
    return frame.iloc[1:]  # the first decision's own day has no return: it is filled the day after


@dataclass(frozen=True)
class PortfolioReport:
    """A portfolio's trades over its days, beside the equal-weighted panel's and an index's over the same days."""

    rule: PortfolioRule
    weights: pd.DataFrame  # (decision days, members): what each day's scores asked for
    day: pd.DataFrame  # `daily`'s frame
    performance: Performance
    panel_day: pd.DataFrame
    panel: Performance  # the equal-weighted panel
    accuracy: Accuracy  # ranked: the top half by score against the top half by next-day return (crosssection)
    mean_test: MeanTest  # the portfolio's mean daily return after costs against 0
    sharpe_test: SharpeTest  # the portfolio's Sharpe ratio against the equal-weighted panel's
    index: Performance | None = None
    index_name: str | None = None
    index_day: pd.DataFrame | None = None  # the index bought at the first fill and held: strategy.daily's frame

    @property
    def verdict(self) -> list[str]:
        return [self.mean_test.line(), self.sharpe_test.line()]

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": {"top": self.rule.top, "long_only": self.rule.long_only, "cost_bps_per_half_turn":
                     self.rule.cost_bps, "fill": self.rule.fill, "name": self.rule.name,
                     "asked": list(self.rule.asked) or [self.rule.top]},
            "convention": {
                "scores": "made at the close of each day; the top k long at 1/k, the bottom k short at -1/k",
                "fill": FILL_WORDS[self.rule.fill], "thin_day": "k = min(top, members scored // 2); flat below 2",
                "costs": "sum |change of weight| x cost_bps per half-turn, on the fill's day",
                "rebalancing": "to 1/k every day; the drift of weights within a day is not counted",
            },
            "performance": self.performance.to_dict(), "ranked_accuracy": self.accuracy.to_dict(),
            "equal_weighted_panel": self.panel.to_dict(),
            "index": None if self.index is None else {"name": self.index_name, **self.index.to_dict()},
            "mean_test": self.mean_test.to_dict(), "sharpe_test": self.sharpe_test.to_dict(),
            "verdict": self.verdict,
        }  # fmt: skip


def decided(scores: pd.DataFrame, closes: pd.DataFrame, fill: str) -> pd.DataFrame:
    """The scores as `daily` reads them, by the rule's `fill`: "close" (filled at the next close) as they are;
    "same-close" (filled at the close they were made at, Fischer and Krauss's convention: optimistic, not executable
    by whoever sees that close only after it) each row dated the calendar day before, so that `daily`'s next-close
    fill lands on the scores' own close and the weights earn the next day's return. A member with no close on that
    earlier day is unscored there; a row on the closes' first day has no day before and is left out. A `DataError`
    naming the day when a score's day is not a day of `closes`."""
    if fill == "close":
        return scores
    at = closes.index.get_indexer(scores.index)  # (rows,) positions on the calendar; -1: not a day of it
    if (at < 0).any():
        raise DataError(f"a decision day {scores.index[np.argmax(at < 0)]:%Y-%m-%d} is not a day of the closes")
    kept = scores[at > 0]
    moved = kept.set_axis(closes.index[at[at > 0] - 1], axis=0)
    return moved.where(closes.reindex(index=moved.index, columns=moved.columns).notna())


def trade(
    scores: pd.DataFrame, closes: pd.DataFrame, rule: PortfolioRule, index: pd.Series | None = None,
    index_name: str = "the index", last: pd.Timestamp | None = None,
) -> PortfolioReport:  # fmt: skip
    """Trade `rule` on `scores` (decision days, members; NaN: unscored) over `closes` (trading days, members), beside
    the equal-weighted panel and, when given, `index` (closes by day, carried over a day it lacks), all from the same
    first fill to `last` (default: the closes' last day). Errors: `UsageError` (the rule), `DataError` (`weights`,
    `daily`; an index with no close on the first decision day)."""
    wanted = weights(decided(scores, closes, rule.fill), rule)
    day = daily(wanted, closes, rule.cost, last)
    start = wanted.index[0]  # equity is 1 at its close
    if day.empty:
        raise DataError(f"no day to trade after the first decision {start:%Y-%m-%d}: the closes end there")
    span = closes.index[(closes.index >= start) & (closes.index <= day.index[-1])]
    panel_day = daily(equal_weights(closes, span), closes, rule.cost, last)
    performance, panel = Performance.of(day, start), Performance.of(panel_day, start)
    held, bought = None, None
    if index is not None:
        marks = index.astype("float64").reindex(closes.index).ffill()
        if pd.isna(marks.loc[start]):
            raise DataError(f"{index_name} has no close on or before the first decision day {start:%Y-%m-%d}")
        bought = strategy.daily(pd.Series(1.0, index=[start]), pd.DataFrame({"close": marks}), rule.cost, last)
        held = Performance.of(bought, start)
    said = rank_labels(next_returns(closes)).reindex(index=scores.index, columns=scores.columns)
    exposed = int(day["exposed"].sum())
    name = f"the {rule.name} portfolio"
    return PortfolioReport(
        rule, wanted, day, performance, panel_day, panel, accuracy(scores, said),
        MeanTest.run(day["ret"], model=name, exposed=exposed),
        SharpeTest.run(day["ret"], panel_day["ret"], model=name, baseline=PANEL, exposed=exposed), held, index_name,
        bought,
    )  # fmt: skip
