"""Registry stage: the model registry. Where files go, and how they are written so that no run loses a model.

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
import logging
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

from .errors import CannotWriteError, DataError, LockedError, MissingInputError, UsageError
from .manifest import Manifest
from .paths import atomic_write_text, check_symbol, follow_umask, fsync_dir, fsync_file, home, sha256_file
from .targets import scaler_from_dict

MODEL_FILE, SCALER_FILE, MANIFEST_FILE, CURRENT_FILE = "model.keras", "scaler.json", "manifest.json", "current"
CHAMPIONS_FILE, LOCK_FILE, DIGEST_FILE = "champions.json", ".lock", "manifest.sha256"
VERSION = re.compile(r"v\d+")
# Left behind by a killed run: a version being built, a pointer or history being replaced, a version being deleted.
LEFTOVERS = (".tmp-*", f".{CURRENT_FILE}.*", f".{CHAMPIONS_FILE}.*", ".trash-*")
log = logging.getLogger("stockrnn")


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
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder))
        follow_umask(tmp)  # mkdtemp makes 0700; a version folder is as private as the user's umask says
        try:
            (tmp / MODEL_FILE).write_bytes(model)
            (tmp / SCALER_FILE).write_text(_json(scaler), encoding="utf-8")
            files = {name: sha256_file(tmp / name) for name in (MODEL_FILE, SCALER_FILE)}
            for name in files:
                fsync_file(tmp / name)
            version = (_versions(folder) or [0])[-1] + 1
            full = replace(manifest, symbol=symbol, version=f"v{version}", files=files)
            (tmp / MANIFEST_FILE).write_text(_json(full.to_dict()), encoding="utf-8")
            # The manifest's own checksum, beside it: an edited config (target, window) must not load silently.
            (tmp / DIGEST_FILE).write_text(sha256_file(tmp / MANIFEST_FILE) + "\n", encoding="utf-8")
            for name in (MANIFEST_FILE, DIGEST_FILE):
                fsync_file(tmp / name)
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
    """The champion's version name ("v3"), or None before the first model; a `DataError` when the pointer names no
    stored version (the home folder is input like any other: it is checked, not trusted)."""
    folder = models_dir(symbol)
    pointer = folder / CURRENT_FILE
    if not pointer.is_file():
        return None
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(
            f"{pointer}: unreadable ({exc}); choose the champion with: stockrnn models promote {symbol} vN"
        ) from None
    if not VERSION.fullmatch(name) or not (folder / name / MANIFEST_FILE).is_file():
        known = ", ".join(f"v{n}" for n in _versions(folder)) or "none"
        raise DataError(
            f"{pointer}: names {name[:40]!r}, which is no stored version (versions: {known}); choose the champion "
            f"with: stockrnn models promote {symbol} vN"
        )
    return name


def champions(symbol: str) -> list[dict]:
    """Every promotion of `symbol` that served, oldest first: {"version", "at", "reason"}; a `DataError` naming the
    file when it is damaged. The history is written before the pointer, so entries after the pointer's last one
    were cut off by a kill before they served, and are left out."""
    path = models_dir(symbol) / CHAMPIONS_FILE
    if not path.is_file():
        return []
    try:
        history = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        history = exc
    if not isinstance(history, list) or not all(
        isinstance(e, dict) and isinstance(e.get("version"), str) and VERSION.fullmatch(e["version"]) for e in history
    ):
        why = f" ({history})" if isinstance(history, Exception) else ""
        raise DataError(
            f"{path}: not a champion history{why}; the champion itself is unaffected: move the file away and the "
            "next promotion starts a new history"
        )
    try:
        current = champion(symbol)
    except DataError:  # a bad pointer is the pointer's problem, not the history's
        current = None
    served = [i for i, entry in enumerate(history) if entry["version"] == current]
    return history[: served[-1] + 1] if served else history


def promote_version(symbol: str, version: str, reason: str) -> None:
    """Make `version` the champion: the history first, then the pointer, each replaced atomically."""
    folder = models_dir(symbol)
    if not VERSION.fullmatch(version) or not (folder / version / MANIFEST_FILE).is_file():
        known = ", ".join(f"v{n}" for n in _versions(folder)) or "none"
        raise MissingInputError(f"{symbol} has no model version {version!r}; versions: {known}")
    at = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        history = champions(symbol)
    except DataError as exc:  # a damaged history must not stop a promotion: kept aside, and a new one begun
        log.warning("%s", exc)
        os.replace(folder / CHAMPIONS_FILE, folder / f"{CHAMPIONS_FILE}.damaged")
        history = []
    try:
        atomic_write_text(folder / CHAMPIONS_FILE, _json([*history, {"version": version, "at": at, "reason": reason}]))
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
        if VERSION.fullmatch(version.lower()) and (models_dir(symbol) / version.lower() / MANIFEST_FILE).is_file():
            load_version(symbol, version.lower())  # a version that fails its checks is no champion: DataError, 65
        promote_version(symbol, version.lower(), "promoted by hand")
        return version.lower()


def model_versions(symbol: str) -> list[dict]:
    """Every complete version of `symbol`, oldest first, with its manifest and whether it is the champion."""
    folder = models_dir(symbol)
    current = champion(symbol)
    found = []
    for number in _versions(folder):
        path = folder / f"v{number}" / MANIFEST_FILE
        if path.is_file():
            try:
                manifest = _read_manifest(path)
            except DataError as exc:  # one bad version must not hide the others; why it is left out is said
                log.warning("%s; left out of the listing: delete the version, upgrade stockrnn or retrain", exc)
                continue
            found.append({"version": f"v{number}", "champion": f"v{number}" == current, "manifest": manifest})
    return found


def newest_version(symbol: str) -> str | None:
    """The name of `symbol`'s newest stored version ("v7": the last model trained, champion or not); None: none."""
    numbers = _versions(models_dir(symbol))
    return f"v{numbers[-1]}" if numbers else None


