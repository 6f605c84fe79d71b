"""Validate stage: turn a `RawTable` of strings into the one canonical price frame, or refuse it.

Input: `sources.RawTable`. Output: `Prices`, whose frame has a sorted, unique, timezone-naive daily
`DatetimeIndex` named `date` and float columns `open, high, low, close, volume` (`adj_close` where given).
Safe repairs (blank-price rows, exact duplicate rows, sorting) are made and reported with their counts;
everything else that would train garbage raises `DataError` naming the file, line, column, date and value. A column
the model does not read never refuses a file: what is wrong in it is warned about and the column left empty. A file
of several tickers (a Symbol or Ticker column, or quantmod's AAPL.Close beside MSFT.Close) gives one ticker's series,
the one `ticker` picks.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .config import PRICE_COLUMNS
from .errors import DataError, UsageError
from .paths import check_symbol
from .price_source import EPOCH_UNITS, check_date_format
from .sources import RawTable, column_names, read_csv

log = logging.getLogger("stockrnn")

# Header spellings seen in real price files, after lower-casing and turning spaces/dashes into underscores.
ALIASES = {
    "date": "date", "datetime": "date", "timestamp": "date", "day": "date",
    "open": "open", "high": "high", "low": "low",
    "close": "close", "close/last": "close", "last": "close",
    "adj_close": "adj_close", "adjclose": "adj_close", "adjusted_close": "adj_close", "adj._close": "adj_close",
    "volume": "volume", "vol": "volume", "vol.": "volume", "adjusted": "adj_close",  # quantmod's SYM.Adjusted
}  # fmt: skip
# Read as that column only when the file has none of its own names: investing.com's Price, quantmod's Index.
FALLBACKS = {"price": "close", "index": "date"}
TICKER_COLUMNS = ("symbol", "ticker", "name", "ts_code")  # a long file's column that says whose each row is
LISTED = 10  # tickers a message lists before it counts the rest
SUFFIXES = {"K": 1e3, "M": 1e6, "B": 1e9}  # volumes as investing.com writes them: 194.67K, 1.2M, 3.4B
SUFFIXED = re.compile(r"^(.*\d)\s*([KMB])$", re.IGNORECASE)
CANONICAL = ("open", "high", "low", "close", "volume")
MISSING = {"", "null", "nan", "na", "n/a", "-"}
ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})")  # a time and UTC offset may follow; the local date counts
# M/D/YYYY, or D/M/YYYY when the file proves it (a first field above 12), or D.M.YYYY (always day first)
SLASH_DATE = re.compile(r"^(\d{1,2})([/.])(\d{1,2})[/.](\d{4})")
NAMED_DATE = re.compile(r"^([A-Za-z]{3})[A-Za-z]*\.?\s+(\d{1,2}),?\s+(\d{4})$")  # May 08, 2018 (investing.com)
MONTHS = {m: n for n, m in enumerate(("jan feb mar apr may jun jul aug sep oct nov dec").split(), start=1)}
UNUSED = "the model does not read it: left empty"
# Unix time as exchange APIs write it, read without --date-format when every date is one: whole seconds (9 or 10
# digits) or milliseconds (12 or 13), from 1973-03-03 (1e8 s) to 2286 (1e10 s); 8 digits would be YYYYMMDD.
EPOCH_DIGITS = {"s": re.compile(r"^\d{9,10}$"), "ms": re.compile(r"^\d{12,13}$")}


@dataclass
class Prices:
    frame: pd.DataFrame  # the canonical frame described above
    source: str  # where the rows came from (a file path)
    sha256: str  # fingerprint of the source's bytes
    repairs: list[str] = field(default_factory=list)  # what was repaired, with counts, for logs and manifests
    kind: str = "csv"  # "csv": a file the user named; "store": a symbol's stored download; "synthetic"
    params: dict | None = None  # how to generate a synthetic series again (kind "synthetic")
    date_format: str | None = None  # the strftime format its dates were read with, when one was given
    warnings: list[str] = field(default_factory=list)  # what looks wrong (here, checks.py), for logs and manifests
    ticker: str | None = None  # the --ticker that picked this series out of a file of several
    # Why these rows stand in for the prices asked for (a failed download: the stored days; none stored: the bundled
    # sample), said as a warning and kept in the retrain record and the manifest; None: they are what was asked for.
    substitute: str | None = None
    # canonical name -> the source's own header it was read from ("date": "Index", "close": "AAPL.Close"), so that
    # what a model learned can be said in the file's words
    headers: dict[str, str] = field(default_factory=dict)

    def header(self, column: str) -> str:
        """The source's own name for canonical `column` (quantmod's AAPL.Adjusted for adj_close); `column` itself
        where the source had none (a column left empty)."""
        return self.headers.get(column, column)

    def read_from(self, column: str) -> str | None:
        """Which of the source's columns gives `column`, said where the name does not (`read_from`)."""
        return read_from(self.headers, column)


