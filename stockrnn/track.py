"""Evaluate stage, live: the forecasts recorded in advance (ledger.py) against the prices that came after them.

Input: ledger entries and each symbol's actual prices. Output: one `Track` per symbol and model version: how many
forecasts were recorded, matured (every step's day has passed) and are still pending, and the matured ones'
scores beside the baselines from the same origins: the naive forecast (the origin's price held flat) for every
step, persistence for the first step (the one-day-ahead forecast), always-up for the direction from the origin,
the interval's coverage against its stated level, and the Diebold-Mariano verdicts in the words of every other
command. And in money (`Money`): the signals `stockrnn signal` recorded, traded as made (strategy.py's convention: the
position each asked for at its origin's close, filled at the next day's close or open after its recorded cost)
beside buy-and-hold over the same days, with the Sharpe ratio test of every strategy verdict.

The tests take one observation per forecast (its mean squared-error difference over its steps), in the order of
the origins; forecasts whose paths overlap (a nightly cron's 21-day paths) are correlated, so the long-run
variance allows as many lags as the most forecasts that start before one ends.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import targets
from .metrics import ALWAYS_UP, FORECAST, NAIVE, ONE_STEP, PERSISTENCE
from .record import RecordedForecast, RecordedSignal, Step
from .significance import Comparison
from .strategy import Performance, SharpeTest, daily

ALL = "all"  # the version column of a symbol's whole record, when more than one model version made it
TRACK_METHODS = {
    FORECAST: "the recorded forecasts, every step",
    NAIVE: "the origin's price held flat (baseline for the forecast)",
    ONE_STEP: "the recorded forecasts' first step (one day ahead)",
    PERSISTENCE: "the origin's price for the next day (baseline for the first step)",
    ALWAYS_UP: "a price above the origin's on every day (baseline for direction)",
}


@dataclass(frozen=True)
class Track:
    symbol: str
    version: str
    fingerprint: str
    target: str
    forecasts: int  # recorded
    matured: int  # scored: every step (up to the horizon) has an actual price's day behind it
    pending: int  # recorded, not yet matured: counted, not scored
    steps: int  # scored steps of the matured forecasts
    first_origin: str
    last_origin: str
    level: float | None  # of the recorded intervals (the most common one)
    # Per TRACK_METHODS, typed by the target (metrics.Scores, trend.Chances; None: a method nothing matured for); empty
    # when nothing matured.
    metrics: dict[str, Any] = field(default_factory=dict)
    comparisons: list[Comparison] = field(default_factory=list)

    def row(self) -> list[str]:
        """The track table's five score cells (its target's)."""
        return targets.get(self.target).track_row(self.metrics, self.level, self.comparisons)

    def to_json(self) -> dict[str, Any]:
        return {
            **{k: v for k, v in self.__dict__.items() if k != "comparisons"},
            "metrics": {name: None if s is None else s.to_dict() for name, s in self.metrics.items()},
            "verdict": [c.line() for c in self.comparisons],
            "comparisons": [c.to_dict() for c in self.comparisons],
        }


@dataclass(frozen=True)
class Money:
    """One symbol's recorded signals of one rule, traded as made, beside buy-and-hold over the same days."""

    symbol: str
    rule: str  # in words: "long-flat at 0.001, 5 bps, close fills" (the cost per side)
    signals: int  # recorded (one an origin: the first made)
    first_origin: str
    last_origin: str
    days: int  # traded: from the day after the first signal to the prices' last day
    performance: Performance | None  # after costs; None: no day traded yet
    held: Performance | None  # buy-and-hold, bought at the first fill
    test: SharpeTest | None
    model: str = ""  # the versions whose signals these are: "v2", "v1..v3", a global model's "PANEL:v1"

    def row(self) -> list[str]:
        """Track's money table cells after symbol, model and rule: two lines a cell where the signals' figure
        stands above buy-and-hold's (return, Sharpe) or a count above another (signals / days, trades / costs)."""
        p, h = self.performance, self.held
        if p is None or h is None:
            return [f"{self.signals}\n0", *["-"] * 4]
        return [
            f"{self.signals}\n{self.days}", f"{p.total_return:+.2%}\n{h.total_return:+.2%}",
            f"{_two(p.sharpe)}\n{_two(h.sharpe)}", f"{p.max_drawdown.depth:.1%}", f"{p.trades}\n{p.costs:.2%}",
        ]  # fmt: skip

    @property
    def who(self) -> str:
        """The symbol, and the model's versions when the signals are a global model's (NAME:vN)."""
        return f"{self.symbol} ({self.model})" if model_of(self.model) else self.symbol

    def line(self) -> str:
        if self.test is None:
            return f"{self.who} {self.rule}: {self.signals} signal{'s' * (self.signals != 1)} recorded, no " \
                "trading day after the first yet"  # fmt: skip
        return f"verdict, {self.who} {self.rule}: {self.test.line().removeprefix('verdict: ')}"

    def to_json(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol, "model": self.model, "rule": self.rule, "signals": self.signals,
            "first_origin": self.first_origin,
            "last_origin": self.last_origin, "days": self.days,
            "performance": None if self.performance is None else self.performance.to_dict(),
            "buy_and_hold": None if self.held is None else self.held.to_dict(),
            "test": None if self.test is None else self.test.to_dict(), "verdict": self.line(),
        }  # fmt: skip


