"""Store stage for forecasts: every real forecast, as it was made, in one SQLite database under the home folder.

Input: a `Forecast` made after the data's last day (by `predict` without --start, or by `retrain` for the champion).
Output: `RecordedForecast` records, read back for `stockrnn track` (track.py scores them once their days have passed),
and the trading signals `stockrnn signal` made from some of them (`RecordedSignal`, a table of their own that points at
its forecast: a ledger written before signals existed gains the empty table when opened, and an older stockrnn reads a
newer ledger's forecasts as before). A record is one transaction (the forecast and all its steps,
or nothing: a command killed half-way leaves no part of it); the same model's forecast from the same origin is kept
once, the first time it was made. WAL and a busy timeout let a nightly retrain and a user's predict write at the same
moment.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import CannotWriteError, DataError, StockRNNError
from .paths import home
from .record import RecordedForecast, RecordedSignal, Step

if TYPE_CHECKING:  # only for type hints: importing targets here would load numpy with every ledger read
    from .config import TrainConfig
    from .targets import Result
    from .validate import Prices

log = logging.getLogger("stockrnn")

FILE = "ledger.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS forecasts (
    id INTEGER PRIMARY KEY,
    symbol TEXT NOT NULL,
    version TEXT NOT NULL,              -- the model version that made it, e.g. v3
    fingerprint TEXT NOT NULL,          -- of the model's training config (config_fingerprint)
    target TEXT NOT NULL,               -- what the model learned: price, return, ...
    column_name TEXT NOT NULL,          -- the price column forecast: close, adj_close, ...
    made_by TEXT NOT NULL,              -- predict or retrain
    created TEXT NOT NULL,              -- UTC, ISO 8601: when the forecast was made
    origin TEXT NOT NULL,               -- YYYY-MM-DD: the last day whose price the forecast knew
    origin_price REAL NOT NULL,
    level REAL,                         -- of the interval in the steps' lower/upper; NULL: no interval
    data_kind TEXT NOT NULL,            -- csv or store: where `track` reads the actual prices
    data_source TEXT NOT NULL,          -- the file (absolute) or the store's description
    adjusted INTEGER NOT NULL,          -- store prices adjusted for splits and dividends
    date_format TEXT,                   -- how the file's dates were read, if it was told
    ticker TEXT,                        -- the one ticker read of a file that holds several, if it was told
    UNIQUE (symbol, version, fingerprint, origin)
);
CREATE TABLE IF NOT EXISTS steps (
    forecast_id INTEGER NOT NULL REFERENCES forecasts (id),
    step INTEGER NOT NULL,              -- 1 = the first trading day after the origin
    date TEXT NOT NULL,                 -- YYYY-MM-DD on the model's exchange calendar
    forecast REAL,                      -- the price forecast (NULL for a direction model's step)
    lower REAL, upper REAL,             -- the prediction interval at `level`
    p_up REAL,                          -- P(price above the origin's on `date`): direction models
    PRIMARY KEY (forecast_id, step)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS signals (
    forecast_id INTEGER NOT NULL REFERENCES forecasts (id),  -- the forecast it was made from
    strategy TEXT NOT NULL,             -- long-flat or long-short
    threshold REAL NOT NULL,            -- of the score
    cost_bps REAL NOT NULL,             -- per side
    fill TEXT NOT NULL,                 -- close or open: the next trading day's bar
    position REAL NOT NULL,             -- 1 long, 0 flat, -1 short: decided at the close of the forecast's origin
    score REAL,                         -- the expected return to the next close, or P(up)
    lower REAL, upper REAL,             -- the score's one-step band; NULL: none
    created TEXT NOT NULL,              -- UTC, ISO 8601
    PRIMARY KEY (forecast_id, strategy, threshold, cost_bps, fill)
) WITHOUT ROWID;
"""
HEADER = (
    "symbol", "version", "fingerprint", "target", "column_name", "made_by", "created", "origin", "origin_price",
    "level", "data_kind", "data_source", "adjusted", "date_format", "ticker",
)  # fmt: skip
SIGNAL = ("strategy", "threshold", "cost_bps", "fill", "position", "score", "lower", "upper", "created")
# The forecast's columns a signal is read with (the rest of `RecordedSignal`).
SIGNAL_SOURCE = ("symbol", "version", "target", "origin", "column_name", "data_kind", "data_source", "adjusted",
                 "date_format", "ticker")  # fmt: skip
# Columns added after the first ledgers were written: (name, declaration), added to an older ledger when it is opened.
ADDED = (("ticker", "TEXT"),)


