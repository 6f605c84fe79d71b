"""A price source as one value: where a model's prices come from (a symbol, a file, the synthetic series) and how
they are read. The command line builds it once from one options group; the application layer reads it
(app/prices.py); the manifest and the ledger record what it was.

Input: options. Output: a frozen `PriceSource`. Light on purpose (no numpy, no pandas): the command line declares
its options with it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import UsageError

SYNTHETIC = "SYNTHETIC"  # the symbol synthetic models are stored under
# --date-format's names for Unix time, as exchange APIs write dates: seconds or milliseconds since 1970-01-01 UTC.
EPOCH_UNITS = {"epoch": "s", "epoch-ms": "ms"}


@dataclass(frozen=True)
class PriceSource:
    """Where prices come from, and how they are read: the synthetic series (its generator's parameters), else the
    file `csv` (its dates read with `date_format` when given; the one `ticker` of a file that holds several), else
    the symbol's prices (the local store, refreshed from Yahoo unless `offline`; `adjusted` for splits and
    dividends). `strict` refuses data that looks wrong (checks.py), or that stands in for the prices asked for (stored
    days when the download fails, the bundled sample), instead of warning. One value, built once by the
    command line's options group and passed down."""

    symbol: str | None = None  # the name the model is stored under; with a file it only names the model
    csv: Path | None = None
    date_format: str | None = None
    ticker: str | None = None  # the one ticker to read of a file that holds several
    synthetic: dict[str, Any] | None = None  # synthetic_prices' parameters
    adjusted: bool = True
    offline: bool = False
    strict: bool = False

    def __post_init__(self) -> None:
        if self.csv is not None:
            object.__setattr__(self, "csv", Path(self.csv))  # frozen: set once, while being built
        check_date_format(self.date_format)  # before any file is read

    @property
    def kind(self) -> str:
        """What `Prices.kind` it gives: synthetic, csv or store."""
        return "synthetic" if self.synthetic is not None else "csv" if self.csv is not None else "store"

    @property
    def name(self) -> str | None:
        """The model's name: the symbol, else SYNTHETIC for the synthetic series, else for a file the ticker it
        reads: `ticker`, or the one its columns name (quantmod's AAPL.Close), else the file's name."""
        from .errors import UsageError
        from .paths import check_symbol, symbol_from_path
        from .validate import file_symbol

        if self.symbol:
            return self.symbol
        if self.synthetic is not None:
            return SYNTHETIC
        if self.csv is None:
            return None
        if self.ticker:
            try:
                return check_symbol(self.ticker.strip().upper())
            except UsageError as exc:
                raise UsageError(
                    f"--ticker {self.ticker!r} names no model: {exc}; name it with --symbol NAME"
                ) from None
        return file_symbol(self.csv) or symbol_from_path(self.csv)

    def one_symbols(self) -> list[str]:
        """The options given that name or read one symbol's prices (SYMBOL or --symbol, --csv, --date-format,
        --ticker, --synthetic), which a panel's members (each a file or a watchlist line) have no use for."""
        given = {"SYMBOL/--symbol": self.symbol, "--csv": self.csv, "--date-format": self.date_format,
                 "--ticker": self.ticker, "--synthetic": self.synthetic}  # fmt: skip
        return [option for option, value in given.items() if value is not None]

    def seeded(self, seed: int) -> PriceSource:
        """The synthetic series' noise drawn from `seed` (the model's), unless its parameters name one."""
        if self.synthetic is None or "seed" in self.synthetic:
            return self
        return dataclasses.replace(self, synthetic={**self.synthetic, "seed": seed})

    def to_json(self) -> dict[str, Any]:
        """The source as a manifest records it: its kind and the settings it has, the file as an absolute path
        (the model must find it again from any folder); not `offline`, which is how one run read it."""
        given = {k: v for k, v in dataclasses.asdict(self).items() if v not in (None, False) or k == "adjusted"}
        given.pop("offline", None)
        return {"kind": self.kind, **{k: str(v.absolute()) if isinstance(v, Path) else v for k, v in given.items()}}

    @classmethod
    def recorded(
        cls, symbol: str, kind: str, source: str, adjusted: bool, date_format: str | None = None,
        synthetic: dict[str, Any] | None = None, offline: bool = False, ticker: str | None = None,
        strict: bool = False,
    ) -> PriceSource:  # fmt: skip
        """The source as a manifest or the ledger recorded it (kind, the file or the store's description), read
        `offline` and `strict` as this run asks."""
        if kind == "synthetic":
            return cls(symbol, synthetic=synthetic or {}, adjusted=adjusted, offline=offline, strict=strict)
        if kind == "store":
            return cls(symbol, adjusted=adjusted, offline=offline, strict=strict)
        return cls(symbol, csv=Path(source), date_format=date_format, ticker=ticker, adjusted=adjusted,
                   offline=offline, strict=strict)  # fmt: skip


