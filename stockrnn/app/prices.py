"""Application layer, prices: a `PriceSource` read into validated prices, the price store kept up to date.

Input: a `PriceSource` (or a symbol to fetch). Output: validated `Prices`. A symbol is read from the local price
store after fetching the days it lacks from Yahoo; when the download fails, the stored days stand in, with a
warning that says how old they are; offline, only stored days (or the bundled sample of that symbol) are used.
Prices that stand in for those asked for say so (`Prices.substitute`), and a strict source refuses them.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from .. import pricestore, yahoo
from ..checks import checked
from ..config import CALENDAR
from ..errors import MissingInputError, SourceUnavailableError, TemporaryError, UsageError
from ..manifest import Manifest
from ..paths import check_symbol, home
from ..price_source import PriceSource
from ..prices import SAMPLES, sample, synthetic_prices
from ..sources import from_frame
from ..validate import Prices, load_csv, validate
from ..windows import parse_day

log = logging.getLogger("stockrnn")

OVERLAP_DAYS = 7  # calendar days re-fetched before the last stored day, so that revised bars replace stored ones


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
    prices = validate(from_frame(f"yfinance {symbol}", frame), every_column=True)  # the store serves any column
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


def symbol_prices(symbol: str, offline: bool = False, adjusted: bool = True, strict: bool = False) -> Prices:
    """`symbol`'s prices: fetch what is new (unless `offline`), then read the store. Where other prices stand in
    for them (the download failed: the stored days; none stored: the bundled sample of that symbol), a WARNING says
    so and the prices carry it (`Prices.substitute`); with `strict` the failure is raised instead (its exit code:
    69 no source, 75 try later; 69 offline with nothing stored)."""
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
            stand_in = (
                f"not {symbol}'s own prices: {why}, and none are stored; the bundled sample {SAMPLES[symbol]} "
                "(1999-2018) stands in for them"
            )
            if strict:
                raise _refused(failure, f"{stand_in}; --strict refuses it: run stockrnn fetch {symbol}")
            log.warning("%s (--strict refuses it)", stand_in)
            return dataclasses.replace(sample(SAMPLES[symbol]), substitute=stand_in)
        if failure is not None:
            raise failure
        raise SourceUnavailableError(
            f"no stored prices for {symbol}, and --offline forbids downloading them; run: stockrnn fetch {symbol}"
        )
    substitute = None
    if failure is not None:
        age = datetime.now(UTC) - stored.fetched_at
        last = f"{stored.frame.index[-1]:%Y-%m-%d}"
        substitute = (
            f"not today's prices of {symbol}: the download failed ({failure}); the stored prices up to {last}, "
            f"downloaded {_age(age.total_seconds())} ago, stand in for them"
        )
        if strict:
            raise _refused(failure, f"{failure}; --strict refuses the stored prices up to {last} in their place")
        log.warning("%s (--strict refuses them)", substitute)
    adjustment = "adjusted" if adjusted else "raw"
    prices = validate(from_frame(f"store {symbol} ({adjustment})", stored.frame.rename_axis("Date")))
    return dataclasses.replace(prices, kind="store", substitute=substitute)


def _refused(failure: Exception | None, message: str) -> Exception:
    """The download's failure again, of its class (its exit code), in `message`'s words; offline: no source (69)."""
    kind = type(failure) if isinstance(failure, SourceUnavailableError | TemporaryError) else SourceUnavailableError
    return kind(message)


def load(source: PriceSource, column: str = "close", calendar: str = CALENDAR) -> Prices:
    """Training data: the source's prices, looked at for what looks wrong (`checks`, beside the exchange `calendar`
    that will date the forecasts: warnings, or with `source.strict` a refusal) before anything trains on them."""
    if source.synthetic is not None:
        prices = synthetic_prices(**source.synthetic)
    elif source.csv is not None:
        prices = load_csv(source.csv, required=(column,), date_format=source.date_format, ticker=source.ticker)
    elif source.symbol is None:
        raise UsageError("name a SYMBOL to train on, or a price file with --csv FILE")
    else:
        prices = symbol_prices(source.symbol, source.offline, source.adjusted, source.strict)
    return checked(prices, column, source.strict, calendar)


def model_prices(symbol: str, manifest: Manifest, source: PriceSource | None = None) -> Prices:
    """The prices a stored model predicts from: `source`'s file if it names one, else the source it was trained on
    (read with the date format and ticker it was trained with; `source.offline` still holds)."""
    column = manifest.config.column
    offline, strict = (source.offline, source.strict) if source is not None else (False, False)
    if source is not None and source.csv is not None:
        return load_csv(source.csv, required=(column,), date_format=source.date_format, ticker=source.ticker)
    if manifest.data.kind == "synthetic":
        return synthetic_prices(**(manifest.data.synthetic or {}))
    d = manifest.data
    # A symbol's model trained on the bundled sample because its own prices could not be had (the price source it
    # was asked for: the symbol's store) reads the symbol's prices again, not the sample forever.
    kind = "store" if (d.price_source or {}).get("kind") == "store" else d.kind
    where = (
        f"{symbol} was trained on {d.source}, which no longer exists: put it back, give predict or plot --csv FILE, "
        "or train again on another file (train --csv FILE)"
    )
    recorded = PriceSource.recorded(
        symbol, kind, d.source, manifest.config.adjusted, d.date_format, offline=offline, ticker=d.ticker,
        strict=strict,
    )  # fmt: skip
    return read_recorded(recorded, column, where)


def read_recorded(source: PriceSource, column: str, missing: str | None = None) -> Prices:
    """The prices of a source as a manifest or the forecast ledger recorded it: the symbol's store (refreshed unless
    offline) or its file; `missing`: the message when the file is gone."""
    if source.kind == "store":
        return symbol_prices(source.symbol or "", source.offline, source.adjusted, source.strict)
    if source.kind == "synthetic":
        return synthetic_prices(**(source.synthetic or {}))
    assert source.csv is not None
    if not source.csv.is_file():
        raise MissingInputError(missing or f"{source.symbol}: its price file {source.csv} no longer exists")
    return load_csv(source.csv, required=(column,), date_format=source.date_format, ticker=source.ticker)


def _age(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:.0f} hours" if hours < 48 else f"{hours / 24:.0f} days"