def read_from(headers: dict[str, str], column: str) -> str | None:
    """One line that says which of a file's columns (`headers`: canonical -> the file's own) gives `column`, the
    price a model learns, where the file names it otherwise (quantmod's AAPL.Close, investing.com's Price); and when
    that is the close and the file has an adjusted close too, how to learn that one. None where the column is named
    plainly (Close, Adj Close) or unknown."""
    header = headers.get(column)
    if header is None or _key(header) == column:
        return None
    said = f"read {column} from the column {header!r}"
    if column == "close" and "adj_close" in headers:
        said += f"; {headers['adj_close']!r} is the close adjusted for dividends too: --column adj_close learns it"
    return said


def validate(
    raw: RawTable, required: tuple[str, ...] = ("close",), date_format: str | None = None, ticker: str | None = None,
    every_column: bool = False,
) -> Prices:  # fmt: skip
    """Check and convert `raw`; `required` names the price columns the model reads, which must be present and
    right; `date_format` (strftime, e.g. %d/%m/%Y) says how the dates are written when the file cannot show it;
    `ticker` picks one ticker's series out of a file of several. With `every_column` (a download for the price
    store, which any model may read) what is wrong in any column refuses it."""
    raw, ticker, original = _one_ticker(raw, ticker)
    where, unit = raw.where, raw.unit
    columns = _map_columns(raw, required)
    frame = raw.frame
    repairs: list[str] = []
    warnings: list[str] = []
    reads = set(columns) if every_column else set(required)

    dates = _parse_dates(where, unit, frame[columns["date"]], date_format, repairs)
    values = pd.DataFrame(index=frame.index)
    for name in (c for c in (*CANONICAL, "adj_close") if c in columns):
        try:
            values[name] = _parse_numbers(
                where, unit, dates, columns[name], frame[columns[name]], raw.decimal, suffixes=name == "volume"
            )
        except DataError as exc:
            if name in reads:
                raise
            values[name] = np.nan
            warnings.append(f"{exc}; {UNUSED}")

    def refuse(name: str, bad: pd.Series, what: str) -> None:
        """Refuse a column the model reads; empty, with a warning, one it does not (once: an empty one is left)."""
        if name not in reads and values[name].isna().all():
            return
        try:
            _refuse(where, unit, dates, columns[name], values[name], bad, what)
        except DataError as exc:
            if name in reads:
                raise
            values[name] = np.nan
            warnings.append(f"{exc}; {UNUSED}")

    prices = [c for c in PRICE_COLUMNS if c in values]
    empty = values[prices].isna().all(axis=1)
    if empty.any():
        first = empty.idxmax()
        repairs.append(
            f"dropped {int(empty.sum())} rows without prices (first: {unit} {first}, {dates[first]:%Y-%m-%d})"
        )
        values, dates = values[~empty], dates[~empty]
    for name in prices:
        refuse(name, values[name].isna(), " is empty")
        refuse(name, values[name] <= 0, ": {} is not a positive price")
    if "volume" in values:
        refuse("volume", values["volume"] < 0, ": {} is a negative volume")

    values.insert(0, "date", dates)
    duplicated = values.duplicated(keep="first")
    if duplicated.any():
        repairs.append(f"dropped {int(duplicated.sum())} exact duplicate rows")
        values = values[~duplicated]
    clash = values["date"].duplicated(keep=False)
    if clash.any():
        rows = values[clash]
        day = rows["date"].iloc[0]
        lines = rows.index[rows["date"] == day].tolist()
        raise DataError(
            f"{where}: {day:%Y-%m-%d} appears on {unit}s {', '.join(map(str, lines))} with different values; "
            f"{_several_series(raw.frame, columns, lines)}"
        )
    if not values["date"].is_monotonic_increasing:
        repairs.append(f"sorted {len(values)} rows into date order")
        values = values.sort_values("date", kind="stable")

    absent = [name for name in CANONICAL if name not in values]
    for name in absent:
        values[name] = np.nan
    if absent:
        repairs.append(f"no {', '.join(map(repr, absent))} column{'s' if len(absent) > 1 else ''}: left empty")
    out = values.set_index(pd.DatetimeIndex(values.pop("date"), name="date"))
    out = out[[*CANONICAL, *(["adj_close"] if "adj_close" in out else [])]].astype("float64")
    for note in repairs:
        log.info("%s: %s", where, note)
    for warning in warnings:
        log.warning("%s", warning)
    return Prices(
        frame=out, source=where, sha256=raw.sha256, repairs=repairs, date_format=date_format, warnings=warnings,
        ticker=ticker, headers={name: original.get(h, str(h)) for name, h in columns.items()},
    )  # fmt: skip


