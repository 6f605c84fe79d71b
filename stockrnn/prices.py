"""Source stage, top: a symbol -> its prices (or a file, or a stored model's source). All end in the one validator.

Input: a symbol (or a CSV path). Output: validated `Prices`. A symbol is read from the local price store after
fetching the days it lacks from Yahoo; when the download fails, the stored days are used with a warning that
says how old they are; offline, only stored days (or the bundled sample of that symbol) are used.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from . import pricestore, yahoo
from .checks import checked
from .errors import MissingInputError, SourceUnavailableError, TemporaryError, UsageError
from .manifest import Manifest
from .paths import check_symbol, home
from .sources import from_frame
from .validate import Prices, load_csv, validate
from .windows import parse_day

log = logging.getLogger("stockrnn")

SYNTHETIC = "SYNTHETIC"  # the symbol synthetic models are stored under
SYNTHETIC_LEVEL = 100.0  # added to the lecture's series (which swings around 0) so that every "price" is positive
OVERLAP_DAYS = 7  # calendar days re-fetched before the last stored day, so that revised bars replace stored ones
SAMPLES = {"^GSPC": "sp500.csv", "^IXIC": "nasdaq.csv"}  # files shipped in the package, reachable by symbol offline


@dataclass(frozen=True)
class FetchReport:
    symbol: str
    adjusted: bool
    requested: tuple[str | None, str | None]  # (start, end) asked of Yahoo; None: whole history / up to today
    added: int
    updated: int
    first_day: str  # the stored range after the fetch
    last_day: str
    stored_rows: int

    def to_json(self) -> dict:
        return {**self.__dict__, "requested": {"start": self.requested[0], "end": self.requested[1]}}


def fetch(symbol: str, start: str | None = None, end: str | None = None, adjusted: bool = True) -> FetchReport:
    """Download what the store lacks of `symbol` (all of it the first time, or from `start`; up to and including
    `end`) and store it."""
    symbol = check_symbol(symbol)
    folder = home()
    stored = pricestore.read(folder, symbol, adjusted)
    if stored is not None and start is None:
        start = f"{stored.frame.index[-1] - pd.Timedelta(days=OVERLAP_DAYS):%Y-%m-%d}"
    last = parse_day(end, "--end")
    until = None if last is None else f"{last + pd.Timedelta(days=1):%Y-%m-%d}"  # Yahoo's end is exclusive
    frame = yahoo.download(symbol, start, until, adjusted, cache=str(folder / "cache" / "yfinance"))
    prices = validate(from_frame(f"yfinance {symbol}", frame))
    written = pricestore.write(folder, symbol, adjusted, prices.frame, "yfinance", (start, end))
    after = pricestore.read(folder, symbol, adjusted)
    assert after is not None  # just written
    index = after.frame.index
    return FetchReport(
        symbol=symbol,
        adjusted=adjusted,
        requested=(start, end),
        added=written.added,
        updated=written.updated,
        first_day=f"{index[0]:%Y-%m-%d}",
        last_day=f"{index[-1]:%Y-%m-%d}",
        stored_rows=len(index),
    )


def symbol_prices(symbol: str, offline: bool = False, adjusted: bool = True) -> Prices:
    """`symbol`'s prices: fetch what is new (unless `offline`), then read the store; fall back as documented."""
    symbol = check_symbol(symbol)
    failure: Exception | None = None
    if not offline:
        try:
            fetch(symbol, adjusted=adjusted)
        except (SourceUnavailableError, TemporaryError) as exc:
            failure = exc
    stored = pricestore.read(home(), symbol, adjusted)
    if stored is None:
        if symbol in SAMPLES and (offline or failure is not None):
            why = "--offline" if failure is None else str(failure)
            log.warning(
                "%s; no stored prices for %s: using the bundled sample %s (1999-2018)", why, symbol, SAMPLES[symbol]
            )
            return sample(SAMPLES[symbol])
        if failure is not None:
            raise failure
        raise SourceUnavailableError(
            f"no stored prices for {symbol}, and --offline forbids downloading them; run: stockrnn fetch {symbol}"
        )
    if failure is not None:
        age = datetime.now(UTC) - stored.fetched_at
        log.warning(
            "%s; using stored prices up to %s, downloaded %s ago",
            failure,
            f"{stored.frame.index[-1]:%Y-%m-%d}",
            _age(age.total_seconds()),
        )
    adjustment = "adjusted" if adjusted else "raw"
    prices = validate(from_frame(f"store {symbol} ({adjustment})", stored.frame.rename_axis("Date")))
    return dataclasses.replace(prices, kind="store")


