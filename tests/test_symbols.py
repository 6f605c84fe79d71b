"""Symbols become folder names and database keys: only Yahoo's alphabet passes, and every path stays home."""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockrnn import store
from stockrnn.errors import UsageError

ALPHABET = "ABCXYZabcxyz0189.-^=/\\ ;$`'\"*?~:|<>\n\t\x00" + "ΑΒСОЅßıﬀ０．"  # look-alikes included


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(alphabet=ALPHABET, max_size=24), st.text(max_size=24)))
def test_every_accepted_symbol_stays_inside_home(tmp_path_factory, text):
    home = Path(tmp_path_factory.getbasetemp()) / "home"
    try:
        symbol = store.check_symbol(text)
    except UsageError:
        return
    assert symbol.isascii() and 1 <= len(symbol) <= 20 and symbol == symbol.upper()
    models = (home / "models").resolve()
    folder = (models / symbol).resolve()
    assert folder.parent == models  # one level below models/, never elsewhere
    assert (folder / "v1" / "model.keras").resolve().is_relative_to(models)


@pytest.mark.parametrize("text", ["..", "...", ".hidden", "-rf", "A..B", "ß", "ıBM", "ＡAPL", "AAPL\n", "A/B", "~"])
def test_traps_are_refused(text):
    with pytest.raises(UsageError):
        store.check_symbol(text)
