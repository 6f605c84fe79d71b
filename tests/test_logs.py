"""Logs: one format for our lines, and a library's Python warning as one of them, never raw."""

import warnings

from stockrnn import logs


def test_a_library_warning_becomes_one_log_line(capsys):
    with warnings.catch_warnings():
        logs.setup()
        warnings.simplefilter("always")
        warnings.warn("Could not infer format, so each element will be parsed individually", UserWarning, stacklevel=1)
    err = capsys.readouterr().err
    assert err.count("\n") == 1  # one line, no source line under it
    assert "WARNING UserWarning: Could not infer format" in err
    assert "warnings.warn(" not in err
