"""`stockrnn predict`: a stored model's forecast as a table or JSON."""

from __future__ import annotations

from .. import app
from ..config import HORIZON, LEVEL
from ..price_source import PriceSource
from .common import BackendOpt, DaysOpt, JsonOpt, LevelOpt, StartOpt, fail, print_json, show
from .options import source_options


@source_options(model=True)
def predict(
    start: StartOpt = None,
    days: DaysOpt = HORIZON,
    level: LevelOpt = LEVEL,
    backend: BackendOpt = "auto",
    as_json: JsonOpt = False,
    *,
    source: PriceSource,
) -> None:
    """Forecast the next trading days from the last known day, or from --start against the actual prices.

    Example: stockrnn predict ^GSPC --start 2017-01-03 --days 20
    """
    app.use_backend(backend)
    result = app.predict(model_name(source), source, start, days, level)
    if as_json:
        print_json(result.to_json())
    else:
        show(result.render())


def model_name(source: PriceSource) -> str:
    """The symbol whose model to use: the source's name (its symbol, else its file's name)."""
    if source.name is None:
        fail("name the SYMBOL whose model to use (e.g. stockrnn predict ^GSPC), or a price file with --csv FILE")
    return source.name
