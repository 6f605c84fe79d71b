"""Store stage: where files go, and how they are written so that a killed run never leaves a broken model.

Layout under the home folder ($STOCKRNN_HOME, or the platform's user data folder):
    models/<SYMBOL>/v<N>/{model.keras, scaler.json, manifest.json}   one immutable version each
    models/<SYMBOL>/current                                         the version in use, e.g. "v3"
A version is built in a temporary folder, synced, and renamed into place; only then does `current` move
(write, fsync, os.replace). A version's manifest records a SHA-256 of each file, checked before loading.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import CannotWriteError, DataError, MissingInputError, UsageError

SYMBOL = re.compile(r"^[A-Z0-9.\-^=]{1,20}\Z")  # Yahoo's alphabet: ^GSPC, BRK-B, EURUSD=X, 7203.T
MODEL_FILE, SCALER_FILE, MANIFEST_FILE, CURRENT_FILE = "model.keras", "scaler.json", "manifest.json", "current"


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


def models_dir(symbol: str) -> Path:
    return home() / "models" / check_symbol(symbol)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
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
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n"


def _versions(folder: Path) -> list[int]:
    if not folder.is_dir():
        return []
    return sorted(int(p.name[1:]) for p in folder.iterdir() if re.fullmatch(r"v\d+", p.name) and p.is_dir())


def save_version(symbol: str, model: Any, scaler: dict, manifest: dict) -> Path:
    """Write a new version of `symbol`'s model and make it current; return its folder.

    `model` is anything with `.save(path)` (a Keras model). Nothing is visible until every file is complete.
    """
    folder = models_dir(symbol)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder))
        try:
            model.save(tmp / MODEL_FILE)
            (tmp / SCALER_FILE).write_text(_json(scaler), encoding="utf-8")
            files = {name: sha256_file(tmp / name) for name in (MODEL_FILE, SCALER_FILE)}
            for name in files:
                with open(tmp / name, "rb+") as handle:
                    os.fsync(handle.fileno())
            version = (_versions(folder) or [0])[-1] + 1
            full = {**manifest, "symbol": symbol, "version": f"v{version}", "files": files}
            (tmp / MANIFEST_FILE).write_text(_json(full), encoding="utf-8")
            with open(tmp / MANIFEST_FILE, "rb+") as handle:
                os.fsync(handle.fileno())
            _fsync_dir(tmp)
            final = folder / f"v{version}"
            os.rename(tmp, final)  # fails rather than overwrite if another run took this number
            _fsync_dir(folder)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        atomic_write_text(folder / CURRENT_FILE, f"v{version}\n")
    except OSError as exc:
        raise CannotWriteError(f"cannot write the model for {symbol} under {folder}: {exc.strerror or exc}") from None
    return final


@dataclass(frozen=True)
class StoredModel:
    folder: Path  # models/<SYMBOL>/v<N>
    manifest: dict
    scaler: dict

    @property
    def model_path(self) -> Path:
        return self.folder / MODEL_FILE


def load_current(symbol: str) -> StoredModel:
    """The symbol's current version, its files checked against the manifest's checksums."""
    symbol = check_symbol(symbol)
    folder = models_dir(symbol)
    pointer = folder / CURRENT_FILE
    if not pointer.is_file():
        raise MissingInputError(
            f"no model for {symbol} in {folder.parent}; train one first: stockrnn train --csv FILE --symbol {symbol}"
        )
    version = folder / pointer.read_text(encoding="utf-8").strip()
    try:
        manifest = json.loads((version / MANIFEST_FILE).read_text(encoding="utf-8"))
        for name, digest in manifest["files"].items():
            if sha256_file(version / name) != digest:
                raise DataError(f"{version / name}: does not match its checksum in the manifest; retrain {symbol}")
        scaler = json.loads((version / SCALER_FILE).read_text(encoding="utf-8"))
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(f"{version}: the model files are unreadable ({exc}); retrain {symbol}") from None
    return StoredModel(folder=version, manifest=manifest, scaler=scaler)
