"""Evaluate stage: error metrics of price forecasts, for the model and the baselines it is measured against.

Input: arrays of actual and predicted prices (n,) plus the prices each prediction started from.
Output: `Scores` (typed; JSON only through `to_dict`): RMSE and MAE in price units, MAPE in percent, direction
accuracy a fraction in [0, 1], and where they were worked out the skill against a baseline, its Diebold-Mariano
test and the interval's coverage. A report is one `Scores` per method (PRICE_METHODS: the vocabulary of every table).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .significance import DMTest

SIGNIFICANT = 6  # digits a number in a JSON document keeps at least, at every price level (`rounded`)
# One vocabulary for what is scored, in every table, JSON document, manifest and retrain record.
ONE_STEP, PERSISTENCE = "one_step", "persistence"
FORECAST, NAIVE, DRIFT, ALWAYS_UP = "forecast", "naive", "drift", "always_up"
PRICE_METHODS = {
    FORECAST: "model, recursive from the origin (a real forecast)",
    NAIVE: "last known price held flat (baseline for the forecast)",
    DRIFT: "last known price plus the average daily change (baseline)",
    ONE_STEP: "model, one step ahead from the actual previous prices",
    PERSISTENCE: "tomorrow = today's actual price (baseline for one-step)",
    ALWAYS_UP: "a rise every day (baseline for direction)",
}


@dataclass(frozen=True)
class Scores:
    """One method's scores on some days. A method judged on its direction only (always-up) has no errors (None)."""

    rmse: float | None = None  # root mean squared error, in price units
    mae: float | None = None  # mean absolute error, in price units
    mape: float | None = None  # mean absolute percentage error, in percent
    direction_accuracy: float | None = None  # None: the method never predicts a move (persistence)
    skill: float | None = None  # 1 - RMSE / RMSE of its baseline; None: not worked out, or no error to beat
    test: DMTest | None = None  # the Diebold-Mariano test against its baseline (significance.py)
    interval_coverage: float | None = None  # the share of actual prices inside its band; None: no band

    def but(self, **changes: Any) -> Scores:
        """These scores with `changes` (e.g. skill=...)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: the errors (when it has them) and direction accuracy, then what was worked out."""
        found: dict[str, Any] = {}
        for name in ("rmse", "mae", "mape"):
            if getattr(self, name) is not None:
                found[name] = getattr(self, name)
        if self.mae is not None or self.direction_accuracy is not None:  # None for persistence: said, not left out
            found["direction_accuracy"] = self.direction_accuracy
        if self.skill is not None:
            found["skill"] = self.skill
        if self.test is not None:
            found["test"] = self.test.to_dict()
        if self.interval_coverage is not None:
            found["interval_coverage"] = self.interval_coverage
        return found

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scores:
        """Scores as `to_dict` wrote them (a manifest, a retrain record); keys it does not know are left out."""
        from .significance import DMTest

        known = {f.name for f in dataclasses.fields(cls)} - {"test"}
        test = DMTest.from_dict(data["test"]) if data.get("test") else None
        return cls(**{k: v for k, v in data.items() if k in known}, test=test)


def scores(
    actual: np.ndarray, predicted: np.ndarray, base_actual: np.ndarray, base_predicted: np.ndarray | None = None
) -> Scores:
    """RMSE, MAE, MAPE and direction accuracy of `predicted` against `actual`, all (n,).

    Direction: did the prediction move the same way as the price, from the price each step started at?
    `base_actual[i]` is the actual price before step i; `base_predicted[i]` the predicted one (the same
    array for one-step-ahead predictions, the previous forecast for a recursive path). A method that never
    predicts a move (persistence) has no direction accuracy: None, not a misleading 0.
    """
    actual, predicted = np.asarray(actual, "float64"), np.asarray(predicted, "float64")
    base_actual = np.asarray(base_actual, "float64")
    base_predicted = base_actual if base_predicted is None else np.asarray(base_predicted, "float64")
    predicted_move = np.sign(predicted - base_predicted)
    direction = None
    if np.any(predicted_move != 0):
        direction = float(np.mean(predicted_move == np.sign(actual - base_actual)))
    return Scores(
        rmse=float(np.sqrt(np.mean((actual - predicted) ** 2))),
        mae=float(np.mean(np.abs(actual - predicted))),
        # scikit-learn's guard: a zero price divides by its float epsilon, not by 0
        mape=float(100 * np.mean(np.abs(actual - predicted) / np.maximum(np.abs(actual), np.finfo("float64").eps))),
        direction_accuracy=direction,
    )


def rounded(value: float | None, digits: int = 4) -> float | None:
    """A number for a JSON document: rounded to `digits` decimals, or to SIGNIFICANT significant digits where that
    keeps more (a coin's price near 0.00001 stays 1.23457e-05, not 0.0); None where it is missing (None or NaN)."""
    if value is None or value != value:
        return None
    value = float(value)
    if not value or not math.isfinite(value):
        return value
    return round(value, max(digits, SIGNIFICANT - 1 - math.floor(math.log10(abs(value)))))


def skill(model_rmse: float | None, baseline_rmse: float | None) -> float | None:
    """1 - RMSE_model / RMSE_baseline: above 0 beats the baseline, 0 ties it, below 0 loses to it."""
    if model_rmse is None or not baseline_rmse:
        return None
    return float(1 - model_rmse / baseline_rmse)


def one_step_report(actual: np.ndarray, predicted: np.ndarray, previous: np.ndarray) -> dict[str, Scores]:
    """Model vs persistence (tomorrow = today) for one-step-ahead predictions; `previous` (n,) = yesterday's prices.
    The model's entry carries the Diebold-Mariano test of the two (`test`, see significance.py)."""
    from .baselines import Persistence
    from .significance import squared_error_test

    persistence = scores(actual, Persistence().predict(previous), previous)
    model = scores(actual, predicted, previous)
    model = model.but(
        skill=skill(model.rmse, persistence.rmse), test=squared_error_test(actual, predicted, previous).recorded()
    )
    return {ONE_STEP: model, PERSISTENCE: persistence.but(skill=0.0)}


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """The share of actual prices inside [lower, upper]."""
    actual = np.asarray(actual, "float64")
    return float(np.mean((np.asarray(lower) <= actual) & (actual <= np.asarray(upper))))
