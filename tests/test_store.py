"""Store: versions that appear whole or not at all, the champion pointer, checksums."""

from pathlib import Path

import pytest

from stockrnn import store
from stockrnn.errors import CannotWriteError, DataError, MissingInputError

from .conftest import a_manifest

SCALER = {"kind": "minmax", "feature_range": [0, 1], "data_min": 1.0, "data_max": 2.0}


def test_versions_and_current_pointer(home):
    first = store.save_version("AAA", b"one", SCALER, a_manifest())
    second = store.save_version("AAA", b"two", SCALER, a_manifest())
    assert (first.name, second.name) == ("v1", "v2")
    current = store.load_current("aaa")
    assert current.folder == second
    assert (current.manifest.version, current.manifest.symbol) == ("v2", "AAA")
    assert current.model_path.read_bytes() == b"two"
    assert (first / "model.keras").read_bytes() == b"one"  # old versions stay intact
    assert not [p for p in second.parent.iterdir() if p.name.startswith(".")]  # no temporary leftovers


def test_failed_save_keeps_the_previous_version(home, monkeypatch):
    store.save_version("AAA", b"good", SCALER, a_manifest())

    def full_disk(path: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "fsync_dir", full_disk)
    with pytest.raises(CannotWriteError, match="No space left") as caught:
        store.save_version("AAA", b"bad", SCALER, a_manifest())
    assert caught.value.exit_code == 73
    current = store.load_current("AAA")
    assert current.manifest.version == "v1" and current.model_path.read_bytes() == b"good"
    assert sorted(p.name for p in current.folder.parent.iterdir()) == ["champions.json", "current", "v1"]


def test_tampered_model_is_refused(home):
    folder = store.save_version("AAA", b"good", SCALER, a_manifest())
    (folder / "model.keras").write_bytes(b"evil")
    with pytest.raises(DataError, match="does not match its checksum"):
        store.load_current("AAA")


def test_no_model_exits_66(home):
    with pytest.raises(MissingInputError, match="no model for ZZZ") as caught:
        store.load_current("zzz")
    assert caught.value.exit_code == 66
