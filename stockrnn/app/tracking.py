"""Application layer, the track record: the forecasts recorded in the ledger, scored against the prices since.

Input: symbols (default: every one the ledger knows), a first origin, a horizon. Output: one `track.Track` per
symbol and model version (with its entries and actual prices, for plots), each symbol's recorded signals in money
(`track.Money`, one a rule), and for `plot` the PNG's path.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .. import ledger
from ..config import check_range
from ..errors import MissingInputError, StockRNNError
from ..plot import check_plot, plot_track
from ..price_source import PriceSource
from ..record import RecordedForecast, RecordedSignal
from ..strategy import bars
from ..track import ALL, Money, Track, TrackRecord, model_of, money, score
from ..validate import Prices
from ..windows import parse_day, price_column
from .prices import read_recorded

# actual(entry) -> the actual prices of the entry's symbol and source, indexed by day.
Actuals = Callable[[RecordedForecast], pd.Series]
# read(record) -> the prices of a record's symbol and source, as validated.
Reader = Callable[[RecordedForecast | RecordedSignal], Prices]


log = logging.getLogger("stockrnn")


def records(
    symbols: list[str] | None = None,
    since: str | None = None,
    horizon: int | None = None,
    offline: bool = False,
    actuals: Actuals | None = None,
) -> list[tuple[Track, list[RecordedForecast], pd.Series]]:
    """Every recorded model version's `Track` (of `symbols`; forecasts with an origin on or after `since`), with
    its entries and actual prices (for plots), each symbol's whole record of each model first (version ALL, or
    "NAME:all" of a global model NAME: the first forecast that model recorded from each origin, whichever of its
    versions made it; two models' forecasts are never merged) when more than one version made it; [] when nothing is
    recorded. A symbol the ledger does not know is a
    `MissingInputError`."""
    check_range("--horizon", horizon)  # None: every step
    day = parse_day(since, "--since")
    known = ledger.symbols()
    unknown = [s for s in symbols or [] if s not in known]
    if unknown and known:
        raise MissingInputError(
            f"no forecast of {', '.join(unknown)} is recorded; the ledger has {', '.join(known)}"
        )  # fmt: skip
    if unknown:
        raise MissingInputError(f"no forecast of {', '.join(unknown)} is recorded: the ledger is empty")
    entries = ledger.read(symbols or None, None if day is None else f"{day:%Y-%m-%d}")
    load = actuals or (lambda e: _actual(e, offline))
    groups: dict[tuple, list[RecordedForecast]] = {}
    for e in entries:
        groups.setdefault((e.symbol, e.version, e.fingerprint), []).append(e)
    # every symbol's whole record of each model (its own, or a global model's), whichever version made it
    for symbol, model in dict.fromkeys((e.symbol, model_of(e.version)) for e in entries):
        first: dict[str, RecordedForecast] = {}
        for e in sorted((e for e in entries if e.symbol == symbol and model_of(e.version) == model),
                        key=lambda e: e.created):  # fmt: skip
            first.setdefault(e.origin, e)  # a rolled-back model's forecast of an origin already recorded: the first
        if len({(e.version, e.fingerprint) for e in first.values()}) > 1:
            groups[(symbol, f"{model}:{ALL}" if model else ALL, "")] = sorted(first.values(), key=lambda e: e.origin)
    cache: dict[tuple, pd.Series] = {}
    result = []
    # a symbol's rows: each model's whole record before its versions (own model first)
    for key, group in sorted(groups.items(), key=lambda kv: (kv[0][0], model_of(kv[0][1]), not _whole(kv[0][1]))):
        e = group[0]
        source = (e.symbol, e.data_kind, e.data_source, e.adjusted, e.column_name, e.date_format, e.ticker)
        if source not in cache:
            cache[source] = load(e)
        scored = score(group, cache[source], horizon)
        result.append((dataclasses.replace(scored, version=key[1], fingerprint=key[2]), group, cache[source]))
    return result


def _whole(version: str) -> bool:
    """Whether a track's version is a model's whole record (track.ALL, or a global model's "NAME:all")."""
    return version.split(":")[-1] == ALL


def _actual(e: RecordedForecast | RecordedSignal, offline: bool) -> pd.Series:
    prices = _read(e, offline)
    return price_column(prices.frame, e.column_name, prices.source).dropna()


def _read(e: RecordedForecast | RecordedSignal, offline: bool) -> Prices:
    source = PriceSource.recorded(
        e.symbol, e.data_kind, e.data_source, e.adjusted, e.date_format, offline=offline, ticker=e.ticker
    )
    return read_recorded(source, e.column_name)


def in_money(
    symbols: list[str] | None = None, since: str | None = None, offline: bool = False, read: Reader | None = None
) -> list[Money]:  # fmt: skip
    """Each symbol's recorded signals (made from `since` on), one `track.Money` a rule (strategy, threshold, cost,
    fill), traded on its actual prices as made; [] when no signal is recorded."""
    load = read or (lambda e: _read(e, offline))
    day = parse_day(since, "--since")
    groups: dict[tuple, list[RecordedSignal]] = {}
    for s in ledger.read_signals(symbols):
        if day is not None and s.origin < f"{day:%Y-%m-%d}":
            continue
        groups.setdefault((s.symbol, model_of(s.version), *s.rule), []).append(s)  # two models' signals apart
    found = []
    for (symbol, *_), group in sorted(groups.items(), key=lambda kv: kv[0]):
        e = group[0]
        try:  # one symbol's prices that cannot be traded (gone, or no Open column) never hide the others'
            prices = load(e)
            found.append(money(group, bars(prices.frame, e.column_name, e.fill, f"{symbol} ({prices.source})")))
        except StockRNNError as exc:
            log.warning("%s: its recorded signals are not scored in money: %s", symbol, exc)
    return found


def track(
    symbols: list[str] | None = None, since: str | None = None, horizon: int | None = None, offline: bool = False,
    plot: Path | None = None,
) -> TrackRecord:  # fmt: skip
    """The track record (`records`), with a PNG of it when `plot` names one (its folder checked first)."""
    if plot is not None:
        check_plot(plot)
    cache: dict[tuple, Prices] = {}

    def read(e: RecordedForecast | RecordedSignal) -> Prices:  # each source read once, for forecasts and signals
        key = (e.symbol, e.data_kind, e.data_source, e.adjusted, e.column_name, e.date_format, e.ticker)
        if key not in cache:
            cache[key] = _read(e, offline)
        return cache[key]

    def actual(e: RecordedForecast) -> pd.Series:
        prices = read(e)
        return price_column(prices.frame, e.column_name, prices.source).dropna()

    found = records(symbols, since, horizon, offline, actual)
    drawn = str(plot_track(found, plot).resolve()) if found and plot is not None else None
    return TrackRecord([t for t, _, _ in found], drawn, in_money(symbols, since, offline, read))
