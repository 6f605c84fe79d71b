"""Paths: the home folder, symbols that are safe as folder names and database keys, and atomic file writes.

Input: the environment ($STOCKRNN_HOME) and names from the command line. Output: paths, and files that appear
whole or not at all (written to a temporary file beside the target, synced, then renamed over it).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import UsageError

SYMBOL = re.compile(r"^[A-Z0-9.\-^=]{1,20}\Z")  # Yahoo's alphabet: ^GSPC, BRK-B, EURUSD=X, 7203.T


def home() -> Path:
    """The folder that holds everything stockrnn writes."""
    if os.environ.get("STOCKRNN_HOME"):
        return Path(os.environ["STOCKRNN_HOME"]).expanduser().resolve()
    import platformdirs

    return platformdirs.user_data_path("stockrnn").resolve()


def check_symbol(text: str) -> str:
    """The canonical (upper-case) form of a symbol, or a `UsageError`. Called before any I/O: a symbol becomes
    a folder name and a database key, so only Yahoo's ASCII alphabet passes, never a path or a look-alike."""
    symbol = text  # never stripped: whitespace in a symbol is refused, not guessed away
    # isascii first: str.upper() maps some non-ASCII letters into ASCII ("ß" -> "SS", "ı" -> "I").
    if not symbol.isascii() or not SYMBOL.match(symbol.upper()) or ".." in symbol or symbol[0] in ".-":
        raise UsageError(
            f"{text!r} is not a valid symbol: use 1-20 letters, digits and . - ^ = (e.g. ^GSPC, BRK-B, 7203.T)"
        )
    return symbol.upper()


def symbol_from_path(path: str | Path) -> str:
    """A default symbol from a file name: sample_data/sp500.csv -> SP500."""
    name = re.sub(r"[^A-Za-z0-9.\-^=]", "-", Path(path).stem)
    return check_symbol(re.sub(r"\.{2,}", ".", name)[:20].strip(".-") or "DATA")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp)` on a temporary file beside `path`, fsync it, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        fsync_file(tmp)
        os.replace(tmp, path)
        fsync_dir(path.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
