"""Checks stage: prices that are valid but look wrong, said out loud before anything trains on them.

Input: validated `Prices`, the column a model learns and the exchange calendar that dates its forecasts. Output: the
same `Prices` with `warnings` (one sentence each, naming the date and what would fix it), logged; with `strict`, a
`DataError` (exit 65) instead.

What looks wrong, and the thresholds. None fires on the bundled S&P 500 and NASDAQ files, 1999-2018 (largest one-day
move 14%, 7.6 times its typical move; longest gap 7 days, at 9/11). On a panel of 62 S&P 500 series, 2003-2023, the
moves far outside and the calendar fire on none (largest single move 41 times its typical move, MMC on 2004-10-14;
largest move out and back 11 times); the split ratios on three real moves near 3:2 (KEY 2008-10-14, NFLX 2011-10-25
and 2022-04-20), which a ratio alone cannot tell from a split:
- a one-day move by a split ratio (2, 3, 4, 5, 10, 20, 3:2, and the reverse splits), within 3%, from a level the
  days before held to one the next days keep (medians within 15%): an unadjusted split or reverse split;
- a one-day move far outside the series' own: more than JUMP times its typical move (the median absolute daily log
  move, of the whole series or of the quarter around the day, whichever is larger: a crisis has its own scale), or
  more than SPIKE times it out and as much back within REVERT_DAYS. One that comes back is a bad tick; one that
  stays, a change of units (pence to pounds), a split by another ratio, or another ticker's prices;
- a row whose high is below its low, or whose open or close lies outside [low, high];
- more than GAP_DAYS calendar days with no trading day;
- the same price STALE_DAYS trading days in a row (a feed that stopped);
- dates that are not the calendar's sessions: rows a week or more apart (weekly or monthly bars), rows on weekends
  the calendar does not trade (a market open every day: --calendar 24/7), rows on its holidays, or a calendar open
  every day for prices that never trade on a weekend.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pandas as pd

from .calendar import sessions
from .config import CALENDAR
from .errors import DataError
from .validate import Prices

log = logging.getLogger("stockrnn")

SPLITS = (2, 3, 4, 5, 10, 20, 1.5)  # n-for-1 splits, and 3-for-2
SPLIT_TOLERANCE = 0.03  # a move within 3% of a split ratio
KEPT_TOLERANCE = 0.15  # the median of the days before (after) stays within 15% of the old (new) level
KEPT_DAYS = 5
GAP_DAYS = 14  # calendar days without a trading day (Christmas to New Year is at most 5; 9/11 closed for 6)
STALE_DAYS = 10  # trading days with exactly the same price
JUMP = 50  # a one-day move of this many typical moves: beyond any real one seen (41: MMC, -24.5% on 2004-10-14)
SPIKE = 20  # a move out and back of this many typical moves each way (the real ones seen: at most 11, REGN 2011)
REVERT_DAYS = 5  # trading days within which a bad tick comes back
LOCAL_DAYS = 63  # trading days around a move (a quarter) whose median move is its local typical move
MIN_MOVES = 20  # fewer nonzero moves than this say nothing of a series' own distribution
SHOWN = 5  # breaks listed one by one; the rest are counted
DAILY_SPACING = 3  # a median of more calendar days between rows is not daily bars (a weekend is 3)
WEEKEND_SHARE = 0.1  # a tenth of the rows on weekends: a market that trades on them (crypto: 2 rows in 7)
PRICES = ("open", "high", "low", "close", "adj_close")


def checked(prices: Prices, column: str, strict: bool = False, calendar: str = CALENDAR) -> Prices:
    """`prices` with the warnings of `look` attached and logged, after validation's own (already logged); with
    `strict` a `DataError` when there are any."""
    found = look(prices.frame, column, prices.source, calendar)
    warnings = [*prices.warnings, *found]
    if warnings and strict:
        raise DataError(f"{warnings[0]} (--strict refuses data that looks wrong; {len(warnings)} warning(s) in all)")
    for warning in found:
        log.warning("%s", warning)
    return dataclasses.replace(prices, warnings=warnings)


def look(frame: pd.DataFrame, column: str, where: str, calendar: str = CALENDAR) -> list[str]:
    """Every warning about the canonical `frame`, for a model of `column` whose forecasts `calendar` dates."""
    series = frame[column].dropna()
    return [
        *_splits(frame, column, where),
        *_breaks(series, column, where),
        *_bars(frame, where),
        *(_gaps(frame.index, where) if _spacing(frame.index) <= DAILY_SPACING else []),  # weekly bars: said once
        *_stale(series, column, where),
        *_sessions(frame, calendar, where),
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


def _breaks(series: pd.Series, column: str, where: str) -> list[str]:
    """The one-day moves far outside the series' own (see the module's docstring), each with its day, its ratio and
    whether it came back; days that `_splits` names are left to it."""
    values = series.to_numpy()
    logs = np.log(values)
    moves = np.diff(logs)  # (n - 1,): moves[i] goes from day i to day i + 1
    size = np.abs(moves)
    if np.count_nonzero(size) < MIN_MOVES:
        return []
    typical = _typical(size)  # (n - 1,)
    times = size / typical
    splits = set(np.flatnonzero(_split_like(values)))
    found, back_moves = [], set()
    for i in map(int, np.flatnonzero(times > SPIKE)):
        if i + 1 in splits or i in back_moves:
            continue
        back = _back(logs, moves, typical, i)
        if back is None and times[i] <= JUMP:
            continue  # a large move that stays: the series' own, as far as one day can tell
        day, before, after = series.index[i + 1], values[i], values[i + 1]
        moved = (
            f"{where}: {column!r} moved from {before:.6g} to {after:.6g} on {day:%Y-%m-%d} (x{after / before:.3g}, "
            f"{times[i]:.0f} times its typical daily move of {typical[i]:.2%})"
        )
        if back is not None:
            back_moves.add(back - 1)
            rows = back - i - 1
            found.append(
                f"{moved} and came back to {values[back]:.6g} on {series.index[back]:%Y-%m-%d}: a bad tick "
                f"({_count(rows, 'row')}); correct or remove {'it' if rows == 1 else 'them'}"
            )
        else:
            after_it = "on the data's last day" if i + 2 == len(values) else "and stayed"
            found.append(
                f"{moved} {after_it}: a change of units (pence to pounds is x0.01), a split or another ticker's "
                f"prices from that day on; correct the file, or train from that day on (--train-start "
                f"{day:%Y-%m-%d})"
            )
    if len(found) > SHOWN:
        return [*found[:SHOWN], f"{where}: {len(found) - SHOWN} more such moves of {column!r} after these"]
    return found


def _typical(size: np.ndarray) -> np.ndarray:
    """(m,) absolute log moves -> (m,) each one's typical move: the median nonzero move of the whole series, or of
    the LOCAL_DAYS around it when that is larger (a crisis: 2008's moves are judged by 2008's)."""
    nonzero = np.where(size > 0, size, np.nan)  # a day without a move (a holiday's fill) is no evidence of calm
    local = pd.Series(nonzero).rolling(LOCAL_DAYS, center=True, min_periods=LOCAL_DAYS // 3).median()
    return np.fmax(local.to_numpy(), np.nanmedian(nonzero))


def _back(logs: np.ndarray, moves: np.ndarray, typical: np.ndarray, i: int) -> int | None:
    """The day within REVERT_DAYS after move `i` on which a move as far outside the other way brings the price back
    to within half the move of where it was; None if none does."""
    for k in range(i + 1, min(i + 1 + REVERT_DAYS, len(moves))):
        against = np.sign(moves[k]) == -np.sign(moves[i]) and abs(moves[k]) > SPIKE * typical[k]
        if against and abs(logs[k + 1] - logs[i]) < abs(moves[i]) / 2:
            return k + 1
    return None


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


def _sessions(frame: pd.DataFrame, calendar: str, where: str) -> list[str]:
    """What the dates are, beside the sessions of `calendar` (see the module's docstring)."""
    days = frame.index
    if len(days) < MIN_MOVES:
        return []
    spacing = _spacing(days)
    if spacing > DAILY_SPACING:  # said alone: the calendar's days mean nothing to weekly bars
        years = max((days[-1] - days[0]).days / 365.25, 1 / 365.25)
        looks, unit = "like longer bars", "more than days"
        if 5 <= spacing <= 8:
            looks, unit = "weekly", "weeks"
        elif 27 <= spacing <= 32:
            looks, unit = "monthly", "months"
        return [
            f"{where}: rows are {spacing:g} days apart (the median), about {len(days) / years:.0f} a year: looks "
            f"{looks}; stockrnn models daily bars (each row is taken for one trading day: windows span {unit}, "
            "and forecasts are dated day by day): use daily prices"
        ]
    open_days = sessions(days[0], days[-1], calendar)
    if open_days is None:  # an unknown calendar: the forecast's dates say so
        return []
    off = ~days.isin(open_days)
    weekend = days.day_of_week >= 5
    if (weekend & off).mean() > WEEKEND_SHARE:  # said alone: --calendar 24/7 answers its holidays too
        return [
            f"{where}: {_count(int(off.sum()), 'row')} of {len(days)} fall on days {calendar} does not trade, "
            f"{int((weekend & off).sum())} on Saturdays and Sundays: a market open every day (crypto?) is trained "
            "and dated as if closed on weekends; use --calendar 24/7"
        ]
    found = []
    if off.any():
        zero = int((frame["volume"][off] == 0).sum())
        found.append(
            f"{where}: {_count(int(off.sum()), 'row')} on days {calendar} does not trade (first: "
            f"{days[off][0]:%Y-%m-%d}{f'; {zero} with zero volume' if zero else ''}): each is trained and scored as "
            f"a trading day; remove them if they are fills, or name the calendar of the exchange that quotes these "
            "prices (--calendar XLON, XTKS, ...; 24/5 for every weekday, 24/7 for every day)"
        )
    if not weekend.any() and (open_days.day_of_week >= 5).mean() > WEEKEND_SHARE:
        found.append(
            f"{where}: no row falls on a Saturday or Sunday, but {calendar} trades every day: forecasts would be "
            "dated on weekends; use the calendar of the exchange that quotes these prices (--calendar XNYS, XLON, ...)"
        )
    return found


def _spacing(days: pd.DatetimeIndex) -> float:
    """The median number of calendar days between rows: 1 for daily bars (a weekend makes 3), 7 for weekly."""
    return float(np.median(np.diff(days.to_numpy()).astype("timedelta64[D]").astype(int))) if len(days) > 1 else 1.0


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _ratio(ratio: float) -> str:
    """2.0 -> '2-for-1', 1.5 -> '3-for-2'."""
    nearest = min(SPLITS, key=lambda split: abs(ratio / split - 1))
    return "3-for-2" if nearest == 1.5 else f"{nearest:g}-for-1"
