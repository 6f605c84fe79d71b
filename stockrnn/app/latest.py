"""Application layer, the latest recorded forecast: what predict or the nightly retrain last wrote into the forecast
ledger, read back as it was made; nothing is recomputed, no model or price is loaded.

Input: symbols (default: every one the ledger knows). Output: per symbol its most recently made `RecordedForecast`.
"""

from __future__ import annotations

from .. import ledger
from ..errors import MissingInputError, StockRNNError
from ..paths import check_symbol
from ..record import RecordedForecast


def latest(symbols: list[str] | None = None) -> list[RecordedForecast]:
    """Each symbol's (of `symbols`, default: every recorded one, in alphabetical order) most recently made forecast:
    the latest `created`, and of those the latest origin. A `MissingInputError` (exit 66) when the ledger has none
    of a symbol, naming those it has."""
    names = [check_symbol(s) for s in symbols or []]
    known = ledger.symbols()
    unknown = [s for s in names if s not in known]
    if unknown or not known:
        has = f"the ledger has {', '.join(known)}" if known else "the ledger is empty"
        what = f"no forecast of {', '.join(unknown)} is recorded" if unknown else "no forecast is recorded yet"
        raise MissingInputError(
            f"{what}: {has}; `stockrnn predict SYMBOL` records one, and so does every `stockrnn retrain`"
        )
    entries = ledger.read(names or None)
    last: dict[str, RecordedForecast] = {}
    for e in entries:
        if e.symbol not in last or (e.created, e.origin) >= (last[e.symbol].created, last[e.symbol].origin):
            last[e.symbol] = e
    return [last[s] for s in (names or sorted(last))]


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
            found.append((symbol, latest([symbol])[0]))
        except StockRNNError as exc:
            found.append((symbol, exc))
    return found
