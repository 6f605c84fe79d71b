"""Forecast stage: a stored model's predictions, dated on the exchange calendar, scored against actuals.

Input: a symbol's current model, its price data and an optional start day. Output: `Forecast`, with
- `forecast`: the real, recursive forecast from the origin (each prediction fed back as input), and
- `one_step`: one-step-ahead predictions that use the actual previous prices (what the lecture plots),
and, where actual prices are known, the metrics of both beside the naive, drift and persistence baselines.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import backend, backend_choice, intervals, store, targets
from .config import HORIZON, LEVEL, TrainConfig
from .direction import TrendForecast, forecast_direction
from .errors import DataError, UsageError
from .manifest import Manifest
from .metrics import (
    DRIFT,
    FORECAST,
    METHODS,
    NAIVE,
    ONE_STEP,
    PERSISTENCE,
    coverage,
    drift_per_day,
    rounded,
    scores,
    skill,
)
from .paths import check_symbol
from .prices import model_prices
from .significance import Comparison, squared_error_test
from .targets import scale, scaler_from_dict, unscale
from .validate import Prices
from .windows import make_windows, parse_day, price_column

log = logging.getLogger("stockrnn")

COLUMNS = ("forecast", "lower", "upper", "one_step", "one_step_lower", "one_step_upper", "actual")
# The methods a forecast scores, in the order tables show them.
SCORED = (FORECAST, NAIVE, DRIFT, ONE_STEP, PERSISTENCE)


@dataclass(frozen=True)
class Forecast:
    symbol: str
    version: str  # the model version that made it, e.g. "v3"
    column: str
    origin: pd.Timestamp  # the last day whose price the forecast knew
    rows: pd.DataFrame  # index: date; columns forecast, one_step, actual (NaN where unknown)
    metrics: dict[str, dict]  # per method (see METHODS); empty when no actual price is known
    history: pd.Series  # prices up to and including the origin, for plots
    level: float | None = None  # of the interval in rows' lower/upper columns; None: no interval
    interval_method: str | None = None  # intervals.METHODS

    def to_json(self) -> dict[str, Any]:
        comparisons = self.comparisons()

        return {
            "symbol": self.symbol,
            "model_version": self.version,
            "column": self.column,
            "origin": f"{self.origin:%Y-%m-%d}",
            "methods": {name: METHODS[name] for name in SCORED},
            "rows": [
                {"date": f"{day:%Y-%m-%d}", **{k: rounded(row.get(k)) for k in COLUMNS}}
                for day, row in self.rows.iterrows()
            ],
            "interval": self.interval(),
            "metrics": self.metrics,
            "verdict": [c.line() for c in comparisons],
            "comparisons": [c.to_dict() for c in comparisons],
        }

    def interval(self) -> dict[str, Any] | None:
        """The bands' level and how they are made: `forecast` (lower, upper), `one_step` (one_step_lower, ...)."""
        if not self.level:
            return None
        one_step = intervals.ONE_STEP_METHOD if "one_step_lower" in self.rows else None
        return {"level": self.level, "forecast": intervals.METHODS[self.interval_method], "one_step": one_step}

    def comparisons(self) -> list[Comparison]:
        """The model against its baseline for each kind of prediction, when actual prices are known; none otherwise."""
        if not self.metrics:
            return []
        m, days = self.metrics, self.rows["actual"].notna()
        window = f"{self.rows.index[days][0]:%Y-%m-%d}..{self.rows.index[days][-1]:%Y-%m-%d}"
        return [
            Comparison.from_scores(m[ONE_STEP], m[PERSISTENCE], "persistence", f"{window}, one step ahead"),
            Comparison.from_scores(m[FORECAST], m[NAIVE], "the naive forecast", f"{window}, recursive forecast"),
        ]


def load_model(manifest: Manifest, model: Path | bytes) -> Any:
    """A stored Keras model (its `.keras` file, or that file's bytes), or a `DataError` saying to retrain when this
    Keras cannot read it."""
    saved, running = manifest.keras_version, backend_choice.versions()["keras"]
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


