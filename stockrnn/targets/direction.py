"""The direction target: P(the price is higher H trading days later), a sequence classifier's calibrated output.

The windows are the return target's (scaled daily log returns); the label is 1 when the returns of the next
`horizon` days sum above 0, that is when the price then is above the window's last price. A sigmoid output, binary
cross-entropy; its probabilities are calibrated (Platt, anchored at the base rate) and scored by trend.py beside
the base rate and always-up.

Input: a direction model, its scaler and calibrator (plain JSON), its config and the prices. Output:
`DirectionForecast`: for each requested date d, the probability made at its origin (the trading day H days before d,
whose window of returns ends there) that the price on d is above the origin's, beside the base rate; and, where the
price on d is known, the outcome and the scores. A real forecast, after the data's last day, has H dates: the
origins of later dates are days not yet known.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import shapes, trend
from ..baselines import AlwaysUp
from ..errors import DataError
from ..formatting import fmt
from ..metrics import ALWAYS_UP, Scores, rounded
from ..significance import Comparison, compare
from .base import Forecasting, Step, Target, windows_at
from .scaling import Scaler, scale, scaler_from_dict
from .value import ReturnEncoding

if TYPE_CHECKING:
    from ..config import TrainConfig
    from ..standing import Standing


@dataclass(frozen=True)
class DirectionForecast:
    symbol: str
    version: str
    column: str
    horizon: int  # trading days between an origin and its date
    origin: pd.Timestamp  # the last day whose price the forecast knew
    base_rate: float  # the training period's share of rises over `horizon` days
    rows: pd.DataFrame  # index: date; columns origin, origin_price, p_up, actual, outcome (NaN where unknown)
    metrics: dict[str, trend.Chances]  # trend.report on the dates whose price is known; empty otherwise
    history: pd.Series  # prices up to and including `origin`, for plots
    target: str = "direction"
    level: float | None = None  # no prediction interval: the probability is its own statement of uncertainty
    standing: Standing | None = None  # what stands behind it (standing.py): set by the application layer
    figure_size = (11, 6.5)  # inches: the prices above, the probabilities below

    @property
    def scored_days(self) -> pd.DatetimeIndex:
        """The dates whose outcome is known: those the scores are on."""
        return self.rows.index[self.rows["outcome"].notna()]

    @property
    def past_the_data(self) -> bool:
        """Some dates lie after the data's last day (or none could be forecast: all of them would)."""
        return bool(self.rows["outcome"].isna().any()) or self.rows.empty

    def comparisons(self) -> list[Comparison]:
        if not self.metrics:
            return []
        known = self.scored_days
        window = f"{known[0]:%Y-%m-%d}..{known[-1]:%Y-%m-%d}, {self.horizon} days ahead"
        found = trend.comparisons(self.metrics, window)
        return self.standing.relabel(found) if self.standing else found

    def to_json(self) -> dict[str, Any]:
        comparisons = self.comparisons()
        return {
            "symbol": self.symbol,
            "model_version": self.version,
            "column": self.column,
            "target": self.target,
            "horizon_days": self.horizon,
            "origin": f"{self.origin:%Y-%m-%d}",
            **(self.standing.to_json() if self.standing else {}),
            "base_rate": round(self.base_rate, 4),
            "methods": trend.PROBABILITY_METHODS,
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
            "metrics": {name: chances.to_dict() for name, chances in self.metrics.items()},
            "verdict": [c.line() for c in comparisons],
            "comparisons": [c.to_dict() for c in comparisons],
        }

    def steps(self) -> tuple[Step, ...]:
        """For the ledger: only the date whose origin is this forecast's is new (step H); the earlier dates'
        probabilities were made at earlier origins."""
        rows = self.rows[self.rows["origin"] == f"{self.origin:%Y-%m-%d}"]
        return tuple(
            Step(self.horizon, f"{day:%Y-%m-%d}", None, p_up=float(p)) for day, p in rows["p_up"].items()
        )  # fmt: skip

    def signals(self) -> pd.DataFrame:
        """What a trading rule reads (strategy.py): P(up over the horizon) made at each origin day. Index: origin
        day; columns score (the probability), lower and upper (NaN: a probability has no band)."""
        frame = pd.DataFrame(
            {"score": self.rows["p_up"].to_numpy(dtype="float64"), "lower": np.nan, "upper": np.nan},
            index=pd.DatetimeIndex(pd.to_datetime(self.rows["origin"]), name="origin"),
        )
        return frame[frame["score"].notna()]

    def render(self) -> list[Any]:
        from .direction_views import forecast_view

        return forecast_view(self.to_json(), self.metrics, self.standing)

    def draw(self, figure: Any) -> None:
        from .direction_views import draw_forecast

        draw_forecast(self, figure)

    def fold(self) -> dict[str, Any]:
        """The backtest's record: the scores and, day by day for the pooled scores, P(up), the outcome and the
        fold's base rate."""
        days = [{"date": f"{day:%Y-%m-%d}", "p_up": _round(row["p_up"]), "outcome": _round(row["outcome"]),
                 "base_rate": self.base_rate} for day, row in self.rows.iterrows()]  # fmt: skip
        return {"metrics": {name: chances.to_dict() for name, chances in self.metrics.items()}, "days": days}