@dataclass(frozen=True)
class PanelSource:
    """Where a panel's members come from: every price file in `folder` (each member's symbol: the one its column
    names give, as quantmod's AAPL.Close, else the file's name), or the lines of `watchlist` (a symbol a line,
    `SYM csv=PATH` for a file; a symbol alone: its stored prices, refreshed unless `offline`). `adjusted` and
    `strict` as for `PriceSource`; with `strict`, a member that fails refuses the whole panel instead of being left
    out. Exactly one of `folder` and `watchlist` (a `UsageError` otherwise)."""

    folder: Path | None = None
    watchlist: Path | None = None
    adjusted: bool = True
    offline: bool = False
    strict: bool = False

    def __post_init__(self) -> None:
        if (self.folder is None) == (self.watchlist is None):
            raise UsageError("a panel is --panel DIR (every price file in a folder) or --watchlist FILE; give one")
        for name in ("folder", "watchlist"):  # frozen: set once, while being built
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, Path(value))

    @property
    def where(self) -> str:
        """The folder or the watchlist, as messages name it."""
        return str(self.folder if self.folder is not None else self.watchlist)

    def to_json(self) -> dict[str, Any]:
        """The source as a manifest records it: the folder or watchlist as an absolute path, adjusted, strict."""
        path = self.folder if self.folder is not None else self.watchlist
        assert path is not None  # __post_init__
        kind = "folder" if self.folder is not None else "watchlist"
        return {"kind": kind, "path": str(path.absolute()), "adjusted": self.adjusted, "strict": self.strict}

    @classmethod
    def from_json(cls, data: dict[str, Any], offline: bool = True) -> PanelSource:
        """The source `to_json` recorded (a manifest's `data.panel.source`), read `offline` unless told otherwise."""
        where = {"folder" if data["kind"] == "folder" else "watchlist": Path(data["path"])}
        return cls(**where, adjusted=bool(data.get("adjusted", True)), offline=offline,
                   strict=bool(data.get("strict", False)))  # fmt: skip


def check_date_format(text: str | None) -> None:
    """A `UsageError` (exit 2) unless `text` is None, a name of EPOCH_UNITS, or strftime codes that read a day: a
    sample day written with them must read back as the same day (so %s, %Q or a stray % is refused, and so is a
    format without a year, a month or a day)."""
    if text is None or text in EPOCH_UNITS:
        return
    sample = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)  # aware, so that %z and %Z write something to read back
    hint = "strftime codes such as %Y-%m-%d or %d/%m/%Y, or epoch (Unix seconds) or epoch-ms (milliseconds)"
    try:
        back = datetime.strptime(sample.strftime(text), text)
    except ValueError as exc:  # "'s' is a bad directive in format '%s'", "stray % in format '%Y%'"
        raise UsageError(f"--date-format {text!r} is not a date format ({exc}); use {hint}") from None
    if back.date() != sample.date():
        raise UsageError(f"--date-format {text!r} does not say the day: it needs a year, a month and a day; use {hint}")
