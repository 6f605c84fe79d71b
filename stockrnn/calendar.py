"""Trading calendar: the exchange's trading days after a day, for dating forecasts (exchange-calendars).

Input: a day, a count and an exchange calendar's code (XNYS, XLON, ...). Output: the trading sessions after it.
"""

from __future__ import annotations

import logging

import pandas as pd

log = logging.getLogger("stockrnn")


def trading_days_after(day: pd.Timestamp, count: int, calendar: str) -> pd.DatetimeIndex:
    """The `count` trading sessions after `day` on `calendar`; weekdays if the calendar does not reach."""
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
