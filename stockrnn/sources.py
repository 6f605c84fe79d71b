"""Source stage: turn a price file (or any frame of prices) into a table of raw strings, keeping row numbers.

Input: a CSV path, or a pandas frame from another source. Output: `RawTable` (strings only, nothing parsed yet),
handed to `validate`, the one validator of every source. For files: a UTF-8 BOM, CRLF or CR line endings, and
the multi-row header that pandas writes for a yfinance download (`Price,...` / `Ticker,...` / `Date,,,`).
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import DataError, MissingInputError

SNIFF_BYTES = 8192  # a NUL byte among the first bytes marks a binary file


@dataclass(frozen=True)
class RawTable:
    where: str  # what messages name: a file path, or e.g. "yfinance ^GSPC"
    sha256: str  # of the source's bytes: the data fingerprint recorded in a model's manifest
    frame: pd.DataFrame  # every cell a string; index = the row's number in its source (1-based)
    unit: str = "line"  # what a row number counts: "line" of a file, "row" of a download


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
    data = path.read_bytes()
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
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header_lines = 1
    if _is_yfinance_header(lines):
        tickers = {t.strip() for t in lines[1].split(",")[1:] if t.strip()}
        if len(tickers) > 1:
            raise DataError(
                f"{path}: a yfinance download of several tickers ({', '.join(sorted(tickers))}); "
                "stockrnn trains on one: save one ticker per file"
            )
        header_lines = 3
        lines = ["Date" + lines[0][len("Price") :]] + lines[3:]
    frame = _split(path, "\n".join(lines), header_lines)
    return RawTable(where=str(path), sha256=hashlib.sha256(data).hexdigest(), frame=frame)


def _is_yfinance_header(lines: list[str]) -> bool:
    return len(lines) > 2 and lines[0].startswith("Price,") and lines[1].startswith("Ticker,")


def _split(path: Path, text: str, header_lines: int) -> pd.DataFrame:
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False, index_col=False
        )
    except pd.errors.ParserError as exc:
        # pandas counts lines in the text it was given; translate to the file's own line numbers.
        message = re.sub(r"line (\d+)", lambda m: f"line {int(m.group(1)) + header_lines - 1}", str(exc).strip())
        raise DataError(f"{path}: not a well-formed CSV file: {message}") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: no header line; expected one such as Date,Open,High,Low,Close,Volume") from None
    frame = frame.fillna("")  # a short row leaves its last cells empty
    frame.index = pd.RangeIndex(header_lines + 1, header_lines + 1 + len(frame), name="line")
    # Blank lines (a trailing one, or spacing) carry nothing.
    return frame[(frame != "").any(axis=1)]
