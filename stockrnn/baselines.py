"""Baselines: the forecasters every model is measured against, with the same kind of predictions as a model's.

Darts' pattern (`models/forecasting/baselines.py`): a baseline is a forecaster, and its predictions are scored by
the same code as the model's (metrics.scores for prices, trend.scores for probabilities), in validation, forecasts,
backtests, the track record and retrain alike.

Input: the prices known before each prediction (or the training period's outcomes). Output: predictions as arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Persistence:
    """Tomorrow = today: each day's prediction is the actual price the day before (one step ahead)."""

    def predict(self, previous: np.ndarray) -> np.ndarray:
        """Yesterday's actual prices (n,) -> predictions (n,)."""
        return np.asarray(previous, dtype="float64").copy()


@dataclass(frozen=True)
class Naive:
    """The last known price held flat: every step of a path from an origin predicts the origin's price."""

    def path(self, origin_price: float, steps: int) -> np.ndarray:
        """(steps,) predictions of the days after the origin."""
        return np.full(steps, float(origin_price))

    def predict(self, origin_prices: np.ndarray) -> np.ndarray:
        """Many paths' steps at once: each step's origin price (n,) -> predictions (n,)."""
        return np.asarray(origin_prices, dtype="float64").copy()


@dataclass(frozen=True)
class Drift:
    """The last known price plus the average daily change over the history up to the origin (Hyndman and
    Athanasopoulos, Forecasting: Principles and Practice, 5.2)."""

    per_day: float  # price units a day

    @classmethod
    def fit(cls, history: np.ndarray) -> Drift:
        """The slope of `history` (n,): (last - first) / (n - 1); 0 for fewer than two prices."""
        history = np.asarray(history, dtype="float64")
        return cls(float((history[-1] - history[0]) / (len(history) - 1)) if len(history) > 1 else 0.0)

    def path(self, origin_price: float, steps: int) -> np.ndarray:
        """(steps,) predictions of the days after the origin."""
        return float(origin_price) + np.arange(1, steps + 1) * self.per_day


@dataclass(frozen=True)
class AlwaysUp:
    """A rise every day: P(up) = 1."""

    def predict(self, days: int) -> np.ndarray:
        return np.ones(days)


@dataclass(frozen=True)
class BaseRate:
    """The training period's share of rises over the horizon, every day (one rate, or one per day: pooled folds
    each have their own)."""

    rate: float | np.ndarray

    def predict(self, days: int) -> np.ndarray:
        return np.broadcast_to(np.asarray(self.rate, dtype="float64"), (days,)).astype("float64")