def last_attempt(symbol: str, champion: Manifest) -> Manifest:
    """The manifest of the newest version of `symbol` (the last model trained, champion or not), else `champion`'s
    (the newest is unreadable): what retrain judges "up to date" against."""
    newest = newest_version(symbol)
    return (read_manifest(symbol, newest) if newest else None) or champion


def holds_panel(symbol: str) -> bool | None:
    """Whether `symbol`'s entry holds a global model (True: its champion, else its newest readable version, was
    trained on a panel), a single symbol's (False), or nothing yet (None: no version, or none readable)."""
    names = [f"v{n}" for n in reversed(_versions(models_dir(symbol)))]
    try:
        current = champion(symbol)
    except DataError:  # a damaged pointer: the versions themselves still say what the entry holds
        current = None
    for name in ([current] if current else []) + names:
        manifest = read_manifest(symbol, name)
        if manifest is not None:
            return manifest.data.panel is not None
    return None


def refuse_other_kind(symbol: str, panel: bool) -> None:
    """Refuse (`UsageError`, exit 2) to store a global model (`panel`) under an entry that holds a single symbol's,
    or a single symbol's model under an entry that holds a global one: its versions would mix the two kinds, and a
    rollback would switch between them."""
    held = holds_panel(symbol)
    if held is None or held == panel:
        return
    where = models_dir(symbol)
    if panel:
        raise UsageError(
            f"--name {symbol}: {where} holds a single symbol's model of {symbol}; a global model needs a name of its "
            "own (another --name)"
        )
    raise UsageError(
        f"{symbol}: {where} holds a global model named {symbol} (train --panel/--watchlist); a single symbol's model "
        "cannot be stored under it: give it another name (train OTHER --csv FILE), or delete that folder"
    )


def symbols() -> list[str]:
    """Every symbol with a champion; a folder under models/ that is no symbol's is left out with a warning."""
    models = home() / "models"
    found = []
    for folder in sorted(models.iterdir()) if models.is_dir() else []:
        try:
            name = check_symbol(folder.name)
        except UsageError:
            log.warning("%s: not a symbol's folder; left out", folder)
            continue
        if name == folder.name and (folder / CURRENT_FILE).is_file():
            found.append(name)
    return found


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
    """Hold `symbol`'s lock, or raise `LockedError` (exit 75) at once. The OS drops the lock when a process dies,
    so a lock left by a killed run never blocks the next one."""
    from filelock import FileLock, Timeout

    folder = models_dir(symbol)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        held = FileLock(folder / LOCK_FILE, timeout=0)
        held.acquire()
    except Timeout:
        raise LockedError(f"{symbol} is locked by another run ({folder / LOCK_FILE}); try again later") from None
    except OSError as exc:
        raise CannotWriteError(f"cannot lock {symbol} in {folder}: {exc.strerror or exc}") from None
    try:
        for pattern in LEFTOVERS:  # whatever a killed run left half-done is cleared by the next one, under the lock
            for stale in folder.glob(pattern):
                if stale.is_dir():
                    shutil.rmtree(stale, ignore_errors=True)
                else:
                    stale.unlink(missing_ok=True)
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
    try:
        return _read_manifest(models_dir(symbol) / name / MANIFEST_FILE)
    except DataError:
        return None


def _read_manifest(path: Path) -> Manifest:
    """The manifest at `path`, or a `DataError` that names the file and why it cannot be read."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        raise DataError(f"{path}: unreadable ({type(exc).__name__}: {exc})") from None
    return Manifest.from_dict(raw, str(path))


def load_version(symbol: str, name: str) -> StoredModel:
    """One version of the symbol's model, its files checked against the manifest's checksums and the manifest
    against its own (versions saved before manifest.sha256 existed have none to check). A manifest in a layout newer
    than this stockrnn reads (manifest.SCHEMA_VERSION) is a `DataError` that says to upgrade, roll back or retrain."""
    version = models_dir(symbol) / name
    if not VERSION.fullmatch(name) or not version.is_dir():
        known = ", ".join(f"v{n}" for n in _versions(version.parent)) or "none"
        raise MissingInputError(f"{symbol} has no model version {name!r}; versions: {known}")
    fix = f"roll back (stockrnn models rollback {symbol}) or retrain {symbol}"
    try:
        digest = version / DIGEST_FILE
        if digest.is_file() and sha256_file(version / MANIFEST_FILE) != digest.read_text(encoding="utf-8").strip():
            raise DataError(f"{version / MANIFEST_FILE}: edited after it was saved (its checksum differs); {fix}")
        try:
            manifest = Manifest.from_dict(
                json.loads((version / MANIFEST_FILE).read_text(encoding="utf-8")), str(version / MANIFEST_FILE)
            )
        except DataError as exc:  # a damaged manifest, or one from a newer stockrnn (its schema_version)
            raise DataError(f"{exc}; {fix}") from None
        for file, checksum in manifest.files.items():
            if sha256_file(version / file) != checksum:
                raise DataError(f"{version / file}: does not match its checksum in the manifest; {fix}")
        scaler = json.loads((version / SCALER_FILE).read_text(encoding="utf-8"))
        for one in scaler["members"].values() if "members" in scaler else [scaler]:  # a panel's: one per member
            scaler_from_dict(one)  # checked now: a damaged scaler is bad data, not a traceback later
    except (OSError, KeyError, TypeError, AttributeError, ValueError) as exc:
        raise DataError(f"{version}: the model files are unreadable ({type(exc).__name__}: {exc}); {fix}") from None
    return StoredModel(folder=version, manifest=manifest, scaler=scaler)
