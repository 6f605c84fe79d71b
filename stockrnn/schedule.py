"""Schedule: a ready crontab line for the nightly retrain, with absolute paths to this installation.

Input: a time on the exchange's clock and an optional watchlist. Output: the crontab text (a comment and a line).
Cron runs on the machine's clock, so the exchange's time is converted, weekdays shifted when the date changes.
"""

from __future__ import annotations

import re
import shlex
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import MissingInputError, UsageError
from .paths import home

WEEKDAYS = {-1: "0-4", 0: "1-5", 1: "2-6"}  # Monday-Friday on the exchange, as days of the machine's week


def crontab_line(at: str, timezone: str, watchlist: Path | None, now: datetime | None = None) -> str:
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
        command += ["--watchlist", str(Path(watchlist).resolve())]
    else:
        command += ["--all"]
    command += ["--log-file", str(log_file)]
    # cron reads a bare % in a command as a newline: escaped, the line runs as written (a home like /data/100%)
    run = f"STOCKRNN_HOME={shlex.quote(str(home()))} {shlex.join(command)} >/dev/null 2>&1".replace("%", "\\%")
    return (
        f"# stockrnn: retrain at {at} {timezone} on weekdays ({local:%H:%M} on this machine's clock); "
        f"log: {log_file}\n"
        f"{local.minute} {local.hour} * * {WEEKDAYS[shift]} {run}"
    )
