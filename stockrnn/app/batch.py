"""Application layer, several forecasts in one run: each symbol's champion forecasts in turn, and a CSV of them all.

Input: price sources (one per symbol named) and/or a watchlist file, the forecast's options. Output: one `Outcome`
per symbol, in order, as each is made: its `Result`, or the error that stopped it (a symbol without a model does
not stop the others); and, with `export`, a CSV file of every forecast's rows. One process: Keras and the backend
are loaded once, each model once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..config import HORIZON, LEVEL, check_range
from ..errors import CannotWriteError, StockRNNError, UsageError
from ..paths import atomic_write, check_output
from ..price_source import PriceSource
from ..targets import Result
from ..watchlist import read_watchlist
from .forecast import predict


@dataclass(frozen=True)
class Outcome:
    """One symbol's forecast, or the error that stopped it (`result` None)."""

    symbol: str
    result: Result | None = None
    error: StockRNNError | None = None
    model: str | None = None  # the global model's name, for a member's forecast; None for a symbol's own model
    # A member of a global model left out of its forecasts (its error said as a WARNING naming its file): the run
    # goes on and exits 1 at the end, as train --panel does for a member left out
    left_out: bool = False


def plan(sources: Sequence[PriceSource], watchlist: Path | None) -> list[PriceSource]:
    """The sources to forecast: those of `sources` that name a model (a symbol or a file), then each watchlist
    symbol not named already, from its model's own data (offline when the first source is). A `UsageError` when
    there is none; a bad watchlist fails here (naming its file and line), before any model is loaded."""
    planned = [s for s in sources if s.name is not None]
    offline = bool(sources) and sources[0].offline
    if watchlist is not None:
        named = {s.name for s in planned}
        planned += [PriceSource(e.symbol, offline=offline) for e in read_watchlist(watchlist) if e.symbol not in named]
    if not planned:
        raise UsageError("name the SYMBOL whose model to use (e.g. stockrnn predict ^GSPC, or several: ^GSPC AAPL), "
                         "a --watchlist FILE, or a price file with --csv FILE")  # fmt: skip
    return planned


def predict_each(
    sources: Sequence[PriceSource], start: str | None = None, days: int = HORIZON, level: float = LEVEL,
    members: Sequence[str] = (),
) -> Iterator[Outcome]:  # fmt: skip
    """`forecast.predict` for each source's symbol, in order (its model's own data unless the source names a file),
    yielding each as it is made; a symbol whose forecast fails (no model, bad data) yields its error and the next
    goes on. A global model's name yields each of its `members` (default: all; app/panel_forecast.py). The options
    are checked once, before any model is loaded (a `UsageError`)."""
    from .panel_forecast import global_model, predict_members

    check_range("--days", days)
    check_range("--level", level)
    for source in sources:
        name = source.name or ""
        stored = global_model(name) if source.symbol else None
        if members and stored is None:
            raise UsageError(
                f"--member picks members of a global model (train --panel ... --name NAME); {name} is none"
            )
        try:
            if stored is not None:
                yield from predict_members(stored, members, source, start, days, level)
            else:
                yield Outcome(name, predict(name, source, start, days, level))
        except StockRNNError as exc:
            yield Outcome(name, error=exc)


def export(results: Sequence[Result], out: Path) -> Path:
    """Write the forecasts' rows into the CSV file `out`, atomically: one line per symbol and day, the columns
    symbol, model_version, date, then every row column of the results (a column a result lacks is empty). Returns
    the path; `CannotWriteError` (exit 73) where it cannot be written."""
    rows = [
        {"symbol": r.symbol, "model_version": r.version, **row} for r in results for row in r.to_json()["rows"]
    ]  # fmt: skip
    columns = list(dict.fromkeys(key for row in rows for key in row))
    text = io.StringIO()
    writer = csv.DictWriter(text, columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
    data = text.getvalue().encode("utf-8")
    try:
        return atomic_write(check_output(out), lambda tmp: Path(tmp).write_bytes(data))
    except OSError as exc:
        raise CannotWriteError(f"cannot write the forecast {out}: {exc.strerror or exc}") from None
