"""Prediction intervals that follow the market: split conformal, with scores scaled by an EWMA volatility forecast.

Both bands live where prices do, in log space: a score is a log move (or a log error) over the EWMA volatility, and
a band is exp(log(center) -/+ q * sigma), so its lower end is above zero at every price level and volatility, and
the band is wider above the center than below it, in price. Two bands, chosen by measurement on calm and turbulent
periods of both bundled indices (docs/intervals.md):
- the **forecast band**, around the recursive path fixed at the origin (what is known in advance): for step h, the
  conformal quantile of the price's h-day log moves over the history (from the training start to the origin), each
  divided by the EWMA volatility on the day it started, times the volatility at the origin;
- the **one-step band**, around each day's one-step-ahead prediction made the evening before (a forecast updated as
  actuals arrive): the conformal quantile of the model's validation-tail one-step log errors, each divided by the
  EWMA volatility of the day before, times yesterday's; adaptive conformal inference (Gibbs & Candes 2021) moves the
  level after every miss or hit.

Input at training: the training prices and the validation tail's out-of-sample one-step errors. Output: a
calibration, plain JSON stored in the manifest. At forecast time: the calibration, the predictions and the prices
known before each of them. Output: lower and upper bounds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

LAMBDA = 0.94  # RiskMetrics' daily decay for the EWMA variance
GAMMA = 0.05  # adaptive conformal inference's step (bench/bench_intervals.py: 0.01 and 0.05 tried)
PATH = "ewma-path"
LOG = "log"  # the one-step scores' `space` since the bands moved to log space; before it they were price errors
STEPS = "ewma-steps"  # a multi-day head's band (direct, encoder-decoder): its own errors at each step
# Fewest validation origins per step for a multi-day head's band without a warning: at 80% the conformal quantile
# is then the 17th smallest of 20 scores, and its coverage is between 80% and 85% (level + 1 / (n + 1)); with 4,
# the fewest for which an 80% band exists at all, it is the largest error seen, and coverage anywhere to 100%.
MIN_ORIGINS = 20
BAND_METHODS = {
    STEPS: "conformal quantile of the validation tail's log errors at each step of the network's H-day outputs, each "
    "divided by the EWMA volatility (lambda 0.94) on its origin; the band exp(log(forecast) -/+ quantile * the "
    "origin's volatility); past the head's last step, the h-day log moves since the training start",
    PATH: "conformal quantile of the price's h-day log moves since the training start, each divided by the EWMA "
    "volatility (lambda 0.94) on its first day; the band exp(log(forecast) -/+ quantile * the origin's volatility)",
    "constant": "the validation tail's absolute one-step errors, widened by sqrt(step), read as a log move at the "
    "forecast: the same band in calm and turbulent markets (models trained before stockrnn 0.2)",
}
ONE_STEP_METHOD = (
    "conformal quantile of the validation tail's one-step log errors, each divided by the EWMA volatility of the "
    "day before; the band exp(log(prediction) -/+ quantile * yesterday's volatility); adaptive conformal inference "
    "(step 0.05) after each actual"
)


def ewma_variance(prices: np.ndarray, lam: float = LAMBDA) -> np.ndarray:
    """The EWMA forecast of the next day's squared log return, made on each day: (n,) prices -> (n,) variances;
    entry t uses the returns up to day t only. The first 20 returns' mean square starts the filter."""
    returns = np.diff(np.log(np.asarray(prices, dtype="float64")))
    variance = np.empty(len(prices))
    variance[0] = float(np.mean(returns[:20] ** 2)) if len(returns) else 0.0
    for t, r in enumerate(returns, start=1):
        variance[t] = lam * variance[t - 1] + (1 - lam) * r * r
    return variance


def conformal_quantile(scores: np.ndarray | list[float], level: float) -> float | None:
    """The ceil((n + 1) * level)-th smallest score, so that a new exchangeable score is at most it with probability
    >= level; None when there are too few scores for that level."""
    ordered = np.sort(np.asarray(scores, dtype="float64"))
    rank = math.ceil((len(ordered) + 1) * level)
    return float(ordered[rank - 1]) if 1 <= rank <= len(ordered) else None


def positive(center: np.ndarray, prices: np.ndarray) -> np.ndarray:
    """`center` (n,) with every value at or below zero (a price-level model can predict one) raised to the lowest
    price in `prices`: a log band needs a price to stand on, and the lowest one seen is the nearest the market
    has shown."""
    floor = float(np.nanmin(np.where(prices > 0, prices, np.nan))) if np.any(prices > 0) else 1e-12
    return np.where(center > 0, center, floor)


