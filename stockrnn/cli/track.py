"""`stockrnn track`: the forecasts recorded in advance, scored against what happened."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from .. import app
from .common import JsonOpt, OfflineOpt, out, print_json, ranged, say


def track(
    symbols: Annotated[
        list[str] | None, typer.Argument(metavar="[SYMBOL...]", help="Only these symbols; default: every one.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only forecasts made from this day on (their origin, YYYY-MM-DD).")
    ] = None,
    horizon: Annotated[
        int | None, ranged("horizon", "Score only the first H trading days of each forecast; default: all.")
    ] = None,
    plot_file: Annotated[
        Path | None,
        typer.Option(
            "--plot", help="Also write an image (.png, .pdf, .svg, ...) of every forecast against the prices."
        ),
    ] = None,
    offline: OfflineOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """The track record: every real forecast predict and retrain recorded, scored once its days have passed.

    Example: stockrnn track ^GSPC --since 2026-01-01 --plot track.png
    """
    names = [app.check_symbol(s) for s in symbols or []]
    record = app.track(names or None, since, horizon, offline, plot_file)
    report = record.to_json()
    if as_json:
        print_json(report)
        return
    if not record.tracks:
        say(
            "no forecast is recorded yet. Every real forecast is: `stockrnn predict SYMBOL` (without --start) records "
            "one, and so does every `stockrnn retrain` (schedule it: `stockrnn schedule`); come back when their "
            "days have passed."
        )
        return
    table = Table("symbol", "model", "matured\n/ pending", "RMSE\nvs naive", "1st day\nvs persist.", "in band",
                  "hit rate\nvs up", "DM p")  # fmt: skip
    for column in table.columns:
        column.overflow = "fold"  # never an ellipsis in place of a figure or a model's name
    for t in record.tracks:
        counts = f"{t.matured} / {t.pending}"
        table.add_row(t.symbol, t.version, counts, *(t.row() if t.metrics else ["-"] * 5))
    out.print(table)
    say("matured: forecasts whose every day has passed (scored); RMSE of their steps, beside naive (the origin's "
        "price held flat); 1st day: their first step, beside persistence; in band: actual prices inside the "
        "recorded interval; hit rate: the direction from the origin was right, beside always up; DM p: the "
        "forecasts against naive.")  # fmt: skip
    if record.plot is not None:
        say(f"plot written to {record.plot}")
    for t in record.tracks:
        if not t.matured:
            say(f"{t.symbol} {t.version}: {t.pending} forecast{'s' * (t.pending != 1)} pending, none matured yet")
        for c in t.comparisons:
            say(f"{t.symbol} {t.version}: {c.line()}")
    if record.money:
        # 80 columns: the rule by its number (said below), two lines a cell (the signals' figure over buy & hold's)
        rules = list(dict.fromkeys(m.rule for m in record.money))
        table = Table("symbol", "model", "rule", "signals\n/ days", "return\nvs B&H", "Sharpe\nvs B&H",
                      "max\ndrawdown", "trades\n/ costs")  # fmt: skip
        for column in table.columns:
            column.overflow = "fold"  # never an ellipsis in place of a figure
        for m in record.money:
            table.add_row(m.symbol, m.model, str(rules.index(m.rule) + 1), *m.row())
        out.print(table)
        say("rule " + "; rule ".join(f"{n}: {rule}" for n, rule in enumerate(rules, start=1)))
        say("in money: the signals `stockrnn signal` recorded, each position taken at the next day's close (or "
            "open) after its cost, held until the next signal, beside buy-and-hold (B&H) over the same days; "
            "returns after costs, Sharpe annualised; each model's signals apart.")  # fmt: skip
        for m in record.money:
            say(m.line())
