"""`stockrnn models ...`: the model registry by hand: list versions, promote one, roll back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from .. import app
from .common import Commands, JsonOpt, out, price, print_json, significant

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
    """List the versions of one symbol's model, or of every symbol's: the champion, metrics, data ranges.

    Example: stockrnn models list ^GSPC   (or just: stockrnn models ^GSPC)
    """
    listing = app.models(symbol)
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
                f"{s['train_start']}..{s['train_end']}", price(s["val_rmse"]), significant(s["skill"], sign=True),
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
    name = app.check_symbol(symbol)
    chosen: Any = app.choose_champion(name, version)
    if as_json:
        print_json({"symbol": name, "champion": chosen})
    else:
        out.print(f"{name}: champion is now {chosen}")
