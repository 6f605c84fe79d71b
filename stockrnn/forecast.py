"""Forecast stage: a model's predictions from an origin, dated on the exchange calendar, scored against actuals.

Input: a Keras model (just trained, or loaded from its file with `load_model`), its scaler and config, the prices
and an optional start day inside them. Output: the target's `Result` (targets/): for the price and return targets
a `ValueForecast` (the real, recursive forecast from the origin and the one-step-ahead predictions that use the
actual previous prices, each with its interval and, where actual prices are known, the scores beside the naive,
drift and persistence baselines), for the direction target a `DirectionForecast` of probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import backend, backend_choice, shapes, targets
from .calendar import trading_days_after
from .config import LEVEL, TrainConfig
from .errors import DataError, StockRNNError, UsageError
from .manifest import Manifest
from .targets import Forecasting, Result
from .validate import Prices
from .windows import parse_day, price_column


def load_model(manifest: Manifest, model: Path | bytes) -> Any:
    """A stored Keras model (its `.keras` file, or that file's bytes), or a `DataError` saying to retrain when this
    Keras cannot read it."""
    saved, running = manifest.keras_version, backend_choice.library_versions()["keras"]
    where = model if isinstance(model, Path) else f"{manifest.symbol} {manifest.version}"
    symbol = manifest.symbol or "the symbol"
    if saved.split(".")[0] != running.split(".")[0]:
        raise DataError(f"{where}: saved by Keras {saved or 'unknown'}, this is Keras {running}; retrain {symbol}")
    try:
        return backend.load_model(model) if isinstance(model, Path) else backend.model_from_bytes(model)
    except Exception as exc:  # Keras raises many types for a file from another version; all mean "retrain"
        raise DataError(
            f"{where}: cannot be loaded by this Keras ({type(exc).__name__}: {exc}); retrain {symbol}"
        ) from None


def reach(config: TrainConfig) -> int | None:
    """The most days a model's path may have: None (any) unless it reads past covariates and its target has a path;
    then as many as its head outputs from the origin's window (1; H for a multi-day head), since a later day's
    covariates are not known at the origin."""
    if not config.feature_names or not targets.get(config.target).has_path:
        return None
    return shapes.of(config).extra_days() + 1


def check_reach(config: TrainConfig, days: int, label: tuple[str, str]) -> None:
    """A `UsageError` naming --days when a path of `days` would need covariates of days not seen yet (`reach`);
    `label`: (symbol, version) of the model, as the message names it."""
    most = reach(config)
    if most is not None and days > most:
        raise UsageError(
            f"--days {days}: {label[0]} {label[1]} reads past covariates ({config.features}), and a path longer than "
            f"what its head outputs from the origin's window would need the covariates of days not seen yet; use "
            f"--days {most}" + (" (or train it with --output direct --output-days H)" if most == 1 else "")
        )


def forecast_model(
    model: Any,
    scaler: Any,
    config: TrainConfig,
    prices: Prices,
    start: str | None,
    days: int,
    label: tuple[str, str],
    calibration: dict[str, Any] | None = None,
    level: float = LEVEL,
    market: pd.Series | None = None,
    whole_path: bool = True,
    member: int | None = None,
) -> Result:
    """A model's forecast on `prices` (see `predict`), whether stored or just trained; label = (symbol, version);
    `scaler`: its parameters as stored (a dict: what a direction model needs, with its calibrator) or fitted;
    `market`: the market's closes by date, for a model of the `market` feature; `member`: a global model's member
    index, for a model that learned a symbol embedding (the windows' last channel).

    A model of past covariates (--features) forecasts from the actual covariates of each window: its one-step
    predictions (each from the day before's window), and a path of as many days as its head outputs from the
    origin's window (1; H for a direct head of H days); a longer path is a `UsageError` naming --days, since it would
    need covariates of days after the origin. `whole_path=False` (retrain's contest, which scores a holdout's
    one-step predictions only) takes any `days` and leaves the path's later days NaN instead.

    With the model's interval `calibration` (intervals.calibrate), the recursive forecast gets a `level`
    prediction interval from the prices up to the origin (intervals.band). What the forecast holds is the target's
    (targets/: a `ValueForecast` of prices, a `DirectionForecast` of probabilities)."""
    asked = Asked(scaler, prices, label, calibration, member)
    at = forecasting(config, asked, start, days, level, market, whole_path)
    return targets.get(config.target).forecast(model, scaler, config, at)


@dataclass(frozen=True)
class Asked:
    """One series a model forecasts (a global model's member): its scaler (as stored, or fitted), prices, label
    (symbol, version), interval calibration and member index (None: the model has no symbol embedding)."""

    scaler: Any
    prices: Prices
    label: tuple[str, str]
    calibration: dict[str, Any] | None = None
    member: int | None = None


def forecast_models(
    model: Any, config: TrainConfig, many: Sequence[Asked], start: str | None, days: int, level: float = LEVEL,
    market: pd.Series | None = None,
) -> list[Result | StockRNNError]:  # fmt: skip
    """Each of `many` forecast by one model (a global model's members), in order, as `forecast_model` forecasts
    it alone (to float tolerance) but with the network asked once for all of them at each step of their paths
    (`Target.forecast_many`): a (members, window, channels) batch a step instead of one call per member and step.
    A series the model cannot forecast from (bad data, too short) is its error in its place, and the others go on;
    `UsageError`s of the options (--level, --days beyond a covariates model's reach) are raised once, before any."""
    if not 0 < level < 1:
        raise UsageError(f"--level must be between 0 and 1, not {level}")
    check_reach(config, days, many[0].label if many else ("the model", ""))
    found: list[Result | StockRNNError | None] = [None] * len(many)
    ready: list[tuple[int, Forecasting]] = []
    for i, asked in enumerate(many):
        try:
            ready.append((i, forecasting(config, asked, start, days, level, market)))
        except StockRNNError as exc:
            found[i] = exc
    target = targets.get(config.target)
    made: list[Result | StockRNNError]
    try:
        made = list(target.forecast_many(model, [many[i].scaler for i, _ in ready], config, [at for _, at in ready]))
    except StockRNNError:  # one of them cannot be forecast: each alone, so that its error is its own
        made = []
        for i, at in ready:
            try:
                made.append(target.forecast(model, many[i].scaler, config, at))
            except StockRNNError as exc:
                made.append(exc)
    for (i, _), result in zip(ready, made, strict=True):
        found[i] = result
    return [f for f in found if f is not None]


def forecasting(
    config: TrainConfig, asked: Asked, start: str | None, days: int, level: float = LEVEL,
    market: pd.Series | None = None, whole_path: bool = True,
) -> Forecasting:  # fmt: skip
    """What a target's forecast of `asked` needs (targets.Forecasting), checked: the price column, the scaled
    covariates, the origin's position and the dates (see `forecast_model`). Raises `UsageError` for a bad --level,
    --start or --days, `DataError` for prices the model cannot forecast from."""
    prices, label, scaler = asked.prices, asked.label, asked.scaler
    if not 0 < level < 1:
        raise UsageError(f"--level must be between 0 and 1, not {level}")
    if whole_path:
        check_reach(config, days, label)
    series = price_column(prices.frame, config.column, prices.source)
    extra = None
    if config.feature_names:  # day t's covariates read prices up to t only (features.py)
        from .features import FeatureScaler, covariates

        stored = scaler.get("features") if isinstance(scaler, dict) else None
        if not stored:
            raise DataError(f"{label[0]} {label[1]}: a model of --features without its covariates' scaler; retrain it")
        table = covariates(prices.frame, config.feature_names, market, prices.source)
        extra = FeatureScaler.from_json(stored).transform(table)  # (n, k), on `series`' days
    if series.isna().any():
        raise DataError(
            f"{prices.source}: {config.column!r} is empty on {series.index[series.isna().argmax()]:%Y-%m-%d}"
        )

    if start is None:
        position = len(series)
    else:
        day = parse_day(start, "--start")
        if not series.index[0] <= day <= series.index[-1]:
            raise UsageError(
                f"--start {day:%Y-%m-%d} is outside the data ({series.index[0]:%Y-%m-%d} to "
                f"{series.index[-1]:%Y-%m-%d}); leave it out to forecast after the last day"
            )
        position = int(series.index.searchsorted(day))
    if position < config.lookback:
        raise DataError(
            f"{prices.source}: a forecast from {series.index[position - 1]:%Y-%m-%d} needs {config.lookback} "
            f"trading days of history before it; the data has {position}"
        )
    known = series.iloc[position : position + days]  # actual prices of the forecast period, where the data has them
    dates = known.index.append(trading_days_after(series.index[-1], days - len(known), config.calendar))
    dates = dates[:days]
    if extra is not None:  # the path reads the window ending on the origin: each of its covariates observed
        lacking = np.isnan(extra[position - config.window : position]).any(axis=1)  # (window,)
        if lacking.any():
            day = series.index[position - config.window + int(lacking.argmax())]
            raise DataError(
                f"{prices.source}: a forecast from {series.index[position - 1]:%Y-%m-%d} reads the covariates "
                f"({config.features}) of {day:%Y-%m-%d}, which has none (a day the market lacks, or the first day); "
                "use a later --start"
            )

    return Forecasting(series, position, dates, label, asked.calibration, level, extra, asked.member)
