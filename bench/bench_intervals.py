"""Benchmark: which prediction interval holds when markets move? The table of docs/intervals.md.

    .venv/bin/python bench/bench_intervals.py            # collect the folds (about 6 minutes on 2 cores), then score
    .venv/bin/python bench/bench_intervals.py --cached   # score again from build/intervals_folds.pkl

Every period is a 10-fold walk-forward backtest of the default model (21 trading days per fold, a new fold every 21
days): both bundled indices through 2018 (training from 2012), the dot-com slide (folds of 2002, training from 1999)
and the 2008 crash (folds from May 2008 to March 2009, training from 2004). Each fold keeps what every band method
needs: the recursive forecast path and the actual prices after the origin, the prices up to the origin, and the
validation tail's one-step errors with the price each one started from. The methods are then scored on the same
folds: coverage of the 80% band per fold (median and worst) and pooled, and the interval (Winkler) score, in price
units relative to the naive forecast's RMSE, so that a band cannot win by being wide.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import pickle
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "build" / "intervals_folds.pkl"
LEVEL = 0.8
PERIODS = {  # name: (file, train_start, last day scored)
    "S&P 500 2018": ("sp500.csv", "2012-01-01", "2018-12-31"),
    "Nasdaq 2018": ("nasdaq.csv", "2012-01-01", "2018-12-31"),
    "S&P 500 2002": ("sp500.csv", "1999-01-04", "2002-10-31"),
    "Nasdaq 2002": ("nasdaq.csv", "1999-01-04", "2002-10-31"),
    "S&P 500 2008-09": ("sp500.csv", "2004-01-01", "2009-03-31"),
    "Nasdaq 2008-09": ("nasdaq.csv", "2004-01-01", "2009-03-31"),
}


def collect_period(name: str) -> list[dict]:
    """Train the period's 10 folds and keep, per fold, the arrays every band method needs."""
    from stockrnn import backend, targets
    from stockrnn.backtest import cutoffs
    from stockrnn.config import TrainConfig
    from stockrnn.forecast import forecast_model
    from stockrnn.targets import scaler_from_dict, unscale
    from stockrnn.train import fit
    from stockrnn.validate import load_csv
    from stockrnn.windows import training_set

    backend.limit_threads(1)
    file, train_start, end = PERIODS[name]
    prices = load_csv(ROOT / "sample_data" / file)
    prices = dataclasses.replace(prices, frame=prices.frame.loc[:end])
    series = prices.frame["close"]
    folds = []
    for start in cutoffs(len(series), 10, 21, 21):
        config = TrainConfig(train_start=train_start, train_end=f"{series.index[start - 1]:%Y-%m-%d}")
        model, scaler, _ = fit(prices, config)
        result = forecast_model(
            model, scaler_from_dict(scaler), config, prices, f"{series.index[start]:%Y-%m-%d}", 21, ("", "")
        )
        data = training_set(prices.frame, config)
        previous = data.prices.shift(1).loc[data.val_dates].to_numpy()
        values = unscale(data.scaler, model.predict(data.x_val[..., None], verbose=0).ravel())
        predicted = targets.get(config.target).decode_one_step(values, previous)
        folds.append(
            {
                "origin": f"{series.index[start - 1]:%Y-%m-%d}",
                "history": series.iloc[:start].to_numpy(),  # up to and including the origin
                "train_first": int(series.index.searchsorted(data.start)),
                "path": result.rows["forecast"].to_numpy(),
                "one_step": result.rows["one_step"].to_numpy(),
                "actual": result.rows["actual"].to_numpy(),
                "val_positions": series.index.searchsorted(data.val_dates),  # of each validation day in history
                "val_errors": predicted - data.prices.loc[data.val_dates].to_numpy(),
            }
        )
        print(f"{name}: fold from {folds[-1]['origin']} done", file=sys.stderr, flush=True)
    return folds


