"""Store stage for prices: downloaded daily bars in one SQLite database under the home folder.

Input: validated canonical frames. Output: the stored bars of a symbol, and what each fetch changed.
Bars are keyed by (symbol, adjusted, date) and carry their source and download time; a write is one
transaction, so a fetch killed half-way leaves the database exactly as it was before it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import CannotWriteError, DataError

COLUMNS = ("open", "high", "low", "close", "adj_close", "volume")
SCHEMA = """
CREATE TABLE IF NOT EXISTS bars (
    symbol TEXT NOT NULL,
    adjusted INTEGER NOT NULL,          -- 1: prices adjusted for splits and dividends (yfinance auto_adjust)
    date TEXT NOT NULL,                 -- YYYY-MM-DD, the exchange's trading day
    open REAL, high REAL, low REAL, close REAL NOT NULL, adj_close REAL, volume REAL,
    source TEXT NOT NULL,
    fetched_at TEXT NOT NULL,           -- UTC, ISO 8601
    PRIMARY KEY (symbol, adjusted, date)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fetches (
    symbol TEXT NOT NULL, adjusted INTEGER NOT NULL, fetched_at TEXT NOT NULL,
    start TEXT, end TEXT, added INTEGER NOT NULL, updated INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class Written:
    added: int  # new trading days
    updated: int  # stored days whose values changed (revisions, new adjustments)


@dataclass(frozen=True)
class Stored:
    frame: pd.DataFrame  # canonical columns, daily DatetimeIndex named date
    fetched_at: datetime  # the last successful download of this series (UTC)


def path(home: Path) -> Path:
    return home / "prices.sqlite"


@contextmanager
def connect(home: Path) -> Iterator[sqlite3.Connection]:
    try:
        home.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(path(home), timeout=30)) as db:
            db.execute("PRAGMA journal_mode=WAL")  # readers never block the nightly writer
            db.executescript(SCHEMA)
            yield db
    except sqlite3.OperationalError as exc:
        raise CannotWriteError(f"cannot use the price store {path(home)}: {exc}") from None


@contextmanager
def reader(home: Path) -> Iterator[sqlite3.Connection]:
    """A connection that cannot write. A store in WAL mode needs its -shm file, which SQLite makes beside the
    database; where that folder is read-only it cannot, and the store is opened as immutable: nobody can change
    a database in a folder nobody may write."""
    uri = path(home).as_uri()
    try:
        db = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        db = sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, timeout=30)
    with closing(db):
        yield db


def write(
    home: Path, symbol: str, adjusted: bool, frame: pd.DataFrame, source: str, span: tuple[str | None, str | None]
) -> Written:
    """Insert new days and replace revised ones, in one transaction; `span` is the (start, end) requested."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    new = frame.reindex(columns=list(COLUMNS))
    with connect(home) as db, db:  # the inner `db` is the transaction: commit on success, roll back on error
        first, last = (f"{new.index[0]:%Y-%m-%d}", f"{new.index[-1]:%Y-%m-%d}") if len(new) else ("", "")
        old = _select(db, symbol, adjusted, first, last)
        known = new.index.isin(old.index)
        same = np.zeros(len(new), dtype=bool)
        if known.any():
            before = old.loc[new.index[known]].to_numpy()
            after = new[known].to_numpy()
            same[known] = (np.isclose(before, after, rtol=1e-12, atol=0) | (np.isnan(before) & np.isnan(after))).all(
                axis=1
            )
        changed = new[~same]
        db.executemany(
            f"INSERT OR REPLACE INTO bars (symbol, adjusted, date, {', '.join(COLUMNS)}, source, fetched_at) "
            f"VALUES (?, ?, ?, {', '.join('?' * len(COLUMNS))}, ?, ?)",
            (
                (symbol, int(adjusted), f"{day:%Y-%m-%d}", *_nullable(row), source, now)
                for day, row in zip(changed.index, changed.to_numpy(), strict=True)
            ),
        )
        written = Written(added=int((~known).sum()), updated=int((known & ~same).sum()))
        db.execute(
            "INSERT INTO fetches VALUES (?, ?, ?, ?, ?, ?, ?)",
            (symbol, int(adjusted), now, span[0], span[1], written.added, written.updated),
        )
    return written


def read(home: Path, symbol: str, adjusted: bool) -> Stored | None:
    """Every stored bar of the series, or None when nothing is stored. Opened read-only: reading a store that
    cannot be written (a read-only home, a copy) works."""
    if not path(home).exists():
        return None
    try:
        with reader(home) as db:
            frame = _select(db, symbol, adjusted, "0000-00-00", "9999-99-99")
            fetched = db.execute(
                "SELECT max(fetched_at) FROM fetches WHERE symbol = ? AND adjusted = ?", (symbol, int(adjusted))
            ).fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise DataError(f"cannot read the price store {path(home)}: {exc}; fetch again into a new store") from None
    if frame.empty:
        return None
    # A column the source never had (adj_close of adjusted prices) comes back all NULL: leave it out.
    return Stored(frame=frame.dropna(axis=1, how="all"), fetched_at=datetime.fromisoformat(fetched))


def _select(db: sqlite3.Connection, symbol: str, adjusted: bool, first: str, last: str) -> pd.DataFrame:
    rows = db.execute(
        f"SELECT date, {', '.join(COLUMNS)} FROM bars WHERE symbol = ? AND adjusted = ? AND date BETWEEN ? AND ? "
        "ORDER BY date",
        (symbol, int(adjusted), first, last),
    ).fetchall()
    frame = pd.DataFrame(rows, columns=["date", *COLUMNS])
    index = pd.DatetimeIndex(pd.to_datetime(frame.pop("date")), name="date")
    return frame.set_index(index).astype("float64")


def _nullable(row: np.ndarray) -> list[float | None]:
    return [None if np.isnan(v) else float(v) for v in row]
