"""`stockrnn schedule`: a ready crontab line for the nightly retrain."""

from __future__ import annotations

from typing import Annotated

import typer

from .. import app
from .common import out
from .retrain import WatchlistOpt


def schedule(
    at: Annotated[str, typer.Option(help="Time of day HH:MM on the exchange's clock (see --timezone).")] = "18:30",
    timezone: Annotated[str, typer.Option(help="The exchange's time zone.")] = "America/New_York",
    watchlist: WatchlistOpt = None,
) -> None:
    """Print a crontab line that retrains after the market closes, with absolute paths to this installation.

    Example: stockrnn schedule --watchlist ~/watchlist.txt   (then add the line with: crontab -e)
    """
    out.print(app.crontab_line(at, timezone, watchlist), soft_wrap=True, highlight=False, markup=False)