def sample(name: str) -> Prices:
    """A price file shipped inside the package (package data: present in a wheel, a pipx install, a checkout)."""
    from importlib.resources import as_file, files

    with as_file(files("stockrnn").joinpath("sample_data", name)) as path:
        return load_csv(path)


def synthetic_prices(points: int = 600, step: float = 0.1, noise: float = 0.0, seed: int = 42) -> Prices:
    """The lecture's generated series, t*sin(t)/3 + 2*sin(5t) at t = 0, step, 2*step, ... (plus `noise` times a
    seeded standard normal), lifted by SYNTHETIC_LEVEL and dated on NYSE trading days from 2000-01-03.
    A control with real, learnable structure: what skill looks like, next to a stock's."""
    import exchange_calendars as xcals

    if not (points >= 2 and 0 < step < np.inf and 0 <= noise < np.inf):  # NaN fails each comparison
        raise UsageError(f"synthetic series: points ({points}) >= 2, step ({step}) > 0 and noise ({noise}) >= 0")
    t = np.arange(points) * step
    values = t * np.sin(t) / 3 + 2 * np.sin(5 * t) + noise * np.random.default_rng(seed).standard_normal(points)
    days = xcals.get_calendar("XNYS", start="2000-01-03", end="2026-01-02").sessions[:points]
    frame = pd.DataFrame({"Date": days.strftime("%Y-%m-%d"), "Close": SYNTHETIC_LEVEL + values})
    params = {"points": points, "step": step, "noise": noise, "seed": seed}
    prices = validate(from_frame(f"synthetic t*sin(t)/3 + 2*sin(5t) + {SYNTHETIC_LEVEL:g} {params}", frame))
    return dataclasses.replace(prices, kind="synthetic", params=params)


def model_prices(
    symbol: str, manifest: Manifest, csv: str | Path | None, offline: bool, date_format: str | None = None
) -> Prices:
    """The prices a stored model predicts from: `csv` if given, else the source it was trained on (read with the
    date format it was trained with)."""
    column = manifest.config.column
    if csv is not None:
        return load_csv(csv, required=(column,), date_format=date_format)
    if manifest.data.kind == "synthetic":
        return synthetic_prices(**(manifest.data.synthetic or {}))
    d = manifest.data
    where = f"{symbol} was trained on {d.source}, which no longer exists; pass --csv FILE"
    return recorded_prices(symbol, d.kind, d.source, column, manifest.config.adjusted, d.date_format, offline, where)


def recorded_prices(
    symbol: str,
    kind: str,
    source: str,
    column: str,
    adjusted: bool,
    date_format: str | None,
    offline: bool,
    missing: str | None = None,
) -> Prices:
    """The prices of a source as a manifest or the forecast ledger recorded it: the symbol's store (refreshed unless
    `offline`) or the file `source`; `missing`: the message when the file is gone."""
    if kind == "store":
        return symbol_prices(symbol, offline, adjusted)
    if not Path(source).is_file():
        raise MissingInputError(missing or f"{symbol}: its price file {source} no longer exists")
    return load_csv(source, required=(column,), date_format=date_format)


def source_prices(
    symbol: str | None,
    csv: str | Path | None,
    column: str,
    offline: bool,
    adjusted: bool,
    synthetic: dict | None = None,
    date_format: str | None = None,
    strict: bool = False,
) -> Prices:
    """Training data: the synthetic series (its parameters), the file `csv`, or else the symbol's prices; looked at
    for what looks wrong (`checks`: warnings, or with `strict` a refusal) before anything trains on them."""
    if synthetic is not None:
        prices = synthetic_prices(**synthetic)
    elif csv is not None:
        prices = load_csv(csv, required=(column,), date_format=date_format)
    elif symbol is None:
        raise UsageError("name a SYMBOL to train on, or a price file with --csv FILE")
    else:
        prices = symbol_prices(symbol, offline, adjusted)
    return checked(prices, column, strict)


def _age(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.0f} days"
