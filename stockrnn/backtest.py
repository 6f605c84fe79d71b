"""Evaluate stage, walk-forward: re-fit scaler and model at many cut-off dates and score what followed each one.

Input: validated `Prices` and a `TrainConfig`. Output: a `BacktestReport` with `folds` (one entry per cut-off:
its target's record: for a value target the one-step and recursive scores of the model beside persistence, naive,
drift and always-up, and the lag diagnostic; for the direction target its probabilities and their scores),
`summary` (median and quartiles of every score across folds) and `pooled` (all folds' days together, the target's
`pool`). The training window expands: every fold trains from `train_start` up to its cut-off and never sees a day
after it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import parallel, shapes, targets
from .config import HORIZON, LEVEL, TrainConfig
from .errors import DataError, LostTaskError, UsageError
from .forecast import forecast_model
from .strategy_report import StrategyReport, signal_records
from .targets import Target
from .train import fit
from .validate import Prices
from .windows import parse_day, price_column

# progress(fold, folds, cutoff): called before each fold is trained.
FoldProgress = Callable[[int, int, str], None]


def cutoffs(count: int, folds: int, horizon: int, step: int) -> list[int]:
    """Positions of each fold's first evaluated day in a series of `count` days; the last fold ends on the last day."""
    if folds < 1 or horizon < 1 or step < 1:
        raise UsageError(f"--folds ({folds}), --horizon ({horizon}) and --step ({step}) must be at least 1")
    return [count - horizon - (folds - 1 - i) * step for i in range(folds)]


def fold_starts(
    days: pd.DatetimeIndex, config: TrainConfig, folds: int, horizon: int, step: int, where: str, unit: str, has: str
) -> list[int]:
    """`cutoffs` over `days`, checked: a `DataError` (naming `where`, counting `unit`s: "the data has" N rows, "it
    has" N days) when the first cut-off leaves fewer than `config.min_train_rows` days after `--train-start`."""
    starts = cutoffs(len(days), folds, horizon, step)
    first_day = parse_day(config.train_start, "--train-start") or days[0]
    first = int(days.searchsorted(first_day))
    if starts[0] - first < config.min_train_rows:
        need = config.min_train_rows + horizon + (folds - 1) * step
        raise DataError(
            f"{where} {folds} folds of {horizon} days every {step} days need {need} {unit} from "
            f"{first_day:%Y-%m-%d}; {has} {len(days) - first}: use fewer --folds, a smaller --step or an "
            "earlier --train-start"
        )
    return starts


@dataclass(frozen=True)
class BacktestReport:
    """A walk-forward backtest's result. Its folds, summary and pooled scores are what its target's `Result.fold()`
    and `pool` made (JSON-ready); the target prints and draws them."""

    target: Target
    folds: list[dict[str, Any]]  # one record per fold, in order
    summary: dict[str, Any]  # median and quartiles across folds of every score (`summarize`)
    pooled: dict[str, Any]  # all folds' days together: tests, bands or reliability (the target's `pool`)
    verdict: list[str]  # the pooled comparisons in words
    symbol: str | None = None  # what the report names
    plot: str | None = None  # the PNG drawn of it, if any
    strategy: StrategyReport | None = None  # the folds' signals traded (backtest --strategy)
    strategy_plot: str | None = None  # the PNG of its equity curves, if any
    shape: shapes.Shape = shapes.ManyToOne()  # the models' output shape (shapes.py), as predict's JSON says it
    horizon: int = HORIZON  # trading days scored after each cut-off: a path of this many days

    def to_json(self) -> dict[str, Any]:
        # As predict's: the shape, and for a target with a path of values how it was made and what it should say
        # (a path longer than a multi-day head continues from its outputs).
        path = {"path": self.shape.path_words, "path_note": self.shape.note(self.horizon)}
        return {
            "symbol": self.symbol, "shape": self.shape.describe(), **(path if self.target.has_path else {}),
            "folds": self.folds, "summary": self.summary,
            "pooled": self.pooled, "verdict": self.verdict, **({"plot": self.plot} if self.plot else {}),
            **({"strategy": self.strategy.to_json()} if self.strategy else {}),
            **({"strategy_plot": self.strategy_plot} if self.strategy_plot else {}),
        }  # fmt: skip

    def render(self) -> list[Any]:
        """Printable items (a str: a line; otherwise a rich renderable)."""
        return self.target.backtest_view(self.to_json()) + (self.strategy.render() if self.strategy else [])

    def draw(self, figure: Any) -> None:
        self.target.draw_backtest(figure, self.to_json())


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
    progress: FoldProgress | None = None,
    level: float = LEVEL,
    jobs: int = 1,
    end: str | None = None,
    cluster: str | None = None,
    done: parallel.Done | None = None,
    timeout: float | None = None,
) -> BacktestReport:
    """Walk forward over `folds` cut-offs (see the module's docstring), `jobs` folds at a time here or as tasks on
    the Dask `cluster`, the last fold ending on `end` (default: the data's last day); `level` of the prediction
    intervals, whose empirical coverage each fold reports (metrics.forecast.interval_coverage). A fold the cluster
    loses (`timeout`: seconds a task may run there) is a `LostTaskError`: a backtest is all its folds or none."""
    if not 0 < level < 1:  # checked before the folds train, not by the first fold's forecast
        raise UsageError(f"--level must be between 0 and 1, not {level}")
    prices = until(prices, end)
    days = price_column(prices.frame, config.column, prices.source).index
    starts = fold_starts(days, config, folds, horizon, step, f"{prices.source}:", "rows", "the data has")
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
    records = [r for r in results if not isinstance(r, parallel.Lost)]  # every fold's, typed as such: none was lost
    target = targets.get(config.target)
    together = target.pool(records, config, horizon, level)
    verdict = [c["verdict"] for c in together["comparisons"]]
    return BacktestReport(
        target, records, summarize(records), together, verdict, shape=shapes.of(config), horizon=horizon
    )


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
    """Train up to the fold's cut-off and score the `horizon` days after it: the fold's record (its target's
    `Result.fold()`, JSON-ready, after the fold's number, cut-off, days, training rows, epochs and scaler)."""
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
    return {
        "fold": fold.number,
        "cutoff": fold.config.train_end,
        "start": f"{result.rows.index[0]:%Y-%m-%d}",
        "end": f"{result.rows.index[-1]:%Y-%m-%d}",
        "train_rows": manifest.data.train_rows,
        "epochs": manifest.training.epochs_run,
        "scaler": scaler,
        **result.fold(),
        "signals": signal_records(result.signals()),  # what a trading rule reads (strategy_report.py)
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
    for method, scores in folds[0]["metrics"].items():
        names = [k for k, v in scores.items() if not k.startswith("test")]  # the pooled days are tested
        summary[method] = {name: spread([f["metrics"][method][name] for f in folds]) for name in names}
    if "closer_to_yesterday" in folds[0]:
        summary["closer_to_yesterday"] = spread([f["closer_to_yesterday"] for f in folds])
    return summary
