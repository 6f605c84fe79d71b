"""`stockrnn retrain`, `stockrnn models ...` and `stockrnn schedule`: the model registry and the cron path."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from .. import logs
from ..config import HORIZON, KEEP, MARGIN
from .common import (
    BackendOpt,
    DaskOpt,
    JsonOpt,
    OfflineOpt,
    TimeoutOpt,
    completion,
    fmt,
    out,
    print_json,
    run,
    use_backend,
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
        int, typer.Option(help="Symbols trained at once on this machine, each in its own process; default: cores.")
    ] = 0,
    dask: DaskOpt = None,
    timeout: TimeoutOpt = 3600.0,
    force: Annotated[bool, typer.Option("--force", help="Train even when there is no new data.")] = False,
    keep: Annotated[int, typer.Option(help="Versions kept per symbol (the champion is never deleted).")] = KEEP,
    holdout: Annotated[
        int, typer.Option(help="Most recent trading days on which challenger and champion compete.")
    ] = HORIZON,
    margin: Annotated[float, typer.Option(help="How much lower the challenger's RMSE must be (0.01 = 1%).")] = MARGIN,
    offline: OfflineOpt = False,
    log_file: Annotated[Path | None, typer.Option(help="Also append the log lines to this file.")] = None,
    backend: BackendOpt = "auto",
    as_json: JsonOpt = False,
    *,
    training: dict[str, Any],
) -> None:
    """The cron entry: update data, train a challenger, promote it only if it beats the champion on the holdout.

    Exit codes: 0 every symbol succeeded (promoted, kept or up to date); 1 some failed; when all failed, their
    common code (e.g. 75: locked or rate-limited, try later), or 3 when the causes differ.

    Example: stockrnn retrain --watchlist ~/watchlist.txt --log-file ~/stockrnn.log
    On a cluster: stockrnn retrain --watchlist big.txt --dask tcp://HOST:8786
    """
    use_backend(backend)
    import os

    from .. import parallel
    from ..metrics import ONE_STEP, PERSISTENCE
    from ..retrain import CHALLENGER, CHAMPION, exit_code, retrain_all
    from ..watchlist import plan

    run(lambda: logs.setup(log_file))
    entries = run(lambda: plan(symbols or [], watchlist, every, training))
    if dask:
        run(lambda: parallel.connect(dask).close())  # exit 69 before any symbol is locked or read
    with completion("retrain", enabled=not as_json) as done:
        outcomes = run(lambda: retrain_all(
            entries, jobs or os.cpu_count() or 1, log_file, force=force, keep=keep, holdout=holdout, margin=margin,
            offline=offline, cluster=dask, done=done, timeout=timeout if dask else None,
        ))  # fmt: skip
    for o in outcomes:
        log.log(logging.INFO if o.ok else logging.ERROR, "%s: %s (%s)", o.symbol, o.status, o.message)
    if as_json:
        print_json({"outcomes": [o.__dict__ for o in outcomes], "exit_code": exit_code(outcomes)})
    else:
        table = Table("symbol", "status", "champion", "new", "holdout: new / champion / baseline")
        for o in outcomes:
            m = o.metrics
            # A value model is scored one step ahead beside persistence by RMSE, a direction model by Brier score.
            scored, baseline, score = (ONE_STEP, PERSISTENCE, "rmse")
            if "p_up" in (m.get(CHALLENGER) or {}):
                scored, baseline, score = ("p_up", "base_rate", "brier")
            scores = [(m.get(CHALLENGER) or {}).get(scored), (m.get(CHAMPION) or {}).get(scored),
                      (m.get(CHALLENGER) or {}).get(baseline)]  # fmt: skip
            cell = f"{score.upper()} " + " / ".join(fmt(s[score], ".4g") if s else "-" for s in scores)
            table.add_row(o.symbol, o.status, o.champion or "", o.challenger or "", cell if m else "")
        out.print(table)
        for o in outcomes:
            out.print(f"{o.symbol}: {o.message}", soft_wrap=True, highlight=False, markup=False)
    raise typer.Exit(exit_code(outcomes))


class _ListByDefault(TyperGroup):
    """`stockrnn models [SYMBOL]` lists: a first word that names no sub-command is the listing's SYMBOL."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = ["list", *args]
        return super().parse_args(ctx, args)


models = typer.Typer(
    cls=_ListByDefault,
    help="List model versions, the champion, metrics and data ranges; promote a version or roll back by hand.\n\n"
    "Example: stockrnn models ^GSPC   (also: stockrnn models promote ^GSPC v2, stockrnn models rollback ^GSPC)",
    add_completion=False,
)


@models.command("list")
def list_models(
    symbol: Annotated[str | None, typer.Argument(help="Only this symbol; default: every symbol.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the versions of one symbol's model, or of every symbol's: the champion, metrics, data ranges.

    Example: stockrnn models list ^GSPC   (or just: stockrnn models ^GSPC)
    """
    from .. import store
    from ..paths import check_symbol

    names = [run(lambda: check_symbol(symbol))] if symbol else store.symbols()
    listing = {name: store.versions(name) for name in names}
    if as_json:
        print_json({name: [{"version": v["version"], "champion": v["champion"], **v["manifest"].summary()}
                           for v in found] for name, found in listing.items()})  # fmt: skip
        return
    table = Table("symbol", "version", "created", "trained on", "val RMSE", "skill")
    for name, found in listing.items():
        for v in found:
            s = v["manifest"].summary()
            table.add_row(
                name, f"{v['version']}{' *' if v['champion'] else ''}", s["created"][:10],
                f"{s['train_start']}..{s['train_end']}", fmt(s["val_rmse"]), fmt(s["skill"], "+.2f"),
            )  # fmt: skip
    table.caption = "* champion: the version predict and plot use"
    out.print(table if any(listing.values()) else "no models yet: train one with stockrnn train SYMBOL")


@models.command()
def promote(
    symbol: Annotated[str, typer.Argument(help="The symbol, e.g. ^GSPC.")],
    version: Annotated[str, typer.Argument(help="The version to make the champion, e.g. v2.")],
    as_json: JsonOpt = False,
) -> None:
    """Make a version the champion by hand (the version predict and plot use).

    Example: stockrnn models promote ^GSPC v2
    """
    _choose(symbol, version, as_json)


@models.command()
def rollback(
    symbol: Annotated[str, typer.Argument(help="The symbol, e.g. ^GSPC.")],
    as_json: JsonOpt = False,
) -> None:
    """Make the champion before the current one the champion again.

    Example: stockrnn models rollback ^GSPC
    """
    _choose(symbol, None, as_json)


def _choose(symbol: str, version: str | None, as_json: bool) -> None:
    from .. import store
    from ..paths import check_symbol

    name = run(lambda: check_symbol(symbol))
    chosen = run(lambda: store.choose_champion(name, version))
    if as_json:
        print_json({"symbol": name, "champion": chosen})
    else:
        out.print(f"{name}: champion is now {chosen}")


def schedule(
    at: Annotated[str, typer.Option(help="Time of day HH:MM on the exchange's clock (see --timezone).")] = "18:30",
    timezone: Annotated[str, typer.Option(help="The exchange's time zone.")] = "America/New_York",
    watchlist: WatchlistOpt = None,
) -> None:
    """Print a crontab line that retrains after the market closes, with absolute paths to this installation.

    Example: stockrnn schedule --watchlist ~/watchlist.txt   (then add the line with: crontab -e)
    """
    from ..schedule import crontab_line

    out.print(run(lambda: crontab_line(at, timezone, watchlist)), soft_wrap=True, highlight=False, markup=False)