def _round(value: Any) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 6)


@dataclass(frozen=True)
class DirectionTarget(ReturnEncoding, Target):
    def validate(
        self, config: TrainConfig, data: Any, outputs: np.ndarray, paths: np.ndarray | None = None
    ) -> tuple[dict, dict | None, dict | None]:
        base_rate = float(np.concatenate([data.y_train, data.y_val]).mean())  # the training period's share of rises
        calibrator = {
            **trend.fit_platt(outputs, data.y_val, base_rate),
            "base_rate": base_rate,
            "horizon": config.horizon,
        }
        # Scored out of sample: each half of the tail calibrated by a fit on the other half.
        probabilities = trend.cross_fitted(outputs, data.y_val, base_rate)
        return trend.report(probabilities, data.y_val, base_rate, config.horizon), None, calibrator

    def comparisons(self, metrics: dict[str, Any], window: str, config: TrainConfig) -> list[Comparison]:
        return trend.comparisons(metrics, f"{window}, {config.horizon} days ahead")

    def labels(self, scaled: np.ndarray, values: np.ndarray, horizon: int) -> np.ndarray:
        ahead = np.concatenate([[0.0], np.cumsum(np.nan_to_num(np.asarray(values, dtype="float64")))])
        moves = ahead[horizon + 1 :] - ahead[1 : len(ahead) - horizon]  # log(p[o + horizon] / p[o]) for each o
        return (moves > 0).astype("float32")

    def read_scores(self, data: dict[str, dict]) -> dict[str, Any]:
        return {name: trend.Chances.from_dict(chances) for name, chances in data.items()}

    # The trading rule: long when P(up) is above the threshold, short (when allowed) when it is below 1 - threshold.
    score_name = "P(up)"

    def default_threshold(self, cost: float) -> float:
        return 0.5

    def threshold_problem(self, threshold: float, cost: float) -> str | None:
        return None if 0.5 <= threshold < 1 else f"a probability from 0.5 up to (not including) 1, not {threshold:g}"

    def decide(self, scores: np.ndarray, threshold: float, short: bool) -> np.ndarray:
        scores = np.asarray(scores, dtype="float64")
        up = np.nan_to_num(scores, nan=0.5)
        return np.where(up > threshold, 1.0, np.where(short & (up < 1 - threshold), -1.0, 0.0))

    def margin(self, score: float, threshold: float, short: bool) -> float:
        up = 0.5 if not np.isfinite(score) else float(score)
        return max(up - threshold, (1 - threshold) - up) if short else up - threshold

    def score_text(self, score: float | None, lower: float | None, upper: float | None) -> str:
        return f"{self.score_name} {fmt(score)}"

    def scores_view(self, title: str, metrics: dict[str, Any]) -> list[Any]:
        from .direction_views import scores_view

        return scores_view(title, metrics)

    def forecast_many(
        self, model: Any, scalers: Sequence[Scaler | dict], config: TrainConfig, ats: Sequence[Forecasting]
    ) -> list[DirectionForecast]:
        """P(up) for each `at.dates`. A date's origin is the trading day `horizon` days before it; dates whose origin
        is after the data's last day are left out. Every series' windows go to the network in one call."""
        horizon, window = config.horizon, config.window
        asked = []  # each series' (positions of its dates, their origins, its windows)
        for scaler, at in zip(scalers, ats, strict=True):
            label, series, position = at.label, at.series, at.position
            stored = scaler if isinstance(scaler, dict) else {}
            if not stored.get("calibrator"):
                raise DataError(f"{label[0]} {label[1]}: a direction model without its calibrator; retrain it")
            values = series.to_numpy()
            at_ = np.arange(position, position + len(at.dates))  # the dates' positions in `series` (beyond: unknown)
            where = at_[at_ - horizon <= len(values) - 1]
            origins = where - horizon
            if len(origins) and origins[0] < window:
                raise DataError(
                    f"{label[0]}: the first date {at.dates[0]:%Y-%m-%d} is {horizon} trading days after "
                    f"{series.index[max(origins[0], 0)]:%Y-%m-%d}, which needs {window + 1} days of prices up to it"
                )
            scaled = scale(scaler_from_dict(stored), self.encode(values))  # (n,): NaN on the first day
            asked.append((where, origins, windows_at(scaled, at.extra, origins, window, at.fixed())))
        windows = [w for _, _, w in asked]  # each (n_origins, window, channels): known at each origin
        raw = shapes.of(config).one_step(model, np.concatenate(windows)) if sum(map(len, windows)) else np.empty(0)
        each = np.split(raw, np.cumsum([len(w) for w in windows])[:-1])
        return [
            self._forecast(config, scaler, at, where, origins, r)
            for scaler, at, (where, origins, _), r in zip(scalers, ats, asked, each, strict=True)
        ]

    def _forecast(
        self, config: TrainConfig, scaler: Scaler | dict, at: Forecasting, where: np.ndarray, origins: np.ndarray,
        raw: np.ndarray,
    ) -> DirectionForecast:  # fmt: skip
        """One series' forecast from the network's outputs `raw` (n_origins,) at `origins` for dates at `where`."""
        label, series, position, horizon = at.label, at.series, at.position, config.horizon
        calibrator = (scaler if isinstance(scaler, dict) else {})["calibrator"]
        values = series.to_numpy()
        dates = at.dates[: len(where)]
        p_up = trend.calibrated(calibrator, raw)
        actual = np.full(len(dates), np.nan)
        actual[where < len(values)] = values[where[where < len(values)]]
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
        return DirectionForecast(
            symbol=label[0],
            version=label[1],
            column=config.column,
            horizon=horizon,
            origin=series.index[origins[-1] if len(origins) else position - 1],
            base_rate=base_rate,
            rows=rows,
            metrics=metrics,
            history=series.loc[: series.index[position - 1]],
            target=self.name,
        )

    def pool(self, folds: list[dict], config: TrainConfig, horizon: int, level: float) -> dict[str, Any]:
        """The probabilities of all folds' days together: their scores beside each fold's base rate and always-up,
        the DM tests (the model's horizon - 1 lags: the labels overlap) and the reliability of the probabilities."""
        horizon = config.horizon  # the labels' days ahead, not the backtest's days per fold
        days = [day for fold in folds for day in fold["days"]]
        p, y, base = (np.array([day[k] for day in days], dtype="float64") for k in ("p_up", "outcome", "base_rate"))
        metrics = trend.report(p, y, base, horizon)
        window = (
            f"{len(folds)} folds, {len(days)} days from {folds[0]['start']} to {folds[-1]['end']}, {horizon} days ahead"
        )
        comparisons = trend.comparisons(metrics, window)
        return {
            "days": len(days),
            "metrics": {name: chances.to_dict() for name, chances in metrics.items()},
            "comparisons": [c.to_dict() for c in comparisons],
            "reliability": trend.reliability(p, y),
        }

    def day_losses(
        self,
        model: Any,
        scaler: dict,
        config: TrainConfig,
        series: pd.Series,
        extra: np.ndarray | None,
        labels: np.ndarray,
        classes: pd.Series | None = None,
    ) -> dict[str, dict[str, np.ndarray]]:
        """The calibrated P(up) of each day from its origin `horizon` days before: its Brier loss beside the training
        period's base rate and always-up's (P = 1)."""
        p_up, base = self.day_chances(model, scaler, config, series, extra, labels)
        values = series.to_numpy(dtype="float64")
        y = (values[labels] > values[labels - config.horizon]) * 1.0
        return {"Brier": {"model": (p_up - y) ** 2, "base rate": (base - y) ** 2, "always up": (1.0 - y) ** 2}}

    def day_chances(
        self, model: Any, scaler: dict, config: TrainConfig, series: pd.Series, extra: np.ndarray | None,
        labels: np.ndarray,
    ) -> tuple[np.ndarray, float]:  # fmt: skip
        """The calibrated probabilities (n,) of the days at positions `labels` of `series`, each from the window
        ending at its origin (`horizon` days before), NaN where a window holds a missing covariate; and the
        calibrator's base rate (its training labels' share of 1). A `DataError` for a model without calibrator."""
        calibrator = scaler.get("calibrator")
        if not calibrator:
            raise DataError(f"a {self.name} model without its calibrator; retrain it")
        values = series.to_numpy(dtype="float64")
        scaled = scale(scaler_from_dict(scaler), self.encode(values))
        inputs = windows_at(scaled, extra, labels - config.horizon, config.window)  # (n, window, 1 + k)
        complete = ~np.isnan(inputs).any(axis=(1, 2))
        p_up = np.full(len(labels), np.nan)
        if complete.any():
            p_up[complete] = trend.calibrated(calibrator, shapes.of(config).one_step(model, inputs[complete]))
        return p_up, float(calibrator["base_rate"])

    def backtest_view(self, report: dict[str, Any]) -> list[Any]:
        from .direction_views import backtest_view

        return backtest_view(report)

    def draw_backtest(self, figure: Any, report: dict[str, Any]) -> None:
        from .direction_views import draw_reliability

        draw_reliability(figure, report)

    def versus(self, challenger: Any, champion: Any) -> Comparison:
        """Probabilities by Brier score (horizon - 1 lags: their labels overlap)."""
        rows = challenger.rows
        known = rows["outcome"].notna()
        window = f"the holdout {rows.index[known][0]:%Y-%m-%d}..{rows.index[known][-1]:%Y-%m-%d}, P(up)"
        found = rows["outcome"][known], rows["p_up"][known], champion.rows["p_up"][known]
        return compare(*found, "the champion", window, challenger.horizon, "the challenger", score="Brier")

    def score_track(self, table: pd.DataFrame, span: str) -> tuple[int, dict[str, Any], list[Comparison]]:
        """The matured probabilities' Brier score, log loss and accuracy, beside always-up's accuracy; no test."""
        chances = table[table["p_up"].notna()]  # P(price above the origin's)
        if chances.empty:
            return 0, {}, []
        up = (chances["actual"] > chances["origin"]).to_numpy(dtype="float64")
        metrics = {
            trend.MODEL: dataclasses.replace(trend.scores(chances["p_up"].to_numpy(), up), days=len(up)),
            ALWAYS_UP: Scores(direction_accuracy=float(np.mean(AlwaysUp().predict(len(up)) == up))),
        }
        return len(chances), metrics, []

    def track_row(self, metrics: dict[str, Any], level: float | None, comparisons: list[Comparison]) -> list[str]:
        model, up = metrics[trend.MODEL], metrics[ALWAYS_UP]
        hits = f"{fmt(model.accuracy, '.0%')}\n{fmt(up.direction_accuracy, '.0%')}"
        return [f"Brier\n{model.brier:.3f}", "-", "-", hits, "-"]
