"""Store: symbols that are safe folder names, versions that appear whole or not at all, checksums."""

import json
from pathlib import Path

import pytest

from stockrnn import store
from stockrnn.errors import CannotWriteError, DataError, MissingInputError, UsageError


class FakeModel:
    """Stands in for a Keras model: `save(path)` writes a file, or fails like a full disk."""

    def __init__(self, payload: bytes = b"weights", fail: bool = False) -> None:
        self.payload, self.fail = payload, fail

    def save(self, path: Path) -> None:
        if self.fail:
            raise OSError(28, "No space left on device")
        Path(path).write_bytes(self.payload)


@pytest.mark.parametrize("text", ["^GSPC", "brk-b", "EURUSD=X", "BTC-USD", "7203.T", "aapl"])
def test_symbols_accepted_and_canonical(text):
    assert store.check_symbol(text) == text.upper()


@pytest.mark.parametrize("text", ["", "../etc", "a/b", "a b", "..", "AAPL;rm", "ΑAPL", "X" * 21, "a\\b", " aapl"])
def test_symbols_refused(text):
    with pytest.raises(UsageError, match="not a valid symbol") as caught:
        store.check_symbol(text)
    assert caught.value.exit_code == 2


def test_symbol_from_path():
    assert store.symbol_from_path("sample_data/sp500.csv") == "SP500"
    assert store.symbol_from_path("/tmp/my prices (2017).csv") == "MY-PRICES--2017"


def test_home_follows_environment(home):
    assert store.home() == home.resolve()
    assert store.models_dir("^gspc") == home.resolve() / "models" / "^GSPC"


def test_versions_and_current_pointer(home):
    first = store.save_version("AAA", FakeModel(b"one"), {"kind": "minmax"}, {"config": {}})
    second = store.save_version("AAA", FakeModel(b"two"), {"kind": "minmax"}, {"config": {}})
    assert (first.name, second.name) == ("v1", "v2")
    current = store.load_current("aaa")
    assert current.folder == second
    assert current.manifest["version"] == "v2" and current.manifest["symbol"] == "AAA"
    assert current.model_path.read_bytes() == b"two"
    assert (first / "model.keras").read_bytes() == b"one"  # old versions stay intact
    assert not [p for p in second.parent.iterdir() if p.name.startswith(".")]  # no temporary leftovers


def test_failed_save_keeps_the_previous_version(home):
    store.save_version("AAA", FakeModel(b"good"), {"kind": "minmax"}, {"config": {}})
    with pytest.raises(CannotWriteError, match="No space left") as caught:
        store.save_version("AAA", FakeModel(fail=True), {"kind": "minmax"}, {"config": {}})
    assert caught.value.exit_code == 73
    current = store.load_current("AAA")
    assert current.manifest["version"] == "v1" and current.model_path.read_bytes() == b"good"
    assert sorted(p.name for p in current.folder.parent.iterdir()) == ["champions.json", "current", "v1"]


def test_tampered_model_is_refused(home):
    folder = store.save_version("AAA", FakeModel(b"good"), {"kind": "minmax"}, {"config": {}})
    (folder / "model.keras").write_bytes(b"evil")
    with pytest.raises(DataError, match="does not match its checksum"):
        store.load_current("AAA")


def test_no_model_exits_66(home):
    with pytest.raises(MissingInputError, match="no model for ZZZ") as caught:
        store.load_current("zzz")
    assert caught.value.exit_code == 66


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    target = tmp_path / "f.json"
    store.atomic_write_text(target, json.dumps({"a": 1}))

    def broken(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError("killed")

    with pytest.raises(OSError):
        store.atomic_write(target, broken)
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]