def _two(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def model_of(version: str) -> str:
    """The model a recorded version belongs to: a global model's NAME of "NAME:vN", "" for a symbol's own."""
    return version.split(":")[0] if ":" in version else ""


def versions(found: list[str]) -> str:
    """Recorded versions of one model in few characters: "v2", "v1..v3", "PANEL:v1..v2" (by their numbers)."""
    unique = sorted(set(found), key=lambda v: (len(v), v))
    if len(unique) == 1:
        return unique[0]
    return f"{unique[0]}..{unique[-1].split(':')[-1]}"


def money(signals: list[RecordedSignal], prices: pd.DataFrame) -> Money:
    """Trade one symbol's recorded `signals` of one rule (oldest origin first; an origin's first signal counts) on
    `prices` (strategy.bars: close, and open for open fills, indexed by trading day), after their recorded cost per
    side, beside buy-and-hold from the same first fill. A `DataError` when a signal's origin is not a day of the
    prices."""
    first: dict[str, RecordedSignal] = {}
    for s in signals:
        first.setdefault(s.origin, s)
    made = list(first.values())
    s0 = made[0]
    rule = f"{s0.strategy} at {s0.threshold:g}, {s0.cost_bps:g} bps, {s0.fill} fills"
    wanted = pd.Series([s.position for s in made], index=pd.DatetimeIndex([s.origin for s in made]))
    cost = s0.cost_bps / 10_000
    day = daily(wanted, prices, cost)
    done = Money(s0.symbol, rule, len(made), made[0].origin, made[-1].origin, len(day), None, None, None,
                 versions([s.version for s in made]))  # fmt: skip
    if day.empty:
        return done
    held = daily(pd.Series(1.0, index=wanted.index), prices, cost)
    test = SharpeTest.run(day["ret"], held["ret"], model=f"{s0.symbol}'s signals", exposed=int(day["exposed"].sum()))
    return dataclasses.replace(
        done, performance=Performance.of(day, made[0].origin), held=Performance.of(held, made[0].origin), test=test
    )


@dataclass(frozen=True)
class TrackRecord:
    """Every model version's `Track`, the recorded signals in money (if any), and the PNG drawn of them (if any)."""

    tracks: list[Track]
    plot: str | None = None
    money: list[Money] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"tracks": [t.to_json() for t in self.tracks], "methods": TRACK_METHODS,
                **({"money": [m.to_json() for m in self.money]} if self.money else {}),
                **({"plot": self.plot} if self.plot else {})}  # fmt: skip


def score(entries: list[RecordedForecast], actual: pd.Series, horizon: int | None = None) -> Track:
    """Score one model version's `entries` (same symbol, version, fingerprint) against `actual` prices (indexed
    by day); `horizon`: only the first `horizon` steps of each forecast."""
    first = entries[0]
    last_day = f"{actual.index[-1]:%Y-%m-%d}"
    prices = {f"{day:%Y-%m-%d}": float(value) for day, value in actual.items()}
    matured = [e for e in entries if e.steps and _scored(e, horizon)[-1].date <= last_day]
    levels = [e.level for e in entries if e.level is not None]
    track = Track(
        symbol=first.symbol,
        version=first.version,
        fingerprint=first.fingerprint,
        target=first.target,
        forecasts=len(entries),
        matured=len(matured),
        pending=len(entries) - len(matured),
        steps=0,
        first_origin=entries[0].origin,
        last_origin=entries[-1].origin,
        level=max(set(levels), key=levels.count) if levels else None,
    )
    rows = [
        (n, e.origin_price, s.step, s.date, prices.get(s.date, np.nan), s.forecast, s.lower, s.upper, s.p_up)
        for n, e in enumerate(matured)
        for s in _scored(e, horizon)
    ]
    columns = ["n", "origin", "step", "date", "actual", "forecast", "lower", "upper", "p_up"]
    table = pd.DataFrame(rows, columns=columns).astype({k: "float64" for k in columns[4:]})
    table = table[table["actual"].notna()]
    if table.empty:
        return track
    span = f"{len(matured)} forecast{'s' * (len(matured) != 1)} from {matured[0].origin} to {matured[-1].origin}"
    steps, metrics, comparisons = targets.get(first.target).score_track(table, span)
    return dataclasses.replace(track, steps=steps, metrics=metrics, comparisons=comparisons)


def _scored(e: RecordedForecast, horizon: int | None) -> tuple[Step, ...]:
    return e.steps[:horizon] if horizon else e.steps