def file_symbol(path: str | Path) -> str | None:
    """The one ticker a file's column names give (quantmod's AAPL.Close, a yfinance download's header): the
    model's default name; None when they name none, several, or one that is no valid symbol."""
    tickers = {p for p in map(_prefix, column_names(path)) if p is not None}
    try:
        return check_symbol(tickers.pop()) if len(tickers) == 1 else None
    except UsageError:
        return None


def _key(header: object) -> str:
    """A header as ALIASES spells it: lower case, spaces, underscores and dashes as one underscore, without the
    numbering of Alpha Vantage's fields (`4. close`), which is no ticker prefix."""
    return re.sub(r"[\s_-]+", "_", re.sub(r"^\d+\.\s*", "", str(header).strip().lower()))


def _prefix(header: object) -> str | None:
    """TICKER of a column named TICKER.Field (quantmod: AAPL.Close, BRK-B.Adjusted, VOD.L.Close) whose field is a
    price or volume stockrnn knows; None for other names (Adj. Close is itself a name, not a prefix)."""
    prefix, dot, name = str(header).strip().rpartition(".")
    known = {**ALIASES, **FALLBACKS}
    if not dot or not prefix or _key(header) in known:
        return None
    return prefix if known.get(_key(name), "date") != "date" else None


def _one_ticker(raw: RawTable, ticker: str | None) -> tuple[RawTable, str | None, dict[str, str]]:
    """`raw` as one ticker's series, `ticker` as the file spells it, and each renamed column's header as the file
    wrote it (Close -> AAPL.Close): columns named TICKER.Field lose their prefix (a file of several tickers' columns
    keeps one ticker's), and of a long file with a ticker column (Symbol, Ticker) one ticker's rows are kept.
    `ticker` picks it where there are several, and must be there when given (a `UsageError` otherwise)."""
    frame, named, original = raw.frame, False, {}
    prefixes = {h: p for h in frame.columns if (p := _prefix(h)) is not None}
    if prefixes:
        pick = _pick(raw.where, "the column names", list(dict.fromkeys(prefixes.values())), ticker)
        ticker = pick if ticker is not None else None
        frame = frame[[h for h in frame.columns if prefixes.get(h, pick) == pick]]
        original = {h[len(pick) + 1 :]: h for h in frame.columns if h in prefixes}
        frame = frame.rename(columns={h: short for short, h in original.items()})
        named = True
    column = next((h for h in frame.columns if _key(h) in TICKER_COLUMNS), None)
    if column is not None:
        cells = frame[column].astype(str).str.strip()
        known = list(dict.fromkeys(c for c in cells if c))
        if len(known) > 1 or ticker is not None:
            pick = _pick(raw.where, f"column {column!r}", known, ticker)
            frame = frame[cells.str.upper() == pick.upper()]
            ticker = pick if ticker is not None else None
        named = True
    if ticker is not None and not named:
        raise UsageError(
            f"{raw.where}: --ticker {ticker}, but the file holds one series (no Symbol or Ticker column, no column "
            f"named like {ticker}.Close); leave --ticker out"
        )
    return (raw if frame is raw.frame else dataclasses.replace(raw, frame=frame)), ticker, original


