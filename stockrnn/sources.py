"""Source stage: turn a price file (or any frame of prices) into a table of raw strings, keeping row numbers.

Input: a CSV path, or a pandas frame from another source. Output: `RawTable` (strings only, nothing parsed yet),
handed to `validate`, the one validator of every source. For files, the shapes people really have:
- compressed: gzip, bz2, xz, or a zip archive holding one CSV, recognised by their first bytes, not their names;
- a UTF-8 BOM, CRLF or CR line endings;
- comma, semicolon or tab delimiters (the header line tells which), with decimal commas where a semicolon or tab
  file writes its numbers that way (1.234,56), as European spreadsheets export;
- the multi-row header that pandas writes for a yfinance download (`Price,...` / `Ticker,...` / `Date,,,`), whose
  columns become `TICKER.Field` (`AAPL.Close`), as R's quantmod names them: validate strips the prefix, or picks
  one ticker's columns out of several.
An Excel workbook is refused with the way out: save it as CSV.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import hashlib
import io
import lzma
import re
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pandas as pd

from .errors import DataError, MissingInputError, StockRNNError

SNIFF_BYTES = 8192  # a NUL byte among the first bytes marks a binary file
# Read at most this much, before and after decompressing: a century of daily prices is a few MB, and no file
# (/dev/zero, a zip bomb) may take more memory than this before it is refused.
MAX_BYTES = 64 << 20
DECOMPRESS: dict[bytes, tuple[str, Callable[[io.BytesIO], io.BufferedIOBase]]] = {
    b"\x1f\x8b": ("gzip", gzip.open), b"BZh": ("bz2", bz2.open), b"\xfd7zXZ\x00": ("xz", lzma.open)
}  # fmt: skip
ZIP, OLE2 = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a zip archive (and .xlsx); an old .xls
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
DECIMAL_COMMA = re.compile(r"^-?\d{1,3}(\.\d{3})*,\d+$|^-?\d+,\d+$")  # 1.234,56 or 1234,56


@dataclass(frozen=True)
class RawTable:
    where: str  # what messages name: a file path, or e.g. "yfinance ^GSPC"
    sha256: str  # of the source's bytes: the data fingerprint recorded in a model's manifest
    frame: pd.DataFrame  # every cell a string; index = the row's number in its source (1-based)
    unit: str = "line"  # what a row number counts: "line" of a file, "row" of a download
    decimal: str = "."  # "," where the file writes 1.234,56 for 1234.56


def from_frame(where: str, frame: pd.DataFrame) -> RawTable:
    """A frame with a `Date` index or column and price columns, as strings (floats written exactly)."""
    table = frame.reset_index() if "Date" not in frame.columns else frame
    cells = table.astype(object).where(table.notna(), "").astype(str)
    cells.index = pd.RangeIndex(1, len(cells) + 1, name="row")
    text = cells.to_csv(index=False).encode()
    return RawTable(where=where, sha256=hashlib.sha256(text).hexdigest(), frame=cells, unit="row")


def read_csv(path: str | Path) -> RawTable:
    """Read `path` as text and split it into string cells; raise `DataError` for what is not a CSV."""
    path = Path(path).absolute()  # a model's manifest must find its file again from any working directory
    if not path.exists():
        raise MissingInputError(f"{path}: no such file")
    if path.is_dir():
        raise MissingInputError(f"{path}: is a folder, not a CSV file")
    original, lines = _lines(path)
    delimiter = _delimiter(lines)
    lines, header_lines = _one_header(lines)
    frame = _split(path, "\n".join(lines), header_lines, delimiter)
    decimal = "," if delimiter != "," and _decimal_commas(frame) else "."
    return RawTable(where=str(path), sha256=hashlib.sha256(original).hexdigest(), frame=frame, decimal=decimal)


def column_names(path: str | Path) -> list[str]:
    """The names `read_csv` gives `path`'s columns, from its header line alone; [] when it is not a readable text
    file (`read_csv` says why)."""
    try:
        _, lines = _lines(Path(path).absolute())
    except (StockRNNError, OSError):
        return []
    try:
        lines, _ = _one_header(lines)
        first = next((line for line in lines if line.strip()), "")
        return next(csv.reader([first], delimiter=_delimiter(lines)), [])
    except csv.Error:  # e.g. a field past the csv module's limit: no names to give; `read_csv` says what is wrong
        return []


def _lines(path: Path) -> tuple[bytes, list[str]]:
    """The file's bytes as they are on disk, and its text's lines (decompressed, decoded, line endings unified)."""
    original = _bounded(path, open(path, "rb"))
    data = _decompress(path, original)
    if not data.strip():
        raise DataError(f"{path}: the file is empty; expected a header line such as Date,Open,High,Low,Close,Volume")
    if b"\x00" in data[:SNIFF_BYTES]:
        raise DataError(f"{path}: this is a binary file, not a CSV text file")
    try:
        text = data.decode("utf-8-sig")  # utf-8-sig drops a byte order mark if there is one
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start]
        raise DataError(f"{path}, line {line}: not UTF-8 text (byte 0x{byte:02x}); save the file as UTF-8") from None
    return original, text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _one_header(lines: list[str]) -> tuple[list[str], int]:
    """The lines with one header line, and how many the file's header had: a yfinance download's three
    (`Price,Close,...` / `Ticker,AAPL,...` / `Date,,...`) become one, `Date,AAPL.Close,...`."""
    if not _is_yfinance_header(lines):
        return lines, 1
    fields, tickers = next(csv.reader([lines[0]])), next(csv.reader([lines[1]]))
    named = [f"{t.strip()}.{f}" if t.strip() else f for f, t in zip(fields[1:], tickers[1:], strict=False)]
    line = io.StringIO()
    csv.writer(line, lineterminator="").writerow(["Date", *named])
    return [line.getvalue(), *lines[3:]], 3


def _too_many_fields(text: str, delimiter: str, header_lines: int) -> str:
    """Where a row has more fields than the header, as the file numbers its lines."""
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:  # a field past the csv module's limit, a stray quote
        return str(exc)
    width = len(rows[0]) if rows else 0
    for number, row in enumerate(rows[1:], start=header_lines + 1):
        if len(row) > width:
            return f"expected {width} fields in line {number}, saw {len(row)}"
    return "a row has more fields than the header"


def _bounded(path: Path, stream: io.BufferedIOBase | IO[bytes], what: str = "") -> bytes:
    """All of `stream` (closed after), or a `DataError` once it passes MAX_BYTES."""
    with stream:
        data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise DataError(
            f"{path}: {what}more than {MAX_BYTES >> 20} MB; a file of daily prices is kilobytes to a few megabytes"
        )
    return data


def _decompress(path: Path, data: bytes) -> bytes:
    """The text inside a compressed file, known by its first bytes; other files as they are."""
    for magic, (name, opener) in DECOMPRESS.items():
        if data.startswith(magic):
            try:
                return _bounded(path, opener(io.BytesIO(data)), "decompressed, ")
            except (OSError, EOFError, lzma.LZMAError, ValueError) as exc:
                raise DataError(f"{path}: a damaged {name} file ({exc})") from None
    if data.startswith(OLE2):
        raise DataError(f"{path}: an Excel workbook (.xls), not a CSV file; save it as CSV (File > Save As)")
    if not data.startswith(ZIP):
        return data
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/") and not n.startswith("__MACOSX/")]
            if any(n.startswith("xl/") for n in names):
                raise DataError(f"{path}: an Excel workbook (.xlsx), not a CSV file; save it as CSV (File > Save As)")
            tables = [n for n in names if n.lower().endswith((".csv", ".txt"))]
            if len(tables) != 1:
                found = ", ".join(names) or "nothing"
                raise DataError(f"{path}: a zip archive must hold exactly one CSV file; it holds {found}")
            return _bounded(path, archive.open(tables[0]), "decompressed, ")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DataError(f"{path}: a damaged zip file ({exc})") from None


def _delimiter(lines: list[str]) -> str:
    """The delimiter the header line uses most: comma, semicolon or tab (a header names columns, so it has some)."""
    header = next((line for line in lines if line.strip()), "")
    return max(DELIMITERS, key=lambda d: (header.count(d), d == ","))


def _decimal_commas(frame: pd.DataFrame) -> bool:
    """Does a semicolon or tab file write decimal commas? Some price cell looks like 1.234,56 or 1234,56."""
    cells = frame.iloc[:, 1:].stack() if frame.shape[1] > 1 else pd.Series(dtype=str)
    return bool(cells.astype(str).str.strip().str.match(DECIMAL_COMMA).any())


def _is_yfinance_header(lines: list[str]) -> bool:
    return len(lines) > 2 and lines[0].startswith("Price,") and lines[1].startswith("Ticker,")


def _split(path: Path, text: str, header_lines: int, delimiter: str = ",") -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            # pandas only warns when the first data row has more fields than the header: refuse it as we would
            # any other row that does, naming the line.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, skip_blank_lines=False,
                index_col=False,
            )  # fmt: skip
    except pd.errors.ParserWarning:
        raise DataError(
            f"{path}: not a well-formed CSV file: {_too_many_fields(text, delimiter, header_lines)}"
        ) from None
    except pd.errors.ParserError as exc:
        # pandas counts lines in the text it was given; translate to the file's own line numbers.
        message = re.sub(r"line (\d+)", lambda m: f"line {int(m.group(1)) + header_lines - 1}", str(exc).strip())
        message = message.removeprefix("Error tokenizing data. C error: ")
        raise DataError(f"{path}: not a well-formed CSV file: {message}") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: no header line; expected one such as Date,Open,High,Low,Close,Volume") from None
    frame = frame.fillna("")  # a short row leaves its last cells empty
    frame.index = pd.RangeIndex(header_lines + 1, header_lines + 1 + len(frame), name="line")
    # Blank lines (a trailing one, or spacing) carry nothing.
    return frame[(frame != "").any(axis=1)]
