"""Frames shaped exactly like yfinance 1.7 returns them, and a stand-in for `yfinance.Ticker`.

The stand-in replaces only the network call (`Ticker.history`); stockrnn's adapter, validator, store and CLI run
for real on what it returns. Shapes, as yfinance produces them for daily bars:
- `Ticker.history`: flat columns Open, High, Low, Close, Volume (plus Adj Close when auto_adjust=False), an index
  named Date that is timezone-aware in the exchange's zone (America/New_York: 00:00-05:00 / -04:00).
- `yf.download`: the same bars with MultiIndex columns (Price, Ticker) and, for daily bars, a naive index.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def history_frame(
    days: pd.DatetimeIndex, close: np.ndarray, adjusted: bool = True, tz: str = "America/New_York"
) -> pd.DataFrame:
    close = np.asarray(close, dtype="float64")
    frame = pd.DataFrame(
        {
            "Open": close * 0.995,
            "High": close * 1.01,
            "Low": close * 0.99,
            "Close": close,
            "Volume": np.arange(len(close), dtype="int64") * 1000 + 50_000,
        },
        index=pd.DatetimeIndex(days).tz_localize(tz).rename("Date"),
    )
    if not adjusted:
        frame.insert(4, "Adj Close", close * 0.98)  # raw prices: the adjusted close comes as its own column
    return frame


def download_frame(symbol: str, days: pd.DatetimeIndex, close: np.ndarray) -> pd.DataFrame:
    flat = history_frame(days, close).tz_localize(None)  # daily download(): ignore_tz=True, a naive index
    flat.columns = pd.MultiIndex.from_product([flat.columns, [symbol]], names=["Price", "Ticker"])
    return flat.sort_index(axis=1, level=0)


class FakeYahoo:
    """Replaces yfinance.Ticker: answers `history` from a script of frames or exceptions, and records calls."""

    def __init__(self, *answers: pd.DataFrame | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[dict] = []

    def __call__(self, symbol: str) -> FakeYahoo:  # yf.Ticker(symbol)
        self.symbol = symbol
        return self

    def history(self, **kwargs) -> pd.DataFrame:
        self.calls.append({"symbol": self.symbol, **kwargs})
        if not self.answers:
            raise AssertionError(f"unexpected download of {self.symbol}")
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer.copy()
