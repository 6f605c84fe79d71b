"""`stockrnn latest`: the latest recorded forecast of each symbol (what predict or the nightly retrain made), read
from the forecast ledger without loading a model."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from .. import app
from ..errors import StockRNNError
from ..formatting import band, price
from .common import JsonOpt, out, print_json, say, say_error


def latest(
    symbols: Annotated[
        list[str] | None,
        typer.Argument(metavar="[SYMBOL]...", help="Only these symbols (or global models); default: every symbol."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the latest recorded forecast of each symbol, as it was made (e.g. by last night's retrain); nothing is
    recomputed. A global model's NAME shows each of its members' latest forecast made by it. --json prints one object
    for one SYMBOL, else a list.

    Example: stockrnn latest ^GSPC
    """
    if symbols and len(symbols) > 1:  # each apart: one without a forecast is an error line, the others print
        each = app.latest_each(symbols)
        found = [e for _, e in each if not isinstance(e, StockRNNError)]
        failed = [(symbol, e) for symbol, e in each if isinstance(e, StockRNNError)]
    else:
        found, failed = app.latest(symbols or None), []
    if as_json:
        documents = [app.latest_json(e) for e in found] + [{"symbol": s, "error": str(e)} for s, e in failed]
        one = symbols and len(symbols) == 1 and len(found) == 1 and found[0].symbol == symbols[0].upper()
        print_json(documents[0] if one else documents)  # a global model's name: a list, one of each member
    else:
        show_each(found)
    for _, error in failed:
        say_error(str(error))
    if failed:
        raise typer.Exit(failed[0][1].exit_code)


def show_each(found: list) -> None:
    """Each recorded forecast: a line saying who made it when, then its steps' table."""
    for e in found:
        interval = f", {e.level:.0%} interval" if e.level is not None else ""
        say(f"{e.symbol} (model {e.version}, {e.target}): made by {e.made_by} at {e.created} from {e.origin}, "
            f"{e.column_name} {price(e.origin_price)}{interval}")  # fmt: skip
        cells = {
            "forecast": [price(s.forecast) if s.forecast is not None else "" for s in e.steps],
            "interval": [
                band(s.lower, s.upper) if s.lower is not None and s.upper is not None else "" for s in e.steps
            ],
            "P(up)": [f"{s.p_up:.0%}" if s.p_up is not None else "" for s in e.steps],
        }
        shown = {name: column for name, column in cells.items() if any(column)}  # a price model has no P(up)
        table = Table("date", *shown)
        for column in table.columns[1:]:
            column.justify = "right"
        for i, s in enumerate(e.steps):
            table.add_row(s.date, *(column[i] for column in shown.values()))
        out.print(table)
