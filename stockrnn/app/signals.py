"""Application layer, today's decisions: each symbol's champion forecasts after its data's last day, and its signal
(decision.py) is recorded in the forecast ledger with the forecast it was made from.

Input: symbols and/or a watchlist file, a `rules.Rule` (long-flat or long-short, threshold, cost, fill), offline.
Output: `decision.Signals`: the signals ranked, one `Failure` per symbol that gave none (the others go on). One
process for the whole list: each model is loaded once, the backend started once.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from .. import decision, ledger, registry, targets
from ..config import HORIZON, LEVEL
from ..decision import Failure, Signal, Signals
from ..errors import MissingInputError, StockRNNError, UsageError
from ..forecast import Asked, forecast_models, load_model, reach
from ..manifest import Manifest
from ..panel_train import member_manifest
from ..paths import check_symbol
from ..price_source import PriceSource
from ..provenance import provenance
from ..record import RecordedSignal
from ..rules import Rule
from ..strategy import bars
from ..targets import Result
from ..validate import Prices
from ..watchlist import read_watchlist
from .forecast import forecast, stand
from .panel import market_of
from .panel_forecast import global_model, member_index
from .prices import model_prices

log = logging.getLogger("stockrnn")


def signal(
    symbols: list[str] | None = None, watchlist: Path | None = None, rule: Rule | None = None, offline: bool = False,
    today: str | date | None = None, members: Sequence[str] = (),
) -> Signals:  # fmt: skip
    """Today's signal of every symbol named and every symbol of `watchlist` (its csv=, date_format= and ticker=
    say where a symbol's prices are; its training options are ignored), by `rule` (default: long-flat at the
    target's threshold, 5 bps a side, next close). Raises `UsageError` for no symbol, a bad watchlist line or a rule
    that no model could use (a negative cost, an unknown fill), before any model is read; a symbol without a model,
    or whose rule or data do not fit, is a `Failure` and the others go on. A signal made on data that end long
    before `today` (default: the clock's date) carries the staleness warning of predict's evidence line."""
    rule = rule or Rule()
    rule.check()
    sources = _sources(symbols or [], watchlist, offline)
    before = ledger.read_signals(list(sources))
    found: list[Signal] = []
    errors: list[Failure] = []
    for symbol, source in sources.items():
        stored = global_model(symbol)
        if stored is not None:  # a global model: each member's signal (or each of `members`)
            made, failed = _members(stored, members, rule, offline, today)
            found += made
            errors += failed
            continue
        if members:
            errors.append(Failure(symbol, f"--member picks members of a global model; {symbol} is none", 2))
            continue
        try:
            found.append(one(symbol, source, rule, [s for s in before if s.symbol == symbol], today))
        except StockRNNError as exc:
            log.debug("%s: %s", symbol, exc)
            errors.append(Failure(symbol, str(exc), exc.exit_code))
    return Signals(decision.ranked(found), errors)


def _members(
    stored: registry.StoredModel, members: Sequence[str], rule: Rule, offline: bool, today: str | date | None
) -> tuple[list[Signal], list[Failure]]:
    """Each member's signal of the global model `stored` (default: every member), the model loaded once and every
    member's path advanced together (forecast.forecast_models, as predict NAME does). A member that cannot be
    signalled (its file damaged or gone, data too short) is a `Failure` and the others go on; among several, it is
    left out: a WARNING naming its file (the command exits 1 at the end); one alone: its error as it is."""
    m = stored.manifest
    known = list((m.data.panel or {}).get("members", {}))
    asked = [s.upper() for s in members] or known
    errors = [Failure(s, f"{s}: not a member of {m.symbol} {m.version}", 2) for s in asked if s not in known]
    asked = [s for s in asked if s in known]
    model = load_model(m, stored.model_path)
    market = market_of(m, offline)  # read once for every member
    before = ledger.read_signals(asked)
    views = {symbol: member_manifest(m, symbol) for symbol in asked}
    ready: dict[str, tuple[Prices, int, Rule]] = {}
    failed: dict[str, StockRNNError] = {}
    for symbol in asked:
        try:
            ready[symbol] = _prepare(symbol, views[symbol], PriceSource(symbol, offline=offline), rule)
        except StockRNNError as exc:
            failed[symbol] = exc
    days = _days(m)  # one configuration: the same days for every member
    many = [
        Asked(stored.scaler["members"][s], ready[s][0], (views[s].symbol, views[s].version), views[s].interval,
              member_index(m, s))
        for s in ready
    ]  # fmt: skip
    made = dict(zip(ready, forecast_models(model, m.config, many, None, days, LEVEL, market), strict=True))
    found = []
    for symbol in asked:
        result = made.get(symbol)
        try:
            if result is None:
                raise failed[symbol]
            if isinstance(result, StockRNNError):
                raise result
            view, (prices, _, resolved) = views[symbol], ready[symbol]
            mine = [s for s in before if s.symbol == symbol and s.version == view.version]  # this model's own
            scaler = stored.scaler["members"][symbol]
            found.append(_decide(symbol, view, scaler, result, prices, days, resolved, mine, today))
        except StockRNNError as exc:
            if len(asked) == 1:  # the one member asked: its error as it is
                errors.append(Failure(symbol, str(exc), exc.exit_code))
                continue
            # Among several, a member that fails (its file damaged or gone) is left out, as train --panel does
            where = views[symbol].data.source
            line = f"{where}: left out of {m.symbol} {m.version}'s signals ({str(exc).removeprefix(f'{where}: ')})"
            log.warning("%s", line)
            errors.append(Failure(symbol, line, 1, left_out=True))
    return found, errors


def one(
    symbol: str, source: PriceSource, rule: Rule, before: list[RecordedSignal], today: str | date | None = None
) -> Signal:  # fmt: skip
    """`symbol`'s signal (see `signal`), recorded in the ledger when its forecast is from the model's own data."""
    if registry.champion(symbol) is None:
        raise MissingInputError(f"no model for {symbol}: train one with stockrnn train {symbol}")
    stored = registry.load_current(symbol)

    def made(prices: Prices, days: int) -> Result:
        return forecast(stored, prices, None, days, offline=source.offline)

    return _signal(symbol, stored.manifest, stored.scaler, made, source, rule, before, today)


def _signal(
    symbol: str, m: Manifest, scaler: dict, forecasting: Callable[[Prices, int], Result], source: PriceSource,
    rule: Rule, before: list[RecordedSignal], today: str | date | None,
) -> Signal:  # fmt: skip
    """The signal of the model whose manifest is `m`, its forecast made by `forecasting(prices, days)`; recorded as
    `one` says."""
    prices, days, resolved = _prepare(symbol, m, source, rule)
    return _decide(symbol, m, scaler, forecasting(prices, days), prices, days, resolved, before, today)


def _days(m: Manifest) -> int:
    """The days a signal's forecast reaches: a direction model's P(up) from the last day is its H-th date; a model
    of past covariates no further than its head outputs from the last day's window."""
    days = max(HORIZON, m.config.horizon_days or 1)
    most = reach(m.config)
    return days if most is None else max(most, m.config.horizon_days or 1)


def _prepare(symbol: str, m: Manifest, source: PriceSource, rule: Rule) -> tuple[Prices, int, Rule]:
    """What a signal of the model `m` needs before its forecast: the prices (from `source`, else the model's
    recorded one), the days its forecast reaches (`_days`) and the rule resolved for its target. Raises what reading
    the prices raises, and a `DataError` when the rule's fill needs a column the prices lack."""
    resolved = rule.resolved(targets.get(m.config.target))
    prices = model_prices(symbol, m, source)
    bars(prices.frame, m.config.column, resolved.fill, prices.source)  # --fill open needs opens: said before signalling
    return prices, _days(m), resolved


def _decide(
    symbol: str, m: Manifest, scaler: dict, result: Result, prices: Prices, days: int, resolved: Rule,
    before: list[RecordedSignal], today: str | date | None,
) -> Signal:  # fmt: skip
    """The signal of `result` (the forecast of the model whose manifest is `m`, a member's view of a global model
    too) by the `resolved` rule, recorded in the ledger when the forecast is from the model's own data (a synthetic
    series or other data: shown, not recorded)."""
    target = targets.get(m.config.target)
    made = decision.signal(result, target, resolved, stand(m, result, prices, today), before)
    seen = provenance(m, scaler, prices, None, days)
    for warning in seen.warnings:
        log.warning("%s", warning)
    if prices.kind == "synthetic" or not seen.own:  # no actual price will come, or not the model's own data
        return made
    item = ledger.entry(result, m.config, prices, "signal")
    record = RecordedSignal(
        symbol=symbol, version=m.version, target=target.name, origin=made.origin, created=item.created,
        position=made.position, score=made.score, lower=made.lower, upper=made.upper, strategy=resolved.strategy,
        threshold=float(made.rule.threshold or 0.0), cost_bps=resolved.cost_bps, fill=resolved.fill,
        column_name=item.column_name, data_kind=item.data_kind, data_source=item.data_source, adjusted=item.adjusted,
        date_format=item.date_format, ticker=item.ticker,
    )  # fmt: skip
    try:
        new = ledger.record_signal(item, record)
    except StockRNNError as exc:  # the signal itself is not lost: it is shown
        log.error("%s: the signal from %s was not recorded: %s", symbol, made.origin, exc)
        return made
    return dataclasses.replace(made, recorded=new)


def _sources(symbols: list[str], watchlist: Path | None, offline: bool) -> dict[str, PriceSource]:
    """Each symbol once (the first naming wins), with where its prices are: a watchlist line's csv= file, else the
    source its model was trained on."""
    if not symbols and watchlist is None:
        raise UsageError("name SYMBOLs to signal, or a --watchlist FILE")
    found: dict[str, PriceSource] = {}
    entries = read_watchlist(watchlist) if watchlist else []
    named = [(e.symbol, PriceSource(e.symbol, Path(e.csv) if e.csv else None, e.date_format, e.ticker,
                                    offline=offline)) for e in entries]  # fmt: skip
    named += [(symbol, PriceSource(symbol, offline=offline)) for symbol in map(check_symbol, symbols)]
    for symbol, source in named:
        if symbol in found:
            log.warning("%s is named more than once: its signal is made once, from the first naming", symbol)
        found.setdefault(symbol, source)
    return found