def collect() -> dict[str, list[dict]]:
    from joblib import Parallel, delayed

    results = Parallel(n_jobs=2)(delayed(collect_period)(name) for name in PERIODS)
    folds = dict(zip(PERIODS, results, strict=True))
    CACHE.parent.mkdir(exist_ok=True)
    CACHE.write_bytes(pickle.dumps(folds))
    return folds


def path_bands(method: str):
    """The band of the recursive path fixed at the origin: stockrnn's ("ewma-path"), the one before it ("constant"),
    and two tried here: the validation tail's one-step errors scaled by an EWMA ("ewma") or GARCH(1,1) ("garch")
    volatility forecast at the origin, widened over the steps by sqrt(step) or by GARCH's variance forecast."""
    from stockrnn import intervals

    def bands(fold: dict) -> tuple[np.ndarray, np.ndarray]:
        history, path, errors = fold["history"], fold["path"], np.abs(fold["val_errors"])
        positions, steps = fold["val_positions"], np.arange(1, len(fold["path"]) + 1)
        if method == "constant":
            return intervals.band({"method": "constant", "scores": list(errors)}, path, history, LEVEL)
        if method == intervals.PATH:
            history = history[fold["train_first"] :]  # as forecast.py gives it: from the training start
            return intervals.band({"method": method, "lambda": intervals.LAMBDA}, path, history, LEVEL)
        if method == "ewma":
            sigma = np.sqrt(intervals.ewma_variance(history))
            q = intervals.conformal_quantile(errors / (sigma[positions - 1] * history[positions - 1]), LEVEL)
            half = q * history[-1] * sigma[-1] * np.sqrt(steps)
            return path - half, path + half
        if method == "garch":
            sigma, variance_ahead = garch(history[fold["train_first"] :], len(path))
            first = fold["train_first"]
            q = intervals.conformal_quantile(errors / (sigma[positions - first] * history[positions - 1]), LEVEL)
            half = q * history[-1] * np.sqrt(np.cumsum(variance_ahead))
            return path - half, path + half
        raise ValueError(method)

    return bands


PATH_METHODS = {
    "constant": "(before) validation tail's absolute one-step errors, widened by sqrt(step)",
    "ewma": "validation tail's one-step errors over the EWMA volatility of their day, times the origin's, sqrt(step)",
    "garch": "the same over GARCH(1,1) volatility (arch), widened by GARCH's variance forecast over the steps",
    "ewma-path": "(chosen) h-day log moves since the training start over the EWMA volatility of their first day; the "
    "band exp(log(path) -/+ quantile * the origin's volatility)",
}


def garch(prices: np.ndarray, days: int) -> tuple[np.ndarray, np.ndarray]:
    """GARCH(1,1) with a constant mean, fitted on the percent log returns of `prices` (arch): the volatility (a
    fraction) forecast for each day of `prices` from the days before (day 0: day 1's), and the variances of the
    next `days` returns after the last day."""
    from arch import arch_model

    returns = 100 * np.diff(np.log(prices))
    fitted = arch_model(returns, vol="GARCH", p=1, q=1, mean="Constant", rescale=False).fit(disp="off")
    sigma = np.asarray(fitted.conditional_volatility) / 100
    ahead = fitted.forecast(horizon=days, reindex=False).variance.to_numpy()[-1] / 1e4
    return np.concatenate([[sigma[0]], sigma]), ahead


def one_step_bands(method: str, gamma: float = 0.0):
    """The band of each one-step-ahead prediction, made the evening before: "constant" (the validation tail's
    absolute one-step errors) or stockrnn's EWMA-scaled scores, with adaptive conformal inference's step `gamma`."""
    from stockrnn import intervals

    def bands(fold: dict) -> tuple[np.ndarray, np.ndarray]:
        history, actual, predicted = fold["history"], fold["actual"], fold["one_step"]
        if method == "constant":
            q = intervals.conformal_quantile(np.abs(fold["val_errors"]), LEVEL)
            return predicted - q, predicted + q
        first = fold["train_first"]
        calibration = intervals.calibrate(history[first:], fold["val_errors"], fold["val_positions"] - first)
        calibration["one_step"]["gamma"] = gamma
        prices = np.concatenate([history[first:], actual[:-1]])
        return intervals.one_step_band(calibration, predicted, prices, LEVEL, actual)

    return bands


