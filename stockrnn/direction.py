"""Forecast stage for the direction target: P(the price is higher H trading days later), per horizon date.

Input: a direction model, its scaler and calibrator (plain JSON), its config and the prices. Output: `TrendForecast`:
for each requested date d, the probability made at its origin (the trading day H days before d, whose window of
returns ends there) that the price on d is above the origin's, beside the base rate; and, where the price on d is
known, the outcome and the scores (trend.report). A real forecast, after the data's last day, has H dates: the
origins of later dates are days not yet known.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import backend, targets, trend
from .config import TrainConfig
from .errors import DataError
from .metrics import rounded
from .significance import Comparison
from .targets import scale, scaler_from_dict


@dataclass(frozen=True)
class TrendForecast:
    symbol: str
    version: str
    column: str
    horizon: int  # trading days between an origin and its date
    origin: pd.Timestamp  # the last day whose price the forecast knew
    base_rate: float  # the training period's share of rises over `horizon` days
    rows: pd.DataFrame  # index: date; columns origin, origin_price, p_up, actual, outcome (NaN where unknown)
    metrics: dict[str, dict]  # trend.report on the dates whose price is known; empty otherwise
    history: pd.Series  # prices up to and including `origin`, for plots

    def comparisons(self) -> list[Comparison]:
        if not self.metrics:
            return []
        known = self.rows.index[self.rows["outcome"].notna()]
        return trend.comparisons(self.metrics, f"{known[0]:%Y-%m-%d}..{known[-1]:%Y-%m-%d}, {self.horizon} days ahead")

    def to_json(self) -> dict[str, Any]:
        comparisons = self.comparisons()
        return {
            "symbol": self.symbol,
            "model_version": self.version,
            "column": self.column,
            "target": "direction",
            "horizon_days": self.horizon,
            "origin": f"{self.origin:%Y-%m-%d}",
            "base_rate": round(self.base_rate, 4),
            "methods": trend.METHODS,
            "rows": [
                {
                    "date": f"{day:%Y-%m-%d}",
                    "origin": row["origin"],
                    "origin_price": rounded(row["origin_price"]),
                    "p_up": rounded(row["p_up"]),
                    "actual": rounded(row["actual"]),
                    "outcome": rounded(row["outcome"]),
                }
                for day, row in self.rows.iterrows()
            ],  # fmt: skip
            "metrics": self.metrics,
            "verdict": [c.line() for c in comparisons],
            "comparisons": [c.to_dict() for c in comparisons],
        }


def forecast_direction(
    model: Any,
    scaler: dict,
    config: TrainConfig,
    series: pd.Series,
    position: int,
    dates: pd.DatetimeIndex,
    label: tuple[str, str],
) -> TrendForecast:
    """P(up) for `dates` (the requested days: series.index[position:] where the data has them, then trading days
    after it); `series` (n,) the prices. A date's origin is the trading day `horizon` days before it; dates whose
    origin is after the data's last day are left out."""
    calibrator = scaler.get("calibrator")
    if not calibrator:
        raise DataError(f"{label[0]} {label[1]}: a direction model without its calibrator; retrain it")
    horizon, window = config.horizon, config.window
    values = series.to_numpy()
    at = np.arange(position, position + len(dates))  # the dates' positions in `series` (beyond it: not yet known)
    usable = at - horizon <= len(values) - 1
    at, dates = at[usable], dates[usable]
    origins = at - horizon
    if len(origins) and origins[0] < window:
        raise DataError(
            f"{label[0]}: the first date {dates[0]:%Y-%m-%d} is {horizon} trading days after "
            f"{series.index[max(origins[0], 0)]:%Y-%m-%d}, which needs {window + 1} days of prices up to it"
        )
    scaled = scale(scaler_from_dict(scaler), targets.get(config.target).encode(values))  # (n,): NaN on the first day
    inputs = np.stack([scaled[o - window + 1 : o + 1] for o in origins]) if len(origins) else np.empty((0, window))
    raw = backend.predict(model, inputs[..., None])  # (n_origins,)
    p_up = trend.calibrated(calibrator, raw)
    actual = np.full(len(dates), np.nan)
    actual[at < len(values)] = values[at[at < len(values)]]
    origin_price = values[origins]
    outcome = np.where(np.isnan(actual), np.nan, (actual > origin_price).astype(float))
    rows = pd.DataFrame(
        {"origin": [f"{series.index[o]:%Y-%m-%d}" for o in origins], "origin_price": origin_price, "p_up": p_up,
         "actual": actual, "outcome": outcome},
        index=pd.DatetimeIndex(dates, name="date"),
    )  # fmt: skip
    known = rows["outcome"].notna().to_numpy()
    base_rate = float(calibrator["base_rate"])
    metrics = trend.report(p_up[known], outcome[known], base_rate, horizon) if known.any() else {}
    return TrendForecast(
        symbol=label[0],
        version=label[1],
        column=config.column,
        horizon=horizon,
        origin=series.index[origins[-1] if len(origins) else position - 1],
        base_rate=base_rate,
        rows=rows,
        metrics=metrics,
        history=series.loc[: series.index[position - 1]],
    )
