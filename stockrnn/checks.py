"""Checks stage: prices that are valid but look wrong, said out loud before anything trains on them.

Input: validated `Prices` and the column a model learns. Output: the same `Prices` with `warnings` (one sentence
each, naming the date and what would fix it), logged; with `strict`, a `DataError` (exit 65) instead.

What looks wrong, and the thresholds (none fires on the bundled S&P 500 and NASDAQ files, 1999-2018, whose largest
one-day move is 14% and longest gap 7 days, at 9/11):
- a one-day move by a split ratio (2, 3, 4, 5, 10, 20, 3:2, and the reverse splits), within 3%, from a level the
  days before held to one the next days keep (medians within 15%): an unadjusted split or reverse split;
- a row whose high is below its low, or whose open or close lies outside [low, high];
- more than GAP_DAYS calendar days with no trading day;
- the same price STALE_DAYS trading days in a row (a feed that stopped).
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pandas as pd

from .errors import DataError
from .validate import Prices

log = logging.getLogger("stockrnn")

SPLITS = (2, 3, 4, 5, 10, 20, 1.5)  # n-for-1 splits, and 3-for-2
SPLIT_TOLERANCE = 0.03  # a move within 3% of a split ratio
KEPT_TOLERANCE = 0.15  # the median of the days before (after) stays within 15% of the old (new) level
KEPT_DAYS = 5
GAP_DAYS = 14  # calendar days without a trading day (Christmas to New Year is at most 5; 9/11 closed for 6)
STALE_DAYS = 10  # trading days with exactly the same price
PRICES = ("open", "high", "low", "close", "adj_close")


def checked(prices: Prices, column: str, strict: bool = False) -> Prices:
    """`prices` with the warnings of `look` attached and logged, after validation's own (already logged); with
    `strict` a `DataError` when there are any."""
    found = look(prices.frame, column, prices.source)
    warnings = [*prices.warnings, *found]
    if warnings and strict:
        raise DataError(f"{warnings[0]} (--strict refuses data that looks wrong; {len(warnings)} warning(s) in all)")
    for warning in found:
        log.warning("%s", warning)
    return dataclasses.replace(prices, warnings=warnings)


def look(frame: pd.DataFrame, column: str, where: str) -> list[str]:
    """Every warning about the canonical `frame`, for a model of `column`."""
    return [
        *_splits(frame, column, where),
        *_bars(frame, where),
        *_gaps(frame.index, where),
        *_stale(frame[column].dropna(), column, where),
    ]


def _splits(frame: pd.DataFrame, column: str, where: str) -> list[str]:
    series = frame[column].dropna()
    found = []
    for position in np.flatnonzero(_split_like(series.to_numpy())):
        day, before, after = series.index[position], series.iloc[position - 1], series.iloc[position]
        ratio = before / after
        name = f"{_ratio(ratio)} split" if ratio > 1 else f"1-for-{_ratio(1 / ratio).split('-')[0]} reverse split"
        clean = [c for c in PRICES if c != column and c in frame and _clean_on(frame[c].dropna(), day)]
        fix = (
            f"use a column adjusted for splits (--column {' or --column '.join(clean)} has no such jump there)"
            if clean
            else "use prices adjusted for splits (a symbol's download is, unless --raw)"
        )
        found.append(
            f"{where}: {column!r} moved from {before:.6g} to {after:.6g} on {day:%Y-%m-%d}, as an unadjusted "
            f"{name} would; {fix}"
        )
    return found


def _split_like(values: np.ndarray) -> np.ndarray:
    """(n,) prices -> (n,) True where the move into that day is a split ratio that the next days keep."""
    ratio = np.concatenate([[1.0], values[:-1] / values[1:]])  # before / after: 2 for a 2-for-1 split
    found = np.zeros(len(values), dtype=bool)
    for split in SPLITS:
        for target in (split, 1 / split):
            found |= np.abs(ratio / target - 1) < SPLIT_TOLERANCE
    # A level change, not one bad tick: the days before the jump held the old level, the days after keep the new one.
    # Judged only on the few days that moved by a split ratio.
    for i in np.flatnonzero(found):
        held = i > 0 and _near(values[max(0, i - KEPT_DAYS) : i], values[i - 1])
        found[i] = held and _near(values[i : i + KEPT_DAYS], values[i])
    return found


def _near(values: np.ndarray, level: float) -> bool:
    return abs(np.median(values) / level - 1) < KEPT_TOLERANCE


def _clean_on(series: pd.Series, day: pd.Timestamp) -> bool:
    """Does `series` move by no split ratio on `day`?"""
    if day not in series.index:
        return False
    position = series.index.get_loc(day)
    return position > 0 and not _split_like(series.to_numpy()[position - 1 : position + KEPT_DAYS])[1]


def _bars(frame: pd.DataFrame, where: str) -> list[str]:
    low, high = frame["low"], frame["high"]
    found = []
    for what, bad in (
        ("high below low", high < low),
        ("open outside [low, high]", (frame["open"] < low) | (frame["open"] > high)),
        ("close outside [low, high]", (frame["close"] < low) | (frame["close"] > high)),
    ):
        if bad.any():  # comparisons with a missing price are False: only rows that have both are judged
            first = frame.index[bad.to_numpy()][0]
            found.append(
                f"{where}: {_count(int(bad.sum()), 'row')} with {what} (first: {first:%Y-%m-%d}); check the columns"
            )
    return found


def _gaps(days: pd.DatetimeIndex, where: str) -> list[str]:
    if len(days) < 2:
        return []
    lengths = np.diff(days.to_numpy()).astype("timedelta64[D]").astype(int)
    long = np.flatnonzero(lengths > GAP_DAYS)
    if not len(long):
        return []
    i = long[np.argmax(lengths[long])]
    return [
        f"{where}: {_count(len(long), 'gap')} of more than {GAP_DAYS} days without a trading day (longest: "
        f"{lengths[i]} days, {days[i]:%Y-%m-%d} to {days[i + 1]:%Y-%m-%d}); windows span them as if the days were "
        "consecutive"
    ]


def _stale(series: pd.Series, column: str, where: str) -> list[str]:
    changed = series.ne(series.shift()).to_numpy()
    runs = pd.Series(np.cumsum(changed)).value_counts()
    long = runs[runs >= STALE_DAYS]
    if long.empty:
        return []
    start = int(np.flatnonzero(np.cumsum(changed) == long.index[0])[0])
    return [
        f"{where}: {column!r} stays at {series.iloc[start]:.6g} for {int(long.iloc[0])} trading days from "
        f"{series.index[start]:%Y-%m-%d} ({len(long)} runs of {STALE_DAYS} or more): a feed that stopped?"
    ]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _ratio(ratio: float) -> str:
    """2.0 -> '2-for-1', 1.5 -> '3-for-2'."""
    nearest = min(SPLITS, key=lambda split: abs(ratio / split - 1))
    return "3-for-2" if nearest == 1.5 else f"{nearest:g}-for-1"