def _pick(where: str, what: str, known: list[str], ticker: str | None) -> str:
    """The ticker `ticker` names among `known` (any case), or the only one; a `UsageError` that lists them."""
    listed = ", ".join(known[:LISTED]) + (f", ... ({len(known)} in all)" if len(known) > LISTED else "")
    if ticker is None:
        if len(known) == 1:
            return known[0]
        raise UsageError(
            f"{where}: {len(known)} tickers in {what} ({listed}); pick one with --ticker, e.g. --ticker {known[0]}"
        )
    match = next((k for k in known if k.upper() == ticker.strip().upper()), None)
    if match is None:
        raise UsageError(f"{where}: no ticker {ticker!r} in {what} ({listed or 'it is empty'})")
    return match


def _several_series(frame: pd.DataFrame, columns: dict[str, str], lines: list) -> str:
    """What to do about one date on several lines: name a column stockrnn does not read whose values differ there
    (the series they belong to), else keep one row a day."""
    for header in (h for h in frame.columns if h not in columns.values()):
        cells = frame.loc[lines, header].astype(str).str.strip()
        if cells.nunique() > 1:
            shown = ", ".join(repr(c) for c in dict.fromkeys(cells))
            return (
                f"column {header!r} differs there ({shown}): one series a file, or name that column Symbol "
                "and pick one with --ticker"
            )
    return "keep one row per trading day"


def _map_columns(raw: RawTable, required: tuple[str, ...]) -> dict[str, str]:
    """Canonical name -> the file's own header, for every column stockrnn knows."""
    found: dict[str, str] = {}
    for header in raw.frame.columns:
        name = ALIASES.get(_key(header))
        if name is None:
            continue  # extra columns (dividends, splits, notes) are ignored
        if name in found:
            raise DataError(f"{raw.where}: columns {found[name]!r} and {header!r} both look like {name!r}; keep one")
        found[name] = header
    for header in raw.frame.columns:
        name = FALLBACKS.get(_key(header))
        if name is not None and name not in found:
            found[name] = header
    missing = [n for n in ("date", *required) if n not in found]
    if missing:
        listed = ", ".join(repr(str(c)) for c in raw.frame.columns)
        raise DataError(
            f"{raw.where}: no {' or '.join(repr(m) for m in missing)} column; found: {listed}. "
            "Expected a header such as Date,Open,High,Low,Close,Volume"
        )
    return found


