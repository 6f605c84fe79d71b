"""Features stage: past covariates of a price frame, scaled on training rows only, as (n, window, k) windows.

Input: the canonical price frame (validate.py), the feature names (`--features return,volume,range,market`), and
for `market` the market's prices (a `pd.Series` of closes by date). Output: a (days, k) frame of features, a
`FeatureScaler` fitted on the rows up to the training end, and windows (n, window, k) with the day each ends on.

Every feature of day t reads rows up to t only (tests/test_features.py changes every later row and checks):
- return: the day's log return of the close, log(close_t / close_{t-1});
- volume: the log change of volume, log((volume_t + 1) / (volume_{t-1} + 1)) (+1: a day without trades is finite);
- range: the day's (high - low) / close;
- market: the market's log return on that day, from its own previous session, aligned by date (a member's day the
  market lacks is missing, and said).
Missing values stay NaN; a window holding one is not complete (`Windows.complete`), and the caller drops it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DataError, UsageError

SPREAD = 1e-9  # a deviation below this fraction of a feature's largest value is a constant's rounding: counts as 1


@dataclass(frozen=True)
class Feature:
    """One past covariate: the price columns it needs, and how day t's value is made from rows up to t."""

    needs: tuple[str, ...]
    make: Callable[[pd.DataFrame, pd.Series], pd.Series]  # (prices, market closes) -> (days,)


# name -> feature, in the order windows hold them when all are asked for
FEATURES = {
    "return": Feature(("close",), lambda frame, _: np.log(frame["close"]).diff()),
    "volume": Feature(("volume",), lambda frame, _: np.log(frame["volume"] + 1.0).diff()),
    "range": Feature(("high", "low", "close"), lambda frame, _: (frame["high"] - frame["low"]) / frame["close"]),
    # the market's own previous session, then aligned by date: a member day it lacks is NaN
    "market": Feature((), lambda frame, market: np.log(market.sort_index()).diff().reindex(frame.index)),
}


def parse_features(text: str) -> tuple[str, ...]:
    """'return,volume' -> ('return', 'volume'), in the order given, each once; a `UsageError` naming --features
    for an unknown or repeated name, or none."""
    names = tuple(n.strip().lower() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in FEATURES]
    if unknown or not names or len(set(names)) != len(names):
        why = f"unknown {', '.join(map(repr, unknown))}" if unknown else "repeated" if names else "empty"
        raise UsageError(f"--features {text!r}: {why}; use a comma-separated list of {', '.join(FEATURES)}")
    return names


def covariates(
    frame: pd.DataFrame, names: tuple[str, ...], market: pd.Series | None = None, where: str = "the prices"
) -> pd.DataFrame:
    """(days, k) float64 frame of `names` on `frame`'s days (see the module's docstring); NaN where a feature cannot
    be had (the first day's return, a day the market lacks). `DataError` naming `where` and the feature when the
    frame lacks a column it needs (or `market` is None for `market`). Its inputs are not changed."""
    if "market" in names and market is None:
        raise DataError(f"{where}: feature 'market' needs a market series (--market FILE|SYMBOL)")
    columns = {}
    for name in names:
        lacking = [c for c in FEATURES[name].needs if c not in frame or frame[c].isna().all()]
        if lacking:
            raise DataError(f"{where}: feature {name!r} needs {', '.join(map(repr, lacking))} prices, which it has not")
        columns[name] = FEATURES[name].make(frame, market if market is not None else pd.Series(dtype="float64"))
    return pd.DataFrame(columns, index=frame.index, dtype="float64")


def covers(market: pd.Series, start: pd.Timestamp, end: pd.Timestamp, where: str) -> None:
    """A `DataError` naming `where` unless `market` has a price on or before `start` and on or after `end` (the
    training period): a market series that starts late or ends early cannot stand beside every training day."""
    days = market.dropna().index
    if len(days) == 0 or days[0] > start or days[-1] < end:
        had = f"{days[0]:%Y-%m-%d} to {days[-1]:%Y-%m-%d}" if len(days) else "no prices"
        raise DataError(
            f"{where}: the market series covers {had}, not the training period {start:%Y-%m-%d} to {end:%Y-%m-%d}"
        )


@dataclass(frozen=True)
class FeatureScaler:
    """Per-feature centring and scaling (mean, deviation) fitted on training rows only; plain numbers, stored as
    JSON. A deviation of 0 (a constant feature) counts as 1."""

    names: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]

    @classmethod
    def fit(cls, table: pd.DataFrame, end: pd.Timestamp) -> FeatureScaler:
        """Fitted on `table`'s rows up to and including `end` (NaN ignored); a `DataError` naming a feature that has
        no value there."""
        train = table.loc[:end]
        empty = [n for n in table.columns if train[n].notna().sum() == 0]
        if empty:
            raise DataError(f"feature {empty[0]!r} has no value up to the training end {end:%Y-%m-%d}")
        std = train.std(ddof=0)
        std = std.where(std > SPREAD * train.abs().max(), 1.0)  # a constant's deviation is rounding, not spread
        return cls(tuple(table.columns), tuple(map(float, train.mean())), tuple(map(float, std)))

    def transform(self, table: pd.DataFrame) -> np.ndarray:
        """(days, k) frame with these features -> (days, k) float32 scaled values (NaN stays NaN)."""
        values = table[list(self.names)].to_numpy(dtype="float64")
        return ((values - np.array(self.mean)) / np.array(self.std)).astype("float32")

    def to_json(self) -> dict[str, list]:
        return {"names": list(self.names), "mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_json(cls, data: dict) -> FeatureScaler:
        """The scaler `to_json` wrote (other keys ignored); a `DataError` when it is not one."""
        try:
            return cls(tuple(data["names"]), tuple(map(float, data["mean"])), tuple(map(float, data["std"])))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(
                f"the features' scaler is damaged ({type(exc).__name__}: {exc}); retrain the model"
            ) from None


@dataclass(frozen=True)
class Windows:
    x: np.ndarray  # (n, window, k): x[i] holds the `window` days up to and including ends[i]
    ends: pd.DatetimeIndex  # (n,) each window's last day
    complete: np.ndarray  # (n,) bool: no NaN in the window


def feature_windows(values: np.ndarray, days: pd.DatetimeIndex, window: int) -> Windows:
    """(days, k) values -> every window of `window` consecutive rows, (n, window, k) with n = days - window + 1
    (a view, not a copy), its last day, and whether it is complete. A `DataError` when there are fewer rows than
    `window`."""
    if len(values) < window:
        raise DataError(f"{len(values)} days of features make no window of {window} days")
    x = np.lib.stride_tricks.sliding_window_view(values, window, axis=0).transpose(0, 2, 1)  # (n, window, k)
    return Windows(x=x, ends=days[window - 1 :], complete=~np.isnan(x).any(axis=(1, 2)))
