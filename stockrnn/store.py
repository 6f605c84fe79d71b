"""Store stage: the model registry. Where files go, and how they are written so that no run loses a model.

Layout under the home folder ($STOCKRNN_HOME, or the platform's user data folder):
    models/<SYMBOL>/v<N>/{model.keras, scaler.json, manifest.json}   one immutable version each
    models/<SYMBOL>/current                                         the champion: the version in use, e.g. "v3"
    models/<SYMBOL>/champions.json                                  every promotion, oldest first (for rollback)
    models/<SYMBOL>/.lock                                           held by the one run that may write the symbol
A version is built in a temporary folder, synced, and renamed into place; only then may `current` move
(write, fsync, os.replace). A version's manifest records a SHA-256 of each file, checked before loading.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import CannotWriteError, DataError, MissingInputError, TemporaryError
from .manifest import Manifest
from .paths import atomic_write_text, check_symbol, fsync_dir, fsync_file, home, sha256_file

MODEL_FILE, SCALER_FILE, MANIFEST_FILE, CURRENT_FILE = "model.keras", "scaler.json", "manifest.json", "current"
CHAMPIONS_FILE, LOCK_FILE = "champions.json", ".lock"


def models_dir(symbol: str) -> Path:
    return home() / "models" / check_symbol(symbol)


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n"


def _versions(folder: Path) -> list[int]:
    if not folder.is_dir():
        return []
    return sorted(int(p.name[1:]) for p in folder.iterdir() if re.fullmatch(r"v\d+", p.name) and p.is_dir())


def save_version(symbol: str, model: bytes, scaler: dict, manifest: Manifest, promote: bool = True) -> Path:
    """Write a new version of `symbol`'s model (and make it the champion if `promote`); return its folder.

    `model` is the bytes of a `.keras` file (`backend.model_to_bytes`): what a worker process returns. Nothing is
    visible until every file is complete. Call it holding the symbol's `lock`.
    """
    folder = models_dir(symbol)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob(".tmp-*"):  # left by a killed run; callers hold the symbol's lock
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder))
        try:
            (tmp / MODEL_FILE).write_bytes(model)
            (tmp / SCALER_FILE).write_text(_json(scaler), encoding="utf-8")
            files = {name: sha256_file(tmp / name) for name in (MODEL_FILE, SCALER_FILE)}
            for name in files:
                fsync_file(tmp / name)
            version = (_versions(folder) or [0])[-1] + 1
            full = replace(manifest, symbol=symbol, version=f"v{version}", files=files)
            (tmp / MANIFEST_FILE).write_text(_json(full.to_dict()), encoding="utf-8")
            fsync_file(tmp / MANIFEST_FILE)
            fsync_dir(tmp)
            final = folder / f"v{version}"
            os.rename(tmp, final)  # fails rather than overwrite if another run took this number
            fsync_dir(folder)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        raise CannotWriteError(f"cannot write the model for {symbol} under {folder}: {exc.strerror or exc}") from None
    if promote:
        promote_version(symbol, final.name, "trained")
    return final


def champion(symbol: str) -> str | None:
    """The champion's version name ("v3"), or None before the first model."""
    pointer = models_dir(symbol) / CURRENT_FILE
    return pointer.read_text(encoding="utf-8").strip() if pointer.is_file() else None


def champions(symbol: str) -> list[dict]:
    """Every promotion of `symbol`, oldest first: {"version", "at", "reason"}."""
    path = models_dir(symbol) / CHAMPIONS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


def promote_version(symbol: str, version: str, reason: str) -> None:
    """Make `version` the champion: the history first, then the pointer, each replaced atomically."""
    folder = models_dir(symbol)
    if not re.fullmatch(r"v\d+", version) or not (folder / version / MANIFEST_FILE).is_file():
        known = ", ".join(f"v{n}" for n in _versions(folder)) or "none"
        raise MissingInputError(f"{symbol} has no model version {version!r}; versions: {known}")
    at = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        atomic_write_text(
            folder / CHAMPIONS_FILE, _json([*champions(symbol), {"version": version, "at": at, "reason": reason}])
        )
        atomic_write_text(folder / CURRENT_FILE, f"{version}\n")
    except OSError as exc:
        raise CannotWriteError(f"cannot promote {symbol} {version}: {exc.strerror or exc}") from None


