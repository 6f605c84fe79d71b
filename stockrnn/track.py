"""Evaluate stage, live: the forecasts recorded in advance (ledger.py) against the prices that came after them.

Input: ledger entries and each symbol's actual prices. Output: one `Track` per symbol and model version: how many
forecasts were recorded, matured (every step's day has passed) and are still pending, and the matured ones'
scores beside the baselines from the same origins: the naive forecast (the origin's price held flat) for every
step, persistence for the first step (the one-day-ahead forecast), always-up for the direction from the origin,
the interval's coverage against its stated level, and the Diebold-Mariano verdicts in the words of every other
command.

The tests take one observation per forecast (its mean squared-error difference over its steps), in the order of
the origins; forecasts whose paths overlap (a nightly cron's 21-day paths) are correlated, so the long-run
variance allows as many lags as the most forecasts that start before one ends.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import ledger
from .errors import MissingInputError, UsageError
from .ledger import Entry
from .metrics import ALWAYS_UP, FORECAST, NAIVE, ONE_STEP, PERSISTENCE, coverage, scores, skill
from .significance import Comparison, diebold_mariano
from .windows import parse_day

ALL = "all"  # the version column of a symbol's whole record, when more than one model version made it
METHODS = {
    FORECAST: "the recorded forecasts, every step",
    NAIVE: "the origin's price held flat (baseline for the forecast)",
    ONE_STEP: "the recorded forecasts' first step (one day ahead)",
    PERSISTENCE: "the origin's price for the next day (baseline for the first step)",
    ALWAYS_UP: "a price above the origin's on every day (baseline for direction)",
}


@dataclass(frozen=True)
class Track:
    symbol: str
    version: str
    fingerprint: str
    target: str
    forecasts: int  # recorded
    matured: int  # scored: every step (up to the horizon) has an actual price's day behind it
    pending: int  # recorded, not yet matured: counted, not scored
    steps: int  # scored steps of the matured forecasts
    first_origin: str
    last_origin: str
    level: float | None  # of the recorded intervals (the most common one)
    metrics: dict[str, dict] = field(default_factory=dict)  # per METHODS; empty when nothing matured
    comparisons: list[Comparison] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            **{k: v for k, v in self.__dict__.items() if k != "comparisons"},
            "verdict": [c.line() for c in self.comparisons],
            "comparisons": [c.to_dict() for c in self.comparisons],
        }


def score(entries: list[Entry], actual: pd.Series, horizon: int | None = None) -> Track:
    """Score one model version's `entries` (same symbol, version, fingerprint) against `actual` prices (indexed
    by day); `horizon`: only the first `horizon` steps of each forecast."""
    first = entries[0]
    last_day = f"{actual.index[-1]:%Y-%m-%d}"
    prices = {f"{day:%Y-%m-%d}": float(value) for day, value in actual.items()}
    matured = [e for e in entries if e.steps and _scored(e, horizon)[-1].date <= last_day]
    levels = [e.level for e in entries if e.level is not None]
    track = Track(
        symbol=first.symbol,
        version=first.version,
        fingerprint=first.fingerprint,
        target=first.target,
        forecasts=len(entries),
        matured=len(matured),
        pending=len(entries) - len(matured),
        steps=0,
        first_origin=entries[0].origin,
        last_origin=entries[-1].origin,
        level=max(set(levels), key=levels.count) if levels else None,
    )
    rows = [
        (n, e.origin_price, s.step, s.date, prices.get(s.date, np.nan), s.forecast, s.lower, s.upper, s.p_up)
        for n, e in enumerate(matured)
        for s in _scored(e, horizon)
    ]
    columns = ["n", "origin", "step", "date", "actual", "forecast", "lower", "upper", "p_up"]
    table = pd.DataFrame(rows, columns=columns).astype({k: "float64" for k in columns[4:]})
    table = table[table["actual"].notna()]
    chances = table[table["p_up"].notna()]  # a direction model's steps: P(price above the origin's)
    table = table[table["forecast"].notna()]
    if len(chances):
        from . import trend

        up = (chances["actual"] > chances["origin"]).to_numpy(dtype="float64")
        track = dataclasses.replace(track, steps=len(chances), metrics={
            trend.MODEL: {**trend.scores(chances["p_up"].to_numpy(), up), "days": len(up)},
            ALWAYS_UP: {"direction_accuracy": float(up.mean())},
        })  # fmt: skip
    if table.empty:
        return track
    a, f, o = (table[k].to_numpy(dtype="float64") for k in ("actual", "forecast", "origin"))
    first_step = table[table["step"] == 1]
    a1, f1, o1 = (first_step[k].to_numpy(dtype="float64") for k in ("actual", "forecast", "origin"))
    metrics = {
        FORECAST: scores(a, f, o, o),
        NAIVE: scores(a, o, o, o),
        ONE_STEP: scores(a1, f1, o1, o1) if len(a1) else None,
        PERSISTENCE: scores(a1, o1, o1, o1) if len(a1) else None,
        ALWAYS_UP: {"direction_accuracy": float(np.mean(a > o))},
    }
    metrics[FORECAST]["skill"] = skill(metrics[FORECAST]["rmse"], metrics[NAIVE]["rmse"])
    banded = table["lower"].notna() & table["upper"].notna()
    if banded.any():
        metrics[FORECAST]["interval_coverage"] = coverage(a[banded], table["lower"][banded], table["upper"][banded])
    if metrics[ONE_STEP] is not None:
        metrics[ONE_STEP]["skill"] = skill(metrics[ONE_STEP]["rmse"], metrics[PERSISTENCE]["rmse"])

    span = f"{len(matured)} forecast{'s' * (len(matured) != 1)} from {matured[0].origin} to {matured[-1].origin}"
    longest = int(table["step"].max())
    comparisons = [
        _compare(table, "the naive forecast", f"{span}, up to {longest} steps each", _overlap(table)),
    ]
    if len(a1):
        comparisons.append(_compare(first_step, "persistence", f"{span}, one day ahead", 0))
    return Track(**{**track.__dict__, "steps": len(table), "metrics": metrics, "comparisons": comparisons})


def _scored(e: Entry, horizon: int | None) -> tuple[ledger.Step, ...]:
    return e.steps[:horizon] if horizon else e.steps


def _compare(table: pd.DataFrame, baseline: str, window: str, lags: int) -> Comparison:
    """The DM test on one observation per forecast: its mean squared error minus the baseline's."""
    error = (table["forecast"] - table["actual"]) ** 2
    base = (table["origin"] - table["actual"]) ** 2
    per_forecast = pd.DataFrame({"n": table["n"], "model": error, "base": base}).groupby("n").mean()
    means = per_forecast["model"].to_numpy(), per_forecast["base"].to_numpy()
    test = diebold_mariano(*means, h=lags + 1, unit="forecast")
    return Comparison(
        baseline=baseline,
        window=window,
        model_rmse=float(np.sqrt(error.mean())),
        baseline_rmse=float(np.sqrt(base.mean())),
        test=test,
        model="the recorded forecasts",
    )