def log_band(center: np.ndarray, half: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """exp(log(center) -/+ half): `half` (n,) a half-width in log units, `center` (n,) positive prices."""
    return center * np.exp(-half), center * np.exp(half)


def calibrate(history: np.ndarray, val_errors: np.ndarray, val_positions: np.ndarray) -> dict[str, Any]:
    """The calibration stored with a model: `history` = the training prices, `val_errors[i]` the one-step error
    (predicted - actual, in price) on day `val_positions[i]` of `history`; the scores are the log errors
    |log(predicted / actual)| over the EWMA volatility of the day before. The forecast band needs no stored scores:
    the moves before the origin are in the prices it is given."""
    history = np.asarray(history, dtype="float64")
    positions = np.asarray(val_positions)
    actual = history[positions]
    predicted = positive(actual + np.asarray(val_errors, dtype="float64"), history)
    scores = np.abs(np.log(predicted / actual)) / np.sqrt(ewma_variance(history)[positions - 1])
    one_step = {"lambda": LAMBDA, "gamma": GAMMA, "space": LOG, "scores": sorted(round(float(v), 6) for v in scores)}
    return {"method": PATH, "lambda": LAMBDA, "one_step": one_step}


def with_steps(calibration: dict[str, Any], history: np.ndarray, paths: np.ndarray, origins: np.ndarray) -> dict:
    """`calibration` (from `calibrate`) turned into a direct head's: its forecast band from the model's own errors
    at each step. `history`: the training prices (n,); `paths` (m, H): the head's price paths made on the validation
    tail's origins, day `origins[i]` of `history` (m,), each of whose H next prices lies inside `history`. Step h's
    scores are |log(paths[i, h] / history[origins[i] + h + 1])| over the EWMA volatility on the origin."""
    history = np.asarray(history, dtype="float64")
    paths, origins = np.asarray(paths, dtype="float64"), np.asarray(origins)
    sigma = np.sqrt(ewma_variance(history, calibration.get("lambda", LAMBDA)))[origins]  # (m,)
    actual = history[origins[:, None] + np.arange(1, paths.shape[1] + 1)]  # (m, H)
    scores = np.abs(np.log(positive(paths, history) / actual)) / sigma[:, None]
    steps = [sorted(round(float(v), 6) for v in column) for column in scores.T]
    return {**calibration, "method": STEPS, "steps": steps}


def pooled(calibrations: Sequence[dict[str, Any] | None]) -> dict[str, Any] | None:
    """Many series' calibrations (`calibrate`, `with_steps`: a global model's members') as one, their scores
    together: the scores are log errors over each series' own EWMA volatility, in one unit whatever the price
    level, so that a series none of them is (a symbol outside the training panel) gets a band as a member's is
    made. None when none has a calibration; only those of the first one's method and steps are pooled."""
    found = [c for c in calibrations if c]
    if not found or found[0].get("method") == "constant":  # a "constant" band's price errors: not comparable
        return None
    first = found[0]
    same = [c for c in found if c.get("method") == first.get("method") and len(c.get("steps", [])) == len(
        first.get("steps", []))]  # fmt: skip
    merged = dict(first)
    if first.get("one_step"):
        scores = sorted(v for c in same for v in (c.get("one_step") or {}).get("scores", []))
        merged["one_step"] = {**first["one_step"], "scores": scores}
    if first.get("steps"):
        merged["steps"] = [sorted(v for c in same for v in c["steps"][h]) for h in range(len(first["steps"]))]
    return merged


def thin_steps(calibration: dict[str, Any] | None) -> str | None:
    """What a multi-day head's band (`with_steps`) should say when it rests on fewer than MIN_ORIGINS validation
    origins per step; None for enough origins and for every other band (the h-day moves of the whole history)."""
    if not calibration or calibration.get("method") != STEPS or not calibration.get("steps"):
        return None
    origins = len(calibration["steps"][0])
    if origins >= MIN_ORIGINS:
        return None
    return (
        f"the forecast band of the network's {len(calibration['steps'])} days rests on {origins} validation "
        f"origin{'s' * (origins != 1)} per step (fewer than {MIN_ORIGINS}), so how often it holds the price is "
        f"barely measured; a longer validation tail (more training rows, or a later "
        f"--train-end) gives it {MIN_ORIGINS} or more"
    )


def path_scores(history: np.ndarray, step: int, sigma: np.ndarray) -> np.ndarray:
    """|log(p[t + step] / p[t])| / sigma[t] for every move of `step` days that ends inside `history`; `sigma`
    (n,): the EWMA volatility of each day (sqrt of `ewma_variance`)."""
    logs = np.log(np.asarray(history, dtype="float64"))
    starts = np.arange(0, len(logs) - step)
    return np.abs(logs[starts + step] - logs[starts]) / sigma[starts]


def band(
    calibration: dict[str, Any], path: np.ndarray, history: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray] | None:
    """(lower, upper) around the forecast `path` (n,) made at the last day of `history` (the prices from the
    training start to the origin); None when there are too few scores for `level`. A direct head's calibration
    (`with_steps`) gives its first H steps its own validation-tail errors; later steps, the price's h-day moves."""
    history = np.asarray(history, dtype="float64")
    path = positive(np.asarray(path, dtype="float64"), history)
    steps = np.arange(1, len(path) + 1)
    if calibration["method"] == "constant":
        # Stored price errors with no price beside them: read at the forecast, as the log move from the path to the
        # old band's upper end; the upper end is the old one, the lower end its mirror in log space.
        q = conformal_quantile(calibration["scores"], level)
        return None if q is None else log_band(path, np.log1p(q * np.sqrt(steps) / path))
    sigma = np.sqrt(ewma_variance(history, calibration["lambda"]))
    own = calibration.get("steps", []) if calibration["method"] == STEPS else []  # a direct head's step errors
    quantiles = [
        conformal_quantile(own[h - 1], level)
        if h <= len(own)
        else conformal_quantile(path_scores(history, h, sigma), level)
        for h in (int(h) for h in steps)
    ]
    if any(q is None for q in quantiles):
        return None
    return log_band(path, np.asarray(quantiles, dtype="float64") * sigma[-1])


def one_step_band(
    calibration: dict[str, Any],
    predicted: np.ndarray,
    prices: np.ndarray,
    level: float,
    actual: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray] | None:
    """Bands around one-step-ahead predictions (n,), each from what was known the evening before: `prices` ends
    on the day before the last prediction (the history, then the actuals). With the `actual` prices, adaptive
    conformal inference aims each next band at a miss rate moved by gamma * (1 - level - missed). None for a
    calibration without one-step scores (models trained before stockrnn 0.2) or with too few for `level`.
    Scores stored before the bands moved to log space (no `space`) are price errors over the price and volatility
    of the day before, a relative error over volatility: each is converted to the log move log(1 + score * sigma)
    at the day's volatility sigma."""
    settings = calibration.get("one_step")
    if not settings or conformal_quantile(settings["scores"], level) is None:
        return None
    prices = np.asarray(prices, dtype="float64")
    predicted = positive(np.asarray(predicted, dtype="float64"), prices)
    n = len(predicted)
    volatility = np.sqrt(ewma_variance(prices, settings["lambda"])[-n:])
    ordered = np.sort(np.asarray(settings["scores"], dtype="float64"))
    relative = settings.get("space") != LOG
    aim, gamma = 1 - level, settings["gamma"]
    lower, upper = np.empty(n), np.empty(n)
    for t in range(n):
        rank = min(len(ordered), max(1, math.ceil((len(ordered) + 1) * (1 - aim))))
        half = ordered[rank - 1] * volatility[t]
        half = math.log1p(half) if relative else half
        lower[t], upper[t] = predicted[t] * math.exp(-half), predicted[t] * math.exp(half)
        if actual is not None and np.isfinite(actual[t]):
            missed = not lower[t] <= actual[t] <= upper[t]
            aim = min(max(aim + gamma * ((1 - level) - missed), 0.0), 1.0)
    return lower, upper


def scores_behind(calibration: dict[str, Any], history_days: int, steps: int) -> tuple[int, str]:
    """How many scores calibrate the widest step of the forecast band, and what they are, in words."""
    if calibration["method"] == "constant":
        return len(calibration["scores"]), "validation-tail errors"
    if calibration["method"] == STEPS and steps <= len(calibration["steps"]):
        return len(calibration["steps"][steps - 1]), f"validation-tail errors {steps} steps ahead"
    return max(0, history_days - steps), f"{steps}-day moves since the training start"


def winkler(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray, level: float) -> np.ndarray:
    """The interval score of each day (Gneiting & Raftery 2007): the band's width plus 2 / (1 - level) times how far
    the actual fell outside it. Lower is better: a band cannot win by being wide, nor by being narrow and missing."""
    actual, lower, upper = (np.asarray(a, dtype="float64") for a in (actual, lower, upper))
    alpha = 1 - level
    return (upper - lower) + (2 / alpha) * (np.maximum(lower - actual, 0) + np.maximum(actual - upper, 0))
