"""Application layer, a global model's forecasts: every member (or the ones asked for) in one process, one model load.

Input: a global model's name (`train --panel ... --name NAME`), the members to forecast (default: all), or a price
file of a symbol outside the training panel, and the forecast's options. Output: one `Outcome` per member, in member
order, each its target's `Result` as a single symbol's model gives it (labelled with the model's name: "NAME:v1"),
recorded in the forecast ledger under the member's symbol when made after its data from its own source, so that
`track` scores it. A symbol outside the panel is forecast from its file, scaled on its own history up to the
training end, labelled as outside the training panel and never recorded.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Sequence
from datetime import date

from .. import ledger, registry
from ..config import HORIZON, LEVEL
from ..errors import StockRNNError, UsageError
from ..forecast import Asked, check_reach, forecast_model, forecast_models, load_model
from ..intervals import pooled
from ..manifest import Manifest
from ..panel_train import member_manifest
from ..price_source import PriceSource
from ..provenance import provenance
from ..targets import Result, scaler_to_dict
from ..validate import Prices
from ..windows import training_set
from .batch import Outcome
from .forecast import stand
from .panel import market_of
from .prices import load, model_prices

log = logging.getLogger("stockrnn")
OUTSIDE = "outside the training panel"


def global_model(name: str) -> registry.StoredModel | None:
    """`name`'s champion when it is a global model of a panel; None when it is a single symbol's model, or there is
    none (or it cannot be read: the single symbol's path says why)."""
    try:
        stored = registry.load_current(name)
    except StockRNNError:
        return None
    return stored if stored.manifest.data.panel is not None else None


def predict_members(
    stored: registry.StoredModel, members: Sequence[str] = (), source: PriceSource | None = None,
    start: str | None = None, days: int = HORIZON, level: float = LEVEL, today: str | date | None = None,
) -> Iterator[Outcome]:  # fmt: skip
    """Each of `members` (default: every member) forecast by the global model `stored`, the model loaded once; with
    `source` naming a file, that file's symbol instead (a member: from that file, not recorded; else outside the
    training panel). A member whose forecast fails (its file gone, bad data) yields its error and the next goes on.
    Raises `UsageError` for a symbol that is no member (without a file), for `members` other than the file's own
    symbol beside a file (its prices would be forecast under another name), and, once for all members, for `days`
    beyond what a model of past covariates can forecast (forecast.check_reach)."""
    m = stored.manifest
    record = m.data.panel or {}
    known = dict(record.get("members", {}))
    members = list(dict.fromkeys(s.upper() for s in members))  # a member named twice is forecast once
    from_file = source is not None and source.csv is not None
    if from_file and members:
        assert source is not None and source.csv is not None
        own = (dataclasses.replace(source, symbol=None).name or "").upper()  # the file's symbol, not the model's
        if members != [own]:
            raise UsageError(
                f"--member {', '.join(members)} with --csv {source.csv}, whose prices are {own}'s: a file forecasts "
                f"its own symbol; leave --member out, or drop --csv to forecast the members from their own data"
            )
    unknown = [] if from_file else [s for s in members if s not in known]
    if unknown:
        raise UsageError(
            f"{', '.join(unknown)}: not a member of {m.symbol} {m.version} (members: {', '.join(known)}); forecast a "
            "symbol outside the panel from its prices with --csv FILE"
        )
    check_reach(m.config, days, (m.symbol, m.version))  # once for every member, before any is forecast
    model = load_model(m, stored.model_path)
    if from_file:
        assert source is not None
        yield _from_file(stored, model, source, start, days, level, today)
        return
    yield from _members(stored, model, members or list(known), source, start, days, level, today)


def _members(
    stored: registry.StoredModel, model: object, symbols: Sequence[str], source: PriceSource | None,
    start: str | None, days: int, level: float, today: str | date | None,
) -> Iterator[Outcome]:  # fmt: skip
    """`symbols`' forecasts by the loaded global model, each from its own recorded source (or `source`'s file), their
    paths advanced together (forecast.forecast_models), the real ones recorded in the ledger in one transaction. A
    member that cannot be forecast (its file damaged or gone, data too short) yields its error and the others go
    on; among several, it is left out: a WARNING naming its file, and its `Outcome.left_out` (the command exits 1 at
    the end, as `train --panel` does for a member left out); one alone: its error as it is."""
    m = stored.manifest
    offline = source is not None and source.offline
    market = market_of(m, offline)  # read once for every member
    views: dict[str, Manifest] = {}
    read: dict[str, Prices] = {}
    failed: dict[str, StockRNNError] = {}
    for symbol in symbols:
        views[symbol] = member_manifest(m, symbol)
        try:
            read[symbol] = model_prices(symbol, views[symbol], source)
        except StockRNNError as exc:
            failed[symbol] = exc
    asked = [
        Asked(stored.scaler["members"][s], read[s], (s, views[s].version), views[s].interval, member_index(m, s))
        for s in read
    ]
    made = dict(zip(read, forecast_models(model, m.config, asked, start, days, level, market), strict=True))
    remembered = []
    for symbol in symbols:
        result = made.get(symbol)
        if not isinstance(result, StockRNNError) and result is not None:
            view, prices = views[symbol], read[symbol]
            result = dataclasses.replace(result, standing=stand(view, result, prices, today))
            seen = provenance(view, stored.scaler["members"][symbol], prices, start, days)
            for warning in seen.warnings:
                log.warning("%s", warning)
            if start is None and seen.own:  # a real forecast: into the ledger under the member, with the model's name
                remembered.append((result, prices))
            yield Outcome(symbol, result, model=m.symbol)
            continue
        error = failed.get(symbol) or result
        assert isinstance(error, StockRNNError)
        if len(symbols) > 1:
            where = views[symbol].data.source
            log.warning("%s: left out of %s %s's forecasts (%s)", where, m.symbol, m.version, _why(error, where))
        yield Outcome(symbol, error=error, model=m.symbol, left_out=len(symbols) > 1)
    ledger.remember_many([r for r, _ in remembered], m.config, [p for _, p in remembered], "predict")


def outside_manifest(manifest: Manifest) -> Manifest:
    """A global model's manifest as a symbol outside its training panel sees it: version "NAME:vN", the model's
    training period (its days count as in-sample: the model learned the market of those days from its members), no
    validation verdict of its own (it was in no validation tail), and as its interval the members' calibrations
    pooled (intervals.pooled: errors over each member's own volatility, so one unit for all)."""
    members = (manifest.data.panel or {}).get("members", {})
    interval = pooled([record.get("interval") for record in members.values()])
    return dataclasses.replace(manifest, interval=interval, metrics={}, version=f"{manifest.symbol}:{manifest.version}")


def member_index(manifest: Manifest, symbol: str) -> int | None:
    """`symbol`'s member index when the global model learned a symbol embedding, else None."""
    return (manifest.data.panel or {})["members"][symbol]["index"] if manifest.config.symbol_embedding else None


def _why(error: StockRNNError, where: str) -> str:
    """The error's message without the file it starts with (the warning names the file once)."""
    return str(error).removeprefix(f"{where}: ")


def _member(
    stored: registry.StoredModel, model: object, symbol: str, source: PriceSource | None, start: str | None,
    days: int, level: float, today: str | date | None,
) -> Result:  # fmt: skip
    """One member's forecast (`_members` of one); its error raised."""
    outcome = next(_members(stored, model, [symbol], source, start, days, level, today))
    if outcome.error is not None:
        raise outcome.error
    assert outcome.result is not None
    return outcome.result


def _from_file(
    stored: registry.StoredModel, model: object, source: PriceSource, start: str | None, days: int, level: float,
    today: str | date | None,
) -> Outcome:  # fmt: skip
    """The symbol of `source`'s file: a member forecast from that file (recorded only when it is the member's own
    data), else a symbol outside the training panel, scaled on its own history up to the training end and never
    recorded."""
    m = stored.manifest
    prices = load(source, m.config.column, m.config.calendar)
    symbol = (dataclasses.replace(source, symbol=None).name or "").upper()  # the file's, not the model's name
    if symbol in (m.data.panel or {}).get("members", {}):
        try:
            return Outcome(symbol, _member(stored, model, symbol, source, start, days, level, today), model=m.symbol)
        except StockRNNError as exc:
            return Outcome(symbol, error=exc, model=m.symbol)
    try:
        if m.config.symbol_embedding:
            raise UsageError(
                f"{m.symbol} {m.version} learned a vector for each member symbol; {symbol} is {OUTSIDE} and has none"
            )
        # Scaled as a member is: on its own training rows, up to the model's training end (never later).
        config = dataclasses.replace(m.config, train_end=m.data.train_end)
        market = market_of(m, source.offline)
        data = training_set(prices.frame, config, prices.source, market=market)
        scaler = scaler_to_dict(data.scaler)
        if data.feature_scaler is not None:  # its covariates too, on its own rows up to the training end
            scaler["features"] = data.feature_scaler.to_json()
        view = outside_manifest(m)
        label = (symbol, f"{view.version}, {OUTSIDE}")
        result = forecast_model(model, scaler, m.config, prices, start, days, label, view.interval, level, market)
        result = dataclasses.replace(result, standing=stand(view, result, prices, today))
        log.warning(
            "%s: %s is %s of %s %s: scaled on its own prices up to %s, its band from the members' pooled validation "
            "errors; this forecast is not recorded in the forecast ledger",
            prices.source, symbol, OUTSIDE, m.symbol, m.version, m.data.train_end,
        )  # fmt: skip
        return Outcome(symbol, result)
    except StockRNNError as exc:
        return Outcome(symbol, error=exc)
