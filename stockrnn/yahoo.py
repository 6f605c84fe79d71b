"""Source stage for symbols: the yfinance adapter, and everything that has changed under yfinance's users before.

Input: a symbol, a date range and the adjustment setting. Output: a frame of daily bars with a timezone-naive
`Date` index (the exchange's own trading day) and Yahoo's column names, ready for `sources.from_frame`.
- `auto_adjust` is always passed explicitly (its default flipped in yfinance 0.2.51).
- `Ticker.history` raises (yf.config.debug.hide_exceptions = False) instead of logging and returning an empty
  frame; an empty frame that still comes back is an error that names the symbol, never an empty model.
- Both shapes yfinance returns are accepted: `download`'s MultiIndex (Price, Ticker) columns and `history`'s
  flat columns with a timezone-aware index.
- Rate limiting is retried with backoff, a bounded number of times, then `TemporaryError` (exit 75).
- yfinance's caches live under the stockrnn home folder, so cron and read-only home folders work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import CannotWriteError, DataError, SourceUnavailableError, TemporaryError

log = logging.getLogger("stockrnn")

RETRY_DELAYS = (5.0, 15.0, 45.0)  # seconds to wait after each rate-limited attempt
YAHOO_COLUMNS = ["Open", "High", "Low", "Close", "Adj Close", "Volume"]


def _yfinance(cache: str) -> Any:
    import yfinance as yf

    try:
        Path(cache).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CannotWriteError(f"cannot make yfinance's cache folder {cache}: {exc.strerror or exc}") from None
    yf.cache.set_cache_location(cache)
    yf.config.debug.hide_exceptions = False  # raise typed errors rather than log them and return nothing
    return yf


def download(
    symbol: str,
    start: str | None,
    end: str | None,
    adjusted: bool,
    cache: str,
    sleep: Callable[[float], None] = time.sleep,
) -> pd.DataFrame:
    """Daily bars of `symbol` from `start` (None: the whole history) to `end` (exclusive; None: today)."""
    yf = _yfinance(cache)
    from yfinance.exceptions import YFPricesMissingError, YFRateLimitError, YFTickerMissingError, YFTzMissingError

    options: dict[str, Any] = {"start": start, "end": end} if start or end else {"period": "max"}
    for attempt, delay in enumerate((*RETRY_DELAYS, None), start=1):
        try:
            frame = yf.Ticker(symbol).history(
                interval="1d", auto_adjust=adjusted, actions=False, repair=False, **options
            )
            break
        except YFRateLimitError:
            if delay is None:
                raise TemporaryError(
                    f"Yahoo is rate limiting downloads: {symbol} failed {attempt} times; try again later"
                ) from None
            log.warning("Yahoo rate limit on %s (attempt %d); retrying in %.0f s", symbol, attempt, delay)
            sleep(delay)
        except (YFTzMissingError, YFTickerMissingError, YFPricesMissingError) as exc:
            raise SourceUnavailableError(f"Yahoo has no daily prices for {symbol}: {exc}") from None
        except Exception as exc:  # no network surfaces as many types (curl_cffi, requests, json): all unavailable
            raise SourceUnavailableError(f"cannot download {symbol} from Yahoo: {type(exc).__name__}: {exc}") from None
    return normalize(frame, symbol)


def normalize(frame: pd.DataFrame | None, symbol: str) -> pd.DataFrame:
    """yfinance's output (either shape) -> flat Yahoo columns on a naive `Date` index of trading days."""
    if frame is None or frame.empty:
        raise SourceUnavailableError(
            f"Yahoo returned no prices for {symbol} (unknown or delisted symbol, or no network)"
        )
    if isinstance(frame.columns, pd.MultiIndex):
        level = "Ticker" if "Ticker" in frame.columns.names else frame.columns.nlevels - 1
        tickers = frame.columns.get_level_values(level)
        if symbol not in set(tickers):
            raise DataError(f"yfinance {symbol}: the download holds {sorted(set(tickers))}, not {symbol}")
        frame = frame.xs(symbol, axis=1, level=level)
    index = pd.DatetimeIndex(frame.index)
    if index.tz is not None:
        index = index.tz_localize(None)  # keep the exchange's wall clock: its trading day, not UTC's
    frame = frame.set_axis(index.normalize().rename("Date"), axis=0)
    frame = frame[[c for c in YAHOO_COLUMNS if c in frame.columns]]
    return _drop_partial_bars(frame, symbol)


def _drop_partial_bars(frame: pd.DataFrame, symbol: str) -> pd.DataFrame:
    """Rows with some prices but not all (today's bar while the market is open, often) are not yet a day's bar:
    dropped with a warning that names them. Rows with no price at all are the validator's (a holiday's null row)."""
    prices = frame[[c for c in YAHOO_COLUMNS if c != "Volume" and c in frame.columns]]
    missing = prices.isna()
    partial = missing.any(axis=1) & ~missing.all(axis=1)
    if partial.any():
        days = ", ".join(f"{day:%Y-%m-%d}" for day in frame.index[partial][:5])
        more = f" and {int(partial.sum()) - 5} more" if partial.sum() > 5 else ""
        log.warning(
            "yfinance %s: dropped %d partial bars (some prices missing): %s%s", symbol, partial.sum(), days, more
        )
    return frame[~partial]
