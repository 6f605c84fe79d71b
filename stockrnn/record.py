"""Records of real forecasts, as the forecast ledger keeps them (ledger.py writes and reads them; track.py scores
them). Plain values: nothing here touches a file.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One day of a recorded forecast, as the ledger stores it."""

    step: int  # 1 = the first trading day after the origin
    date: str  # YYYY-MM-DD
    forecast: float | None  # the price forecast (None for a probability)
    lower: float | None = None  # the prediction interval at the forecast's level
    upper: float | None = None
    p_up: float | None = None  # P(price above the origin's on `date`)


@dataclass(frozen=True)
class RecordedForecast:
    """One recorded forecast: who made it, from where, and its steps."""

    symbol: str
    version: str
    fingerprint: str
    target: str
    column_name: str
    made_by: str
    created: str
    origin: str
    origin_price: float
    level: float | None
    data_kind: str
    data_source: str
    adjusted: bool
    date_format: str | None
    steps: tuple[Step, ...]
    ticker: str | None = None  # the one ticker read of a file that holds several
