"""`stockrnn fetch`: download or refresh daily prices into the local store."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from .. import app
from ..errors import StockRNNError
from .common import JsonOpt, RawOpt, out, print_json, say_error


def fetch(
    symbols: Annotated[list[str], typer.Argument(metavar="SYMBOL...", help="Yahoo symbols, e.g. AAPL ^GSPC BRK-B.")],
    start: Annotated[
        str | None, typer.Option(help="First day to download (YYYY-MM-DD); default: all, or what is new.")
    ] = None,
    end: Annotated[str | None, typer.Option(help="Last day to download (YYYY-MM-DD); default: the latest.")] = None,
    raw: RawOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Download or refresh daily prices from Yahoo into the local store: only the new days after the first time.

    Example: stockrnn fetch AAPL ^GSPC
    """
    names = [app.check_symbol(s) for s in symbols]  # every symbol checked before any download
    reports, failed = [], 0
    for name in names:  # one symbol's failure is reported, and the others are still fetched
        try:
            reports.append(app.fetch(name, start, end, adjusted=not raw).to_json())
        except StockRNNError as exc:
            failed = failed or exc.exit_code
            say_error(str(exc))
    if as_json:
        print_json({"fetched": reports})
    elif reports:
        table = Table("symbol", "added", "updated", "stored from", "to", "rows")
        for r in reports:
            table.add_row(
                r["symbol"], str(r["added"]), str(r["updated"]), r["first_day"], r["last_day"], str(r["stored_rows"])
            )
        out.print(table)
    if failed:
        raise typer.Exit(failed)
