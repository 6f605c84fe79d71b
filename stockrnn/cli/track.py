"""`stockrnn track`: the forecasts recorded in advance, scored against what happened."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from .common import JsonOpt, OfflineOpt, fmt, out, print_json, run, say


def track(
    symbols: Annotated[
        list[str] | None, typer.Argument(metavar="[SYMBOL...]", help="Only these symbols; default: every one.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only forecasts made from this day on (their origin, YYYY-MM-DD).")
    ] = None,
    horizon: Annotated[
        int | None, typer.Option(help="Score only the first H trading days of each forecast; default: all.")
    ] = None,
    plot_file: Annotated[
        Path | None, typer.Option("--plot", help="Also write a PNG of every recorded forecast against the prices.")
    ] = None,
    offline: OfflineOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """The track record: every real forecast predict and retrain recorded, scored once its days have passed.

    Example: stockrnn track ^GSPC --since 2026-01-01 --plot track.png
    """
    from ..metrics import ALWAYS_UP, FORECAST, NAIVE, ONE_STEP, PERSISTENCE
    from ..paths import check_output, check_symbol
    from ..track import METHODS
    from ..track import track as run_track

    names = [run(lambda s=s: check_symbol(s)) for s in symbols or []]
    if plot_file is not None:
        run(lambda: check_output(plot_file))
    tracked = run(lambda: run_track(names or None, since, horizon, offline))
    report: dict = {"tracks": [t.to_json() for t, _, _ in tracked], "methods": METHODS}
    if tracked and plot_file is not None:
        from ..plot import plot_track

        report["plot"] = str(run(lambda: plot_track(tracked, plot_file)).resolve())
    if as_json:
        print_json(report)
        return
    if not tracked:
        say(
            "no forecast is recorded yet. Every real forecast is: `stockrnn predict SYMBOL` (without --start) records "
            "one, and so does every `stockrnn retrain` (schedule it: `stockrnn schedule`); come back when their "
            "days have passed."
        )
        return
    table = Table("symbol", "model", "matured\n/ pending", "RMSE\nvs naive", "1st day\nvs persist.", "in band",
                  "hit rate\nvs up", "DM p")  # fmt: skip
    for t, _, _ in tracked:
        m = t.metrics
        counts = f"{t.matured} / {t.pending}"
        if not m:
            table.add_row(t.symbol, t.version, counts, *["-"] * 5)
            continue
        if FORECAST not in m:  # a direction model's record: probabilities, no price path
            hits = f"{fmt(m['p_up']['accuracy'], '.0%')}\n{fmt(m[ALWAYS_UP]['direction_accuracy'], '.0%')}"
            table.add_row(t.symbol, t.version, counts, f"Brier\n{m['p_up']['brier']:.3f}", "-", "-", hits, "-")
            continue
        first, persist = m[ONE_STEP] or {}, m[PERSISTENCE] or {}
        table.add_row(
            t.symbol, t.version, counts, f"{fmt(m[FORECAST]['rmse'], '.4g')}\n{fmt(m[NAIVE]['rmse'], '.4g')}",
            f"{fmt(first.get('rmse'), '.4g')}\n{fmt(persist.get('rmse'), '.4g')}",
            fmt(m[FORECAST].get("interval_coverage"), ".0%") + (f"\nof {t.level:.0%}" if t.level else ""),
            f"{fmt(m[FORECAST]['direction_accuracy'], '.0%')}\n{fmt(m[ALWAYS_UP]['direction_accuracy'], '.0%')}",
            fmt(t.comparisons[0].test.p_value, ".2f"),
        )  # fmt: skip
    out.print(table)
    say("matured: forecasts whose every day has passed (scored); RMSE of their steps, beside naive (the origin's "
        "price held flat); 1st day: their first step, beside persistence; in band: actual prices inside the "
        "recorded interval; hit rate: the direction from the origin was right, beside always up; DM p: the "
        "forecasts against naive.")  # fmt: skip
    if plot_file is not None:
        say(f"plot written to {report['plot']}")
    for t, _, _ in tracked:
        if not t.comparisons:
            say(f"{t.symbol} {t.version}: {t.pending} forecast{'s' * (t.pending != 1)} pending, none matured yet")
        for c in t.comparisons:
            say(f"{t.symbol} {t.version}: {c.line()}")
