"""Windows stage: the target series, scaling and sliding windows, as pure functions (no I/O, no mutation).

Input: the canonical price frame and a `TrainConfig`. Output: a `TrainingSet` of scaled windows, split
chronologically into training and validation parts, and the scaler fitted on training rows only.
Leakage is impossible by construction: nothing after `train_end` is read, and validation is the tail.

Two targets (`config.target`):
- `price`: the lecture recipe, price levels min-max scaled to [0, 1];
- `return`: daily log returns log(p_t / p_t-1), divided by their standard deviation on the training rows and not
  centred, so a prediction of 0 is "tomorrow = today" (persistence); prices are rebuilt from the last actual price.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from .config import MIN_TRAIN_TARGETS, TrainConfig
from .errors import DataError, UsageError


def parse_day(text: str | None, option: str) -> pd.Timestamp | None:
    """An ISO date from the command line, or a `UsageError` that names the option."""
    if text is None:
        return None
    try:
        return pd.Timestamp(text).normalize()
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a date; use YYYY-MM-DD") from None


def target_values(prices: np.ndarray, target: str) -> np.ndarray:
    """What the model learns, aligned with `prices` (n,): the prices themselves, or the log return into each day
    (NaN on the first day, which has no yesterday)."""
    prices = np.asarray(prices, dtype="float64")
    if target == "price":
        return prices
    return np.concatenate([[np.nan], np.diff(np.log(prices))])


def to_prices(target: str, values: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Unscaled predictions (n,) -> prices, given the actual price before each one (only `return` needs it)."""
    values = np.asarray(values, dtype="float64")
    return values if target == "price" else np.asarray(previous, dtype="float64") * np.exp(values)


def path_to_prices(target: str, values: np.ndarray, origin_price: float) -> np.ndarray:
    """An unscaled recursive path (n,) -> prices: each return compounds on the previous predicted price."""
    values = np.asarray(values, dtype="float64")
    return values if target == "price" else origin_price * np.exp(np.cumsum(values))


def fit_scaler(values: np.ndarray, target: str = "price") -> MinMaxScaler | StandardScaler:
    """The scaler of a 1-D training series `values` (n,): min-max to [0, 1] for prices; for returns, division by
    their standard deviation with no centring, so that a zero return stays zero."""
    column = np.asarray(values, dtype="float64").reshape(-1, 1)
    if target == "price":
        return MinMaxScaler(feature_range=(0, 1)).fit(column)
    return StandardScaler(with_mean=False).fit(column)


def scale(scaler: MinMaxScaler | StandardScaler, values: np.ndarray) -> np.ndarray:
    """(n,) values -> (n,) scaled float32 values."""
    return scaler.transform(np.asarray(values, dtype="float64").reshape(-1, 1)).ravel().astype("float32")


def unscale(scaler: MinMaxScaler | StandardScaler, values: np.ndarray) -> np.ndarray:
    """(n,) scaled values -> (n,) values (float64)."""
    return scaler.inverse_transform(np.asarray(values, dtype="float64").reshape(-1, 1)).ravel()


def scaler_to_dict(scaler: MinMaxScaler | StandardScaler) -> dict:
    """The fitted parameters as plain JSON numbers: loading them runs no code (unlike a pickle)."""
    if isinstance(scaler, StandardScaler):
        return {"kind": "scale", "scale": float(scaler.scale_[0])}
    return {
        "kind": "minmax",
        "feature_range": list(scaler.feature_range),
        "data_min": float(scaler.data_min_[0]),
        "data_max": float(scaler.data_max_[0]),
    }


def scaler_from_dict(params: dict) -> MinMaxScaler | StandardScaler:
    """Rebuild the scaler that `scaler_to_dict` described, by fitting it on two points with the same statistics."""
    if params.get("kind") == "scale":
        spread = params["scale"]
        return StandardScaler(with_mean=False).fit(np.array([[spread], [-spread]], dtype="float64"))
    if params.get("kind") != "minmax":
        raise DataError(f"unknown scaler kind {params.get('kind')!r}; retrain the model")
    scaler = MinMaxScaler(feature_range=tuple(params["feature_range"]))
    return scaler.fit(np.array([[params["data_min"]], [params["data_max"]]], dtype="float64"))


def make_windows(series: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """(n,) series -> inputs (n - window, window) and targets (n - window,).

    Input i is series[i : i + window], its target series[i + window]. Both are views of `series`, not copies.
    """
    inputs = np.lib.stride_tricks.sliding_window_view(series[:-1], window)
    return inputs, series[window:]


@dataclass(frozen=True)
class TrainingSet:
    scaler: MinMaxScaler | StandardScaler  # fitted on the training period's target values only
    x_train: np.ndarray  # (n_train, window) scaled
    y_train: np.ndarray  # (n_train,) scaled
    x_val: np.ndarray  # (n_val, window) scaled: the chronological tail
    y_val: np.ndarray  # (n_val,) scaled
    val_dates: pd.DatetimeIndex  # (n_val,) the day each validation target belongs to
    prices: pd.Series  # the training period's prices (unscaled), indexed by date
    start: pd.Timestamp  # first and last day actually used
    end: pd.Timestamp


def price_column(frame: pd.DataFrame, column: str, where: str) -> pd.Series:
    """The price column a model learns or predicts, or a `DataError` when the data lacks it."""
    if column not in frame.columns:
        hint = " (Yahoo's adjusted prices have no adj_close: use close, or --raw)" if column == "adj_close" else ""
        raise DataError(f"{where}: no {column!r} prices{hint}")
    return frame[column]


def training_period(frame: pd.DataFrame, config: TrainConfig, where: str) -> pd.Series:
    """The prices of `config.column` between `train_start` and `train_end`, or a `DataError` when too few."""
    start = parse_day(config.train_start, "--train-start")
    end = parse_day(config.train_end, "--train-end")
    if start is not None and end is not None and start > end:
        raise UsageError(f"--train-start {start:%Y-%m-%d} is after --train-end {end:%Y-%m-%d}")
    column = price_column(frame, config.column, where)
    prices = column.loc[start:end]
    if len(prices) < config.min_train_rows:
        span = f"between {prices.index[0]:%Y-%m-%d} and {prices.index[-1]:%Y-%m-%d}" if len(prices) else "in range"
        raise DataError(
            f"{where}: only {len(prices)} rows {span}; a {config.window}-day window needs at least "
            f"{config.min_train_rows} training rows ({config.lookback} for one window, {MIN_TRAIN_TARGETS} to predict)"
        )
    if prices.isna().any():
        day = prices.index[prices.isna().argmax()]
        raise DataError(f"{where}: column {config.column!r} is empty on {day:%Y-%m-%d}")
    return prices


def training_set(frame: pd.DataFrame, config: TrainConfig, where: str = "data") -> TrainingSet:
    """Scale and window the training period; the last `val_fraction` of windows become validation."""
    prices = training_period(frame, config, where)
    skip = config.lookback - config.window  # the return target's first day has no value
    values = target_values(prices.to_numpy(), config.target)[skip:]
    scaler = fit_scaler(values, config.target)
    inputs, targets = make_windows(scale(scaler, values), config.window)
    n_val = max(2, math.ceil(len(targets) * config.val_fraction))
    split = len(targets) - n_val
    return TrainingSet(
        scaler=scaler,
        x_train=inputs[:split],
        y_train=targets[:split],
        x_val=inputs[split:],
        y_val=targets[split:],
        val_dates=prices.index[skip + config.window + split :],
        prices=prices,
        start=prices.index[0],
        end=prices.index[-1],
    )
