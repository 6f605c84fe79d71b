"""`stockrnn signal`: today's decision for each symbol (LONG / FLAT / SHORT), ranked in one table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .. import app
from ..config import COST_BPS
from .common import (
    STRATEGY,
    BackendOpt,
    CostOpt,
    FillOpt,
    JsonOpt,
    MembersOpt,
    OfflineOpt,
    checked_symbol,
    print_json,
    ranged,
    say_error,
    show,
)


def signal(
    symbols: Annotated[
        list[str] | None, typer.Argument(metavar="[SYMBOL...]", help="Symbols with a trained model (or --watchlist).")
    ] = None,
    watchlist: Annotated[
        Path | None,
        typer.Option(
            help="File of symbols, one a line (retrain's watchlist: its csv= files are read, its training "
            "options ignored)."
        ),
    ] = None,  # fmt: skip
    short: Annotated[
        bool,
        typer.Option("--short", rich_help_panel=STRATEGY, help="Long/short: SHORT when the model says down enough."),
    ] = False,
    threshold: Annotated[
        float | None,
        ranged(
            "threshold",
            metavar="X",
            rich_help_panel=STRATEGY,
            help="Go long when the model's expected return (a fraction: 0.002 = 0.2%) or P(up) is above X. Default: a "
            "value model's round-trip cost, a direction model's 0.5.",
        ),
    ] = None,  # fmt: skip
    cost_bps: CostOpt = COST_BPS,
    fill: FillOpt = "close",
    offline: OfflineOpt = False,
    members: MembersOpt = None,
    backend: BackendOpt = "auto",
    as_json: JsonOpt = False,
) -> None:
    """Today's decision for each symbol: its champion's forecast after the data's last day, as LONG, FLAT or SHORT.

    Each signal is made at the close of the data's last day and filled at the next trading day's close (or open),
    with the number behind it, what changed since the symbol's last signal and the model's evidence; every signal
    is recorded in the forecast ledger (`stockrnn track` trades them). A global model's name (train --panel) gives
    every member's signal, or each --member's. Exit codes: 0 every symbol gave a signal;
    else the first failing symbol's code, after the others.

    Example: stockrnn signal --watchlist ~/watchlist.txt
    """
    app.use_backend(backend)
    rule = app.Rule("long-short" if short else "long-flat", threshold, cost_bps, fill)
    hint = "signal takes the symbols of trained models; train one on the file first: stockrnn train --csv"
    found = app.signal(
        [checked_symbol(s, hint) for s in symbols or []], watchlist, rule, offline, members=members or ()
    )
    if as_json:
        print_json(found.to_json())
    else:
        show(found.render())
        for e in found.errors:
            if e.left_out:  # a member left out: said as a WARNING naming its file already
                continue
            say_error(f"{e.symbol}: {e.message}" if e.symbol not in e.message else e.message)
    raise typer.Exit(found.exit_code)
