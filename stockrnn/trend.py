"""Evaluate stage for the direction target: calibrated probabilities of a rise, and the scores that judge them.

Input: the network's raw outputs (n,) in (0, 1) and the outcomes (n,) (1: the price was higher `horizon` trading
days later). Output: a Platt calibrator as plain JSON, calibrated probabilities, and `Chances` (typed scores) beside
the base rate (the training period's share of rises over `horizon` days) and always-up: Brier score and Brier skill,
log loss, accuracy, and the Diebold-Mariano test of the Brier difference. Labels `horizon` days ahead overlap, so the
test's long-run variance takes horizon - 1 lags, as for h-step forecasts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from .baselines import AlwaysUp, BaseRate
from .significance import Comparison, DMTest, diebold_mariano

MODEL, BASE_RATE, ALWAYS_UP = "p_up", "base_rate", "always_up"  # "model" is the old name of one_step
PROBABILITY_METHODS = {
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


@dataclass(frozen=True)
class Chances:
    """One method's scores as probabilities of a rise: Brier score, log loss and accuracy (a rise called when
    P >= 0.5); the model's also its Brier skill against the base rate, its two DM tests and the days' counts."""

    brier: float
    log_loss: float
    accuracy: float
    brier_skill: float | None = None  # 1 - Brier / the base rate's Brier; None: not worked out
    test: DMTest | None = None  # of the Brier difference to the base rate
    test_always_up: DMTest | None = None  # of the misclassifications against always-up's
    days: int | None = None  # scored
    ups: float | None = None  # the share of them with a rise

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: the three scores, then what was worked out."""
        found: dict[str, Any] = {"brier": self.brier, "log_loss": self.log_loss, "accuracy": self.accuracy}
        for name in ("brier_skill", "test", "test_always_up", "days", "ups"):
            value = getattr(self, name)
            if value is not None:
                found[name] = value.to_dict() if isinstance(value, DMTest) else value
        return found

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chances:
        """Chances as `to_dict` wrote them (a manifest, a retrain record)."""
        test, always_up = (DMTest.from_dict(data[k]) if data.get(k) else None for k in ("test", "test_always_up"))
        known = {f.name for f in dataclasses.fields(cls)} - {"test", "test_always_up"}
        return cls(**{k: v for k, v in data.items() if k in known}, test=test, test_always_up=always_up)


def scores(p: np.ndarray, outcomes: np.ndarray) -> Chances:
    """Brier score, log loss and accuracy (a rise called when P >= 0.5) of probabilities `p` (n,)."""
    p, y = np.asarray(p, dtype="float64"), np.asarray(outcomes, dtype="float64")
    clipped = np.clip(p, EPSILON, 1 - EPSILON)
    return Chances(
        brier=float(np.mean((p - y) ** 2)),
        log_loss=float(-np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))),
        accuracy=float(np.mean((p >= 0.5) == (y == 1))),
    )


def report(p: np.ndarray, outcomes: np.ndarray, base_rate: float | np.ndarray, horizon: int) -> dict[str, Chances]:
    """The model's probabilities beside the base rate (one, or one per day: pooled folds each have their own) and
    always-up on the same days (baselines.py); the model's entry has its Brier skill against the base rate and the
    DM tests (`test`: of the Brier difference to the base rate; `test_always_up`: of the misclassifications against
    always-up's)."""
    p, y = np.asarray(p, dtype="float64"), np.asarray(outcomes, dtype="float64")
    base, up = BaseRate(base_rate).predict(len(y)), AlwaysUp().predict(len(y))
    baseline, chances = scores(base, y), scores(p, y)
    model = dataclasses.replace(
        chances,
        brier_skill=None if baseline.brier == 0 else 1 - chances.brier / baseline.brier,
        test=diebold_mariano((p - y) ** 2, (base - y) ** 2, horizon).recorded(),
        test_always_up=diebold_mariano(((p >= 0.5) != (y == 1)) * 1.0, (y != 1) * 1.0, horizon).recorded(),
        days=len(y),
        ups=float(np.mean(y)) if len(y) else None,
    )
    return {MODEL: model, BASE_RATE: baseline, ALWAYS_UP: scores(up, y)}


def comparisons(metrics: dict[str, Chances], window: str) -> list[Comparison]:
    """The verdicts of a `report`: against the base rate by Brier score, against always-up by error rate."""
    m = metrics[MODEL]
    untested = DMTest.from_dict(None)
    return [
        Comparison("the base rate", window, m.brier, metrics[BASE_RATE].brier, m.test or untested, score="Brier"),
        Comparison("always up", window, 1 - m.accuracy, 1 - metrics[ALWAYS_UP].accuracy,
                   m.test_always_up or untested, score="error rate"),
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
