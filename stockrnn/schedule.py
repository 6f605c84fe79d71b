"""Schedule: a ready crontab line for the nightly retrain, with absolute paths to this installation.

Input: a time on the exchange's clock and an optional watchlist. Output: a `CronEntry` (the crontab text: a comment
and a line; its parts as JSON). Cron runs on the machine's clock, so the exchange's time is converted, weekdays
shifted when the date changes. The line keeps stderr, where `retrain --quiet` writes only warnings and errors, so
that cron mails them (MAILTO); every line, routine ones too, goes to the log file; stdout, the table the log's lines
repeat, is discarded. Whether the job can run yet (a model, a readable watchlist) is the application layer's.
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import MissingInputError, UsageError
from .paths import home

WEEKDAYS = {-1: "0-4", 0: "1-5", 1: "2-6"}  # Monday-Friday on the exchange, as days of the machine's week


@dataclass(frozen=True)
class CronEntry:
    """One crontab entry: when (`minute`, `hour`, `weekdays` on this machine's clock, for `at` on the exchange's
    `timezone`) and what (`command`: the retrain's words, run with STOCKRNN_HOME=`home`)."""

    at: str  # HH:MM on the exchange's clock
    timezone: str
    local: str  # HH:MM on this machine's clock
    minute: int
    hour: int
    weekdays: str  # cron's day-of-week field, e.g. "1-5"
    home: Path
    log_file: Path
    command: list[str]  # the retrain and its options, absolute paths
    watchlist: Path | None  # None: --all

    @property
    def run(self) -> str:
        """The shell command cron runs: stdout discarded, stderr kept (cron mails it); a bare % escaped, which
        cron would read as a newline (a home like /data/100%)."""
        line = f"STOCKRNN_HOME={shlex.quote(str(self.home))} {shlex.join(self.command)} >/dev/null"
        return line.replace("%", "\\%")

    @property
    def line(self) -> str:
        return f"{self.minute} {self.hour} * * {self.weekdays} {self.run}"

    @property
    def comment(self) -> str:
        return (
            f"# stockrnn: retrain at {self.at} {self.timezone} on weekdays ({self.local} on this machine's clock); "
            f"log: {self.log_file}; warnings and errors also on stderr, which cron mails (MAILTO)"
        )

    def text(self) -> str:
        """The comment and the line, ready for `crontab -e`."""
        return f"{self.comment}\n{self.line}"

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "comment": self.comment,
            "schedule": f"{self.minute} {self.hour} * * {self.weekdays}",
            "at": self.at,
            "timezone": self.timezone,
            "local_time": self.local,
            "home": str(self.home),
            "log_file": str(self.log_file),
            "command": self.command,
            "watchlist": None if self.watchlist is None else str(self.watchlist),
        }


def cron_entry(
    at: str, timezone: str, watchlist: Path | None, now: datetime | None = None, strict: bool = False
) -> CronEntry:
    """The entry that runs `stockrnn retrain` (`--watchlist` FILE, else `--all`; `--strict` when asked) at `at`
    (HH:MM) on `timezone`'s clock, Monday to Friday there; `now`: the day whose offset converts it (default today).
    A `UsageError` for a bad time or zone, a `MissingInputError` for a watchlist that is no file."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", at)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise UsageError(f"--at {at!r} is not a time of day; use HH:MM, e.g. 18:30")
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--timezone {timezone!r} is not a time zone; use e.g. America/New_York") from None
    exchange = (
        (now or datetime.now(zone))
        .astimezone(zone)
        .replace(hour=int(match[1]), minute=int(match[2]), second=0, microsecond=0)
    )
    local = exchange.astimezone(now.tzinfo if now and now.tzinfo else None)
    shift = (local.date() - exchange.date()).days
    executable = Path(sys.executable).parent / "stockrnn"
    log_file = home() / "logs" / "retrain.log"
    command = [str(executable), "retrain"]
    if watchlist is not None:
        if not Path(watchlist).is_file():
            raise MissingInputError(f"{watchlist}: no such watchlist file")
        watchlist = Path(watchlist).resolve()
        command += ["--watchlist", str(watchlist)]
    else:
        command += ["--all"]
    command += ["--log-file", str(log_file), "--quiet", *(["--strict"] if strict else [])]
    return CronEntry(
        at=at, timezone=timezone, local=f"{local:%H:%M}", minute=local.minute, hour=local.hour,
        weekdays=WEEKDAYS[shift], home=home(), log_file=log_file, command=command, watchlist=watchlist,
    )  # fmt: skip


def crontab_line(at: str, timezone: str, watchlist: Path | None, now: datetime | None = None) -> str:
    """The crontab text of `cron_entry`: a comment and the line."""
    return cron_entry(at, timezone, watchlist, now).text()
