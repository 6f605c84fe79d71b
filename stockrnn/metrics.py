"""Evaluate stage: error metrics and the naive baselines every model is measured against.

Input: arrays of actual and predicted prices (n,) plus the prices each prediction started from.
Output: plain dicts of floats (JSON-ready). MAPE is in percent, direction accuracy a fraction in [0, 1].
"""

from __future__ import annotations

from typing import Any

import numpy as np

# One vocabulary for what is scored, in every table, JSON document, manifest and retrain record.
ONE_STEP, PERSISTENCE = "one_step", "persistence"
FORECAST, NAIVE, DRIFT, ALWAYS_UP = "forecast", "naive", "drift", "always_up"
METHODS = {
    FORECAST: "model, recursive from the origin (a real forecast)",
    NAIVE: "last known price held flat (baseline for the forecast)",
    DRIFT: "last known price plus the average daily change (baseline)",
    ONE_STEP: "model, one step ahead from the actual previous prices",
    PERSISTENCE: "tomorrow = today's actual price (baseline for one-step)",
    ALWAYS_UP: "a rise every day (baseline for direction)",
}


def scores(
    actual: np.ndarray, predicted: np.ndarray, base_actual: np.ndarray, base_predicted: np.ndarray | None = None
) -> dict[str, float | None]:
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
    return {
        "rmse": float(np.sqrt(np.mean((actual - predicted) ** 2))),
        "mae": float(np.mean(np.abs(actual - predicted))),
        # scikit-learn's guard: a zero price divides by its float epsilon, not by 0
        "mape": float(100 * np.mean(np.abs(actual - predicted) / np.maximum(np.abs(actual), np.finfo("float64").eps))),
        "direction_accuracy": direction,
    }


def rounded(value: float | None, digits: int = 4) -> float | None:
    """A number for a JSON document: rounded, or None where it is missing (None or NaN)."""
    return None if value is None or value != value else round(float(value), digits)


def skill(model_rmse: float, baseline_rmse: float) -> float | None:
    """1 - RMSE_model / RMSE_baseline: above 0 beats the baseline, 0 ties it, below 0 loses to it."""
    if baseline_rmse == 0:
        return None
    return float(1 - model_rmse / baseline_rmse)


def drift_per_day(history: np.ndarray) -> float:
    """The average daily change over `history` (n,): the slope of the drift baseline."""
    history = np.asarray(history, "float64")
    return float((history[-1] - history[0]) / (len(history) - 1)) if len(history) > 1 else 0.0


def one_step_report(actual: np.ndarray, predicted: np.ndarray, previous: np.ndarray) -> dict[str, dict]:
    """Model vs persistence (tomorrow = today) for one-step-ahead predictions; `previous` (n,) = yesterday's prices.
    The model's entry carries the Diebold-Mariano test of the two (`test`, see significance.py)."""
    from .significance import squared_error_test

    # Entries of a JSON document: the model's grows a skill and a test (rmse is never None, only direction may be).
    model: dict[str, Any] = scores(actual, predicted, previous)
    persistence: dict[str, Any] = scores(actual, previous, previous)
    model["skill"] = skill(model["rmse"], persistence["rmse"])
    model["test"] = squared_error_test(actual, predicted, previous).to_dict()
    persistence["skill"] = 0.0
    return {ONE_STEP: model, PERSISTENCE: persistence}


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """The share of actual prices inside [lower, upper]."""
    actual = np.asarray(actual, "float64")
    return float(np.mean((np.asarray(lower) <= actual) & (actual <= np.asarray(upper))))
