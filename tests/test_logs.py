"""Logs: one format for our lines, and a library's Python warning as one of them, never raw."""

import logging
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


def test_error_lines_go_to_the_log_file_set_up_else_to_the_one_named(tmp_path, capsys):
    named, set_up = tmp_path / "named.log", tmp_path / "logs" / "set-up.log"
    logs.setup()
    logs.error_line("no such\nwatchlist", named)  # before any file is set up: the command line's --log-file
    logs.setup(set_up, quiet=True)
    logging.getLogger("stockrnn").info("routine")
    logging.getLogger("stockrnn").warning("look")
    logs.error_line("failed", named)  # the file set up wins
    logs.setup()
    logs.error_line("nowhere")  # neither: nothing written, nothing raised
    assert named.read_text().split(" ", 1)[1] == "ERROR no such watchlist\n"  # one line
    assert [line.split(" ", 1)[1] for line in set_up.read_text().splitlines()] == [
        "INFO routine", "WARNING look", "ERROR failed",
    ]  # fmt: skip
    err = capsys.readouterr().err
    assert "look" in err and "routine" not in err  # quiet: only warnings and errors on stderr
