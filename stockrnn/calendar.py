"""Trading calendar: the exchange's trading days after a day, for dating forecasts, and between two days, for
checking a file's dates (exchange-calendars).

Input: a day, a count and an exchange calendar's code (XNYS, XLON, ..., 24/7, 24/5); or two days and a code.
Output: the trading sessions after the day; or the sessions between the days (None when the calendar cannot say).
"""

from __future__ import annotations

import functools
import logging
import warnings

import pandas as pd

log = logging.getLogger("stockrnn")


@functools.lru_cache(maxsize=256)  # a global model's members mostly end on one day: the calendar is built once
def trading_days_after(day: pd.Timestamp, count: int, calendar: str) -> pd.DatetimeIndex:
    """The `count` trading sessions after `day` on `calendar`; weekdays if the calendar does not reach (said once
    for the same arguments)."""
    if count <= 0:
        return pd.DatetimeIndex([])
    import exchange_calendars as xcals

    try:
        cal = xcals.get_calendar(
            calendar, start=day - pd.Timedelta(days=7), end=day + pd.Timedelta(days=2 * count + 30)
        )
        first = cal.date_to_session(day + pd.Timedelta(days=1), direction="next")
        return pd.DatetimeIndex(cal.sessions_window(first, count)).tz_localize(None).normalize()
    except Exception as exc:  # out of the calendar's bounds, or an unknown calendar
        log.warning("calendar %s cannot date days after %s (%s); using weekdays", calendar, f"{day:%Y-%m-%d}", exc)
        return pd.bdate_range(day + pd.Timedelta(days=1), periods=count)


def sessions(first: pd.Timestamp, last: pd.Timestamp, calendar: str) -> pd.DatetimeIndex | None:
    """The sessions of `calendar` from `first` to `last` (both included); None for an unknown calendar or days
    beyond its bounds."""
    try:
        days = _sessions_of_years(calendar, first.year, last.year)
    except Exception as exc:  # exchange_calendars raises its own types for an unknown name or days out of bounds
        log.info("calendar %s cannot list the sessions of %d to %d (%s)", calendar, first.year, last.year, exc)
        return None
    return days[(days >= first) & (days <= last)]


@functools.lru_cache(maxsize=16)
def _sessions_of_years(calendar: str, first_year: int, last_year: int) -> pd.DatetimeIndex:
    """Whole years of sessions, kept: building a calendar takes 0.3 s, and every training checks its dates."""
    import exchange_calendars as xcals

    with warnings.catch_warnings():  # its own use of pandas, deprecated in pandas 3 (Series.values): not the user's
        warnings.simplefilter("ignore", DeprecationWarning)
        cal = xcals.get_calendar(calendar, start=f"{first_year}-01-01", end=f"{last_year}-12-31")
    return pd.DatetimeIndex(cal.sessions).tz_localize(None).normalize()


@functools.lru_cache(maxsize=256)  # the same last day and today for most of a global model's members
def sessions_since(day: pd.Timestamp, today: pd.Timestamp, calendar: str) -> int:
    """The trading sessions of `calendar` after `day` up to and including `today` (0 when `today` is not later):
    how many trading days a price series that ends on `day` is behind. Weekdays where the calendar cannot say."""
    day, today = pd.Timestamp(day).normalize(), pd.Timestamp(today).normalize()
    if today <= day:
        return 0
    found = sessions(day + pd.Timedelta(days=1), today, calendar)
    if found is None:
        return len(pd.bdate_range(day + pd.Timedelta(days=1), today))
    return len(found)
