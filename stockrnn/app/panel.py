"""Application layer, panels: a `PanelSource` (a folder of price files, or a watchlist) read into a `Panel`.

Input: a `PanelSource`, the price column a model would learn and the exchange calendar. Output: `panel.Panel`, each
member validated and looked at (`checks`) as a single symbol's prices are; what cannot be read is left out with a
warning naming the file (or, with `strict`, refuses the panel). See panel.py for the rules.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..checks import checked
from ..config import CALENDAR
from ..errors import MissingInputError, StockRNNError, UsageError
from ..panel import Panel, Read, assemble
from ..paths import symbol_from_path
from ..price_source import PanelSource
from ..validate import file_symbol, load_csv
from ..watchlist import Entry, read_watchlist
from .prices import symbol_prices

# What a folder's price files are called: a CSV-like text, maybe compressed (sources.py reads them by their bytes).
PRICE_FILE = re.compile(r"\.(csv|txt|tsv|dat)(\.(gz|bz2|xz|zip))?$|\.zip$", re.IGNORECASE)
LISTED = 5  # other files a message names before it counts the rest


def price_files(folder: Path) -> list[Path]:
    """The price files in `folder` (not its subfolders, nor hidden files), sorted by name. Raises
    `MissingInputError` when it is no folder, or holds no price file (naming what it holds)."""
    if not folder.is_dir():
        raise MissingInputError(f"{folder}: no such folder (--panel takes a folder of price files)")
    names = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    found = [p for p in names if PRICE_FILE.search(p.name)]
    if not found:
        others = ", ".join(p.name for p in names[:LISTED]) + (
            f" ... ({len(names)} in all)" if len(names) > LISTED else ""
        )
        holds = f"it holds {others}" if names else "it is empty"
        raise MissingInputError(f"{folder}: no price files (.csv, .csv.gz, .txt, .zip, ...) in this folder; {holds}")
    return found


def load_panel(source: PanelSource, column: str = "close", calendar: str = CALENDAR) -> Panel:
    """`source`'s members, each read as `stockrnn train --csv` (or a symbol) would read it for `column`, checked
    beside `calendar`. Raises `MissingInputError` for no folder, no price file or no watchlist, `UsageError` for a
    watchlist line with per-model options, `DataError` for two sources of one symbol or no member left, and with
    `source.strict` the first member's own error."""
    if source.folder is not None:
        reads = [_read_file(path, column, source.strict, calendar) for path in price_files(source.folder)]
    else:
        assert source.watchlist is not None  # PanelSource's own check
        reads = [_read_entry(e, source, column, calendar) for e in _entries(source.watchlist)]
    return assemble(reads, source.where, source.strict)


def _read_file(path: Path, column: str, strict: bool, calendar: str) -> Read:
    """One folder file as a member: its symbol from its columns (quantmod's AAPL.Close) or its name."""
    try:
        symbol = file_symbol(path) or symbol_from_path(path)
    except UsageError as exc:
        return Read(path.name, str(path), error=exc)
    try:
        return Read(symbol, str(path), checked(load_csv(path, required=(column,)), column, strict, calendar))
    except StockRNNError as exc:
        return Read(symbol, str(path), error=exc)


def _entries(watchlist: Path) -> list[Entry]:
    """The watchlist's lines; per-model training options have no place in a panel (one model, one configuration)."""
    entries = read_watchlist(watchlist)
    for entry in entries:
        if entry.options:
            given = " ".join(f"{k}={v}" for k, v in entry.options.items())
            raise UsageError(
                f"{watchlist}: {entry.symbol} {given}: a panel trains one model with one configuration; give training "
                "options on the command line"
            )
    return entries


def _read_entry(entry: Entry, source: PanelSource, column: str, calendar: str) -> Read:
    """One watchlist line as a member: its csv= file (its date format, its ticker), else the symbol's stored prices."""
    where = entry.csv or f"{source.watchlist}: {entry.symbol}"
    try:
        if entry.csv is not None:
            prices = load_csv(entry.csv, required=(column,), date_format=entry.date_format, ticker=entry.ticker)
        else:
            prices = symbol_prices(entry.symbol, source.offline, source.adjusted, source.strict)
        return Read(entry.symbol, where, checked(prices, column, source.strict, calendar))
    except StockRNNError as exc:
        return Read(entry.symbol, where, error=exc)
