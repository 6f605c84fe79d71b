"""Windows stage: the target series, scaling and sliding windows, as pure functions (no I/O, no mutation).

Input: the canonical price frame and a `TrainConfig`. Output: a `TrainingSet` of scaled windows, split
chronologically into training and validation parts, and the scaler fitted on training rows only.
Leakage is impossible by construction: nothing after `train_end` is read, and validation is the tail.

What the windows hold and how it is scaled is the target's business (`targets/`): price levels, daily returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

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


def make_windows(series: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """(n,) series -> inputs (n - window, window) and targets (n - window,).

    Input i is series[i : i + window], its target series[i + window]. Both are views of `series`, not copies.
    """
    inputs = np.lib.stride_tricks.sliding_window_view(series[:-1], window)
    return inputs, series[window:]


@dataclass(frozen=True)
class TrainingSet:
    scaler: Any  # the target's Scaler (targets.py), fitted on the training period's target values only
    x_train: np.ndarray  # (n_train, window) scaled
    y_train: np.ndarray  # (n_train,) scaled
    x_val: np.ndarray  # (n_val, window) scaled: the chronological tail
    y_val: np.ndarray  # (n_val,) scaled
    val_dates: pd.DatetimeIndex  # (n_val,) the day each validation label belongs to (its window's last + horizon)
    prices: pd.Series  # the training period's prices (unscaled), indexed by date
    start: pd.Timestamp  # first and last day actually used
    end: pd.Timestamp
    # What the network's outputs learn, in the config's output shape (shapes.py): y_train and y_val themselves
    # for one output per window, (n, window) for every time step's, (n, H) for a direct head's. y_train and y_val
    # stay the one-step labels, whatever the shape: what validation scores.
    fit_train: np.ndarray | None = None  # None: y_train
    fit_val: np.ndarray | None = None  # None: y_val
    # With --features: the covariates' windows beside x_train and x_val, (n_train, window, k) and (n_val, window, k),
    # on the same days, and their scaler (fitted on the training rows only); None without.
    extra_train: np.ndarray | None = None
    extra_val: np.ndarray | None = None
    feature_scaler: Any = None  # features.FeatureScaler

    @property
    def inputs_train(self) -> np.ndarray:
        """What the network reads for the training windows: (n_train, window, 1 + k), the target's own scaled values
        first, then the covariates."""
        return _inputs(self.x_train, self.extra_train)

    @property
    def inputs_val(self) -> np.ndarray:
        """What the network reads for the validation windows: (n_val, window, 1 + k), as `inputs_train`."""
        return _inputs(self.x_val, self.extra_val)

    @property
    def learn_train(self) -> np.ndarray:
        """The training windows' labels in the network's output shape: (n_train,), (n_train, window) or
        (n_train, H)."""
        return self.y_train if self.fit_train is None else self.fit_train

    @property
    def learn_val(self) -> np.ndarray:
        """The validation tail's labels in the network's output shape (see `learn_train`)."""
        return self.y_val if self.fit_val is None else self.fit_val


def _inputs(x: np.ndarray, extra: np.ndarray | None) -> np.ndarray:
    """(n, window) target windows and (n, window, k) covariate windows (or None) -> (n, window, 1 + k) float32."""
    if extra is None:
        return x[..., None]  # (n, window, 1): the same array stockrnn always trained on, to the last bit
    return np.concatenate([x[..., None], extra], axis=2).astype("float32")


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
            f"{config.min_train_rows} training rows ({config.lookback} for one window, {MIN_TRAIN_TARGETS} to predict"
            + (f", {config.horizon - 1} more for the labels {config.horizon} days ahead" if config.horizon > 1 else "")
            + (f", {config.output_reach} more for the head's last outputs" if config.output_reach else "")
            + ")"
        )
    if prices.isna().any():
        day = prices.index[prices.isna().argmax()]
        raise DataError(f"{where}: column {config.column!r} is empty on {day:%Y-%m-%d}")
    return prices


def training_set(
    frame: pd.DataFrame,
    config: TrainConfig,
    where: str = "data",
    val_start: pd.Timestamp | None = None,
    market: pd.Series | None = None,
    classes: pd.Series | None = None,
    scaler: Any = None,
) -> TrainingSet:
    """Scale and window the training period; the last `val_fraction` of windows become validation (with `val_start`,
    instead, the windows whose label falls on or after that day: one validation period for every member of a panel).
    The labels the network learns take the config's output shape (shapes.py); none reaches past the training
    period's last day. With `config.features`, the covariates (features.py, `market`: the market's closes by date)
    of the same days ride beside the windows, scaled on the training rows only; a window holding a missing value (a
    day the market lacks) is left out. `scaler`: the target's scaler to use instead of fitting one on this series'
    training rows (a panel's pooled one, `panel_train.panel_scaler`); None: fitted here. A `DataError` naming `where`
    when too few windows are left."""
    from .shapes import of
    from .targets import get, scale  # here: the targets build on this module's windows

    prices = training_period(frame, config, where)
    target = get(config.target)
    skip = target.extra_days  # e.g. the return target's first day has no value
    values = target.encode(prices.to_numpy())[skip:]
    scaler = target.fit_scaler(values) if scaler is None else scaler
    scaled, ahead, shape = scale(scaler, values), config.horizon, of(config)
    # The window ending on day o (o = window - 1 .. n - 1 - ahead - reach) and its label, `ahead` days later (a
    # direct head's labels `reach` more days): no label reaches past the training period's last day.
    reach = shape.extra_days()
    inputs = np.lib.stride_tricks.sliding_window_view(scaled[: len(scaled) - ahead - reach], config.window)
    if classes is None:  # (n - ahead,): the label of the window ending on each day
        per_origin = target.labels(scaled, values, ahead)
    else:  # read on the days themselves: the class of the window ending on day o is the one dated o
        per_origin = classes.reindex(prices.index[skip : skip + len(values) - ahead]).to_numpy(dtype="float32")
    learned = shape.labels(per_origin, config.window, len(inputs))  # (n_windows, ...)
    labels = shape.next_labels(learned)  # (n_windows,)
    first_label = skip + config.window - 1 + ahead  # the first window's label day, in `prices`
    label_days = prices.index[first_label : first_label + len(labels)]  # (n_windows,)
    if val_start is None:
        n_val = max(2, math.ceil(len(labels) * config.val_fraction))
        split = len(labels) - n_val
    else:
        split = int(label_days.searchsorted(val_start))
    own = learned is not labels  # the network learns more than the one-step labels
    extra, feature_scaler = None, None
    keep = np.ones(len(labels), dtype=bool) if classes is None else np.isfinite(labels)
    if config.feature_names:
        from .features import FeatureScaler, covariates, feature_windows

        # Day t's covariates read rows up to t only, and no row after the training period's last day is read.
        table = covariates(frame.loc[: prices.index[-1]], config.feature_names, market, where).loc[prices.index]
        feature_scaler = FeatureScaler.fit(table, prices.index[-1])
        covered = feature_scaler.transform(table)[skip : skip + len(scaled) - ahead - reach]  # rows of `inputs`
        found = feature_windows(covered, prices.index[skip : skip + len(covered)], config.window)
        extra, keep = found.x, found.complete & keep  # (n_windows, window, k), (n_windows,)
    if not keep[:split].any() or keep[split:].sum() < 2:
        raise DataError(
            f"{where}: {int(keep[:split].sum())} training and {int(keep[split:].sum())} validation windows "
            f"between {prices.index[0]:%Y-%m-%d} and {prices.index[-1]:%Y-%m-%d}; it needs at least 1 and 2"
            + (" (windows holding a missing covariate are left out)" if config.feature_names else "")
        )
    if keep.all():  # views, not copies: the arrays stockrnn always trained on
        train, val = slice(None, split), slice(split, None)
    else:
        train, val = np.flatnonzero(keep[:split]), split + np.flatnonzero(keep[split:])  # type: ignore[assignment]
    return TrainingSet(
        scaler=scaler,
        x_train=inputs[train],
        y_train=labels[train],
        x_val=inputs[val],
        y_val=labels[val],
        val_dates=label_days[val],
        prices=prices,
        start=prices.index[0],
        end=prices.index[-1],
        fit_train=learned[train] if own else None,
        fit_val=learned[val] if own else None,
        extra_train=None if extra is None else extra[train],
        extra_val=None if extra is None else extra[val],
        feature_scaler=feature_scaler,
    )
