"""Panel stage: many symbols' validated prices as one value, the input of a global model.

Input: what was read of each would-be member (`Read`: a symbol, where its prices came from, and its validated
`Prices` or the error that refused them). Output: a frozen `Panel`: the members (symbol -> `Prices`, each with its
own first and last day: histories are ragged), the members left out and why, and one common calendar (every day
any member trades). Pure: reading the files (a folder's, a watchlist's) is the application layer's (app/panel.py).

Rules, each said in one line that names the file:
- two sources claiming one symbol refuse the panel (`DataError`): which one to learn is not the program's guess;
- a member that cannot be read or fails validation is left out with a warning, and the panel goes on without it
  (`Panel.skipped`, for a non-zero exit at the end); with `strict` its error refuses the whole panel;
- a panel left with no member is refused (`DataError`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import DataError, StockRNNError
from .validate import Prices

log = logging.getLogger("stockrnn")

LISTED = 5  # left-out members a message names before it counts the rest


@dataclass(frozen=True)
class Read:
    """One would-be member as read: its `symbol`, `where` its prices came from (a file path, a watchlist line), and
    its `prices`, or the `error` that refused them."""

    symbol: str
    where: str
    prices: Prices | None = None
    error: StockRNNError | None = None


@dataclass(frozen=True)
class Skipped:
    """A member left out of the panel: its symbol, where it came from, and why (the error's one line)."""

    symbol: str
    where: str
    why: str

    def line(self) -> str:
        return f"{self.where}: left out of the panel ({self.why})"


@dataclass(frozen=True)
class Membership:
    """A global model's members now against its champion's, as retrain says them beside its outcome. `dropped`: the
    champion's members whose source is gone from the panel (symbol -> where the champion read it); `left_out`: the
    source's members that could not train now (unreadable, too short: why); `added`: members the champion lacks."""

    dropped: dict[str, str] = field(default_factory=dict)
    left_out: tuple[Skipped, ...] = ()
    added: tuple[str, ...] = ()

    @classmethod
    def of(cls, champion: dict[str, dict], members: list[str], left_out: tuple[Skipped, ...]) -> Membership:
        """`champion`: the champion's `data.panel["members"]` (symbol -> record with its `source`); `members`: the
        symbols trained now; `left_out`: the source's members that could not train now."""
        gone = set(members) | {s.symbol for s in left_out}
        dropped = {s: str(r.get("source", "")) for s, r in sorted(champion.items()) if s not in gone}
        return cls(dropped, tuple(left_out), tuple(sorted(set(members) - set(champion))))

    @property
    def lost(self) -> bool:
        """A member no longer trains: its forecasts stop, so the run exits non-zero (as train does)."""
        return bool(self.dropped or self.left_out)

    def warnings(self) -> list[str]:
        """One line a member that no longer trains, naming it and its file."""
        lines = [
            f"{s.symbol} left out of the panel ({s.where}): {s.why.removeprefix(f'{s.where}: ')}"  # the file once
            for s in self.left_out
        ]
        lines += [
            f"{s} dropped: {where or 'its source'} is no longer in the panel; its forecasts stop"
            for s, where in self.dropped.items()
        ]
        return lines

    def notes(self) -> list[str]:
        """One line for the members added (none: no line)."""
        return [f"members added: {', '.join(self.added)}"] if self.added else []

    def to_json(self) -> dict[str, object]:
        return {
            "dropped": dict(self.dropped),
            "left_out": [{"symbol": s.symbol, "where": s.where, "why": s.why} for s in self.left_out],
            "added": list(self.added),
        }


@dataclass(frozen=True)
class Span:
    """One member's history on the panel's calendar: its own first and last day, its rows, and the calendar's days
    between them that it lacks (a halt, a missing row)."""

    first_day: str
    last_day: str
    rows: int
    missing: int
    source: str
    sha256: str

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Panel:
    """Members' validated prices by symbol (sorted), ragged: each member keeps its own first and last day.
    `calendar` is the union of their days (sorted, unique); `skipped` the members left out and why."""

    members: dict[str, Prices]
    skipped: tuple[Skipped, ...] = ()
    calendar: pd.DatetimeIndex = field(default_factory=lambda: pd.DatetimeIndex([], name="date"))

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(self.members)

    def __len__(self) -> int:
        return len(self.members)

    def spans(self) -> dict[str, Span]:
        """Each member's history on the common calendar (a manifest lists them with the members)."""
        found = {}
        for symbol, prices in self.members.items():
            days = prices.frame.index
            inside = self.calendar[(self.calendar >= days[0]) & (self.calendar <= days[-1])]
            found[symbol] = Span(
                first_day=f"{days[0]:%Y-%m-%d}", last_day=f"{days[-1]:%Y-%m-%d}", rows=len(days),
                missing=len(inside) - len(days), source=prices.source, sha256=prices.sha256,
            )  # fmt: skip
        return found

    def matrix(self, column: str) -> pd.DataFrame:
        """(days, members) frame of `column` on the common calendar: NaN on a day a member has no row (before its
        first day, after its last, a day it lacks). A `DataError` naming the member whose source has no such
        column."""
        for symbol, prices in self.members.items():
            if column not in prices.frame or prices.frame[column].isna().all():
                raise DataError(f"{prices.source}: no {column!r} prices for {symbol}, a member of the panel")
        frame = pd.DataFrame({s: p.frame[column] for s, p in self.members.items()}).reindex(self.calendar)
        frame.index.name, frame.columns.name = "date", "symbol"
        return frame

    def until(self, day: pd.Timestamp) -> Panel:
        """Every member cut after `day` (one end for all: no member's later days can reach another's past); a
        member with no day up to `day` leaves the panel, said as skipped. Its input is not changed."""
        members, skipped = {}, list(self.skipped)
        for symbol, prices in self.members.items():
            kept = prices.frame.loc[:day]
            if kept.empty:
                why = f"its first day {prices.frame.index[0]:%Y-%m-%d} is after {day:%Y-%m-%d}"
                skipped.append(Skipped(symbol, prices.source, why))
                continue
            members[symbol] = dataclasses.replace(prices, frame=kept)
        return _assembled(members, skipped)

    def without(self, symbols: set[str]) -> Panel:
        """The panel less `symbols` (e.g. the market series, when it is one of the folder's files)."""
        return _assembled({s: p for s, p in self.members.items() if s not in symbols}, list(self.skipped))

    @property
    def sha256(self) -> str:
        """One fingerprint of the members' data: their symbols and their sources' SHA-256, in symbol order."""
        text = "\n".join(f"{s} {p.sha256}" for s, p in self.members.items())
        return hashlib.sha256(text.encode()).hexdigest()


def assemble(reads: list[Read], where: str, strict: bool = False) -> Panel:
    """The panel of `reads` (`where`: the folder or watchlist, for messages). Raises `DataError` when two reads claim
    one symbol (naming both) or none is left; with `strict`, the first read's error as it was (its own exit code).
    Each member left out is logged as one WARNING line."""
    claimed: dict[str, Read] = {}
    for read in reads:
        first = claimed.setdefault(read.symbol, read)
        if first is not read:
            raise DataError(
                f"{read.where}: claims {read.symbol}, as {first.where} does; a panel holds one series a symbol: "
                "remove one, or name them apart in a watchlist (SYMBOL csv=FILE)"
            )
    reads = [_rowless(r) for r in reads]
    failed = [r for r in reads if r.prices is None]
    if failed and strict:
        error = failed[0].error or DataError(f"{failed[0].where}: no prices")
        raise type(error)(f"{error} (--strict refuses the panel when a member fails; {len(failed)} failed in all)")
    skipped = [Skipped(r.symbol, r.where, str(r.error)) for r in failed]
    for one in skipped:
        log.warning("%s", one.line())
    members = {r.symbol: r.prices for r in sorted(reads, key=lambda r: r.symbol) if r.prices is not None}
    if not members:
        listed = "; ".join(s.line() for s in skipped[:LISTED])
        more = f" (and {len(skipped) - LISTED} more)" if len(skipped) > LISTED else ""
        raise DataError(f"{where}: no member of the panel could be read: {listed}{more}")
    return _assembled(members, skipped)


def _rowless(read: Read) -> Read:
    """`read` refused with a `DataError` when its file holds no price rows (a header only): a member needs days."""
    if read.prices is None or not read.prices.frame.empty:
        return read
    return Read(read.symbol, read.where, error=DataError(f"{read.where}: no price rows, only a header"))


def _assembled(members: dict[str, Prices], skipped: list[Skipped]) -> Panel:
    days = [p.frame.index for p in members.values()]
    calendar = pd.DatetimeIndex(np.unique(np.concatenate([d.to_numpy() for d in days])) if days else [], name="date")
    return Panel(members=members, skipped=tuple(skipped), calendar=calendar)