def config_fingerprint(config: TrainConfig) -> str:
    """12 hex digits of the SHA-256 of the training config's JSON: two models with the same version name but
    different configs (a registry deleted and started again) are told apart."""
    text = json.dumps(config.to_dict(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def entry(forecast: Result, config: TrainConfig, prices: Prices, made_by: str) -> RecordedForecast:
    """The record of a real forecast (one that starts after `prices`' last day) made by a model trained with
    `config`."""
    steps = forecast.steps()  # the target says which days are this forecast's own
    source = str(Path(prices.source).resolve()) if prices.kind == "csv" else prices.source
    return RecordedForecast(
        symbol=forecast.symbol,
        version=forecast.version,
        fingerprint=config_fingerprint(config),
        target=config.target,
        column_name=forecast.column,
        made_by=made_by,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        origin=f"{forecast.origin:%Y-%m-%d}",
        origin_price=float(forecast.history.iloc[-1]),
        level=forecast.level,
        data_kind=prices.kind,
        data_source=source,
        adjusted=config.adjusted,
        date_format=prices.date_format,
        ticker=prices.ticker,
        steps=steps,
    )


def path(folder: Path | None = None) -> Path:
    return (folder or home()) / FILE


@contextmanager
def connect(folder: Path | None = None) -> Iterator[sqlite3.Connection]:
    """A connection in WAL mode that waits up to 30 s for another writer's (short) transaction."""
    file = path(folder)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(file, timeout=30, isolation_level=None)) as db:
            db.execute("PRAGMA journal_mode=WAL")  # readers never block a writer, nor a writer the readers
            db.execute("PRAGMA foreign_keys=ON")
            db.executescript(SCHEMA)
            _add_columns(db)
            yield db
    except sqlite3.OperationalError as exc:
        raise CannotWriteError(f"cannot use the forecast ledger {file}: {exc}") from None
    except sqlite3.DatabaseError as exc:
        raise DataError(f"cannot read the forecast ledger {file}: {exc}; move it away to start a new one") from None


def _add_columns(db: sqlite3.Connection) -> None:
    """Give a ledger written by an older stockrnn the columns added since (NULL in its rows)."""
    have = {row[1] for row in db.execute("PRAGMA table_info(forecasts)")}
    for name, declaration in ADDED:
        if name not in have:
            db.execute(f"ALTER TABLE forecasts ADD COLUMN {name} {declaration}")


def record(item: RecordedForecast, folder: Path | None = None) -> bool:
    """Write one forecast and its steps in one transaction; False when the same model's forecast from the same
    origin is already recorded (the first one is kept)."""
    with connect(folder) as db, _transaction(db):
        return _insert(db, item) is not None


def record_signal(item: RecordedForecast, signal: RecordedSignal, folder: Path | None = None) -> bool:
    """Write a signal with the forecast it was made from (`record`; the forecast kept once) in one transaction;
    False when the same rule's signal from that forecast is already recorded (the first one is kept)."""
    with connect(folder) as db, _transaction(db):
        forecast_id = _insert(db, item)
        if forecast_id is None:  # recorded before (by predict, or an earlier signal): the signal joins it
            forecast_id = db.execute(
                "SELECT id FROM forecasts WHERE symbol = ? AND version = ? AND fingerprint = ? AND origin = ?",
                (item.symbol, item.version, item.fingerprint, item.origin),
            ).fetchone()[0]
        cursor = db.execute(
            f"INSERT OR IGNORE INTO signals (forecast_id, {', '.join(SIGNAL)}) VALUES (?{', ?' * len(SIGNAL)})",
            [forecast_id, *(getattr(signal, name) for name in SIGNAL)],
        )
        return cursor.rowcount > 0


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")  # take the write lock now, not half-way through: no deadlock between writers
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def _insert(db: sqlite3.Connection, item: RecordedForecast) -> int | None:
    """Insert a forecast and its steps inside the caller's transaction: its id, or None when it was recorded before."""
    values = [getattr(item, name) for name in HEADER]
    cursor = db.execute(
        f"INSERT OR IGNORE INTO forecasts ({', '.join(HEADER)}) VALUES ({', '.join('?' * len(HEADER))})",
        [int(v) if isinstance(v, bool) else v for v in values],
    )
    if cursor.rowcount == 0:
        return None
    forecast_id = cursor.lastrowid
    _before_steps()
    db.executemany(
        "INSERT INTO steps VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(forecast_id, s.step, s.date, s.forecast, s.lower, s.upper, s.p_up) for s in item.steps],
    )
    return forecast_id


def _before_steps() -> None:
    """Nothing; the kill test replaces it to stop a process between the forecast's row and its steps."""


def read(
    symbols: list[str] | None = None, since: str | None = None, folder: Path | None = None
) -> list[RecordedForecast]:
    """The recorded forecasts (of `symbols`, with an origin on or after `since`), oldest origin first; [] when
    nothing was ever recorded."""
    if not path(folder).exists():
        return []
    where, args = ["origin >= ?"], [since or "0000-00-00"]
    if symbols:
        where.append(f"symbol IN ({', '.join('?' * len(symbols))})")
        args += symbols
    with connect(folder) as db:
        heads = db.execute(
            f"SELECT id, {', '.join(HEADER)} FROM forecasts WHERE {' AND '.join(where)} ORDER BY origin, symbol, id",
            args,
        ).fetchall()
        steps: dict[int, list[Step]] = {}
        for forecast_id, *values in db.execute(
            "SELECT forecast_id, step, date, forecast, lower, upper, p_up FROM steps ORDER BY forecast_id, step"
        ):
            steps.setdefault(forecast_id, []).append(Step(*values))
    entries = []
    for forecast_id, *values in heads:
        fields = dict(zip(HEADER, values, strict=True))
        fields["adjusted"] = bool(fields["adjusted"])
        entries.append(RecordedForecast(**fields, steps=tuple(steps.get(forecast_id, ()))))
    return entries


def read_signals(symbols: list[str] | None = None, folder: Path | None = None) -> list[RecordedSignal]:
    """The recorded signals (of `symbols`), oldest origin first, then in the order they were made; [] when none."""
    if not path(folder).exists():
        return []
    where, args = "", list(symbols or [])
    if symbols:
        where = f"WHERE f.symbol IN ({', '.join('?' * len(symbols))})"
    with connect(folder) as db:
        rows = db.execute(
            f"SELECT {', '.join('f.' + n for n in SIGNAL_SOURCE)}, {', '.join('s.' + n for n in SIGNAL)} "
            f"FROM signals s JOIN forecasts f ON f.id = s.forecast_id {where} ORDER BY f.origin, s.created, f.symbol",
            args,
        ).fetchall()
    found = []
    for row in rows:
        fields = dict(zip((*SIGNAL_SOURCE, *SIGNAL), row, strict=True))
        fields["adjusted"] = bool(fields["adjusted"])
        found.append(RecordedSignal(**fields))
    return found


def count(folder: Path | None = None) -> int:
    """How many forecasts are recorded."""
    if not path(folder).exists():
        return 0
    with connect(folder) as db:
        return int(db.execute("SELECT count(*) FROM forecasts").fetchone()[0])


def symbols(folder: Path | None = None) -> list[str]:
    """Every symbol with a recorded forecast."""
    if not path(folder).exists():
        return []
    with connect(folder) as db:
        return [row[0] for row in db.execute("SELECT DISTINCT symbol FROM forecasts ORDER BY symbol")]


def remember_many(
    forecasts: Sequence[Result], config: TrainConfig, prices: Sequence[Prices], made_by: str
) -> list[bool] | None:  # fmt: skip
    """`remember` of many forecasts of one model (a global model's members, `prices[i]` member i's), in one
    transaction: each True when recorded, False when recorded before; the synthetic series' are left out. None
    when the ledger cannot be written (said in the log: the forecasts themselves are not lost)."""
    items = [entry(f, config, p, made_by) for f, p in zip(forecasts, prices, strict=True) if p.kind != "synthetic"]
    if not items:
        return []
    try:
        with connect() as db, _transaction(db):
            return [_insert(db, item) is not None for item in items]
    except StockRNNError as exc:
        log.error("%d forecasts (%s, ...) were not recorded: %s", len(items), items[0].symbol, exc)
        return None


def remember(forecast: Result, config: TrainConfig, prices: Prices, made_by: str) -> bool | None:
    """Record a real forecast (`record`); None when it is not recorded: made on the synthetic series (no actual
    price will ever come), or the ledger cannot be written (said in the log: the forecast itself is not lost)."""
    if prices.kind == "synthetic":
        return None
    try:
        return record(entry(forecast, config, prices, made_by))
    except StockRNNError as exc:
        log.error("%s: the forecast from %s was not recorded: %s", forecast.symbol, f"{forecast.origin:%Y-%m-%d}", exc)
        return None
