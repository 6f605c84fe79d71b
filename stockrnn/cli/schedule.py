"""`stockrnn schedule`: a ready crontab line for the nightly retrain, refused when the job could only fail."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import app
from .common import JsonOpt, StrictOpt, out, print_json
from .retrain import WatchlistOpt


def schedule(
    at: Annotated[str, typer.Option(help="Time of day HH:MM on the exchange's clock (see --timezone).")] = "18:30",
    timezone: Annotated[str, typer.Option(help="The exchange's time zone.")] = "America/New_York",
    watchlist: WatchlistOpt = None,
    strict: StrictOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Print a crontab line that retrains after the market closes, with absolute paths to this installation.

    The line writes every log line to the log file and keeps warnings and errors on stderr, which cron mails. It
    is refused (exit 66 or 2) when the job could only fail: a missing, unreadable or malformed watchlist, or --all
    before any model exists; a symbol with no model yet, or whose price file is gone, is a warning on stderr.
    --strict goes into the line: the nightly retrain then refuses what it would warn about.

    Example: stockrnn schedule --watchlist ~/watchlist.txt   (then add the line with: crontab -e)
    """
    scheduled = app.schedule(at, timezone, watchlist, strict)
    if as_json:
        print_json(scheduled.to_json())
    else:
        out.print(scheduled.text(), soft_wrap=True, highlight=False, markup=False)
