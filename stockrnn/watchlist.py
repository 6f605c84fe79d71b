"""Watchlist: which symbols a retrain run covers, and with which training options.

Input: a watchlist file (one symbol a line, optional key=value training options, a CSV file and how its dates are
written), symbols named on
the command line, `--all`, and the command line's overrides. Output: `Entry`s, every option checked before any
training starts (a bad line fails now, naming the file and line, not half-way through the night).
"""

from __future__ import annotations

import dataclasses
import logging
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import TrainConfig
from .errors import MissingInputError, UsageError
from .paths import check_symbol
from .price_source import check_date_format

log = logging.getLogger("stockrnn")
# Options a watchlist line may set: every TrainConfig field but train_end, which retrain chooses (the day before
# the holdout).
OPTIONS = {f.name: f.type for f in dataclasses.fields(TrainConfig) if f.name != "train_end"}


@dataclass(frozen=True)
class Entry:
    symbol: str
    csv: str | None = None
    options: dict[str, Any] = field(default_factory=dict)  # TrainConfig fields that override the saved config
    ticker: str | None = None  # the one ticker to read of a `csv` that holds several
    date_format: str | None = None  # how the csv file writes its dates (--date-format), when it cannot show it
    line: int = field(default=0, compare=False)  # the watchlist's line it was read from (0: named on the command line)


def read_watchlist(path: str | Path) -> list[Entry]:
    """One symbol a line, optionally followed by key=value options; `#` starts a comment. For example:

    AAPL
    ^GSPC epochs=50 layers=2
    SP500 csv=sample_data/sp500.csv window=30
    MSFT csv=prices/long.csv ticker=MSFT
    BTC csv=btc.csv date_format=epoch-ms
    """
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"{path}: no such watchlist file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        number = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise UsageError(f"{path}, line {number}: not UTF-8 text; save the watchlist as UTF-8") from None
    except OSError as exc:  # a folder, no permission: said, not a traceback
        raise MissingInputError(f"{path}: cannot read the watchlist ({exc.strerror or exc})") from None
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            words = shlex.split(line, comments=True)
            if not words:
                continue
            symbol = check_symbol(words[0])
            csv, ticker, date_format, options = None, None, None, {}
            for word in words[1:]:
                key, sep, value = word.partition("=")
                key = key.replace("-", "_")
                if not sep or (key not in OPTIONS and key not in ("csv", "ticker", "date_format")):
                    raise UsageError(
                        f"{word!r} is not an option; use key=value with one of: csv, ticker, date_format, "
                        f"{', '.join(OPTIONS)}"
                    )
                if key == "csv":
                    csv = str((path.parent / value).resolve()) if not Path(value).is_absolute() else value
                elif key == "ticker":
                    ticker = value
                elif key == "date_format":
                    check_date_format(value)
                    date_format = value
                else:
                    options[key] = _parse(key, value)
            if date_format is not None and csv is None:
                raise UsageError("date_format= says how a csv= file writes its dates; add csv=FILE or leave it out")
            TrainConfig(**options)  # validates the values now, not half-way through the night
            if ticker is not None and csv is None:
                raise UsageError("ticker= picks one ticker's prices out of a csv= file; add csv=FILE")
        except ValueError as exc:  # shlex: an unclosed quote
            raise UsageError(f"{path}, line {number}: {exc} (an unclosed quote?)") from None
        except UsageError as exc:
            raise UsageError(f"{path}, line {number}: {exc}") from None
        entries.append(Entry(symbol, csv, options, ticker, date_format, number))
    if not entries:
        raise UsageError(f"{path}: the watchlist names no symbol")
    return entries


def plan(
    symbols: list[str], watchlist: Path | None, every: bool, overrides: dict[str, Any], trained: Sequence[str] = ()
) -> list[Entry]:
    """The entries of one retrain run: the watchlist's, the named symbols, and with `every` each `trained` symbol;
    `overrides` (training options from the command line) apply to all. Everything is checked before any training."""
    if not symbols and watchlist is None and not every:
        raise UsageError("name SYMBOLs to retrain, a --watchlist FILE, or --all")
    entries = read_watchlist(watchlist) if watchlist else []
    entries = _merge([*entries, *(Entry(check_symbol(s)) for s in symbols)])
    entries += [Entry(s) for s in (trained if every else []) if s not in {e.symbol for e in entries}]
    if not entries:
        raise MissingInputError("no symbol to retrain: no model is trained yet")
    entries = [dataclasses.replace(e, options={**e.options, **overrides}) for e in entries]
    for entry in entries:
        TrainConfig(**entry.options)  # bad overrides fail now, not half-way through the night
    return entries


def _merge(entries: list[Entry]) -> list[Entry]:
    """One entry per symbol, the first (a symbol named twice would lock itself out), with a warning for each other."""
    first: dict[str, Entry] = {}
    for entry in entries:
        if first.setdefault(entry.symbol, entry) is not entry:
            log.warning("%s is named more than once; retraining it once, as first named", entry.symbol)
    return list(first.values())


def _parse(key: str, value: str) -> Any:
    kind = OPTIONS[key]
    try:
        if "bool" in str(kind):
            if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError
            return value.lower() in ("true", "1", "yes")
        if "int" in str(kind):
            return int(value)
        if "float" in str(kind):
            return float(value)
        return value
    except ValueError:
        raise UsageError(f"{key}={value!r} is not a valid value") from None
