"""Evaluate stage, walk-forward: re-fit scaler and model at many cut-off dates and score what followed each one.

Input: validated `Prices` and a `TrainConfig`. Output: a JSON-ready dict with `folds` (one entry per cut-off:
the one-step and recursive scores of the model beside persistence, naive, drift and always-up, and the lag
diagnostic) and `summary` (median and quartiles of every score across folds). The training window expands: every
fold trains from `train_start` up to its cut-off and never sees a day after it. A direction model's folds hold its
probabilities and their scores instead (trend.report), pooled with their reliability (`pooled_direction`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import parallel
from .config import HORIZON, LEVEL, TrainConfig
from .direction import TrendForecast
from .errors import DataError, LostTaskError, UsageError
from .forecast import forecast_model
from .intervals import winkler
from .metrics import ALWAYS_UP, FORECAST, ONE_STEP
from .significance import compare
from .train import fit
from .validate import Prices
from .windows import parse_day, price_column

# progress(fold, folds, cutoff): called before each fold is trained.
Progress = Callable[[int, int, str], None]
DAY_COLUMNS = ("actual", "one_step", "forecast", "lower", "upper", "one_step_lower", "one_step_upper")


def cutoffs(count: int, folds: int, horizon: int, step: int) -> list[int]:
    """Positions of each fold's first evaluated day in a series of `count` days; the last fold ends on the last day."""
    if folds < 1 or horizon < 1 or step < 1:
        raise UsageError(f"--folds ({folds}), --horizon ({horizon}) and --step ({step}) must be at least 1")
    return [count - horizon - (folds - 1 - i) * step for i in range(folds)]


@dataclass(frozen=True)
class Fold:
    """One fold's work: everything it needs as values, so that it can run in another process."""

    number: int
    prices: Prices
    config: TrainConfig  # train_end is the fold's cut-off
    start: int  # position of the first evaluated day in the price column
    horizon: int
    level: float