def table(folds: dict[str, list[dict]], methods: dict, baseline: str) -> None:
    """One row per period, one cell per method: median / worst / pooled fold coverage, and the mean interval score
    over the `baseline`'s RMSE ("naive": the origin's price; "persistence": yesterday's)."""
    from stockrnn import intervals

    print("| period | " + " | ".join(methods) + " |")
    print("|---" * (len(methods) + 1) + "|")
    totals = {name: {"inside": [], "score": [], "worst": 1.0} for name in methods}
    for period, period_folds in folds.items():
        cells = []
        for name, bands in methods.items():
            inside, scores, per_fold = [], [], []
            for fold in period_folds:
                lower, upper = bands(fold)
                actual = fold["actual"]
                hit = (lower <= actual) & (actual <= upper)
                before = (
                    fold["history"][-1] if baseline == "naive" else np.concatenate([fold["history"][-1:], actual[:-1]])
                )
                rmse = np.sqrt(np.mean((actual - before) ** 2))
                inside.extend(hit)
                per_fold.append(hit.mean())
                scores.append(np.mean(intervals.winkler(actual, lower, upper, LEVEL)) / rmse)
            totals[name]["inside"].extend(inside)
            totals[name]["score"].extend(scores)
            totals[name]["worst"] = min(totals[name]["worst"], min(per_fold))
            cells.append(
                f"{np.median(per_fold):.0%} / {min(per_fold):.0%} / {np.mean(inside):.0%}, {np.mean(scores):.2f}"
            )
        print(f"| {period} | " + " | ".join(cells) + " |")
    cells = [f"- / {t['worst']:.0%} / {np.mean(t['inside']):.0%}, {np.mean(t['score']):.2f}" for t in totals.values()]
    print("| all periods | " + " | ".join(cells) + " |")


def score(folds: dict[str, list[dict]]) -> None:
    from stockrnn import intervals

    print(f"{LEVEL:.0%} bands, default model, 10 folds of 21 trading days per period. Each cell: coverage of the")
    print("median fold / the worst fold / all days pooled, then the mean interval (Winkler) score over the baseline's")
    print("RMSE (lower is better; a band cannot win by being wide).\n")
    print("Bands of the recursive forecast, fixed at the origin (what is known in advance), score over naive's RMSE:\n")
    methods = dict(PATH_METHODS)
    if importlib.util.find_spec("arch") is None:  # the `bench` extra; garch's column is stockrnn-independent
        print("(garch left out: the `arch` package, the `bench` extra, is not installed)\n")
        methods.pop("garch")
    table(folds, {name: path_bands(name) for name in methods}, "naive")
    print("\nBands of each day's one-step-ahead prediction, made the evening before (a forecast updated as actuals")
    print("arrive), score over persistence's RMSE:\n")
    one_step = {
        "constant": one_step_bands("constant"),
        "ewma": one_step_bands("ewma"),
        "ewma + ACI 0.01": one_step_bands("ewma", 0.01),
        "ewma + ACI 0.05": one_step_bands("ewma", 0.05),
    }
    table(folds, one_step, "persistence")
    print("\nforecast bands:")
    for name, text in PATH_METHODS.items():
        print(f"- {name}: {text}")
    print(f"one-step bands: constant, the validation tail's absolute errors; ewma: {intervals.ONE_STEP_METHOD}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cached", action="store_true", help="score the folds collected last time")
    args = parser.parse_args()
    folds = pickle.loads(CACHE.read_bytes()) if args.cached else collect()
    score(folds)


if __name__ == "__main__":
    main()
