"""Paths: symbols that are safe folder names and database keys, the home folder, atomic writes."""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockrnn import paths, registry
from stockrnn.errors import UsageError

ALPHABET = "ABCXYZabcxyz0189.-^=/\\ ;$`'\"*?~:|<>\n\t\x00" + "ΑΒСОЅßıﬀ０．"  # look-alikes included


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(alphabet=ALPHABET, max_size=24), st.text(max_size=24)))
def test_every_accepted_symbol_stays_inside_home(tmp_path_factory, text):
    home = Path(tmp_path_factory.getbasetemp()) / "home"
    try:
        symbol = paths.check_symbol(text)
    except UsageError:
        return
    assert symbol.isascii() and 1 <= len(symbol) <= 20 and symbol == symbol.upper()
    models = (home / "models").resolve()
    folder = (models / symbol).resolve()
    assert folder.parent == models  # one level below models/, never elsewhere
    assert (folder / "v1" / "model.keras").resolve().is_relative_to(models)


@pytest.mark.parametrize(
    "text", ["..", "...", ".hidden", "-rf", "A..B", "ß", "ıBM", "ＡAPL", "AAPL\n", "A/B", "~", "^", "=", "A.", "B-"]
)
def test_traps_are_refused(text):
    with pytest.raises(UsageError):
        paths.check_symbol(text)


@pytest.mark.parametrize("text", ["^GSPC", "brk-b", "EURUSD=X", "BTC-USD", "7203.T", "aapl"])
def test_symbols_accepted_and_canonical(text):
    assert paths.check_symbol(text) == text.upper()


@pytest.mark.parametrize("text", ["", "../etc", "a/b", "a b", "..", "AAPL;rm", "ΑAPL", "X" * 21, "a\\b", " aapl"])
def test_symbols_refused(text):
    with pytest.raises(UsageError, match="not a valid symbol") as caught:
        paths.check_symbol(text)
    assert caught.value.exit_code == 2


def test_symbol_from_path():
    assert paths.symbol_from_path("sample_data/sp500.csv") == "SP500"
    assert paths.symbol_from_path("/tmp/my prices (2017).csv") == "MY-PRICES--2017"
    assert paths.symbol_from_path("7203.T.csv.gz") == "7203.T" and paths.symbol_from_path("aapl.TXT") == "AAPL"
    for name in ("ü.csv", "日本.csv", "....csv", "---.csv"):  # never one shared stand-in name for all of them
        with pytest.raises(UsageError, match="makes no symbol; name the model with --symbol NAME"):
            paths.symbol_from_path(name)


def test_home_follows_environment(home):
    assert paths.home() == home.resolve()
    assert registry.models_dir("^gspc") == home.resolve() / "models" / "^GSPC"


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    target = tmp_path / "f.json"
    paths.atomic_write_text(target, json.dumps({"a": 1}))

    def broken(tmp: Path) -> None:
        tmp.write_text("half")
        raise OSError("killed")

    with pytest.raises(OSError):
        paths.atomic_write(target, broken)
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_the_libraries_caches_stay_in_the_home_folder(home, monkeypatch):
    """Keras', matplotlib's, CUDA's and PyTorch's folders (which follow $HOME unless told otherwise) go under the
    home's cache/, set before any library starts and inherited by the processes stockrnn starts; a variable the user
    set is theirs."""
    for variable in paths.LIBRARY_FOLDERS:
        monkeypatch.setenv(variable, "")  # so that monkeypatch puts back what was there, or nothing, after the test
        monkeypatch.delenv(variable)
    monkeypatch.setenv("TRITON_CACHE_DIR", "/elsewhere/triton")
    paths.confine_libraries()
    expected = {
        "KERAS_HOME": home / "cache" / "keras",
        "MPLCONFIGDIR": home / "cache" / "matplotlib",
        "CUDA_CACHE_PATH": home / "cache" / "cuda",  # CUDA's JIT cache, ~/.nv/ComputeCache otherwise
        "TORCH_HOME": home / "cache" / "torch",
        "PYTORCH_KERNEL_CACHE_PATH": home / "cache" / "torch" / "kernels",
        "TORCHINDUCTOR_CACHE_DIR": home / "cache" / "torchinductor",
        "TRITON_HOME": home / "cache" / "triton",
        "TRITON_CACHE_DIR": Path("/elsewhere/triton"),  # the user's
    }
    import os
    import subprocess
    import sys

    code = f"import json, os; print(json.dumps({{k: os.environ.get(k) for k in {sorted(expected)!r}}}))"
    inherited = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)
    assert {k: Path(os.environ[k]) for k in expected} == {k: Path(v) for k, v in inherited.items()} == expected
