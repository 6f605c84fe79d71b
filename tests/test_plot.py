"""Plot stage: a real PNG, written atomically, and no window."""

import pytest

from stockrnn.app import plot as predict_and_plot
from stockrnn.errors import CannotWriteError

PNG = b"\x89PNG\r\n\x1a\n"


def test_plot_with_actuals(sine_model, tmp_path):
    out = tmp_path / "plots" / "p.png"
    with pytest.raises(CannotWriteError, match="no folder .*plots"):  # a folder the user named must exist
        predict_and_plot("SINE", start="2017-01-03", days=10, out=out)
    out.parent.mkdir()
    result, path = predict_and_plot("SINE", start="2017-01-03", days=10, out=out)
    assert path == out
    assert path.read_bytes()[:8] == PNG and path.stat().st_size > 20_000
    assert result.metrics
    assert [p.name for p in out.parent.iterdir()] == ["p.png"]  # no temporary file left


def test_plot_default_path_under_home(sine_model, home):
    result, path = predict_and_plot("SINE", days=5)
    assert path == home.resolve() / "plots" / f"SINE_{result.origin:%Y-%m-%d}.png"
    assert path.read_bytes()[:8] == PNG


def test_unwritable_plot_exits_73(sine_model, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(CannotWriteError) as caught:
        predict_and_plot("SINE", days=5, out=blocker / "p.png")
    assert caught.value.exit_code == 73
