"""Provenance stage: is the data a stored model forecasts from the data it was trained on?

Input: a stored model's manifest and scaler, the `Prices` a forecast reads and the forecast's start (None: after the
last day) and length. Output: `Provenance`: `own` (the model's own source: the file it was trained on, or the same
bytes elsewhere; its symbol's store; its synthetic series) and `warnings`, one sentence each: another source; prices
far outside the range a price-level scaler saw in training (FAR ranges beyond it).

A forecast from another source is the model's view of other data: worth printing, never the model's track record
(the application layer records only forecasts from the model's own source in the ledger).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .manifest import Manifest
from .targets import get, scaler_from_dict
from .validate import Prices
from .windows import parse_day, price_column

FAR = 1.0  # prices more than one training range (max - min) beyond the scaler's [min, max]: far outside


@dataclass(frozen=True)
class Provenance:
    own: bool  # the model's own source: its forecasts there are its track record
    warnings: list[str] = field(default_factory=list)


def provenance(manifest: Manifest, scaler: dict, prices: Prices, start: str | None, days: int) -> Provenance:
    """Where `prices` stand beside the data `manifest`'s model was trained on (see the module's docstring)."""
    own = own_source(manifest, prices)
    warnings = [] if own else [_elsewhere(manifest, prices)]
    unseen = _unseen(manifest, scaler, prices, start, days)
    return Provenance(own, warnings + ([unseen] if unseen else []))


def own_source(manifest: Manifest, prices: Prices) -> bool:
    """Are `prices` read from the source the model was trained on?"""
    data = manifest.data
    if prices.kind != data.kind:
        return False
    if prices.kind == "synthetic":
        return prices.params == data.synthetic
    if prices.kind == "store":
        return prices.source == data.source  # "store SYMBOL (adjusted)": the symbol and the adjustment
    return prices.sha256 == data.sha256 or Path(prices.source).resolve() == trained_file(manifest)


def trained_file(manifest: Manifest) -> Path:
    """The file a CSV-trained model was trained on: as the price source recorded it (absolute), else as given."""
    recorded = (manifest.data.price_source or {}).get("csv")
    return Path(recorded or manifest.data.source).resolve()


def _elsewhere(manifest: Manifest, prices: Prices) -> str:
    trained = trained_file(manifest) if manifest.data.kind == "csv" else manifest.data.source
    here = Path(prices.source).resolve() if prices.kind == "csv" else prices.source
    return (
        f"{manifest.symbol} {manifest.version} was trained on {trained}; this forecast reads {here}, other data: "
        "it is the model's view of prices it has not learned"
    )


def _unseen(manifest: Manifest, scaler: dict, prices: Prices, start: str | None, days: int) -> str | None:
    """The warning for prices far outside the range a price-level scaler was fitted on; None when there is no such
    range (a return scaler) or the prices stay near it."""
    fitted = scaler_from_dict(scaler).fitted_range
    config = manifest.config
    if fitted is None:
        return None
    series = price_column(prices.frame, config.column, prices.source).dropna()
    day = parse_day(start, "--start")
    origin = len(series) if day is None else int(series.index.searchsorted(day))
    read = series.iloc[max(0, origin - config.lookback) : origin + days]  # the window and the actual prices after it
    values = get(config.target).encode(read.to_numpy())
    low, high = fitted
    width = (high - low) or abs(high) or 1.0
    below, above = (low - np.nanmin(values)) / width, (np.nanmax(values) - high) / width
    if max(below, above) <= FAR:
        return None
    side, value = ("below", float(np.nanmin(values))) if below > above else ("above", float(np.nanmax(values)))
    return (
        f"{manifest.symbol} {manifest.version} learned {config.column!r} prices from {low:.6g} to {high:.6g}; the "
        f"prices this forecast reads reach {value:.6g}, {max(below, above):.1f} times that range {side} it: far "
        "outside what the model has seen, so its forecast is a guess (retrain on data that holds these prices, or use "
        "--target return, which is the same at every price level)"
    )
