"""Log set-up shared by the command line and its parallel workers: one format, stderr and an optional file.

Plain timestamped lines without a terminal (cron mail, log files); shorter lines on a terminal. yfinance's own
warnings go through the same handlers, so that a night's log reads as one; so do Python warnings of any library,
as one line each (never the raw warning with a line of source code under it).
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path
from typing import TextIO

from .errors import CannotWriteError

FORMAT, DATES = "%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S"


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is now (test runners and wrappers swap it), not what it was at set-up."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def setup(log_file: Path | None = None) -> None:
    console = _Stderr()
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
    for name, level in (("stockrnn", logging.INFO), ("yfinance", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
    warnings.showwarning = _warning_as_log_line


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
