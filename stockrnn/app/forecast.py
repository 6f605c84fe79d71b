"""Application layer, forecasts: a symbol's champion model forecasts from its prices; real forecasts are recorded.

Input: a symbol, an optional `PriceSource` (another file, offline), an optional start day inside the data, the
number of trading days and the interval's level. Output: the target's `Result` (targets/), and for `plot` the
PNG's path. A real forecast (after the data's last day) from the model's own source goes into the forecast ledger,
to be scored by `track`; data that is not the model's (another file, prices far outside its scaler's range) is said.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from .. import ledger, registry
from ..config import HORIZON, LEVEL, check_range
from ..errors import UsageError
from ..forecast import forecast_model, load_model
from ..manifest import Manifest
from ..paths import check_symbol, home
from ..plot import check_plot, draw
from ..price_source import PriceSource
from ..provenance import provenance
from ..standing import Standing, standing
from ..targets import Result
from ..validate import Prices
from ..windows import price_column
from .panel import recorded_market
from .prices import model_prices

log = logging.getLogger("stockrnn")


def predict(
    symbol: str, source: PriceSource | None = None, start: str | None = None, days: int = HORIZON,
    level: float = LEVEL, today: str | date | None = None, member: str | None = None,
) -> Result:  # fmt: skip
    """Forecast `days` trading days for `symbol`: after the data's last day, or from `start` inside the data.

    The data is `source`'s file if it names one, else the source the model was trained on: its file, or the
    symbol's prices (the days the store lacks are fetched first, unless `source.offline`). A forecast after the last
    day is recorded in the ledger when it is made from the model's own source: a forecast from other data is said
    (a warning) and printed, never recorded in the model's place. The result carries its `standing` (standing.py:
    in-sample or not, the evidence behind the model, and how stale the data is on `today`, default the clock's
    date). `member`: for a global model (train --panel), the member to forecast (app/panel_forecast.py). Raises
    `UsageError` for bad options (a global model without `member`, a `member` of a single symbol's model),
    `MissingInputError` without a model, `DataError` for data the model cannot forecast from."""
    from .panel_forecast import predict_members

    check_range("--days", days)  # before any model or price is read
    check_range("--level", level)
    symbol = check_symbol(symbol)
    stored = registry.load_current(symbol)
    if (stored.manifest.data.panel is None) != (member is None):
        raise UsageError(
            f"{symbol} is a global model: name the member to forecast with --member SYMBOL"
            if member is None
            else f"--member picks a member of a global model (train --panel ... --name); {symbol} is none"
        )
    if member is not None:
        outcome = next(predict_members(stored, [member], source, start, days, level, today))
        if outcome.error is not None:
            raise outcome.error
        assert outcome.result is not None
        return outcome.result
    prices = model_prices(symbol, stored.manifest, source)
    result = forecast(stored, prices, start, days, level, source.offline if source is not None else False)
    result = dataclasses.replace(result, standing=stand(stored.manifest, result, prices, today))
    seen = provenance(stored.manifest, stored.scaler, prices, start, days)
    for warning in seen.warnings:
        log.warning("%s", warning)
    if start is None and seen.own:  # a real forecast: into the ledger, to be scored when its days have passed
        ledger.remember(result, stored.manifest.config, prices, "predict")
    elif start is None:
        log.warning(
            "%s %s: this forecast is not recorded in the forecast ledger, which keeps the forecasts a model makes "
            "from its own data (predict without --csv records one)",
            symbol, stored.manifest.version,
        )  # fmt: skip
    return result


def forecast(
    stored: registry.StoredModel, prices: Prices, start: str | None, days: int, level: float = LEVEL,
    offline: bool = False,
) -> Result:  # fmt: skip
    """The stored model's forecast on `prices` (see `predict`), with the market's prices it recorded when it reads
    the `market` feature (fetched unless `offline`, for a symbol); nothing recorded."""
    m = stored.manifest
    model = load_model(m, stored.model_path)
    market = recorded_market(m, offline)
    label = (m.symbol, m.version)
    return forecast_model(model, stored.scaler, m.config, prices, start, days, label, m.interval, level, market)


def stand(manifest: Manifest, result: Result, prices: Prices, today: str | date | None = None) -> Standing:
    """What stands behind `result`, made by `manifest`'s model from `prices` (standing.standing), on `today`
    (default: the clock's date, local time: the day a user at this machine calls today)."""
    series = price_column(prices.frame, manifest.config.column, prices.source).dropna()
    day = pd.Timestamp(datetime.now().date() if today is None else today).normalize()
    return standing(manifest, result.scored_days, result.history, result.past_the_data, series.index[-1], day)


def plot(
    symbol: str, source: PriceSource | None = None, start: str | None = None, days: int = HORIZON,
    out: Path | None = None, level: float = LEVEL, today: str | date | None = None, member: str | None = None,
) -> tuple[Result, Path]:  # fmt: skip
    """`predict`, then draw it into `out` (default: plots/<SYMBOL>_<origin>.png under the home folder; a global
    model's `member`: that member's symbol)."""
    if out is not None:
        check_plot(out)  # before the work, not after it
    result = predict(symbol, source, start, days, level, today, member)
    return result, draw(result, out or home() / "plots" / f"{result.symbol}_{result.origin:%Y-%m-%d}.png")
