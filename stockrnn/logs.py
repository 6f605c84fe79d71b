"""Log set-up shared by the command line and its parallel workers: one format, stderr and an optional file.

Plain timestamped lines without a terminal (cron mail, log files); shorter lines on a terminal. yfinance's own
warnings go through the same handlers, so that a night's log reads as one; so do Python warnings of any library,
as one line each (never the raw warning with a line of source code under it). `quiet` keeps stderr to warnings and
errors (what cron mails) while the log file still gets every line; `error_line` appends the command line's own
error lines to the log file, so that a run that fails before it starts leaves its reason there too.
"""

from __future__ import annotations

import logging
import sys
import warnings
from datetime import datetime
from pathlib import Path
from typing import TextIO

from .errors import CannotWriteError

FORMAT, DATES = "%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S"
_file: list[Path] = []  # the log file `setup` appends to, if any: where `error_line` writes too


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is now (test runners and wrappers swap it), not what it was at set-up."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def setup(log_file: Path | None = None, quiet: bool = False) -> None:
    """Log lines on stderr (with `quiet` only warnings and errors) and, appended, in `log_file` (every line); a
    `CannotWriteError` when the file cannot be opened."""
    console = _Stderr()
    if quiet:
        console.setLevel(logging.WARNING)
    console.setFormatter(
        logging.Formatter(FORMAT.removeprefix("%(asctime)s ") if sys.stderr.isatty() else FORMAT, DATES)
    )
    handlers: list[logging.Handler] = [console]
    if log_file is not None:
        try:
            Path(log_file).parent.mkdir(parents=True, exist_ok=True)
            to_file = logging.FileHandler(log_file, encoding="utf-8")  # appends
        except OSError as exc:
            raise CannotWriteError(f"cannot write the log file {log_file}: {exc.strerror or exc}") from None
        to_file.setFormatter(logging.Formatter(FORMAT, DATES))
        handlers.append(to_file)
    _file[:] = [Path(log_file)] if log_file is not None else []
    for name, level in (("stockrnn", logging.INFO), ("yfinance", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
    warnings.showwarning = _warning_as_log_line


def error_line(message: str, log_file: Path | None = None) -> None:
    """Append `message` as an ERROR line to the log file that `setup` opened, else to `log_file` (the command line's
    --log-file, for an error raised before the command set its logs up); nothing when there is neither. An error
    already said on stderr must not become a second one: a file that cannot be written is left alone."""
    path = _file[0] if _file else log_file
    if path is None:
        return
    stamp = datetime.now().strftime(DATES)  # local time, as logging.Formatter writes asctime
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"{stamp} ERROR {' '.join(message.split())}\n")
    except OSError:
        pass


def _warning_as_log_line(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: object = None,
    line: object = None,
) -> None:
    """A library's Python warning becomes one of our log lines: its words, never a traceback-like source line."""
    logging.getLogger("stockrnn").warning("%s: %s", category.__name__, message)
