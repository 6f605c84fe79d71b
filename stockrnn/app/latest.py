"""Application layer, the latest recorded forecast: what predict or the nightly retrain last wrote into the forecast
ledger, read back as it was made; nothing is recomputed, no model or price is loaded.

Input: symbols (default: every one the ledger knows). Output: per symbol its most recently made `RecordedForecast`.
"""

from __future__ import annotations

from collections.abc import Iterable

from .. import ledger
from ..errors import MissingInputError, StockRNNError
from ..paths import check_symbol
from ..record import RecordedForecast


def latest(symbols: list[str] | None = None) -> list[RecordedForecast]:
    """Each symbol's (of `symbols`, default: every recorded one, in alphabetical order) most recently made forecast:
    the latest `created`, and of those the latest origin. A global model's NAME among `symbols` stands for every
    member it forecast: each member's most recent forecast made by NAME (any of its versions, recorded as
    "NAME:vN"), in the members' order. A `MissingInputError` (exit 66) when the ledger has none of a symbol or a
    model, naming those it has."""
    names = [check_symbol(s) for s in symbols or []]
    known = ledger.symbols()
    models = {s: by_model(s) for s in names if s not in known}  # a global model's name: its members' forecasts
    unknown = [s for s, found in models.items() if not found]
    if unknown or not known:
        has = f"the ledger has {', '.join(known)}" if known else "the ledger is empty"
        what = f"no forecast of {', '.join(unknown)} is recorded" if unknown else "no forecast is recorded yet"
        raise MissingInputError(
            f"{what}: {has}; `stockrnn predict SYMBOL` (or NAME, a global model) records one, and so does every "
            "`stockrnn retrain`"
        )
    plain = [s for s in names if s not in models]
    last = newest(ledger.read(plain or None)) if plain or not names else {}
    return [e for s in (names or sorted(last)) for e in (models[s] if s in models else [last[s]])]


def by_model(name: str) -> list[RecordedForecast]:
    """Each member's most recent forecast made by the global model `name` (a version recorded as "NAME:vN"), in
    alphabetical order of the members; [] when it made none."""
    last = newest(e for e in ledger.read() if e.version.split(":")[0] == name and ":" in e.version)
    return [last[s] for s in sorted(last)]


def newest(entries: Iterable[RecordedForecast]) -> dict[str, RecordedForecast]:
    """Symbol -> its most recently made of `entries`: the latest `created`, and of those the latest origin."""
    last: dict[str, RecordedForecast] = {}
    for e in entries:
        if e.symbol not in last or (e.created, e.origin) >= (last[e.symbol].created, last[e.symbol].origin):
            last[e.symbol] = e
    return last


def to_json(entry: RecordedForecast) -> dict:
    """A recorded forecast as the command line's JSON prints it (the vocabulary of predict's JSON)."""
    return {
        "symbol": entry.symbol,
        "model_version": entry.version,
        "target": entry.target,
        "column": entry.column_name,
        "made_by": entry.made_by,
        "created": entry.created,
        "origin": entry.origin,
        "origin_price": entry.origin_price,
        "level": entry.level,
        "data_source": entry.data_source,
        "rows": [
            {"step": s.step, "date": s.date, "forecast": s.forecast, "lower": s.lower, "upper": s.upper, "p_up": s.p_up}
            for s in entry.steps
        ],  # fmt: skip
    }


def latest_each(symbols: list[str]) -> list[tuple[str, RecordedForecast | StockRNNError]]:
    """`latest` of each of several `symbols` apart, in order: its recorded forecast, or the error that says why
    there is none (the others go on)."""
    found: list[tuple[str, RecordedForecast | StockRNNError]] = []
    for symbol in symbols:
        try:
            found += [(symbol, e) for e in latest([symbol])]  # a global model's name: each member's
        except StockRNNError as exc:
            found.append((symbol, exc))
    return found