def _parse_dates(
    where: str, unit: str, cells: pd.Series, date_format: str | None = None, notes: list[str] | None = None
) -> pd.Series:
    text = cells.astype(str).str.strip()
    epoch = EPOCH_UNITS.get(date_format) if date_format else _epoch_unit(text)
    if epoch is not None:
        numbers = pd.to_numeric(text if date_format else text.where(text.str.match(EPOCH_DIGITS[epoch])), "coerce")
        # the day in UTC, as the ISO dates below keep their own day and drop the time
        dates = pd.to_datetime(numbers, unit=epoch, errors="coerce").dt.normalize()
        what, first = f"Unix time in {'seconds' if epoch == 's' else 'milliseconds'}", f"{unit} {cells.index[0]}"
        expected = f"--date-format {date_format}: {what}" if date_format else f"expected {what}, as {first} has"
        if date_format is None and notes is not None:
            notes.append(f"read dates as {what} (UTC days): {first} has {cells.iloc[0]!r}")
    elif date_format is not None:
        check_date_format(date_format)  # a UsageError for a format that cannot read a day, not pandas' ValueError
        try:
            dates = pd.to_datetime(text, format=date_format, errors="coerce")
        except ValueError as exc:  # dates that do match, with UTC offsets that differ
            raise DataError(f"{where}, column {cells.name!r}: the dates do not read with --date-format {date_format}: "
                            f"{exc}") from None  # fmt: skip
        expected = f"--date-format {date_format}"
    elif (quick := pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")).notna().all():
        dates = quick  # every date plain YYYY-MM-DD: what the slower reading below gives them, a tenth of its time
    else:
        iso = text.str.extract(ISO_DATE)
        other = text.str.extract(SLASH_DATE)
        first, second = other[0].astype("float64"), other[2].astype("float64")
        proof = (first > 12) | (other[1] == ".")  # a first field above 12 is a day; dotted dates are day first
        day_first = bool(proof.any())
        if day_first and (second > 12).any():
            a, b = proof.idxmax(), (second > 12).idxmax()
            raise DataError(
                f"{where}: {unit} {a} has {cells[a]!r} (day first) but {unit} {b} has {cells[b]!r} (month first); "
                "say which with --date-format, e.g. %d/%m/%Y"
            )
        if day_first and notes is not None:
            notes.append(f"read dates day first (D/M/YYYY): {unit} {proof.idxmax()} has {cells[proof.idxmax()]!r}")
        month, day = (other[2], other[0]) if day_first else (other[0], other[2])
        parts = pd.DataFrame({"year": iso[0].fillna(other[3]), "month": iso[1].fillna(month),
                              "day": iso[2].fillna(day)}).astype("float64")  # fmt: skip
        named = text.str.extract(NAMED_DATE)
        parts = parts.fillna(pd.DataFrame({"year": named[2].astype("float64"), "day": named[1].astype("float64"),
                                           "month": named[0].str.lower().map(MONTHS).astype("float64")}))  # fmt: skip
        complete = parts.notna().all(axis=1)
        dates = pd.Series(pd.NaT, index=cells.index, dtype="datetime64[ns]")
        if complete.any():
            dates[complete] = pd.to_datetime(parts[complete], errors="coerce")
        expected = "expected YYYY-MM-DD, M/D/YYYY, D/M/YYYY, Mon DD, YYYY or Unix time; or say which with --date-format"
    bad = dates.isna()
    if bad.any():
        line = bad.idxmax()
        raise DataError(f"{where}, {unit} {line}, column {cells.name!r}: {cells[line]!r} is not a date ({expected})")
    return pd.Series(dates.to_numpy(dtype="datetime64[ns]"), index=cells.index)


def _epoch_unit(text: pd.Series) -> str | None:
    """The unit, s or ms, when the first date is Unix time in it (EPOCH_DIGITS), as the file's dates then are;
    else None."""
    return next((unit for unit, digits in EPOCH_DIGITS.items() if len(text) and digits.match(text.iloc[0])), None)


def _parse_numbers(
    where: str, unit: str, dates: pd.Series, header: str, cells: pd.Series, decimal: str = ".", suffixes: bool = False
) -> pd.Series:
    # Thousands separators ("1,012.72", or "1.012,72" with decimal commas) and currency signs ("$123.45") are how
    # many published files print numbers; with `suffixes` (volumes), so are 194.67K, 1.2M and 3.4B.
    if decimal == "." and (quick := pd.to_numeric(cells, errors="coerce")).notna().all() and np.isfinite(quick).all():
        return quick.astype("float64")  # every cell a plain number: what the cleaning below gives, at a tenth its cost
    text = cells.astype(str).str.strip()
    if decimal == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    text = text.str.replace(",", "", regex=False).str.lstrip("$")
    scale = pd.Series(1.0, index=text.index)
    if suffixes:
        found = text.str.extract(SUFFIXED)
        scale = found[1].str.upper().map(SUFFIXES).fillna(1.0)
        text = found[0].fillna(text)
    missing = text.str.lower().isin(MISSING)
    numbers = pd.to_numeric(text.where(~missing), errors="coerce")
    numbers = numbers.where(scale == 1.0, (numbers * scale).round())  # 194.67K: 194670 shares, not 194670.00000003
    bad = numbers.isna() & ~missing | ~np.isfinite(numbers.fillna(0.0))
    if bad.any():
        line = bad.idxmax()
        raise DataError(
            f"{where}, {unit} {line} ({dates[line]:%Y-%m-%d}), column {header!r}: {cells[line]!r} is not a number"
        )
    return numbers.astype("float64")


def _refuse(where: str, unit: str, dates: pd.Series, name: str, values: pd.Series, bad: pd.Series, what: str) -> None:
    if bad.any():
        line = bad.idxmax()
        detail = what.format(f"{values[line]:g}")
        raise DataError(f"{where}, {unit} {line} ({dates[line]:%Y-%m-%d}), column {name!r}{detail}")


def load_csv(
    path: str | Path, required: tuple[str, ...] = ("close",), date_format: str | None = None, ticker: str | None = None
) -> Prices:
    """Source then validate: the canonical `Prices` of a CSV file (of `ticker`, where it holds several)."""
    return validate(read_csv(path), required, date_format, ticker)