def _overlap(table: pd.DataFrame) -> int:
    """The most later forecasts that start before one forecast's last scored day: the lags their correlation needs."""
    spans = table.groupby("n").agg(first=("date", "min"), last=("date", "max")).sort_index()
    firsts, lasts = spans["first"].to_numpy(), spans["last"].to_numpy()
    return max((int(np.sum(firsts[i + 1 :] <= lasts[i])) for i in range(len(spans))), default=0)


# actual(entry) -> the actual prices of the entry's symbol and source, indexed by day.
Actuals = Callable[[Entry], pd.Series]


def track(
    symbols: list[str] | None = None,
    since: str | None = None,
    horizon: int | None = None,
    offline: bool = False,
    actuals: Actuals | None = None,
) -> list[tuple[Track, list[Entry], pd.Series]]:
    """Every recorded model version's `Track` (of `symbols`; forecasts with an origin on or after `since`), with
    its entries and actual prices (for plots), each symbol's whole record first (version ALL: the first forecast
    recorded from each origin, whichever version made it) when more than one version made it; [] when nothing is
    recorded. A symbol the ledger does not know is a
    `MissingInputError`."""
    if horizon is not None and horizon < 1:
        raise UsageError(f"--horizon must be at least 1, not {horizon}")
    day = parse_day(since, "--since")
    known = ledger.symbols()
    unknown = [s for s in symbols or [] if s not in known]
    if unknown and known:
        raise MissingInputError(
            f"no forecast of {', '.join(unknown)} is recorded; the ledger has {', '.join(known)}"
        )  # fmt: skip
    if unknown:
        raise MissingInputError(f"no forecast of {', '.join(unknown)} is recorded: the ledger is empty")
    entries = ledger.read(symbols or None, None if day is None else f"{day:%Y-%m-%d}")
    load = actuals or (lambda e: _actual(e, offline))
    groups: dict[tuple, list[Entry]] = {}
    for e in entries:
        groups.setdefault((e.symbol, e.version, e.fingerprint), []).append(e)
    for symbol in dict.fromkeys(e.symbol for e in entries):  # every symbol's whole record, whichever model made it
        first: dict[str, Entry] = {}
        for e in sorted((e for e in entries if e.symbol == symbol), key=lambda e: e.created):
            first.setdefault(e.origin, e)  # a rolled-back model's forecast of an origin already recorded: the first
        if len({(e.version, e.fingerprint) for e in first.values()}) > 1:
            groups[(symbol, ALL, "")] = sorted(first.values(), key=lambda e: e.origin)
    cache: dict[tuple, pd.Series] = {}
    result = []
    for key, group in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] != ALL)):
        e = group[0]
        source = (e.symbol, e.data_kind, e.data_source, e.adjusted, e.column_name, e.date_format)
        if source not in cache:
            cache[source] = load(e)
        scored = score(group, cache[source], horizon)
        result.append((dataclasses.replace(scored, version=key[1], fingerprint=key[2]), group, cache[source]))
    return result


def _actual(e: Entry, offline: bool) -> pd.Series:
    from .prices import recorded_prices
    from .windows import price_column

    prices = recorded_prices(e.symbol, e.data_kind, e.data_source, e.column_name, e.adjusted, e.date_format, offline)
    return price_column(prices.frame, e.column_name, prices.source).dropna()
