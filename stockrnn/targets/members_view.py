"""A global model's forecasts for many members as one table: one row per member, whatever the target.

Input: the members' `Result`s (targets/base.py). Output: printable items (a rich table and a note). Each row reads
only what every result answers: its signal (`Result.signals()`: the first step's score and band, in its target's
words, `Target.score_text`), its origin and last price, and its standing (the member's own validation verdict).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import get
from .base import Result


def members_table(name: str, results: Sequence[Result]) -> list[Any]:
    """One rich table of `results` (the members' forecasts of the global model `name`) and a note under it."""
    from rich.table import Table

    table = Table(title=f"{name}: {len(results)} members", title_style="bold")
    for column in ("symbol", "origin", "last price", "next day", "validation verdict"):
        table.add_column(column, justify="right" if column == "last price" else "left")
    for result in results:
        signal = result.signals().iloc[-1]
        said = get(result.target).score_text(float(signal["score"]), float(signal["lower"]), float(signal["upper"]))
        verdict = result.standing.validation if result.standing is not None else None
        table.add_row(
            result.symbol, f"{result.origin:%Y-%m-%d}", f"{float(result.history.iloc[-1]):.6g}", said,
            verdict.outcome if verdict is not None else "none recorded",
        )  # fmt: skip
    note = ("next day: the forecast's first step from the origin, with its band; each member's full forecast: "
            f"stockrnn predict {name} --member SYMBOL")  # fmt: skip
    return [table, note, *stale_warning(results)]


def stale_warning(results: Sequence[Result]) -> list[str]:
    """One line for the members whose data end long before today (`Standing.stale`): how many, and the latest such
    last day; [] when none is stale. Each member alone (`--member`) carries its own warning."""
    stale = [r for r in results if r.standing is not None and r.standing.stale]
    if not stale:
        return []
    last = max(str(r.standing.data_last_day) for r in stale if r.standing is not None)
    behind = min(int(r.standing.behind or 0) for r in stale if r.standing is not None)
    return [
        f"warning: stale data: {len(stale)} of {len(results)} members' prices end long before today (the latest on "
        f"{last}, {behind} trading days before it); the days forecast after them have passed: update the prices "
        "(stockrnn fetch, or newer files) and forecast again"
    ]
