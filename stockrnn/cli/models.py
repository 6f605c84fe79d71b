"""`stockrnn models ...`: the model registry by hand: list versions, promote one, roll back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from .. import app
from .common import Commands, JsonOpt, out, print_json, say, significant

if TYPE_CHECKING:
    from typer._click import Context  # TyperGroup's own parameter type (see common.py)


class ListByDefault(Commands):
    """`stockrnn models [SYMBOL]` lists: a first word that names no sub-command is the listing's SYMBOL."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = ["list", *args]
        return super().parse_args(ctx, args)


models = typer.Typer(
    cls=ListByDefault,
    help="List model versions, the champion, metrics and data ranges; promote a version or roll back by hand.\n\n"
    "Example: stockrnn models ^GSPC   (also: stockrnn models promote ^GSPC v2, stockrnn models rollback ^GSPC)",
    add_completion=False,
)


@models.command("list")
def list_models(
    symbol: Annotated[str | None, typer.Argument(help="Only this symbol; default: every symbol.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the versions of one symbol's model, or of every symbol's: the champion, what each learned, its training
    end, and its validation score in its target's metric on its own validation tail (the days shown).

    Example: stockrnn models list ^GSPC   (or just: stockrnn models ^GSPC)
    """
    listing = app.models(symbol)
    if as_json:
        print_json({name: [{"version": v["version"], "champion": v["champion"], **v["manifest"].summary()}
                           for v in found] for name, found in listing.items()})  # fmt: skip
        return
    if not any(listing.values()):
        out.print("no models yet: train one with stockrnn train SYMBOL")
        return
    for name, found in listing.items():
        table = Table(title=name)
        for column in ("version", "target", "trained to", "validation", "val score", "skill"):
            table.add_column(column, overflow="fold")  # a cell too wide folds onto a second line, never cut
        summaries = [v["manifest"].summary() for v in found]
        for v, s in zip(found, summaries, strict=True):
            score = "n/a" if s["val_score"] is None else f"{METRICS.get(s['metric'], s['metric'])} {s['val_score']:.4g}"
            table.add_row(
                f"{v['version']}{' *' if v['champion'] else ''}", s["target"], s["train_end"],
                _days(s["val_start"], s["val_end"]), score, significant(s["skill"], sign=True),
            )  # fmt: skip
        out.print(table)
        for v, s in zip(found, summaries, strict=True):
            if s["shape"] != "many-to-one":  # the default shape goes unsaid
                say(f"{name} {v['version']}: output shape {s['shape']}")
            if s["val_pooled"] is not None:  # a global model: its members' validation days tested at once
                say(f"{name} {v['version']} (a global model): its val score is pooled over every member's validation "
                    f"days, in units free of the price level; {s['val_pooled']['verdict']}")  # fmt: skip
        if len({(s["val_start"], s["val_end"], s["metric"]) for s in summaries}) > 1:
            say(
                f"{name}: each score is on its version's own validation days, in its target's metric: scores on "
                "different days are not comparable; skill is against the target's baseline on the same days "
                "(retrain compares two versions on one holdout)"
            )
    say("* champion: the version predict and plot use")


METRICS = {"rmse": "RMSE", "brier": "Brier"}  # a score's metric as the tables of scores name it


def _days(start: str, end: str) -> str:
    """A validation window in few characters: 2016-01-19..02-25 within one year; across two, on two lines
    (2022-07-29.. above 2023-01-26), so that the table fits 80 columns."""
    return f"{start}..{end[5:]}" if end[:4] == start[:4] else f"{start}..\n{end}"


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
    name = app.check_symbol(symbol)
    chosen: Any = app.choose_champion(name, version)
    if as_json:
        print_json({"symbol": name, "champion": chosen})
    else:
        out.print(f"{name}: champion is now {chosen}")