def trading_days_after(day: pd.Timestamp, count: int, calendar: str) -> pd.DatetimeIndex:
    """The `count` trading sessions after `day` on `calendar`; weekdays if the calendar does not reach."""
    if count <= 0:
        return pd.DatetimeIndex([])
    import exchange_calendars as xcals

    try:
        cal = xcals.get_calendar(
            calendar, start=day - pd.Timedelta(days=7), end=day + pd.Timedelta(days=2 * count + 30)
        )
        first = cal.date_to_session(day + pd.Timedelta(days=1), direction="next")
        return pd.DatetimeIndex(cal.sessions_window(first, count)).tz_localize(None).normalize()
    except Exception as exc:  # out of the calendar's bounds, or an unknown calendar
        log.warning("calendar %s cannot date days after %s (%s); using weekdays", calendar, f"{day:%Y-%m-%d}", exc)
        return pd.bdate_range(day + pd.Timedelta(days=1), periods=count)


def predict(
    symbol: str,
    csv: str | Path | None = None,
    start: str | None = None,
    days: int = HORIZON,
    offline: bool = False,
    level: float = LEVEL,
    date_format: str | None = None,
) -> Forecast:
    """Forecast `days` trading days for `symbol`: after the data's last day, or from `start` inside the data.

    The data is `csv`, or else the source the model was trained on: its file, or the symbol's prices (the days
    the store lacks are fetched first, unless `offline`). A forecast after the last day is recorded in the ledger.
    """
    if days < 1:
        raise UsageError(f"--days must be at least 1, not {days}")
    symbol = check_symbol(symbol)
    stored = store.load_current(symbol)
    prices = model_prices(symbol, stored.manifest, csv, offline, date_format)
    result = forecast(stored, prices, start, days, level)
    if start is None:  # a real forecast: into the ledger, to be scored when its days have passed
        from . import ledger

        ledger.remember(result, stored.manifest.config, prices, "predict")
    return result


def forecast(stored: store.StoredModel, prices: Prices, start: str | None, days: int, level: float = LEVEL) -> Forecast:
    """The stored model's forecast on `prices` (see `predict`)."""
    m = stored.manifest
    model = load_model(m, stored.model_path)
    return forecast_model(model, stored.scaler, m.config, prices, start, days, (m.symbol, m.version), m.interval, level)


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
) -> Forecast | TrendForecast:
    """A model's forecast on `prices` (see `predict`), whether stored or just trained; label = (symbol, version);
    `scaler`: its parameters as stored (a dict: what a direction model needs, with its calibrator) or fitted.

    With the model's interval `calibration` (intervals.calibrate), the recursive forecast gets a `level`
    prediction interval from the prices up to the origin (intervals.band). A direction model's forecast is a
    `TrendForecast` (direction.py)."""
    if not 0 < level < 1:
        raise UsageError(f"--level must be between 0 and 1, not {level}")
    series = price_column(prices.frame, config.column, prices.source)
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
    origin = series.index[position - 1]
    known = series.iloc[position : position + days]  # actual prices of the forecast period, where the data has them
    dates = known.index.append(trading_days_after(series.index[-1], days - len(known), config.calendar))
    dates = dates[:days]

    target = targets.get(config.target)
    if target.probability:
        return forecast_direction(model, scaler, config, series, position, dates, label)
    if isinstance(scaler, dict):
        scaler = scaler_from_dict(scaler)
    values = series.to_numpy()
    scaled = scale(scaler, target.encode(values))
    recursive = _recursive(model, scaled[position - config.window : position], days)
    path = target.decode_path(unscale(scaler, recursive), values[position - 1])
    one_step = np.full(days, np.nan)
    if len(known):
        inputs, _ = make_windows(scaled[position - config.window : position + len(known)], config.window)
        predicted = unscale(scaler, backend.predict(model, inputs[..., None]))
        one_step[: len(known)] = target.decode_one_step(predicted, values[position - 1 : position - 1 + len(known)])

    rows = pd.DataFrame(
        {"forecast": path, "one_step": one_step, "actual": np.nan},
        index=pd.DatetimeIndex(dates, name="date"),
    )
    rows.loc[known.index, "actual"] = known.to_numpy()
    train_start = parse_day(config.train_start, "train_start")
    history = series.loc[train_start:origin]
    bounds = intervals.band(calibration, path, history.to_numpy(), level) if calibration else None
    if calibration and bounds is None:
        n, what = intervals.scores_behind(calibration, len(history), days)
        log.warning(
            "no %s prediction interval: the %d %s support at most %s",
            f"{level:.4%}".rstrip("0").rstrip("."), n, what, f"{n / (n + 1):.4%}",
        )  # fmt: skip
    if bounds is not None:
        rows["lower"], rows["upper"] = bounds
    one_step_bounds = None
    if calibration and len(known):
        before = series.loc[train_start:].iloc[: len(history) + len(known) - 1]  # known the evening before each day
        one_step_bounds = intervals.one_step_band(
            calibration, one_step[: len(known)], before.to_numpy(), level, known.to_numpy()
        )
    if one_step_bounds is not None:
        rows["one_step_lower"], rows["one_step_upper"] = np.nan, np.nan
        rows.iloc[: len(known), rows.columns.get_indexer(["one_step_lower", "one_step_upper"])] = np.column_stack(
            one_step_bounds
        )
    metrics = _metrics(rows.iloc[: len(known)], history) if len(known) else {}
    scored = rows.iloc[: len(known)]
    if metrics and bounds is not None:
        metrics[FORECAST]["interval_coverage"] = coverage(scored["actual"], scored["lower"], scored["upper"])
    if metrics and one_step_bounds is not None:
        metrics[ONE_STEP]["interval_coverage"] = coverage(
            scored["actual"], scored["one_step_lower"], scored["one_step_upper"]
        )
    return Forecast(
        symbol=label[0],
        version=label[1],
        column=config.column,
        origin=origin,
        rows=rows,
        metrics=metrics,
        history=series.loc[:origin],
        level=level if bounds is not None else None,
        interval_method=calibration["method"] if bounds is not None else None,
    )


