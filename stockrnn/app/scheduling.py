"""Application layer, scheduling: the crontab entry for the nightly retrain, refused or warned about when the job
it would schedule cannot run yet.

Input: a time of day on the exchange's clock, its time zone, an optional watchlist. Output: `Scheduled` (the entry,
the symbols it retrains as of now, the warnings), or a typed error when the job could only fail: a watchlist that
is missing, unreadable, malformed or empty (its own error, exit 66 or 2), or `--all` with no model yet (exit 66).
A symbol that would fail on its own (a price file gone, a damaged champion) or that has no model yet is a warning:
the others still run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import registry
from ..errors import DataError, MissingInputError, StockRNNError
from ..paths import home
from ..schedule import CronEntry, cron_entry
from ..watchlist import Entry, read_watchlist

log = logging.getLogger("stockrnn")


@dataclass(frozen=True)
class Scheduled:
    entry: CronEntry
    symbols: list[str]  # what the job retrains, as of now
    warnings: list[str] = field(default_factory=list)  # what will fail or change on the first night, per symbol

    def text(self) -> str:
        return self.entry.text()

    def to_json(self) -> dict[str, Any]:
        return {**self.entry.to_json(), "symbols": self.symbols, "warnings": self.warnings}


def schedule(
    at: str, timezone: str, watchlist: Path | None = None, strict: bool = False, now: datetime | None = None
) -> Scheduled:
    """The crontab entry for `stockrnn retrain` at `at` (HH:MM) on `timezone`'s clock (see schedule.cron_entry),
    checked against what it would find tonight; each warning is also logged (stderr). Raises `UsageError` (exit 2)
    for a bad time, zone or watchlist line, `MissingInputError` (exit 66) for a missing or unreadable watchlist, or
    for --all before any model exists."""
    entry = cron_entry(at, timezone, watchlist, now, strict)
    if entry.watchlist is not None:
        try:
            entries = read_watchlist(entry.watchlist)
        except StockRNNError as exc:  # the job would fail on it every night: nothing is scheduled
            raise type(exc)(f"{exc}; nothing scheduled: the nightly retrain would fail on it") from None
    else:
        entries = [Entry(symbol) for symbol in registry.symbols()]
        if not entries:
            raise MissingInputError(
                f"no model yet in {home() / 'models'}: a nightly `retrain --all` would have nothing to "
                "retrain; train one first (stockrnn train SYMBOL), or schedule a --watchlist FILE (its symbols' "
                "first models are trained on the first night)"
            )
    warnings = [problem for e in entries if (problem := cannot_run_yet(e))]
    for problem in warnings:
        log.warning("%s", problem)
    return Scheduled(entry, [e.symbol for e in entries], warnings)


def cannot_run_yet(entry: Entry) -> str | None:
    """Why the nightly retrain of `entry` would fail or do something other than retrain a model, in words; None
    when it can run."""
    symbol = entry.symbol
    if entry.csv is not None and not Path(entry.csv).is_file():
        return f"{symbol}: its csv= file {entry.csv} does not exist: the nightly retrain fails for it until it does"
    try:
        version = registry.champion(symbol)
    except DataError as exc:
        return f"{symbol}: {exc}"
    if version is None:
        source = f"its csv= file {entry.csv}" if entry.csv else "its prices from Yahoo"
        return f"{symbol}: no model yet: the first nightly retrain trains one on {source}, with the default settings"
    manifest = registry.read_manifest(symbol, version)
    if manifest is None:
        return (
            f"{symbol}: its champion {version} is unreadable: the nightly retrain trains a new one with the default "
            f"settings; roll back first (stockrnn models rollback {symbol}) to keep its settings"
        )
    data = manifest.data
    from_file = data.kind == "csv" and (data.price_source or {}).get("kind", "csv") == "csv"
    if entry.csv is None and from_file and not Path(data.source).is_file():
        return (
            f"{symbol}: its champion {version} was trained on {data.source}, which no longer exists: the nightly "
            f"retrain fails for {symbol}; name the file on its watchlist line (csv=FILE)"
        )
    return None