def rollback(symbol: str) -> str:
    """Make the champion before the current one champion again; return its version."""
    current = champion(symbol)
    for entry in reversed(champions(symbol)):
        version = entry["version"]
        if version != current and (models_dir(symbol) / version / MANIFEST_FILE).is_file():
            promote_version(symbol, version, f"rollback from {current}")
            return version
    raise MissingInputError(f"{symbol} has no earlier champion to roll back to (champion: {current})")


def choose_champion(symbol: str, version: str | None) -> str:
    """A person's choice, under the symbol's lock: promote `version`, or roll back when it is None."""
    symbol = check_symbol(symbol)
    with lock(symbol):
        if version is None:
            return rollback(symbol)
        promote_version(symbol, version.lower(), "promoted by hand")
        return version.lower()


def versions(symbol: str) -> list[dict]:
    """Every complete version of `symbol`, oldest first, with its manifest and whether it is the champion."""
    folder = models_dir(symbol)
    current = champion(symbol)
    found = []
    for number in _versions(folder):
        path = folder / f"v{number}" / MANIFEST_FILE
        if path.is_file():
            manifest = Manifest.from_dict(json.loads(path.read_text(encoding="utf-8")), str(path))
            found.append({"version": f"v{number}", "champion": f"v{number}" == current, "manifest": manifest})
    return found


def symbols() -> list[str]:
    """Every symbol with a champion."""
    models = home() / "models"
    return sorted(p.name for p in models.iterdir() if (p / CURRENT_FILE).is_file()) if models.is_dir() else []


def prune(symbol: str, keep: int) -> list[str]:
    """Delete the oldest versions beyond the newest `keep`, never the champion; return what was deleted."""
    folder = models_dir(symbol)
    current = champion(symbol)
    names = [f"v{n}" for n in _versions(folder)]
    doomed = [name for name in names[: max(0, len(names) - keep)] if name != current]
    for name in doomed:
        # Renamed away first, so that a half-deleted version is never mistaken for a complete one.
        trash = folder / f".trash-{name}-{os.getpid()}"
        os.rename(folder / name, trash)
        shutil.rmtree(trash, ignore_errors=True)
    return doomed


@contextmanager
def lock(symbol: str) -> Iterator[None]:
    """Hold `symbol`'s lock, or raise `TemporaryError` at once. The OS drops the lock when a process dies,
    so a lock left by a killed run never blocks the next one."""
    from filelock import FileLock, Timeout

    folder = models_dir(symbol)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        held = FileLock(folder / LOCK_FILE, timeout=0)
        held.acquire()
    except Timeout:
        raise TemporaryError(f"{symbol} is locked by another run ({folder / LOCK_FILE}); try again later") from None
    except OSError as exc:
        raise CannotWriteError(f"cannot lock {symbol} in {folder}: {exc.strerror or exc}") from None
    try:
        yield
    finally:
        held.release()


@dataclass(frozen=True)
class StoredModel:
    folder: Path  # models/<SYMBOL>/v<N>
    manifest: Manifest
    scaler: dict

    @property
    def model_path(self) -> Path:
        return self.folder / MODEL_FILE


def load_current(symbol: str) -> StoredModel:
    """The symbol's champion, its files checked against the manifest's checksums."""
    symbol = check_symbol(symbol)
    current = champion(symbol)
    if current is None:
        raise MissingInputError(
            f"no model for {symbol} in {models_dir(symbol).parent}; train one first: stockrnn train {symbol}"
        )
    return load_version(symbol, current)


def read_manifest(symbol: str, name: str) -> Manifest | None:
    """A version's manifest, without checking its files; None when unreadable."""
    path = models_dir(symbol) / name / MANIFEST_FILE
    try:
        return Manifest.from_dict(json.loads(path.read_text(encoding="utf-8")), str(path))
    except (OSError, ValueError, DataError):
        return None


def load_version(symbol: str, name: str) -> StoredModel:
    """One version of the symbol's model, its files checked against the manifest's checksums."""
    version = models_dir(symbol) / name
    try:
        manifest = Manifest.from_dict(json.loads((version / MANIFEST_FILE).read_text(encoding="utf-8")), str(version))
        for name, digest in manifest.files.items():
            if sha256_file(version / name) != digest:
                raise DataError(f"{version / name}: does not match its checksum in the manifest; retrain {symbol}")
        scaler = json.loads((version / SCALER_FILE).read_text(encoding="utf-8"))
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(f"{version}: the model files are unreadable ({exc}); retrain {symbol}") from None
    return StoredModel(folder=version, manifest=manifest, scaler=scaler)
