"""The forecast of a value target (price, return): its rows, scores, verdicts, JSON, ledger steps and backtest record.

Input: what `ValueTarget.forecast` computed. Output: a frozen `ValueForecast` that answers for itself (the `Result`
protocol of base.py); its table and plot are value_views.py's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import intervals, shapes
from ..metrics import ALWAYS_UP, DRIFT, FORECAST, NAIVE, ONE_STEP, PERSISTENCE, PRICE_METHODS, Scores, rounded
from ..record import Step
from ..significance import Comparison

if TYPE_CHECKING:
    from ..standing import Standing

COLUMNS = ("forecast", "lower", "upper", "one_step", "one_step_lower", "one_step_upper", "actual")
SCORED = (FORECAST, NAIVE, DRIFT, ONE_STEP, PERSISTENCE)  # the methods a forecast scores, in the tables' order
DAY_COLUMNS = ("actual", "one_step", "forecast", "lower", "upper", "one_step_lower", "one_step_upper")


@dataclass(frozen=True)
class ValueForecast:
    """A value model's forecast: `rows` (index: date) hold forecast, one_step, actual (NaN where unknown) and,
    with an interval, lower/upper (and one_step_lower/one_step_upper where actual prices are known)."""

    symbol: str
    version: str  # the model version that made it, e.g. "v3"
    column: str
    origin: pd.Timestamp  # the last day whose price the forecast knew
    rows: pd.DataFrame
    metrics: dict[str, Scores]  # per method (metrics.PRICE_METHODS); empty when no actual price is known
    history: pd.Series  # prices up to and including the origin, for plots
    level: float | None = None  # of the interval in rows' lower/upper columns; None: no interval
    interval_method: str | None = None  # intervals.BAND_METHODS
    target: str = "return"
    standing: Standing | None = None  # what stands behind it (standing.py): set by the application layer
    shape: shapes.Shape = shapes.ManyToOne()  # the model's output shape: how the path was made (shapes.py)
    figure_size = (11, 5.5)  # inches

    @property
    def scored_days(self) -> pd.DatetimeIndex:
        """The days whose actual price is known: those the scores are on."""
        return self.rows.index[self.rows["actual"].notna()]

    @property
    def past_the_data(self) -> bool:
        """Some forecast days lie after the data's last day."""
        return bool(self.rows["actual"].isna().any())

    def to_json(self) -> dict[str, Any]:
        comparisons = self.comparisons()
        return {
            "symbol": self.symbol,
            "model_version": self.version,
            "target": self.target,
            "column": self.column,
            "origin": f"{self.origin:%Y-%m-%d}",
            "shape": self.shape.describe(),
            "path": self.shape.path_words,  # how the forecast's path was made: recursive, direct, encoder-decoder
            "path_note": self.shape.note(len(self.rows)),
            **(self.standing.to_json() if self.standing else {}),
            "methods": {name: self.method(name) for name in SCORED},
            "rows": [
                {"date": f"{day:%Y-%m-%d}", **{k: rounded(row.get(k)) for k in COLUMNS}}
                for day, row in self.rows.iterrows()
            ],
            "interval": self.interval(),
            "metrics": {name: scores.to_dict() for name, scores in self.metrics.items()},
            "verdict": [c.line() for c in comparisons],
            "comparisons": [c.to_dict() for c in comparisons],
        }

    def method(self, name: str) -> str:
        """What the method `name` is, in words; the forecast's path is no real forecast on in-sample days."""
        if name == FORECAST:
            made = f"model, {self.shape.made(len(self.rows))}"
            return (
                f"{made} ({self.standing.label}; not a real forecast)"
                if self.standing and self.standing.label
                else f"{made} (a real forecast)"
            )
        return PRICE_METHODS[name]

    def interval(self) -> dict[str, Any] | None:
        """The bands' level and how they are made: `forecast` (lower, upper), `one_step` (one_step_lower, ...)."""
        if not self.level or self.interval_method is None:
            return None
        one_step = intervals.ONE_STEP_METHOD if "one_step_lower" in self.rows else None
        return {"level": self.level, "forecast": intervals.BAND_METHODS[self.interval_method], "one_step": one_step}

    def comparisons(self) -> list[Comparison]:
        """The model against its baseline for each kind of prediction, when actual prices are known; none otherwise."""
        if not self.metrics:
            return []
        m, days = self.metrics, self.scored_days
        window = f"{days[0]:%Y-%m-%d}..{days[-1]:%Y-%m-%d}"
        what = f"{window}, {self.shape.path_words} forecast"
        path = Comparison.from_scores(m[FORECAST], m[NAIVE], "the naive forecast", what)
        drift = m[DRIFT].rmse if DRIFT in m else None
        if drift is not None and drift < path.baseline_rmse:
            # The naive forecast is the bar a path is tested against; the verdict names a better one.
            also = ", better than the model too" if drift < path.model_rmse else ""
            path = dataclasses.replace(path, note=f"the best baseline was drift: RMSE {drift:.4g}{also}")
        found = [
            Comparison.from_scores(m[ONE_STEP], m[PERSISTENCE], "persistence", f"{window}, one step ahead"),
            path,
        ]
        return self.standing.relabel(found) if self.standing else found

    def steps(self) -> tuple[Step, ...]:
        """Every day of the path, for the ledger."""
        return tuple(
            Step(i, f"{day:%Y-%m-%d}", _number(row, "forecast"), _number(row, "lower"), _number(row, "upper"))
            for i, (day, row) in enumerate(self.rows.to_dict("index").items(), start=1)
        )

    def render(self) -> list[Any]:
        from .value_views import forecast_view

        return forecast_view(self.to_json(), self.metrics, self.standing)

    def draw(self, figure: Any) -> None:
        from .value_views import draw_forecast

        draw_forecast(self, figure)

    def fold(self) -> dict[str, Any]:
        """The backtest's record of this forecast: its scores and, day by day for the pooled tests, the actual,
        yesterday's actual, both predictions and the bands; and how often the one-step line echoes yesterday."""
        rows = self.rows
        actual = rows["actual"].to_numpy()
        previous = np.concatenate([[self.history.iloc[-1]], actual[:-1]])
        one_step = rows["one_step"].to_numpy()
        always_up = Scores(direction_accuracy=float(np.mean(actual > previous)))
        metrics = {name: scores.to_dict() for name, scores in {**self.metrics, ALWAYS_UP: always_up}.items()}
        return {
            "metrics": metrics,
            "interval": self.interval(),
            "days": [
                {"date": f"{day:%Y-%m-%d}", "previous": _round(before), **{k: _round(row.get(k)) for k in DAY_COLUMNS}}
                for (day, row), before in zip(rows.iterrows(), previous, strict=True)
            ],
            # Is the one-step prediction closer to yesterday's price than to today's? Near 1: it echoes.
            "closer_to_yesterday": float(np.mean(np.abs(one_step - previous) < np.abs(one_step - actual))),
        }

    def signals(self) -> pd.DataFrame:
        """What a trading rule reads (strategy.py): for each origin day whose next price the forecast predicted,
        the expected return to that next close (a fraction) and its one-step band's ends. Days with an actual price
        give one each (their one-step prediction, made the day before); a forecast after the data gives one, its
        first step, made at the origin. Index: origin day; columns score, lower, upper."""
        rows = self.rows
        known = rows["actual"].notna().to_numpy()
        records = []
        if known.any():
            before = pd.concat([self.history.iloc[-1:], rows["actual"][known]]).iloc[:-1]
            one_step = rows[known]
            base = before.to_numpy()
            lower = one_step.get("one_step_lower", pd.Series(np.nan, index=one_step.index)).to_numpy()
            upper = one_step.get("one_step_upper", pd.Series(np.nan, index=one_step.index)).to_numpy()
            for origin, price, value, low, high in zip(before.index, base, one_step["one_step"].to_numpy(), lower,
                                                       upper, strict=True):  # fmt: skip
                records.append((origin, value / price - 1, low / price - 1, high / price - 1))
        else:  # a forecast after the data: its first step, made at the origin
            price, row = float(self.history.iloc[-1]), rows.iloc[0]
            low, high = (row.get(k, np.nan) for k in ("lower", "upper"))
            records.append((self.origin, row["forecast"] / price - 1, low / price - 1, high / price - 1))
        frame = pd.DataFrame.from_records(records, columns=["origin", "score", "lower", "upper"])
        return frame.set_index("origin").astype("float64")


def _number(row: dict, name: str) -> float | None:
    value = row.get(name)
    return None if value is None or not np.isfinite(value) else float(value)


def _round(value: Any) -> float | None:
    return None if value is None or not np.isfinite(value) else rounded(value, 6)