def _recursive(model: Any, window: np.ndarray, days: int) -> np.ndarray:
    """Feed each prediction back as the newest input: (window,) scaled -> (days,) scaled."""
    buffer = list(window)
    size = len(window)
    for _ in range(days):
        x = np.asarray(buffer[-size:], dtype="float32")[None, :, None]  # (1, window, 1)
        # The compiled prediction call (backend.predict): calling model(x) eagerly walks the recurrent loop in
        # Python, about 30 times slower for a 4-layer LSTM.
        buffer.append(float(backend.predict(model, x)[0]))
    return np.asarray(buffer[size:])


def _metrics(rows: pd.DataFrame, history: pd.Series) -> dict[str, dict]:
    """Scores of every method on the days with actual prices; `history` ends at the origin."""
    actual = rows["actual"].to_numpy()
    origin_price = history.iloc[-1]
    previous = np.concatenate([[origin_price], actual[:-1]])  # yesterday's actual price, day by day
    steps = np.arange(1, len(rows) + 1)
    naive = np.full(len(rows), origin_price)
    drift = origin_price + steps * drift_per_day(history.to_numpy())

    def path(values: np.ndarray) -> dict:  # a multi-day path's direction is judged step by step
        return scores(actual, values, previous, np.concatenate([[origin_price], values[:-1]]))

    forecast = rows["forecast"].to_numpy()
    result = {
        FORECAST: path(forecast),
        NAIVE: path(naive),
        DRIFT: path(drift),
        ONE_STEP: scores(actual, rows["one_step"].to_numpy(), previous),
        PERSISTENCE: scores(actual, previous, previous),
    }
    for name, baseline in ((FORECAST, NAIVE), (DRIFT, NAIVE), (ONE_STEP, PERSISTENCE)):
        result[name]["skill"] = skill(result[name]["rmse"], result[baseline]["rmse"])
    result[NAIVE]["skill"] = result[PERSISTENCE]["skill"] = 0.0
    # A path from one origin: step h is an h-step forecast, so the test allows for len(rows) - 1 lags.
    result[FORECAST]["test"] = squared_error_test(actual, forecast, naive, h=len(rows)).to_dict()
    result[ONE_STEP]["test"] = squared_error_test(actual, rows["one_step"].to_numpy(), previous).to_dict()
    return result