def backtest(
    prices: Prices,
    config: TrainConfig,
    folds: int = 10,
    horizon: int = HORIZON,
    step: int = HORIZON,
    progress: Progress | None = None,
    level: float = LEVEL,
    jobs: int = 1,
    end: str | None = None,
    cluster: str | None = None,
    done: parallel.Done | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Walk forward over `folds` cut-offs (see the module's docstring), `jobs` folds at a time here or as tasks on
    the Dask `cluster`, the last fold ending on `end` (default: the data's last day); `level` of the prediction
    intervals, whose empirical coverage each fold reports (metrics.forecast.interval_coverage). A fold the cluster
    loses (`timeout`: seconds a task may run there) is a `LostTaskError`: a backtest is all its folds or none."""
    if not 0 < level < 1:  # checked before the folds train, not by the first fold's forecast
        raise UsageError(f"--level must be between 0 and 1, not {level}")
    prices = until(prices, end)
    days = price_column(prices.frame, config.column, prices.source).index
    starts = cutoffs(len(days), folds, horizon, step)
    first_day = parse_day(config.train_start, "--train-start") or days[0]
    first = int(days.searchsorted(first_day))
    if starts[0] - first < config.min_train_rows:
        need = config.min_train_rows + horizon + (folds - 1) * step
        raise DataError(
            f"{prices.source}: {folds} folds of {horizon} days every {step} days need {need} rows from "
            f"{first_day:%Y-%m-%d}; the data has {len(days) - first}: use fewer --folds, a smaller --step or an "
            "earlier --train-start"
        )
    tasks = [
        Fold(
            number, prices, dataclasses.replace(config, train_end=f"{days[start - 1]:%Y-%m-%d}"), start, horizon, level
        )
        for number, start in enumerate(starts, start=1)
    ]
    report = None if progress is None else lambda n, fold: progress(n, folds, fold.config.train_end)
    names = [f"fold {fold.number} (cut-off {fold.config.train_end})" for fold in tasks]
    results = parallel.run(
        run_fold, tasks, jobs, before=report, cluster=cluster, names=names, done=done, timeout=timeout
    )
    lost = [r for r in results if isinstance(r, parallel.Lost)]
    if lost:
        raise LostTaskError("; ".join(f"{r.name}: {r.reason}" for r in lost))
    together = (
        pooled_direction(results, config.horizon)
        if "p_up" in results[0]["days"][0]
        else pooled(results, horizon, level)
    )
    verdict = [c["verdict"] for c in together["comparisons"]]
    return {"folds": results, "summary": summarize(results), "pooled": together, "verdict": verdict}


def until(prices: Prices, end: str | None) -> Prices:
    """`prices` up to and including the day `end` (a `UsageError` when the data does not reach it)."""
    day = parse_day(end, "--end")
    if day is None:
        return prices
    index = prices.frame.index
    if not index[0] <= day <= index[-1]:
        raise UsageError(f"--end {day:%Y-%m-%d} is outside the data ({index[0]:%Y-%m-%d} to {index[-1]:%Y-%m-%d})")
    return dataclasses.replace(prices, frame=prices.frame.loc[:day])


def run_fold(fold: Fold) -> dict[str, Any]:
    """Train up to the fold's cut-off and score the `horizon` days after it."""
    series = price_column(fold.prices.frame, fold.config.column, fold.prices.source)
    model, scaler, manifest = fit(fold.prices, fold.config)
    result = forecast_model(
        model,
        scaler,
        fold.config,
        fold.prices,
        f"{series.index[fold.start]:%Y-%m-%d}",
        fold.horizon,
        ("", f"fold {fold.number}"),
        manifest.interval,
        fold.level,
    )
    head = {
        "fold": fold.number,
        "cutoff": fold.config.train_end,
        "start": f"{result.rows.index[0]:%Y-%m-%d}",
        "end": f"{result.rows.index[-1]:%Y-%m-%d}",
        "train_rows": manifest.data.train_rows,
        "epochs": manifest.training.epochs_run,
        "scaler": scaler,
    }
    if isinstance(result, TrendForecast):  # the direction target: probabilities, day by day for the pooled scores
        days = [{"date": f"{day:%Y-%m-%d}", "p_up": _round(row["p_up"]), "outcome": _round(row["outcome"]),
                 "base_rate": result.base_rate} for day, row in result.rows.iterrows()]  # fmt: skip
        return {**head, "metrics": result.metrics, "days": days}
    rows = result.rows
    actual = rows["actual"].to_numpy()
    previous = np.concatenate([[series.iloc[fold.start - 1]], actual[:-1]])
    one_step = rows["one_step"].to_numpy()
    metrics = result.metrics
    metrics[ALWAYS_UP] = {"direction_accuracy": float(np.mean(actual > previous))}
    return {
        **head,
        "metrics": metrics,
        "interval": result.interval(),
        # Day by day, for the pooled tests: the actual, yesterday's actual, both predictions and the band.
        "days": [
            {"date": f"{day:%Y-%m-%d}", "previous": _round(before), **{k: _round(row.get(k)) for k in DAY_COLUMNS}}
            for (day, row), before in zip(rows.iterrows(), previous, strict=True)
        ],
        # Is the one-step prediction closer to yesterday's price than to today's? Near 1: it echoes.
        "closer_to_yesterday": float(np.mean(np.abs(one_step - previous) < np.abs(one_step - actual))),
    }


def _round(value: Any) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 6)


def summarize(folds: list[dict]) -> dict[str, Any]:
    """Median and quartiles across folds of every score (None where a method has none, e.g. persistence's direction)."""

    def spread(values: list[float | None]) -> dict[str, float] | None:
        found = [v for v in values if v is not None]
        if not found:
            return None
        q25, median, q75 = np.percentile(found, [25, 50, 75])
        return {"median": float(median), "q25": float(q25), "q75": float(q75)}

    summary: dict[str, Any] = {}
    for method, scores in folds[0]["metrics"].items():
        names = [k for k, v in scores.items() if not k.startswith("test")]  # the pooled days are tested
        summary[method] = {name: spread([f["metrics"][method][name] for f in folds]) for name in names}
    if "closer_to_yesterday" in folds[0]:
        summary["closer_to_yesterday"] = spread([f["closer_to_yesterday"] for f in folds])
    return summary


def pooled_direction(folds: list[dict], horizon: int) -> dict[str, Any]:
    """The probabilities of all folds' days together: their scores beside each fold's base rate and always-up, the
    DM tests (horizon - 1 lags: the labels overlap) and the reliability of the probabilities."""
    from . import trend

    days = [day for fold in folds for day in fold["days"]]
    p, y, base = (np.array([day[k] for day in days], dtype="float64") for k in ("p_up", "outcome", "base_rate"))
    metrics = trend.report(p, y, base, horizon)
    window = (
        f"{len(folds)} folds, {len(days)} days from {folds[0]['start']} to {folds[-1]['end']}, {horizon} days ahead"
    )
    comparisons = trend.comparisons(metrics, window)
    return {
        "days": len(days),
        "metrics": metrics,
        "comparisons": [c.to_dict() for c in comparisons],
        "reliability": trend.reliability(p, y),
    }


def pooled(folds: list[dict], horizon: int, level: float) -> dict[str, Any]:
    """The out-of-sample days of all folds together: the Diebold-Mariano test of the model against its baseline for
    both kinds of prediction (the recursive paths with horizon - 1 lags), and each band's coverage and score."""
    days = [day for fold in folds for day in fold["days"]]

    def column(name: str) -> np.ndarray:
        return np.array([np.nan if day[name] is None else day[name] for day in days], dtype="float64")

    actual, origin_price = column("actual"), []
    for fold in folds:  # the naive forecast holds each fold's origin price flat
        origin_price += [fold["days"][0]["previous"]] * len(fold["days"])
    window = f"{len(folds)} folds, {len(days)} days from {folds[0]['start']} to {folds[-1]['end']}"
    comparisons = [
        compare(actual, column("one_step"), column("previous"), "persistence", f"{window}, one step ahead"),
        compare(actual, column("forecast"), np.array(origin_price), "the naive forecast",
                f"{window}, recursive forecast", h=horizon),
    ]  # fmt: skip
    return {
        "days": len(days),
        "comparisons": [c.to_dict() for c in comparisons],
        "interval": {
            "level": level,
            FORECAST: _band(folds, FORECAST, actual, column("lower"), column("upper"), level),
            ONE_STEP: _band(folds, ONE_STEP, actual, column("one_step_lower"), column("one_step_upper"), level),
        },
    }


def _band(folds: list[dict], method: str, actual: np.ndarray, lower: np.ndarray, upper: np.ndarray, level: float):
    """Pooled coverage and interval score of one kind of band, and each fold's coverage; None without a band."""
    banded = np.isfinite(lower) & np.isfinite(upper)
    if not banded.any():
        return None
    actual, lower, upper = actual[banded], lower[banded], upper[banded]
    return {
        "coverage": float(np.mean((lower <= actual) & (actual <= upper))),
        "fold_coverage": [f["metrics"][method].get("interval_coverage") for f in folds],
        "winkler": float(np.mean(winkler(actual, lower, upper, level))),
    }
