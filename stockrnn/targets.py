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

    def encode(self, prices: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def fit_scaler(self, values: np.ndarray) -> Any:
        raise NotImplementedError

    def decode_one_step(self, values: np.ndarray, previous: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def decode_path(self, values: np.ndarray, origin_price: float) -> np.ndarray:
        raise NotImplementedError

    def report(self, actual: np.ndarray, predicted: np.ndarray, previous: np.ndarray) -> dict[str, dict]:
        """The scores of one-step predictions (n,) beside persistence; `previous` (n,) = yesterday's prices."""
        from .metrics import one_step_report

        return one_step_report(actual, predicted, previous)


class PriceTarget(Target):
    """The lecture's: price levels, min-max scaled to [0, 1] on the training rows."""

    def encode(self, prices: np.ndarray) -> np.ndarray:
        return np.asarray(prices, dtype="float64")

    def fit_scaler(self, values: np.ndarray) -> Any:
        from sklearn.preprocessing import MinMaxScaler

        return MinMaxScaler(feature_range=(0, 1)).fit(_column(values))

    def decode_one_step(self, values: np.ndarray, previous: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype="float64")

    def decode_path(self, values: np.ndarray, origin_price: float) -> np.ndarray:
        return np.asarray(values, dtype="float64")


class ReturnTarget(Target):
    """Daily log returns log(p_t / p_t-1), divided by their standard deviation on the training rows and not
    centred, so that a prediction of 0 is "tomorrow = today" (persistence)."""

    def encode(self, prices: np.ndarray) -> np.ndarray:
        return np.concatenate([[np.nan], np.diff(np.log(np.asarray(prices, dtype="float64")))])

    def fit_scaler(self, values: np.ndarray) -> Any:
        from sklearn.preprocessing import StandardScaler

        return StandardScaler(with_mean=False).fit(_column(values))

    def decode_one_step(self, values: np.ndarray, previous: np.ndarray) -> np.ndarray:
        return np.asarray(previous, dtype="float64") * np.exp(np.asarray(values, dtype="float64"))

    def decode_path(self, values: np.ndarray, origin_price: float) -> np.ndarray:
        return origin_price * np.exp(np.cumsum(np.asarray(values, dtype="float64")))


TARGETS: dict[str, Target] = {
    "price": PriceTarget("price", "scaled price levels (the lecture)"),
    "return": ReturnTarget("return", "daily log returns, scaled without centring", extra_days=1),
}


def get(name: str) -> Target:
    """The target called `name`, or a `UsageError` that lists the known ones."""
    if name not in TARGETS:
        raise UsageError(f"--target must be one of {', '.join(TARGETS)}, not {name!r}")
    return TARGETS[name]


def _column(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype="float64").reshape(-1, 1)


def scale(scaler: Any, values: np.ndarray) -> np.ndarray:
    """(n,) values -> (n,) scaled float32 values."""
    return scaler.transform(_column(values)).ravel().astype("float32")


def unscale(scaler: Any, values: np.ndarray) -> np.ndarray:
    """(n,) scaled values -> (n,) values (float64)."""
    return scaler.inverse_transform(_column(values)).ravel()


def scaler_to_dict(scaler: Any) -> dict:
    """The fitted parameters as plain JSON numbers: loading them runs no code (unlike a pickle)."""
    from sklearn.preprocessing import StandardScaler

    if isinstance(scaler, StandardScaler):
        return {"kind": "scale", "scale": float(scaler.scale_[0])}
    return {
        "kind": "minmax",
        "feature_range": list(scaler.feature_range),
        "data_min": float(scaler.data_min_[0]),
        "data_max": float(scaler.data_max_[0]),
    }


def scaler_from_dict(params: dict) -> Any:
    """Rebuild the scaler that `scaler_to_dict` described, by fitting it on two points with the same statistics."""
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    if params.get("kind") == "scale":
        spread = params["scale"]
        return StandardScaler(with_mean=False).fit(np.array([[spread], [-spread]], dtype="float64"))
    if params.get("kind") != "minmax":
        raise DataError(f"unknown scaler kind {params.get('kind')!r}; retrain the model")
    scaler = MinMaxScaler(feature_range=tuple(params["feature_range"]))
    return scaler.fit(np.array([[params["data_min"]], [params["data_max"]]], dtype="float64"))
