"""Evaluate stage, live: the forecasts recorded in advance (ledger.py) against the prices that came after them.

Input: ledger entries and each symbol's actual prices. Output: one `Track` per symbol and model version: how many
forecasts were recorded, matured (every step's day has passed) and are still pending, and the matured ones'
scores beside the baselines from the same origins: the naive forecast (the origin's price held flat) for every
step, persistence for the first step (the one-day-ahead forecast), always-up for the direction from the origin,
the interval's coverage against its stated level, and the Diebold-Mariano verdicts in the words of every other
command.

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
from .record import RecordedForecast, Step
from .significance import Comparison

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
class TrackRecord:
    """Every model version's `Track`, and the PNG drawn of them (if any)."""

    tracks: list[Track]
    plot: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"tracks": [t.to_json() for t in self.tracks], "methods": TRACK_METHODS,
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
