"""Value targets: the network predicts the next day's value (a price level, or a daily log return), decoded into
prices; judged one step ahead against persistence and, as a recursive path, against the naive and drift forecasts.

Input: prices (n,), a model and its scaler. Output: `ValueForecast` (the recursive forecast from the origin, each
prediction fed back as input, and the one-step predictions that use the actual previous prices, with their
prediction intervals and, where actual prices are known, their scores beside the baselines), and its backtest,
contest and track-record scores.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import intervals, shapes
from ..baselines import Drift, Naive, Persistence
from ..metrics import (
    ALWAYS_UP,
    DRIFT,
    FORECAST,
    NAIVE,
    ONE_STEP,
    PERSISTENCE,
    Scores,
    coverage,
    scores,
    skill,
)
from ..significance import Comparison, compare, forecast_comparison, overlapping, squared_error_test
from ..windows import parse_day
from .base import Forecasting, Target, windows_at
from .scaling import Scaler, scale, scaler_from_dict, unscale
from .value_result import ValueForecast

if TYPE_CHECKING:
    from ..config import TrainConfig

log = logging.getLogger("stockrnn")


@dataclass(frozen=True)
class ValueTarget(Target):
    """A regression on the next day's value, judged one step ahead against persistence by RMSE."""

    def decode_one_step(self, values: np.ndarray, previous: np.ndarray) -> np.ndarray:
        """Predicted values (n,), each made from the actual price before it (`previous`, (n,)) -> prices (n,)."""
        raise NotImplementedError

    def decode_path(self, values: np.ndarray, origin_price: float) -> np.ndarray:
        """A recursive path of values (n,) from the origin's price -> prices (n,)."""
        raise NotImplementedError

    def validate(
        self, config: TrainConfig, data: Any, outputs: np.ndarray, paths: np.ndarray | None = None
    ) -> tuple[dict, dict | None, dict | None]:
        actual = data.prices.loc[data.val_dates].to_numpy()
        previous = data.prices.shift(1).loc[data.val_dates].to_numpy()  # yesterday's actual price
        predicted = self.decode_one_step(unscale(data.scaler, outputs), previous)
        # The validation tail's out-of-sample one-step errors calibrate the prediction intervals.
        where = data.prices.index.get_indexer(data.val_dates)
        history = data.prices.to_numpy()
        interval = intervals.calibrate(history, predicted - actual, where)
        if paths is not None:  # a direct head: its own errors at each step calibrate the forecast band
            origins = where - 1  # each window's last day, the day before its first label
            priced = np.array(
                [self.decode_path(unscale(data.scaler, p), history[o]) for p, o in zip(paths, origins, strict=True)]
            )  # (n_val, H) prices
            interval = intervals.with_steps(interval, history, priced, origins)
        return self.report(actual, predicted, previous), interval, None

    def comparisons(self, metrics: dict[str, Any], window: str, config: TrainConfig) -> list[Comparison]:
        scored = (metrics[self.scored], metrics[self.baseline])
        return [Comparison.from_scores(*scored, self.baseline, f"{window}, one step ahead")]

    def report(self, actual: np.ndarray, predicted: np.ndarray, previous: np.ndarray) -> dict[str, Scores]:
        """The scores of one-step predictions (n,) beside persistence; `previous` (n,) = yesterday's prices."""
        from ..metrics import one_step_report

        return one_step_report(actual, predicted, previous)

    def read_scores(self, data: dict[str, dict]) -> dict[str, Any]:
        return {name: None if scores is None else Scores.from_dict(scores) for name, scores in data.items()}

    def scores_view(self, title: str, metrics: dict[str, Any]) -> list[Any]:
        from .value_views import scores_view

        return scores_view(title, metrics)

    def forecast_many(
        self, model: Any, scalers: Sequence[Scaler | dict], config: TrainConfig, ats: Sequence[Forecasting]
    ) -> list[ValueForecast]:
        """The recursive path from each origin and, on the days whose actual prices are known, the one-step
        predictions, with their prediction intervals (intervals.band, from each `at.calibration`) and their scores
        beside the naive, drift and persistence baselines. The paths advance together (`Shape.advance`: one
        prediction call a step for all of them) and the one-step windows of all go in one call."""
        if not ats:
            return []
        shape = shapes.of(config)  # the path: recursive, or a direct head's outputs
        window = config.window
        fitted = [scaler_from_dict(s) if isinstance(s, dict) else s for s in scalers]
        values = [at.series.to_numpy() for at in ats]
        scaled = [scale(s, self.encode(v)) for s, v in zip(fitted, values, strict=True)]  # each (n_i,)
        days = max(len(at.dates) for at in ats)  # one `days` for all (forecast_model's)
        # With covariates, the path is what the head outputs from the origin's window (no later covariate is known):
        # forecast_model refuses more days, or (a contest's holdout, scored one step ahead) leaves the rest NaN
        covariates = [None if at.extra is None else at.extra[at.position - window : at.position] for at in ats]
        steps = days if all(c is None for c in covariates) else min(days, shape.extra_days() + 1)
        fixed = [at.fixed() for at in ats]
        starts = np.stack([x[at.position - window : at.position] for x, at in zip(scaled, ats, strict=True)])
        paths = shape.advance(  # (m, steps)
            model, starts, steps,  # (m, window)
            None if covariates[0] is None else np.stack([c for c in covariates if c is not None]),  # (m, window, k)
            None if fixed[0] is None else np.stack([f for f in fixed if f is not None]),  # (m, c)
        )  # fmt: skip
        # Each known day from the window ending the day before it, every member's in one call.
        known = [at.series.iloc[at.position : at.position + len(at.dates)] for at in ats]
        windows = [
            windows_at(x, at.extra, np.arange(at.position - 1, at.position - 1 + len(k)), window, f)
            for x, at, k, f in zip(scaled, ats, known, fixed, strict=True)
        ]
        predicted = shape.one_step(model, np.concatenate(windows)) if sum(map(len, windows)) else np.empty(0)
        each = np.split(predicted, np.cumsum([len(w) for w in windows])[:-1])  # member i's (known_i,)
        return [
            self._forecast(config, at, s, v, p, o, shape)
            for at, s, v, p, o in zip(ats, fitted, values, paths, each, strict=True)
        ]

    def _forecast(
        self, config: TrainConfig, at: Forecasting, scaler: Scaler, values: np.ndarray, recursive: np.ndarray,
        predicted: np.ndarray, shape: shapes.Shape,
    ) -> ValueForecast:  # fmt: skip
        """One series' forecast from its scaled path `recursive` (steps,) and one-step outputs `predicted` (known,)."""
        series, position, dates, level, calibration = at.series, at.position, at.dates, at.level, at.calibration
        days = len(dates)
        known = series.iloc[position : position + days]  # actual prices of the forecast period, where known
        steps = len(recursive)
        path = np.full(days, np.nan)
        path[:steps] = self.decode_path(unscale(scaler, recursive), values[position - 1])
        one_step = np.full(days, np.nan)
        if len(known):
            one_step[: len(known)] = self.decode_one_step(
                unscale(scaler, predicted), values[position - 1 : position - 1 + len(known)]
            )

        rows = pd.DataFrame(
            {"forecast": path, "one_step": one_step, "actual": np.nan}, index=pd.DatetimeIndex(dates, name="date")
        )
        rows.loc[known.index, "actual"] = known.to_numpy()
        origin = series.index[position - 1]
        # The bands measure moves since the training start; a forecast from before it (the data's past, or another
        # file's) measures them since the data's first day instead.
        train_start = parse_day(config.train_start, "train_start")
        if len(series.loc[train_start:origin]) < 2:
            train_start = None
        history = series.loc[train_start:origin]
        bounds = intervals.band(calibration, path, history.to_numpy(), level) if calibration else None
        if calibration and bounds is None:
            n, what = intervals.scores_behind(calibration, len(history), days)
            log.warning(
                "no %s prediction interval: the %d %s support at most %s",
                f"{level:.4%}".rstrip("0").rstrip("."), n, what, f"{n / (n + 1):.4%}",
            )  # fmt: skip
        if bounds is not None:
            rows["lower"], rows["upper"] = (np.where(np.isnan(path), np.nan, bound) for bound in bounds)
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
        scored = rows.iloc[: len(known)]
        metrics = _metrics(scored, history) if len(known) else {}
        if metrics and bounds is not None:
            covered = coverage(scored["actual"], scored["lower"], scored["upper"])
            metrics[FORECAST] = metrics[FORECAST].but(interval_coverage=covered)
        if metrics and one_step_bounds is not None:
            covered = coverage(scored["actual"], scored["one_step_lower"], scored["one_step_upper"])
            metrics[ONE_STEP] = metrics[ONE_STEP].but(interval_coverage=covered)
        return ValueForecast(
            symbol=at.label[0],
            version=at.label[1],
            column=config.column,
            origin=origin,
            rows=rows,
            metrics=metrics,
            history=series.loc[:origin],
            level=level if bounds is not None else None,
            interval_method=calibration["method"] if calibration and bounds is not None else None,
            target=self.name,
            shape=shape,
        )

    def pool(self, folds: list[dict], config: TrainConfig, horizon: int, level: float) -> dict[str, Any]:
        """The out-of-sample days of all folds together: the Diebold-Mariano test of the model against its baseline
        for both kinds of prediction (the paths with horizon - 1 lags), and each band's coverage and score; the
        forecast band's coverage also per step h = 1..horizon after the cut-off (`step_coverage`, pooled over
        folds; None for a step no fold has a band on)."""
        days = [day for fold in folds for day in fold["days"]]

        def column(name: str) -> np.ndarray:
            return np.array([np.nan if day[name] is None else day[name] for day in days], dtype="float64")

        actual, origin_price = column("actual"), []
        for fold in folds:  # the naive forecast holds each fold's origin price flat
            origin_price += [fold["days"][0]["previous"]] * len(fold["days"])
        window = f"{len(folds)} folds, {len(days)} days from {folds[0]['start']} to {folds[-1]['end']}"
        path_words = shapes.of(config).path_words
        step = np.concatenate([np.arange(1, len(fold["days"]) + 1) for fold in folds])  # (days,): 1 = the first
        persistence, naive = Persistence().predict(column("previous")), Naive().predict(np.array(origin_price))
        comparisons = [
            compare(actual, column("one_step"), persistence, "persistence", f"{window}, one step ahead"),
            compare(
                actual, column("forecast"), naive, "the naive forecast", f"{window}, {path_words} forecast", h=horizon
            ),
        ]
        band = _band(folds, FORECAST, actual, column("lower"), column("upper"), level)
        if band is not None:
            band["step_coverage"] = _step_coverage(step, actual, column("lower"), column("upper"))
        return {
            "days": len(days),
            "path": path_words,
            "comparisons": [c.to_dict() for c in comparisons],
            "interval": {
                "level": level,
                FORECAST: band,
                ONE_STEP: _band(folds, ONE_STEP, actual, column("one_step_lower"), column("one_step_upper"), level),
            },
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
        """The one-step forecast as a log return from the actual previous price: its squared error beside
        persistence's (a return of 0), and its wrong calls of the direction beside always-up's (a flat day counts
        as not up)."""
        fitted = scaler_from_dict(scaler)
        values = series.to_numpy(dtype="float64")
        scaled = scale(fitted, self.encode(values))
        origins = labels - config.horizon
        inputs = windows_at(scaled, extra, origins, config.window)  # (n, window, 1 + k)
        complete = ~np.isnan(inputs).any(axis=(1, 2))
        raw = np.full(len(labels), np.nan)
        if complete.any():
            raw[complete] = shapes.of(config).one_step(model, inputs[complete])
        previous = values[origins]
        predicted = np.log(self.decode_one_step(unscale(fitted, raw), previous) / previous)  # (n,) log returns
        actual = np.log(values[labels] / previous)
        wrong = np.where(np.isnan(predicted), np.nan, ((predicted > 0) != (actual > 0)) * 1.0)
        return {
            "RMSE": {"model": (predicted - actual) ** 2, "persistence": actual**2},
            "error rate": {"model": wrong, "always up": (actual <= 0) * 1.0},
        }

    def pooled_score(self, score: str, mean_loss: float) -> float:
        return float(np.sqrt(mean_loss)) if score == "RMSE" else mean_loss

    def backtest_view(self, report: dict[str, Any]) -> list[Any]:
        from .value_views import backtest_view

        return backtest_view(report)

    def draw_backtest(self, figure: Any, report: dict[str, Any]) -> None:
        from .value_views import draw_backtest

        draw_backtest(figure, report)

    def versus(self, challenger: Any, champion: Any) -> Comparison:
        """One-step predictions by squared error."""
        rows = challenger.rows
        window = f"the holdout {rows.index[0]:%Y-%m-%d}..{rows.index[-1]:%Y-%m-%d}, one step ahead"
        return compare(rows["actual"], rows["one_step"], champion.rows["one_step"], "the champion", window, 1,
                       "the challenger")  # fmt: skip

    def score_track(self, table: pd.DataFrame, span: str) -> tuple[int, dict[str, Any], list[Comparison]]:
        """Every matured step beside naive (the origin's price held flat), the first steps beside persistence, the
        direction from the origin beside always-up, the interval's coverage; the DM tests take one observation per
        forecast (significance.forecast_comparison)."""
        table = table[table["forecast"].notna()]
        if table.empty:
            return 0, {}, []
        a, f, o = (table[k].to_numpy(dtype="float64") for k in ("actual", "forecast", "origin"))
        first_step = table[table["step"] == 1]
        a1, f1, o1 = (first_step[k].to_numpy(dtype="float64") for k in ("actual", "forecast", "origin"))
        naive = scores(a, Naive().predict(o), o, o)
        banded = (table["lower"].notna() & table["upper"].notna()).to_numpy()
        covered = coverage(a[banded], table["lower"][banded], table["upper"][banded]) if banded.any() else None
        forecast = scores(a, f, o, o)
        forecast = forecast.but(skill=skill(forecast.rmse, naive.rmse), interval_coverage=covered)
        first = persistence = None  # the first steps (one day ahead), where any matured
        if len(a1):
            persistence = scores(a1, Persistence().predict(o1), o1, o1)
            first = scores(a1, f1, o1, o1)
            first = first.but(skill=skill(first.rmse, persistence.rmse))
        metrics: dict[str, Scores | None] = {
            FORECAST: forecast,
            NAIVE: naive,
            ONE_STEP: first,
            PERSISTENCE: persistence,
            ALWAYS_UP: Scores(direction_accuracy=float(np.mean(a > o))),
        }
        longest = int(table["step"].max())
        comparisons = [
            forecast_comparison(table, "the naive forecast", f"{span}, up to {longest} steps each", overlapping(table))
        ]
        if len(a1):
            comparisons.append(forecast_comparison(first_step, "persistence", f"{span}, one day ahead", 0))
        return len(table), metrics, comparisons

    def track_row(self, metrics: dict[str, Any], level: float | None, comparisons: list[Comparison]) -> list[str]:
        from .value_views import track_row

        return track_row(metrics, level, comparisons)

    # The trading rule: long when the expected return to the next close beats the threshold, short (when allowed)
    # when it is below minus the threshold. The threshold covers at least a round trip's cost (in and out).
    score_name = "expected return"

    def default_threshold(self, cost: float) -> float:
        return 2 * cost

    def threshold_problem(self, threshold: float, cost: float) -> str | None:
        if not 0 <= threshold < 0.5:
            return f"between 0 and 0.5 (a fraction: 0.002 = 0.2%), not {threshold:g}"
        if threshold < 2 * cost:
            return f"at least the round-trip cost {2 * cost:g} (two sides of the cost), not {threshold:g}"
        return None

    def decide(self, scores: np.ndarray, threshold: float, short: bool) -> np.ndarray:
        scores = np.nan_to_num(np.asarray(scores, dtype="float64"), nan=0.0)
        return np.where(scores > threshold, 1.0, np.where(short & (scores < -threshold), -1.0, 0.0))

    def margin(self, score: float, threshold: float, short: bool) -> float:
        score = 0.0 if not np.isfinite(score) else float(score)
        return max(score - threshold, -score - threshold) if short else score - threshold

    def score_text(self, score: float | None, lower: float | None, upper: float | None) -> str:
        if score is None or not np.isfinite(score):
            return f"{self.score_name} n/a"
        band = f" [{lower:+.1%}, {upper:+.1%}]" if lower is not None and upper is not None else ""
        return f"E(r) {score:+.2%}{band}"


def _band(folds: list[dict], method: str, actual: np.ndarray, lower: np.ndarray, upper: np.ndarray, level: float):
    """Pooled coverage and interval score of one kind of band, and each fold's coverage; None without a band."""
    banded = np.isfinite(lower) & np.isfinite(upper)
    if not banded.any():
        return None
    actual, lower, upper = actual[banded], lower[banded], upper[banded]
    return {
        "coverage": float(np.mean((lower <= actual) & (actual <= upper))),
        "fold_coverage": [f["metrics"][method].get("interval_coverage") for f in folds],
        "winkler": float(np.mean(intervals.winkler(actual, lower, upper, level))),
    }


def _step_coverage(step: np.ndarray, actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> list[float | None]:
    """The band's coverage at each step h = 1..max(step) after the cut-off (all arrays (days,)), pooled over the
    folds; None for a step with no band or no actual price."""
    banded = np.isfinite(lower) & np.isfinite(upper) & np.isfinite(actual)
    inside = (lower <= actual) & (actual <= upper)
    return [float(np.mean(inside[banded & (step == h)])) if (banded & (step == h)).any() else None
            for h in range(1, int(step.max()) + 1)]  # fmt: skip


def _metrics(rows: pd.DataFrame, history: pd.Series) -> dict[str, Scores]:
    """Scores of every method on the days with actual prices; `history` ends at the origin."""
    actual = rows["actual"].to_numpy()
    origin_price = float(history.iloc[-1])
    previous = np.concatenate([[origin_price], actual[:-1]])  # yesterday's actual price, day by day
    naive = Naive().path(origin_price, len(rows))
    drift = Drift.fit(history.to_numpy()).path(origin_price, len(rows))

    def path(values: np.ndarray) -> Scores:  # a multi-day path's direction is judged step by step
        return scores(actual, values, previous, np.concatenate([[origin_price], values[:-1]]))

    forecast = rows["forecast"].to_numpy()
    result = {
        FORECAST: path(forecast),
        NAIVE: path(naive),
        DRIFT: path(drift),
        ONE_STEP: scores(actual, rows["one_step"].to_numpy(), previous),
        PERSISTENCE: scores(actual, Persistence().predict(previous), previous),
    }
    for name, baseline in ((FORECAST, NAIVE), (DRIFT, NAIVE), (ONE_STEP, PERSISTENCE)):
        result[name] = result[name].but(skill=skill(result[name].rmse, result[baseline].rmse))
    for name in (NAIVE, PERSISTENCE):
        result[name] = result[name].but(skill=0.0)
    # A path from one origin: step h is an h-step forecast, so the test allows for len(rows) - 1 lags.
    tests = {
        FORECAST: squared_error_test(actual, forecast, naive, h=len(rows)),
        ONE_STEP: squared_error_test(actual, rows["one_step"].to_numpy(), previous),
    }
    return {name: s.but(test=tests[name].recorded()) if name in tests else s for name, s in result.items()}


@dataclass(frozen=True)
class PriceTarget(ValueTarget):
    """The lecture's: price levels, min-max scaled to [0, 1] on the training rows."""

    def encode(self, prices: np.ndarray) -> np.ndarray:
        return np.asarray(prices, dtype="float64")

    def fit_scaler(self, values: np.ndarray) -> Scaler:
        low, high = np.nanmin(values), np.nanmax(values)
        return Scaler({"kind": "minmax", "feature_range": [0.0, 1.0], "data_min": float(low), "data_max": float(high)})

    def decode_one_step(self, values: np.ndarray, previous: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype="float64")

    def decode_path(self, values: np.ndarray, origin_price: float) -> np.ndarray:
        return np.asarray(values, dtype="float64")


class ReturnEncoding:
    """Daily log returns log(p_t / p_t-1), divided by their standard deviation on the training rows and not
    centred, so that a prediction of 0 is "tomorrow = today" (persistence); a panel's pooled scaler (--scaling
    pooled) centres them, as Fischer and Krauss do."""

    def encode(self, prices: np.ndarray) -> np.ndarray:
        return np.concatenate([[np.nan], np.diff(np.log(np.asarray(prices, dtype="float64")))])

    def fit_scaler(self, values: np.ndarray) -> Scaler:
        return Scaler({"kind": "scale", "scale": float(np.nanstd(values))})  # the population deviation (ddof 0)

    def fit_pooled_scaler(self, values: np.ndarray) -> Scaler:
        """Fischer and Krauss's (2018, section 3.2) standardisation: every member's training returns (n,) together,
        centred on their mean and divided by their deviation (ddof 0), one mean and one deviation for the panel."""
        return Scaler({"kind": "standard", "mean": float(np.nanmean(values)), "scale": float(np.nanstd(values))})

    def decode_one_step(self, values: np.ndarray, previous: np.ndarray) -> np.ndarray:
        return np.asarray(previous, dtype="float64") * np.exp(np.asarray(values, dtype="float64"))

    def decode_path(self, values: np.ndarray, origin_price: float) -> np.ndarray:
        return origin_price * np.exp(np.cumsum(np.asarray(values, dtype="float64")))


@dataclass(frozen=True)
class ReturnTarget(ReturnEncoding, ValueTarget):
    __doc__ = ReturnEncoding.__doc__
