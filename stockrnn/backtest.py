"""Evaluate stage, walk-forward: re-fit scaler and model at many cut-off dates and score what followed each one.

Input: validated `Prices` and a `TrainConfig`. Output: a JSON-ready dict with `folds` (one entry per cut-off:
the one-step and recursive scores of the model beside persistence, naive, drift and always-up, and the lag
diagnostic) and `summary` (median and quartiles of every score across folds). The training window expands: every
fold trains from `train_start` up to its cut-off and never sees a day after it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import parallel
from .config import HORIZON, LEVEL, TrainConfig
from .errors import DataError, UsageError
from .forecast import forecast_model
from .metrics import ALWAYS_UP, DRIFT, FORECAST, NAIVE, ONE_STEP, PERSISTENCE, verdict
from .targets import scaler_from_dict
from .train import fit
from .validate import Prices
from .windows import parse_day, price_column

# progress(fold, folds, cutoff): called before each fold is trained.
Progress = Callable[[int, int, str], None]
METHODS = (ONE_STEP, PERSISTENCE, FORECAST, NAIVE, DRIFT)


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
) -> dict[str, Any]:
    """Walk forward over `folds` cut-offs (see the module's docstring), `jobs` folds at a time; `level` of the
    prediction intervals, whose empirical coverage each fold reports (metrics.forecast.interval_coverage)."""
    if not 0 < level < 1:  # checked before the folds train, not by the first fold's forecast
        raise UsageError(f"--level must be between 0 and 1, not {level}")
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
    results = parallel.run(run_fold, tasks, jobs, before=report)
    return {"folds": results, "summary": summarize(results), "verdict": verdicts(results)}


def run_fold(fold: Fold) -> dict[str, Any]:
    """Train up to the fold's cut-off and score the `horizon` days after it."""
    series = price_column(fold.prices.frame, fold.config.column, fold.prices.source)
    model, scaler, manifest = fit(fold.prices, fold.config)
    result = forecast_model(
        model,
        scaler_from_dict(scaler),
        fold.config,
        fold.prices,
        f"{series.index[fold.start]:%Y-%m-%d}",
        fold.horizon,
        ("", f"fold {fold.number}"),
        manifest.abs_residuals,
        fold.level,
    )
    rows = result.rows
    actual = rows["actual"].to_numpy()
    previous = np.concatenate([[series.iloc[fold.start - 1]], actual[:-1]])
    one_step = rows["one_step"].to_numpy()
    metrics = result.metrics
    metrics[ALWAYS_UP] = {"direction_accuracy": float(np.mean(actual > previous))}
    return {
        "fold": fold.number,
        "cutoff": fold.config.train_end,
        "start": f"{rows.index[0]:%Y-%m-%d}",
        "end": f"{rows.index[-1]:%Y-%m-%d}",
        "train_rows": manifest.data.train_rows,
        "epochs": manifest.training.epochs_run,
        "scaler": scaler,
        "metrics": metrics,
        # Is the one-step prediction closer to yesterday's price than to today's? Near 1: it echoes.
        "closer_to_yesterday": float(np.mean(np.abs(one_step - previous) < np.abs(one_step - actual))),
    }


def summarize(folds: list[dict]) -> dict[str, Any]:
    """Median and quartiles across folds of every score (None where a method has none, e.g. persistence's direction)."""

    def spread(values: list[float | None]) -> dict[str, float] | None:
        found = [v for v in values if v is not None]
        if not found:
            return None
        q25, median, q75 = np.percentile(found, [25, 50, 75])
        return {"median": float(median), "q25": float(q25), "q75": float(q75)}

    summary: dict[str, Any] = {}
    for method in (*METHODS, ALWAYS_UP):
        names = folds[0]["metrics"][method].keys()
        summary[method] = {name: spread([f["metrics"][method][name] for f in folds]) for name in names}
    summary["closer_to_yesterday"] = spread([f["closer_to_yesterday"] for f in folds])
    return summary


def verdicts(folds: list[dict]) -> list[str]:
    """Median RMSE across folds, model against its baseline, for both kinds of prediction."""
    median = {m: float(np.median([f["metrics"][m]["rmse"] for f in folds])) for m in METHODS}
    window = f"{len(folds)} folds from {folds[0]['start']} to {folds[-1]['end']} (median RMSE)"
    return [
        verdict(median[ONE_STEP], median[PERSISTENCE], "persistence", f"{window}, one step ahead"),
        verdict(median[FORECAST], median[NAIVE], "the naive forecast", f"{window}, recursive forecast"),
    ]
