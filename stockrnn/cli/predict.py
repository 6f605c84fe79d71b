"""`stockrnn predict`: stored models' forecasts, one symbol or several, as tables, JSON or a CSV file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .. import app
from ..config import HORIZON, LEVEL
from ..price_source import PriceSource
from .common import (
    BackendOpt,
    DaysOpt,
    JsonOpt,
    LevelOpt,
    MembersOpt,
    StartOpt,
    fail,
    print_json,
    say,
    say_error,
    show,
)
from .options import source_options
from .retrain import WatchlistOpt


@source_options(model=True, many=True)
def predict(
    start: StartOpt = None,
    days: DaysOpt = HORIZON,
    level: LevelOpt = LEVEL,
    watchlist: WatchlistOpt = None,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Also write the forecasts' rows to this CSV file (symbol, model_version, date, ...)."
        ),
    ] = None,
    members: MembersOpt = None,
    backend: BackendOpt = "auto",
    as_json: JsonOpt = False,
    *,
    sources: list[PriceSource],
) -> None:
    """Forecast the next trading days from the last known day, or from --start against the actual prices.

    Several symbols (or a --watchlist) are forecast in turn in one run; a symbol without a model is an error line
    and the others go on (the exit code is then the first error's). A global model's name (train --panel) forecasts
    every member, or each --member, in one run; with --csv FILE, the file's symbol (one outside the training panel
    is scaled on its own prices up to the training end, and not recorded). --json prints one object for one
    forecast, and a list of them, in order, for several.

    Example: stockrnn predict ^GSPC --start 2017-01-03 --days 20
    """
    planned = app.plan_forecasts(sources, watchlist)
    if out_file is not None:
        if out_file.suffix.lower() != ".csv":
            fail(f"--out {out_file}: predict writes its rows as CSV: name a .csv file (plot --out draws an image)")
        app.check_output(out_file)  # before the work, not after it
    app.use_backend(backend)
    one = len(planned) == 1 and watchlist is None
    documents: list[dict[str, Any]] = []
    results, failed = [], 0
    together: dict[str, list] = {}
    for outcome in app.predict_each(planned, start, days, level, members or ()):
        if outcome.left_out:  # a member left out (said as a WARNING naming its file): the others go on, exit 1
            failed = failed or 1
            documents.append({"symbol": outcome.symbol, "error": str(outcome.error), "left_out": True})
            continue
        if outcome.error is not None:
            failed = failed or outcome.error.exit_code
            if one and outcome.symbol == planned[0].name:  # one model: its error as before; a member's: one line
                raise outcome.error  # one symbol: its error as before (Commands prints it)
            say_error(f"{outcome.symbol}: {outcome.error}")
            documents.append({"symbol": outcome.symbol, "error": str(outcome.error)})
            continue
        assert outcome.result is not None
        results.append(outcome.result)
        documents.append(outcome.result.to_json())
        if outcome.model is not None and not members:  # every member of a global model: one table, after them all
            together.setdefault(outcome.model, []).append(outcome.result)
        elif not as_json:
            show(outcome.result.render())
    if not as_json:
        for name, found in together.items():  # one member: its forecast in full, as a symbol's
            show(found[0].render() if len(found) == 1 else app.members_table(name, found))
    if out_file is not None and results:
        path = app.export_forecasts(results, out_file)
        if not as_json:
            say(f"forecast rows written to {path.resolve()}")
    if as_json:
        print_json(documents[0] if one and len(documents) == 1 else documents)
    if failed:
        raise typer.Exit(failed)


def model_name(source: PriceSource) -> str:
    """The symbol whose model to use: the source's name (its symbol, else its file's name)."""
    if source.name is None:
        fail("name the SYMBOL whose model to use (e.g. stockrnn predict ^GSPC), or a price file with --csv FILE")
    return source.name
