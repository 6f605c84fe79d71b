"""Evaluate stage for the direction target: calibrated probabilities of a rise, and the scores that judge them.

Input: the network's raw outputs (n,) in (0, 1) and the outcomes (n,) (1: the price was higher `horizon` trading
days later). Output: a Platt calibrator as plain JSON, calibrated probabilities, and plain dicts of scores beside
the base rate (the training period's share of rises over `horizon` days) and always-up: Brier score and Brier skill,
log loss, accuracy, and the Diebold-Mariano test of the Brier difference. Labels `horizon` days ahead overlap, so the
test's long-run variance takes horizon - 1 lags, as for h-step forecasts.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .significance import Comparison, DMTest, diebold_mariano

MODEL, BASE_RATE, ALWAYS_UP = "p_up", "base_rate", "always_up"  # "model" is the old name of one_step
METHODS = {
    MODEL: "the model's calibrated P(up)",
    BASE_RATE: "the training period's share of rises, every day (baseline; its accuracy: always the majority)",
    ALWAYS_UP: "P(up) = 1 every day: always predicts a rise (baseline)",
}
EPSILON = 1e-6  # probabilities are clipped to [EPSILON, 1 - EPSILON] for logits and log loss


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype="float64"), EPSILON, 1 - EPSILON)
    return np.log(p / (1 - p))


def fit_platt(raw: np.ndarray, outcomes: np.ndarray, base_rate: float) -> dict[str, Any]:
    """Platt scaling anchored at the base rate: P = sigmoid(logit(base) + a * (logit(raw) - logit(base))), that is
    sigmoid(a * logit(raw) + b) with b = (1 - a) * logit(base), the slope a in [0, 5] fitted by maximum likelihood
    on the pairs (scipy's bounded scalar minimiser). a = 1 keeps the network's probabilities, a = 0 says the base
    rate every day. Why the level is not fitted too: the validation tail is short and its labels overlap, so a free
    intercept chases the tail's own share of rises (on a random walk it cost Brier skill -0.64, docs/direction.md);
    the training period's share is the better estimate of the level, and the tail decides how far to trust the
    network's deviations from it."""
    from scipy.optimize import minimize_scalar

    y, centre = np.asarray(outcomes, dtype="float64"), float(_logit(np.array([base_rate]))[0])
    deviation = _logit(raw) - centre

    def log_loss(a: float) -> float:
        p = np.clip(1 / (1 + np.exp(-(centre + a * deviation))), EPSILON, 1 - EPSILON)
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))

    a = float(minimize_scalar(log_loss, bounds=(0.0, 5.0), method="bounded").x) if len(y) else 0.0
    return {"method": "platt, anchored at the base rate", "a": a, "b": (1 - a) * centre}


def calibrated(calibrator: dict[str, Any], raw: np.ndarray) -> np.ndarray:
    """(n,) raw outputs -> (n,) calibrated P(up)."""
    return 1 / (1 + np.exp(-(calibrator["a"] * _logit(raw) + calibrator["b"])))


def cross_fitted(raw: np.ndarray, outcomes: np.ndarray, base_rate: float) -> np.ndarray:
    """Out-of-sample calibrated probabilities of the calibration pairs themselves: each half of the (chronological)
    pairs calibrated by a fit on the other half, so that the validation scores are not the calibrator's own fit."""
    half = len(raw) // 2
    first, second = slice(0, half), slice(half, None)
    return np.concatenate([
        calibrated(fit_platt(raw[second], outcomes[second], base_rate), raw[first]),
        calibrated(fit_platt(raw[first], outcomes[first], base_rate), raw[second]),
    ])  # fmt: skip


def scores(p: np.ndarray, outcomes: np.ndarray) -> dict[str, float]:
    """Brier score, log loss and accuracy (a rise called when P >= 0.5) of probabilities `p` (n,)."""
    p, y = np.asarray(p, dtype="float64"), np.asarray(outcomes, dtype="float64")
    clipped = np.clip(p, EPSILON, 1 - EPSILON)
    return {
        "brier": float(np.mean((p - y) ** 2)),
        "log_loss": float(-np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))),
        "accuracy": float(np.mean((p >= 0.5) == (y == 1))),
    }


def report(p: np.ndarray, outcomes: np.ndarray, base_rate: float | np.ndarray, horizon: int) -> dict[str, dict]:
    """The model's probabilities beside the base rate (one, or one per day: pooled folds each have their own) and
    always-up on the same days; the model's entry has its
    Brier skill against the base rate and the DM tests (`test`: of the Brier difference to the base rate;
    `test_always_up`: of the misclassifications against always-up's)."""
    p, y = np.asarray(p, dtype="float64"), np.asarray(outcomes, dtype="float64")
    base, up = np.broadcast_to(np.asarray(base_rate, dtype="float64"), y.shape), np.ones(len(y))
    # The model's entry grows its skill, tests and counts below: a JSON document, not only floats.
    result: dict[str, dict[str, Any]] = {MODEL: scores(p, y), BASE_RATE: scores(base, y), ALWAYS_UP: scores(up, y)}
    model = result[MODEL]
    model["brier_skill"] = None if result[BASE_RATE]["brier"] == 0 else 1 - model["brier"] / result[BASE_RATE]["brier"]
    model["test"] = diebold_mariano((p - y) ** 2, (base - y) ** 2, horizon).to_dict()
    model["test_always_up"] = diebold_mariano(((p >= 0.5) != (y == 1)) * 1.0, (y != 1) * 1.0, horizon).to_dict()
    model["days"] = len(y)
    model["ups"] = float(np.mean(y)) if len(y) else None
    return result


def comparisons(metrics: dict[str, dict], window: str) -> list[Comparison]:
    """The verdicts of a `report`: against the base rate by Brier score, against always-up by error rate."""
    m = metrics[MODEL]
    return [
        Comparison("the base rate", window, m["brier"], metrics[BASE_RATE]["brier"], DMTest.from_dict(m["test"]),
                   score="Brier"),
        Comparison("always up", window, 1 - m["accuracy"], 1 - metrics[ALWAYS_UP]["accuracy"],
                   DMTest.from_dict(m["test_always_up"]), score="error rate"),
    ]  # fmt: skip


def reliability(p: np.ndarray, outcomes: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Predicted against observed frequency in `bins` equal-width bins of P(up); empty bins are left out."""
    p, y = np.asarray(p, dtype="float64"), np.asarray(outcomes, dtype="float64")
    which = np.minimum((p * bins).astype(int), bins - 1)
    found = []
    for b in range(bins):
        inside = which == b
        if inside.any():
            found.append({"low": b / bins, "high": (b + 1) / bins, "count": int(inside.sum()),
                          "predicted": float(p[inside].mean()), "observed": float(y[inside].mean())})  # fmt: skip
    return found
