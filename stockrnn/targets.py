"""Targets: what the network learns from a price series, and how its outputs become prices again.

One small object per target, each with the same few methods (the pattern of darts' invertible transformers:
fit / transform / inverse_transform as a pair), so that a new target is one new object, not a branch in every stage:
- `encode` a price series (n,) into the values the network learns (n,), NaN where a day has none;
- `fit_scaler` on the training rows' values, `scale` / `unscale` through it (generic below);
- `decode_one_step` predictions that each started from an actual price, `decode_path` a recursive path;
- the output layer's `activation`, the `loss`, the `report` it is judged by and the `promotion_metric`.

Input: prices as arrays. Output: arrays, and scalers as plain JSON (nothing that runs code when loaded).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import DataError, UsageError


@dataclass(frozen=True)
class Target:
    """A regression on the next day's value, judged one step ahead against persistence by RMSE."""

    name: str
    help: str  # one line for --help and docs
    extra_days: int = 0  # prices one window needs beyond `window`, because the first value needs a day before it
    activation: str = "linear"  # of the output layer
    loss: str = "mean_squared_error"
    promotion_metric: str = "rmse"  # lower is better: retrain promotes on it
    asks_horizon: bool = False  # takes --horizon-days: its label lies that many trading days after the window
    probability: bool = False  # the network outputs P(up), not a value: forecasts and scores are trend.py's
    scored: str = "one_step"  # the method of its metrics that retrain compares (metrics.ONE_STEP, trend.MODEL)
    baseline: str = "persistence"  # and the baseline beside it (metrics.PERSISTENCE, trend.BASE_RATE)

    def encode(self, prices: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def labels(self, scaled: np.ndarray, values: np.ndarray, horizon: int) -> np.ndarray:
        """What the network learns for the window ending at each day o = 0 .. n - 1 - horizon of the encoded
        series (n,): here the next scaled value, scaled[o + 1] (horizon 1). (n - horizon,)"""
        return scaled[1:]

    def fit_scaler(self, values: np.ndarray) -> Scaler:
        """The scaler of the training rows' encoded values (n,), NaN ignored."""
        raise NotImplementedError

    def decode_one_step(self, values: np.ndarray, previous: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def decode_path(self, values: np.ndarray, origin_price: float) -> np.ndarray:
        raise NotImplementedError

    def validate(self, config: Any, data: Any, outputs: np.ndarray) -> tuple[dict, dict | None, dict | None]:
        """The validation tail's metrics, the prediction intervals' calibration and (probability targets) the output
        calibrator, from the network's `outputs` (n_val,) on the tail of `data` (windows.TrainingSet)."""
        from . import intervals

        actual = data.prices.loc[data.val_dates].to_numpy()
        previous = data.prices.shift(1).loc[data.val_dates].to_numpy()  # yesterday's actual price
        predicted = self.decode_one_step(unscale(data.scaler, outputs), previous)
        # The validation tail's out-of-sample one-step errors calibrate the prediction intervals.
        where = data.prices.index.get_indexer(data.val_dates)
        interval = intervals.calibrate(data.prices.to_numpy(), predicted - actual, where)
        return self.report(actual, predicted, previous), interval, None

    def comparisons(self, metrics: dict[str, dict], window: str, config: Any) -> list[Any]:
        """The verdicts of validation `metrics` (significance.Comparison) on `window`, in words."""
        from .significance import Comparison

        scored = (metrics[self.scored], metrics[self.baseline])
        return [Comparison.from_scores(*scored, self.baseline, f"{window}, one step ahead")]

    def report(self, actual: np.ndarray, predicted: np.ndarray, previous: np.ndarray) -> dict[str, dict]:
        """The scores of one-step predictions (n,) beside persistence; `previous` (n,) = yesterday's prices."""
        from .metrics import one_step_report

        return one_step_report(actual, predicted, previous)


class PriceTarget(Target):
    """The lecture's: price levels, min-max scaled to [0, 1] on the training rows."""

    def encode(self, prices: np.ndarray) -> np.ndarray:
        return np.asarray(prices, dtype="float64")

    def fit_scaler(self, values: np.ndarray) -> Scaler:
        low, high = np.nanmin(values), np.nanmax(values)
        return Scaler({"kind": "minmax", "feature_range": [0.0, 1.0], "data_min": float(low), "data_max": float(high)})

    def decode_one_step(self, values: np.ndarray, previous: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype="float64")

    def decode_path(self, values: np.ndarray, origin_price: float) -> np.ndarray:
        return np.asarray(values, dtype="float64")


class ReturnTarget(Target):
    """Daily log returns log(p_t / p_t-1), divided by their standard deviation on the training rows and not
    centred, so that a prediction of 0 is "tomorrow = today" (persistence)."""

    def encode(self, prices: np.ndarray) -> np.ndarray:
        return np.concatenate([[np.nan], np.diff(np.log(np.asarray(prices, dtype="float64")))])

    def fit_scaler(self, values: np.ndarray) -> Scaler:
        return Scaler({"kind": "scale", "scale": float(np.nanstd(values))})  # the population deviation (ddof 0)

    def decode_one_step(self, values: np.ndarray, previous: np.ndarray) -> np.ndarray:
        return np.asarray(previous, dtype="float64") * np.exp(np.asarray(values, dtype="float64"))

    def decode_path(self, values: np.ndarray, origin_price: float) -> np.ndarray:
        return origin_price * np.exp(np.cumsum(np.asarray(values, dtype="float64")))


class DirectionTarget(ReturnTarget):
    """Is the price higher `horizon` trading days after the window's last day? The windows are the return
    target's (scaled daily log returns); the label is 1 when the returns of the next `horizon` days sum above 0,
    that is when the price then is above the window's last price. A sigmoid output, binary cross-entropy; its
    probabilities are calibrated, scored and forecast by trend.py."""

    def validate(self, config: Any, data: Any, outputs: np.ndarray) -> tuple[dict, dict | None, dict | None]:
        from . import trend

        base_rate = float(np.concatenate([data.y_train, data.y_val]).mean())  # the training period's share of rises
        calibrator = {
            **trend.fit_platt(outputs, data.y_val, base_rate),
            "base_rate": base_rate,
            "horizon": config.horizon,
        }
        # Scored out of sample: each half of the tail calibrated by a fit on the other half.
        probabilities = trend.cross_fitted(outputs, data.y_val, base_rate)
        return trend.report(probabilities, data.y_val, base_rate, config.horizon), None, calibrator

    def comparisons(self, metrics: dict[str, dict], window: str, config: Any) -> list[Any]:
        from . import trend

        return trend.comparisons(metrics, f"{window}, {config.horizon} days ahead")

    def labels(self, scaled: np.ndarray, values: np.ndarray, horizon: int) -> np.ndarray:
        ahead = np.concatenate([[0.0], np.cumsum(np.nan_to_num(np.asarray(values, dtype="float64")))])
        moves = ahead[horizon + 1 :] - ahead[1 : len(ahead) - horizon]  # log(p[o + horizon] / p[o]) for each o
        return (moves > 0).astype("float32")


TARGETS: dict[str, Target] = {
    "price": PriceTarget("price", "scaled price levels (the lecture)"),
    "return": ReturnTarget("return", "daily log returns, scaled without centring", extra_days=1),
    "direction": DirectionTarget(
        "direction",
        "P(price higher H trading days later), calibrated",
        extra_days=1,
        activation="sigmoid",
        loss="binary_crossentropy",
        promotion_metric="brier",
        asks_horizon=True,
        probability=True,
        scored="p_up",
        baseline="base_rate",
    ),  # fmt: skip
}


def get(name: str) -> Target:
    """The target called `name`, or a `UsageError` that lists the known ones."""
    if name not in TARGETS:
        raise UsageError(f"--target must be one of {', '.join(TARGETS)}, not {name!r}")
    return TARGETS[name]


@dataclass(frozen=True)
class Scaler:
    """An affine map fitted on the training rows, described by plain JSON numbers (nothing that runs code when
    loaded): `minmax` maps [data_min, data_max] onto feature_range (scikit-learn's MinMaxScaler), `scale` divides by
    the deviation without centring (StandardScaler(with_mean=False)); a spread of 0 counts as 1, as theirs do.
    Two lines of arithmetic written here, not imported: scikit-learn's import alone is 1.5 s of every command that
    loads a model (tests/test_targets.py checks both against scikit-learn)."""

    params: dict

    def __post_init__(self) -> None:
        kind = self.params.get("kind")
        if kind not in ("minmax", "scale"):
            raise DataError(f"unknown scaler kind {kind!r}; retrain the model")

    @property
    def _affine(self) -> tuple[float, float, float]:
        """(offset, spread, low): scaled = (value - offset) / spread + low."""
        p = self.params
        if p["kind"] == "scale":
            return 0.0, p["scale"] or 1.0, 0.0
        low, high = p["feature_range"]
        return p["data_min"], ((p["data_max"] - p["data_min"]) or 1.0) / (high - low), low

    def transform(self, values: np.ndarray) -> np.ndarray:
        offset, spread, low = self._affine
        return (np.asarray(values, dtype="float64") - offset) / spread + low

    def inverse(self, values: np.ndarray) -> np.ndarray:
        offset, spread, low = self._affine
        return (np.asarray(values, dtype="float64") - low) * spread + offset


def scale(scaler: Scaler, values: np.ndarray) -> np.ndarray:
    """(n,) values -> (n,) scaled float32 values."""
    return scaler.transform(values).astype("float32")


def unscale(scaler: Scaler, values: np.ndarray) -> np.ndarray:
    """(n,) scaled values -> (n,) values (float64)."""
    return scaler.inverse(np.ravel(values))


def scaler_to_dict(scaler: Scaler) -> dict:
    """The fitted parameters as plain JSON numbers."""
    return dict(scaler.params)


def scaler_from_dict(params: dict) -> Scaler:
    """The scaler that `scaler_to_dict` described (its other keys, e.g. a calibrator, ignored)."""
    keys = {"minmax": ("kind", "feature_range", "data_min", "data_max"), "scale": ("kind", "scale")}
    kind = params.get("kind")
    return Scaler({k: params[k] for k in keys[kind]} if kind in keys else {"kind": kind})
