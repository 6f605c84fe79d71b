"""Windows stage: scaling and sliding windows, as pure functions on arrays and frames (no I/O, no mutation).

Input: the canonical price frame and a `TrainConfig`. Output: a `TrainingSet` of scaled windows, split
chronologically into training and validation parts, and the scaler fitted on training rows only.
Leakage is impossible by construction: nothing after `train_end` is read, and validation is the tail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.preprocessing import MinMaxScaler

from .config import TrainConfig
from .errors import DataError, UsageError


def parse_day(text: str | None, option: str) -> pd.Timestamp | None:
    """An ISO date from the command line, or a `UsageError` that names the option."""
    if text is None:
        return None
    try:
        return pd.Timestamp(text).normalize()
    except ValueError:
        raise UsageError(f"{option} {text!r} is not a date; use YYYY-MM-DD") from None


def fit_scaler(values: np.ndarray) -> MinMaxScaler:
    """Min-max scaler to [0, 1] for a 1-D price series `values` (n,)."""
    return MinMaxScaler(feature_range=(0, 1)).fit(np.asarray(values, dtype="float64").reshape(-1, 1))


def scale(scaler: MinMaxScaler, values: np.ndarray) -> np.ndarray:
    """(n,) prices -> (n,) scaled float32 values."""
    return scaler.transform(np.asarray(values, dtype="float64").reshape(-1, 1)).ravel().astype("float32")


def unscale(scaler: MinMaxScaler, values: np.ndarray) -> np.ndarray:
    """(n,) scaled values -> (n,) prices (float64)."""
    return scaler.inverse_transform(np.asarray(values, dtype="float64").reshape(-1, 1)).ravel()


def scaler_to_dict(scaler: MinMaxScaler) -> dict:
    """The fitted parameters as plain JSON numbers: loading them runs no code (unlike a pickle)."""
    return {
        "kind": "minmax",
        "feature_range": list(scaler.feature_range),
        "data_min": float(scaler.data_min_[0]),
        "data_max": float(scaler.data_max_[0]),
    }


def scaler_from_dict(params: dict) -> MinMaxScaler:
    """Rebuild the scaler that `scaler_to_dict` described, by fitting it on its own two extremes."""
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
    scaler: MinMaxScaler  # fitted on the training period's prices only
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
            f"{config.min_train_rows} training rows (window + {config.min_train_rows - config.window} targets)"
        )
    if prices.isna().any():
        day = prices.index[prices.isna().argmax()]
        raise DataError(f"{where}: column {config.column!r} is empty on {day:%Y-%m-%d}")
    return prices


def training_set(frame: pd.DataFrame, config: TrainConfig, where: str = "data") -> TrainingSet:
    """Scale and window the training period; the last `val_fraction` of windows become validation."""
    prices = training_period(frame, config, where)
    scaler = fit_scaler(prices.to_numpy())
    inputs, targets = make_windows(scale(scaler, prices.to_numpy()), config.window)
    n_val = max(2, math.ceil(len(targets) * config.val_fraction))
    split = len(targets) - n_val
    return TrainingSet(
        scaler=scaler,
        x_train=inputs[:split],
        y_train=targets[:split],
        x_val=inputs[split:],
        y_val=targets[split:],
        val_dates=prices.index[config.window + split :],
        prices=prices,
        start=prices.index[0],
        end=prices.index[-1],
    )
