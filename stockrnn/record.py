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


@dataclass(frozen=True)
class RecordedSignal:
    """One recorded trading signal (stockrnn signal): the decision a model's forecast asked for at the close of its
    origin day, the rule that made it, and where its symbol's prices are read (its forecast's source)."""

    symbol: str
    version: str  # the model version whose forecast made it
    target: str
    origin: str  # YYYY-MM-DD: the close the decision was made at (strategy.py's convention)
    created: str  # UTC, ISO 8601
    position: float  # 1 long, 0 flat, -1 short
    score: float | None  # the number behind it: an expected return to the next close (a fraction), or P(up)
    lower: float | None  # the score's one-step band (value targets); None: none
    upper: float | None
    strategy: str  # long-flat or long-short
    threshold: float  # the score's threshold the rule used
    cost_bps: float  # per side
    fill: str  # close or open: the next trading day's bar it is filled at
    column_name: str  # the price column traded
    data_kind: str  # csv or store: where `track` reads the actual prices (as RecordedForecast)
    data_source: str
    adjusted: bool
    date_format: str | None = None
    ticker: str | None = None

    @property
    def rule(self) -> tuple[str, float, float, str]:
        """(strategy, threshold, cost_bps, fill): signals of one rule are traded together."""
        return (self.strategy, self.threshold, self.cost_bps, self.fill)
