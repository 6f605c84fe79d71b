"""`stockrnn retrain`: the cron entry: update data, train challengers, promote unless the champion is better."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from .. import app
from ..config import HORIZON, KEEP, MARGIN, MAX_AGE
from .common import (
    BackendOpt,
    DaskOpt,
    JsonOpt,
    OfflineOpt,
    StrictOpt,
    TimeoutOpt,
    completion,
    out,
    print_json,
    ranged,
)
from .options import training_options

log = logging.getLogger("stockrnn")
WatchlistOpt = Annotated[
    Path | None, typer.Option(help="File of symbols, one a line, optionally with key=value training options.")
]


@training_options(skip=("train_end",), overrides=True)
def retrain(
    symbols: Annotated[
        list[str] | None, typer.Argument(metavar="[SYMBOL...]", help="Symbols to retrain (or use --watchlist).")
    ] = None,
    watchlist: WatchlistOpt = None,
    every: Annotated[bool, typer.Option("--all", help="Retrain every symbol that has a model.")] = False,
    jobs: Annotated[
        int,
        ranged(
            "retrain_jobs",
            "Symbols trained at once on this machine, each in its own process; default 0: one a core.",
            show_default=False,
        ),
    ] = 0,
    dask: DaskOpt = None,
    timeout: TimeoutOpt = 3600.0,
    force: Annotated[bool, typer.Option("--force", help="Train even when there is no new data.")] = False,
    keep: Annotated[int, ranged("keep", "Versions kept per symbol (the champion is never deleted).")] = KEEP,
    holdout: Annotated[
        int, ranged("holdout", "Most recent trading days on which challenger and champion compete.")
    ] = HORIZON,
    max_age: Annotated[
        int, ranged("max_age", "Trading days after its training ended past which a champion always gives way; 0: none.")
    ] = MAX_AGE,
    margin: Annotated[
        float | None,
        ranged(
            "margin",
            "The older rule, still obeyed: promote only a challenger whose score beats the champion's by more than "
            "this (0.01 = 1%). Default: promote a newer challenger unless the champion is significantly better.",
            show_default=False,
        ),
    ] = MARGIN,
    offline: OfflineOpt = False,
    strict: StrictOpt = False,
    log_file: Annotated[
        Path | None, typer.Option(help="Also append the log lines, and any error line, to this file.")
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            help="Only warnings and errors on stderr (what cron mails); the --log-file still gets every line.",
        ),
    ] = False,
    backend: BackendOpt = "auto",
    as_json: JsonOpt = False,
    *,
    overrides: dict[str, Any],
) -> None:
    """The cron entry: update data, train a challenger, promote it unless the champion is significantly better.

    On the holdout (the last --holdout trading days, unseen by the challenger) the two are compared by the
    Diebold-Mariano test: the challenger, which has seen the newer days, is promoted unless the champion is
    significantly better (5%); a champion whose training ended more than --max-age trading days ago always gives way.

    Exit codes: 0 every symbol succeeded (promoted, kept or up to date); 1 some failed, or a global model's member
    was left out or dropped (said as a WARNING); when all failed, their common code (e.g. 75: locked or
    rate-limited, try later), or 3 when the causes differ.

    Example: stockrnn retrain --watchlist ~/watchlist.txt --log-file ~/stockrnn.log
    From cron (stockrnn schedule writes the line): ... retrain --all --log-file LOG --quiet >/dev/null
    On a cluster: stockrnn retrain --watchlist big.txt --dask tcp://HOST:8786
    """
    app.start(log_file, quiet)  # first: an error from here on reaches the log file with its timestamp
    app.use_backend(backend)
    entries = app.plan(symbols or [], watchlist, every, overrides)
    if dask:
        app.connect(dask)  # exit 69 before any symbol is locked or read
    with completion("retrain", enabled=not as_json) as done:
        outcomes = app.retrain_all(
            entries, jobs, log_file, force=force, keep=keep, holdout=holdout, margin=margin,
            offline=offline, cluster=dask, done=done, timeout=timeout if dask else None, max_age=max_age,
            strict=strict, quiet=quiet,
        )  # fmt: skip
    for o in outcomes:
        versions = ", ".join(f"{k} {v}" for k, v in (("champion", o.champion), ("new", o.challenger)) if v)
        log.log(logging.INFO if o.ok else logging.ERROR, "%s: %s%s (%s)", o.symbol, o.status,
                f", {versions}" if versions else "", o.message)  # fmt: skip
        if o.substitute:  # said again beside the outcome, where a reader of the night's log looks
            log.warning("%s: %s on prices that are not the ones asked for: %s", o.symbol, o.status, o.substitute)
        for line in o.warnings:  # a global model's member that no longer trains: its forecasts stop
            log.warning("%s: %s", o.symbol, line)
        for line in o.notes:
            log.info("%s: %s", o.symbol, line)
    code = app.exit_code(outcomes)
    if as_json:
        print_json({"outcomes": [o.to_json() for o in outcomes], "exit_code": code})
    else:
        table = Table("symbol", "status", "champion", "new", "holdout: new / champion / baseline")
        for o in outcomes:
            table.add_row(o.symbol, o.status, o.champion or "", o.challenger or "", o.contest_cell())
        out.print(table)
        for o in outcomes:
            out.print(f"{o.symbol}: {o.message}", soft_wrap=True, highlight=False, markup=False)
            if o.substitute:
                out.print(f"{o.symbol}: WARNING: {o.substitute}", soft_wrap=True, highlight=False, markup=False)
            for line in o.warnings:
                out.print(f"{o.symbol}: WARNING: {line}", soft_wrap=True, highlight=False, markup=False)
            for line in o.notes:
                out.print(f"{o.symbol}: {line}", soft_wrap=True, highlight=False, markup=False)
    raise typer.Exit(code)
